"""Answer Markdown as Qt rich-text HTML, rendered incrementally while it streams, with
Pygments highlighting inside a time budget.
"""

from rill.core.markdown.highlight import Theme, escape
from rill.core.markdown.incremental import (
    IncrementalMarkdown,
    RenderedBlock,
    RenderUpdate,
    render_all,
)

__all__ = [
    "IncrementalMarkdown",
    "RenderUpdate",
    "RenderedBlock",
    "Theme",
    "escape",
    "render_all",
]
