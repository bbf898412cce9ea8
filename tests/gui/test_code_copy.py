"""Copy on a code block confirms with "Copied ✓" for a moment, then reads Copy again."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from rill.gui import code_copy
from rill.gui.chat_view import ChatView
from tests.gui.chat_view_support import (
    anchors,
    blocks,
    click_anchor,
    finished,
    make_view,
    streaming,
    user,
)

CODE = "Run this:\n\n```python\nprint('hi')\n```\n\nThen this:\n\n```bash\nls -l\n```\n"


def header(view: ChatView, language: str) -> str:
    return next(b.text() for b in blocks(view) if b.text().lstrip().startswith(language))


@pytest.fixture(autouse=True)
def short_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code_copy, "CONFIRM_MS", 200)


def test_copy_says_copied_for_a_moment(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages([user("Show me"), finished(CODE)])
    before = view.plain_text()
    first, second = [h for h in anchors(view) if h.startswith("rill:copy/")]
    click_anchor(qtbot, view, first)
    assert QGuiApplication.clipboard().text() == "print('hi')\n"
    assert "Copied ✓" in header(view, "python")
    assert "Copied" not in header(view, "bash")  # only the block clicked
    # Same length in place: every message keeps its text and place in the document.
    assert len(view.plain_text()) == len(before)
    assert view.message_text(0).strip().startswith("Show me")
    assert first in anchors(view)  # still a link: it can be clicked again
    qtbot.waitUntil(lambda: "Copied" not in view.plain_text(), timeout=2000)
    assert view.plain_text() == before
    click_anchor(qtbot, view, second)
    assert QGuiApplication.clipboard().text() == "ls -l\n"
    assert "Copied ✓" in header(view, "bash")


def test_a_streaming_answer_keeps_growing_below_a_confirmed_copy(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages([user("Code first")])
    view.begin_answer(streaming())
    view.append_to_answer("```python\nx = 1\n```\n\nMore text", "")
    href = next(h for h in anchors(view) if h.startswith("rill:copy/"))
    click_anchor(qtbot, view, href)
    view.append_to_answer(" and more.", "")
    view.finish_answer(finished("```python\nx = 1\n```\n\nMore text and more."))
    view.settle()
    assert "\nMore text and more.\n" in view.message_text(1)
    qtbot.waitUntil(lambda: "Copied" not in view.plain_text(), timeout=2000)
    assert "Copy" in header(view, "python")


def test_the_moment_ends_quietly_when_the_chat_was_cleared_meanwhile(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages([user("Show me"), finished(CODE)])
    click_anchor(qtbot, view, next(h for h in anchors(view) if h.startswith("rill:copy/")))
    view.set_messages([user("Another chat")])  # shorter than where the label stood
    confirmation = view.browser.findChild(code_copy.CopyConfirmation)
    assert confirmation is not None and confirmation.pending
    qtbot.waitUntil(lambda: not confirmation.pending, timeout=2000)
    # qt_log_level_fail: "QTextCursor::setPosition: Position … out of range" fails it.
    assert "Another chat" in view.plain_text()
