"""Themes for the Markdown tests, and the renderers with one filled in.

Core has no colours of its own (the window hands it its palette), so these are test
values: any colours do, as long as the two themes differ.
"""

from __future__ import annotations

from rill.core.markdown import incremental
from rill.core.markdown.highlight import Theme
from rill.core.markdown.incremental import RenderedBlock

LIGHT = Theme(
    dark=False,
    text="#1f2328",
    muted="#5a6270",
    link="#1f56cf",
    border="#d5d9e0",
    table_header_background="#f0f3f6",
    inline_code_background="#eef0f3",
    code_background="#f6f8fa",
    code_text="#1f2328",
    pygments_style="default",
)
DARK = Theme(
    dark=True,
    text="#e3e5e8",
    muted="#a0a7b2",
    link="#8ab0ff",
    border="#3a3f47",
    table_header_background="#21262d",
    inline_code_background="#2d333b",
    code_background="#161b22",
    code_text="#e3e5e8",
    pygments_style="github-dark",
)


def render_all(text: str, theme: Theme = LIGHT) -> list[RenderedBlock]:
    """``incremental.render_all`` in the light test theme unless told otherwise."""
    return incremental.render_all(text, theme)


def render_html(text: str, theme: Theme = LIGHT) -> str:
    """``incremental.render_html`` in the light test theme unless told otherwise."""
    return incremental.render_html(text, theme)
