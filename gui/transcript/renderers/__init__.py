"""One renderer per part kind, behind one small interface (``base``).

A renderer is ``(context, part, card_id) -> PartView``; :func:`register` adds one for a
kind and :func:`part_kind` says which kind a part is. A kind nobody registered is
shown by the placeholder (``unsupported``): a collapsed "Unsupported part (kind)" line.
Issues that add part kinds (code runs, tool calls, citations) add a branch to
:func:`part_kind` and register their renderer; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable

from rill.core.types import Part
from rill.gui.transcript.renderers.base import Block, Context, Hit, PartView
from rill.gui.transcript.renderers.images import ImageView
from rill.gui.transcript.renderers.markdown import MarkdownView
from rill.gui.transcript.renderers.thoughts import ThoughtsView
from rill.gui.transcript.renderers.unsupported import UnsupportedView

Renderer = Callable[[Context, Part, int], PartView]

_RENDERERS: dict[str, Renderer] = {}


# Kinds a text-only view shows as Markdown (``rill.core.answer_text.part_markdown``):
# until their cards exist (issue 16), the card shows them so, among the text, as the
# answer's ``text`` (and so the frame feed's deltas) already has them.
AS_TEXT = frozenset({"code_run", "code_result", "function_call", "error"})


def part_kind(part: Part) -> str:
    """The kind of a part of an answer: "text", "thought", "image", a tool kind
    ("code_run", "code_result", "function_call", "function_response"), "error", or its
    MIME type."""
    if part.text is not None and part.data is None and part.file_uri is None:
        return "thought" if part.thought else "text"
    for kind, value in (
        ("code_run", part.code),
        ("code_result", part.code_result),
        ("function_call", part.function_call),
        ("function_response", part.function_response),
        ("error", part.error),
    ):
        if value is not None:
            return kind
    mime = part.mime_type or ""
    if part.data is not None and mime.startswith("image/"):
        return "image"
    return mime or "unknown"


def register(kind: str, renderer: Renderer) -> None:
    """Show parts of ``kind`` with ``renderer`` (replacing any before)."""
    _RENDERERS[kind] = renderer


def render_part(context: Context, part: Part, card_id: int, *, kind: str | None = None) -> PartView:
    """The view of ``part``: its kind's renderer, or the placeholder."""
    kind = kind or part_kind(part)
    renderer = _RENDERERS.get(kind)
    if renderer is None:
        return UnsupportedView(context, part, kind)
    return renderer(context, part, card_id)


def _text(context: Context, part: Part, card_id: int) -> PartView:
    del card_id
    view = MarkdownView(context, part.text or "")
    view.close()
    return view


def _thought(context: Context, part: Part, card_id: int) -> PartView:
    return ThoughtsView(context, part.text or "", card_id=card_id, live=False)


def _image(context: Context, part: Part, card_id: int) -> PartView:
    del card_id
    return ImageView(context, part)


register("text", _text)
register("thought", _thought)
register("image", _image)

__all__ = [
    "AS_TEXT",
    "Block",
    "Context",
    "Hit",
    "PartView",
    "Renderer",
    "part_kind",
    "register",
    "render_part",
]
