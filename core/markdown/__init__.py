"""Answer Markdown as Qt rich-text HTML, rendered incrementally while it streams, with
Pygments highlighting inside a time budget and TeX math as ``rill-math:`` image
placeholders (``math``), typeset to SVG one formula at a time (``typeset``; ziamath
loads only when the first formula is typeset).
"""

from rill.core.markdown.highlight import Theme, escape
from rill.core.markdown.incremental import (
    IncrementalMarkdown,
    RenderedBlock,
    RenderUpdate,
    render_all,
)
from rill.core.markdown.math import MATH_SCHEME, math_name, parse_math_name
from rill.core.markdown.typeset import Typeset, serve, typeset_job

__all__ = [
    "MATH_SCHEME",
    "IncrementalMarkdown",
    "RenderUpdate",
    "RenderedBlock",
    "Theme",
    "Typeset",
    "escape",
    "math_name",
    "parse_math_name",
    "render_all",
    "serve",
    "typeset_job",
]
