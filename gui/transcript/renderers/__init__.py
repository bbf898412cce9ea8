"""One renderer per part kind, behind one small interface (``base``).

A renderer is ``(context, part, card_id) -> PartView``; :func:`register` adds one for a
kind and :func:`part_kind` says which kind a part is. A kind nobody registered is
shown by the placeholder (``unsupported``): a collapsed "Unsupported part (kind)" line.
Issues that add part kinds add a branch to :func:`part_kind` and register their
renderer; nothing else changes. What an answer carries beside its parts (grounding,
URL context) is shown under them by :func:`answer_extras`.
"""

from __future__ import annotations

from collections.abc import Callable

from rill.core.types import Message, Part
from rill.gui.transcript.renderers.base import Block, Context, Hit, PartView
from rill.gui.transcript.renderers.code_run import CodeResultView, CodeRunView
from rill.gui.transcript.renderers.grounding import GroundingView, cited_parts
from rill.gui.transcript.renderers.images import ImageView
from rill.gui.transcript.renderers.markdown import MarkdownView
from rill.gui.transcript.renderers.thoughts import ThoughtsView
from rill.gui.transcript.renderers.tool_calls import (
    FunctionCallView,
    FunctionResponseView,
    pair_calls,
)
from rill.gui.transcript.renderers.unsupported import UnsupportedView
from rill.gui.transcript.renderers.url_context import RecitationView, UrlContextView

Renderer = Callable[[Context, Part, int], PartView]

_RENDERERS: dict[str, Renderer] = {}


# Kinds the card shows as their Markdown (``rill.core.answer_text.part_markdown``),
# among the text: an error line Rill put where a part could not be read.
AS_TEXT = frozenset({"error"})


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


def _code_run(context: Context, part: Part, card_id: int) -> PartView:
    del card_id
    return CodeRunView(context, part)


def _code_result(context: Context, part: Part, card_id: int) -> PartView:
    del card_id
    return CodeResultView(context, part)


def _function_call(context: Context, part: Part, card_id: int) -> PartView:
    del card_id
    return FunctionCallView(context, part)


def _function_response(context: Context, part: Part, card_id: int) -> PartView:
    del card_id
    return FunctionResponseView(context, part)


def answer_extras(context: Context, message: Message) -> list[PartView]:
    """What ``message`` carries beside its parts, as views under them: the Sources and
    searches that grounded it, the pages it read, the works it recites."""
    views: list[PartView] = []
    if message.grounding is not None and not message.grounding.empty:
        views.append(GroundingView(context, message.grounding))
    if message.url_context:
        views.append(UrlContextView(context, message.url_context))
    if message.citations:
        views.append(RecitationView(context, message.citations))
    return [view for view in views if view.blocks]


register("text", _text)
register("thought", _thought)
register("image", _image)
register("code_run", _code_run)
register("code_result", _code_result)
register("function_call", _function_call)
register("function_response", _function_response)

__all__ = [
    "AS_TEXT",
    "Block",
    "Context",
    "Hit",
    "PartView",
    "Renderer",
    "answer_extras",
    "cited_parts",
    "pair_calls",
    "part_kind",
    "register",
    "render_part",
]
