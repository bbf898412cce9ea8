"""Helpers for the chat pane tests: messages, the cards' documents, clicking links."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextBlock, QTextCursor, QTextDocument, QTextFragment
from pytestqt.qtbot import QtBot

from rill.core.types import Message, MessageStatus, Part, Role, Usage
from rill.gui.transcript.renderers.base import Block, Hit
from rill.gui.transcript.view import ChatView


def user(text: str, *images: bytes) -> Message:
    parts = [Part.from_bytes(data, "image/png") for data in images]
    return Message(Role.USER, [*parts, Part.from_text(text)])


def answer(
    text: str,
    thoughts: str = "",
    *,
    status: MessageStatus = MessageStatus.COMPLETE,
    **fields: object,
) -> Message:
    parts = [Part(text=thoughts, thought=True)] if thoughts else []
    parts.append(Part.from_text(text))
    return Message(Role.MODEL, parts, status=status, **fields)  # type: ignore[arg-type]


def frame(view: ChatView, text: str, thought: str = "") -> None:
    """One frame of the live answer: ``thought`` and ``text`` arrive in its message (as
    the session absorbs chunks), then the pane shows them (``flush_answer``)."""
    live = next(card for card in reversed(view.cards) if card.live).message
    if thought:
        live.append_part(Part(text=thought, thought=True))
    if text:
        live.append_part(Part.from_text(text))
    view.flush_answer()


def streaming() -> Message:
    return Message(Role.MODEL, status=MessageStatus.STREAMING, model="gemini-2.5-flash")


def finished(text: str, thoughts: str = "", **fields: object) -> Message:
    """A complete answer with the footer facts filled in."""
    defaults: dict[str, object] = {
        "model": "gemini-2.5-flash",
        "model_version": "gemini-2.5-flash-001",
        "usage": Usage(prompt_tokens=12, output_tokens=340, thoughts_tokens=52, total_tokens=404),
        "finish_reason": "STOP",
        "started_at": 10.0,
        "first_token_at": 10.42,
        "finished_at": 14.42,
    }
    defaults.update(fields)
    return answer(text, thoughts, **defaults)


def make_view(qtbot: QtBot, width: int = 800, height: int = 600) -> ChatView:
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    return view


def stream(view: ChatView, text: str, sizes: tuple[int, ...] = (1, 7, 3, 40, 2, 150)) -> None:
    """Feed ``text`` to the live answer in deltas of varying sizes (cycling ``sizes``)."""
    at, i = 0, 0
    while at < len(text):
        size = sizes[i % len(sizes)]
        frame(view, text[at : at + size], "")
        at, i = at + size, i + 1


def documents(view: ChatView, index: int | None = None) -> Iterator[QTextDocument]:
    """The text documents the pane shows (of message ``index`` only, when given), in
    order: every prose block, code card, bubble and error card has its own."""
    view.settle()  # everything queued is rendered
    cards = view.cards if index is None else [view.cards[index]]
    for card in cards:
        for block in card.blocks:
            doc = _document_of(block)
            if doc is not None:
                yield doc


def _document_of(block: Block) -> QTextDocument | None:
    inner = getattr(block, "body", block)
    return getattr(inner, "doc", None)


def blocks(view: ChatView, index: int | None = None) -> Iterator[QTextBlock]:
    for doc in documents(view, index):
        block = doc.begin()
        while block.isValid():
            yield block
            block = block.next()


def fragments(view: ChatView) -> Iterator[QTextFragment]:
    for block in blocks(view):
        it = block.begin()
        while not it.atEnd():
            yield it.fragment()
            it += 1


def anchors(view: ChatView) -> list[str]:
    """Every link and button of the pane (``rill:`` ones too), oldest message first."""
    view.settle()
    return [hit.href for hit in view.surface.all_hits()]


def find_anchor(view: ChatView, href: str, nth: int = 0) -> Hit:
    view.settle()
    found = [hit for hit in view.surface.all_hits() if hit.href == href]
    assert len(found) > nth, f"no link to {href!r}; links: {anchors(view)}"
    return found[nth]


def click_anchor(qtbot: QtBot, view: ChatView, href: str, nth: int = 0) -> None:
    """Click the link or button ``href`` the way a user would: bring it into view,
    point at it, press and release (the ``nth`` counted from the newest message)."""
    view.settle()
    point = view.surface.locate(href, nth)
    assert point is not None, f"no link to {href!r}; links: {anchors(view)}"
    viewport = view.surface.viewport()
    qtbot.mouseMove(viewport, point)
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=point)


@dataclass
class BlockShape:
    """What a block looks like, independent of where in the document it is."""

    text: str
    heading: int
    list_item: bool
    in_table: bool
    background: str
    non_breaking: bool


def shapes(view: ChatView, index: int) -> list[BlockShape]:
    """The text blocks of message ``index``, for comparing two renders of one message."""
    out: list[BlockShape] = []
    for block in blocks(view, index):
        fmt = block.blockFormat()
        brush = fmt.background()
        out.append(
            BlockShape(
                block.text(),
                fmt.headingLevel(),
                block.textList() is not None,
                QTextCursor(block).currentTable() is not None,
                brush.color().name() if brush.style() != Qt.BrushStyle.NoBrush else "",
                fmt.nonBreakableLines(),
            )
        )
    return out
