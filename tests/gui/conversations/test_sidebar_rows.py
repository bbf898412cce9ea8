"""The chat list's two-line rows: renaming in place and a sign of chats that answer now."""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from rill.core.store.records import ConversationSummary
from rill.gui.conversations.delegate import GAP, PAD_Y, ConversationDelegate, subtitle
from rill.gui.conversations.model import STREAMING_ROLE
from rill.gui.conversations.sidebar import Sidebar
from tests.fakes.gemini_scenarios import hold_open, stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.history_support import MakeWindow, send

NOW = 1_700_000_000.0


def summary(cid: int, title: str) -> ConversationSummary:
    return ConversationSummary(cid, title, "gemini", "gemini-2.5-flash", False, NOW, NOW, 2)


def test_the_rows_delegate_and_the_search_panel_wait_for_their_first_use(qtbot: QtBot) -> None:
    # The window's first paint shows the list empty: neither is made for it.
    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    assert not isinstance(sidebar.list.itemDelegate(), ConversationDelegate)
    assert sidebar.stack.count() == 1  # the list alone
    sidebar.model.upsert(summary(1, "Trip plans"))  # a first row: both are there before it
    assert isinstance(sidebar.list.itemDelegate(), ConversationDelegate)
    assert sidebar.stack.count() == 2
    searching = Sidebar()
    qtbot.addWidget(searching)
    searching.search.setText("trip")  # a search typed first
    assert searching.stack.currentWidget() is searching.results
    assert isinstance(searching.list.itemDelegate(), ConversationDelegate)


def test_the_rename_editor_covers_the_title_line_and_leaves_the_second(qtbot: QtBot) -> None:
    sidebar = Sidebar()
    qtbot.addWidget(sidebar)
    sidebar.resize(240, 400)
    sidebar.model.set_keys([(1, False, NOW)], {1: summary(1, "Trip plans")})
    sidebar.show()
    qtbot.waitExposed(sidebar)
    sidebar.rename(1)
    editor = sidebar.list.viewport().findChild(QLineEdit, "renameEdit")
    assert editor is not None
    qtbot.waitUntil(editor.isVisible)
    row = sidebar.list.visualRect(sidebar.model.index(0))
    title_top = row.top() + PAD_Y
    title_bottom = title_top + QFontMetrics(sidebar.list.font()).height()
    box = editor.geometry()
    # The painted title is under the editor, whole; the second line stays clear of it.
    assert box.top() <= title_top and box.bottom() >= title_bottom - 1, (box, row)
    assert box.bottom() < title_bottom + GAP, (box, row)
    assert editor.text() == "Trip plans"


def test_the_second_line_says_answering_while_a_chat_streams() -> None:
    row = summary(1, "Trip")
    quiet = subtitle(row, NOW)
    assert quiet.endswith(" · gemini-2.5-flash") and "Answering" not in quiet
    assert subtitle(row, NOW, streaming=True) == "● Answering… · gemini-2.5-flash"


def test_the_list_marks_every_chat_that_is_answering(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    model = window.conversations.model
    fake_gemini.push(stream(["A."]))
    send(qtbot, window, "alpha")
    quiet = window.history.persistence.current.conversation_id
    assert quiet is not None
    window.new_chat()
    fake_gemini.push(hold_open(["Partial"], [" rest"]))
    window.controller.send("beta")
    qtbot.waitUntil(lambda: "Partial" in window.view.plain_text(), timeout=5000)
    busy = window.history.persistence.current.conversation_id
    assert busy is not None

    def streaming(cid: int) -> bool:
        row = model.row_of(cid)
        return row is not None and bool(model.index(row).data(STREAMING_ROLE))

    qtbot.waitUntil(lambda: streaming(busy), timeout=5000)
    assert not streaming(quiet)
    window.conversations.list.setCurrentIndex(model.index(model.row_of(quiet) or 0))
    qtbot.waitUntil(lambda: "alpha" in window.view.plain_text(), timeout=5000)
    assert streaming(busy)  # still answering off screen, and the list says so
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        fake_gemini.release()
    qtbot.waitUntil(lambda: not streaming(busy), timeout=5000)
