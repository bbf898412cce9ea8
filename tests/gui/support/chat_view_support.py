"""Helpers for the chat pane tests: messages, document inspection, clicking links."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QTextBlock, QTextCursor, QTextFragment
from pytestqt.qtbot import QtBot

from rill.core.types import Message, MessageStatus, Part, Role, Usage
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
        view.append_to_answer(text[at : at + size], "")
        at, i = at + size, i + 1


def blocks(view: ChatView) -> Iterator[QTextBlock]:
    view.settle()  # everything queued is in the document
    block = view.browser.document().begin()
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
    return [f.charFormat().anchorHref() for f in fragments(view) if f.charFormat().isAnchor()]


def find_anchor(view: ChatView, href: str, nth: int = 0) -> QTextFragment:
    found = [f for f in fragments(view) if f.charFormat().anchorHref() == href]
    assert len(found) > nth, f"no link to {href!r}; links: {anchors(view)}"
    return found[nth]


def click_anchor(qtbot: QtBot, view: ChatView, href: str, nth: int = 0) -> None:
    """Click the link ``href`` the way a user would: scroll to it, press and release."""
    fragment = find_anchor(view, href, nth)
    browser = view.browser
    cursor = QTextCursor(browser.document())
    cursor.setPosition(fragment.position() + max(0, fragment.length() // 2))
    browser.setTextCursor(cursor)
    browser.ensureCursorVisible()
    point: QPoint = browser.cursorRect(cursor).center()
    # The cursor rectangle sits on the boundary between two characters: nudge onto
    # the link's own glyphs.
    point.setX(point.x() - 1)
    qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=point)


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
    """The blocks of message ``index``, for comparing two renders of one message."""
    view.settle()
    entry = view._transcript.entries[index]
    document = view.browser.document()
    out: list[BlockShape] = []
    block = document.findBlock(entry.start)
    while block.isValid() and block.position() < entry.end:
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
        block = block.next()
    return out
