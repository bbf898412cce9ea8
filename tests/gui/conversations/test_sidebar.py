"""The conversation sidebar over a real store: order, inline rename, pin, delete with
Undo, lazy rows, and the search that highlights hits and jumps to the message."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from rill.core.store.db import Store
from rill.core.store.records import SearchHit
from rill.core.types import GenerationSettings, Message, Part, Role
from rill.gui.conversations.model import CACHE_ROWS, PAGE
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.support.history_support import (
    MakeWindow,
    close,
    db_path,
    db_rows,
    send,
    texts,
    wait_saved,
)

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def titles(window: MainWindow) -> list[str]:
    model = window.conversations.model
    return [model.index(row).data() for row in range(model.rowCount())]


def three_chats(qtbot: QtBot, window: MainWindow, server: FakeGemini) -> None:
    server.push(stream(["A."]), stream(["B."]), stream(["C."]))
    for text in ("alpha", "beta", "gamma"):
        send(qtbot, window, text)
        window.new_chat()
    qtbot.waitUntil(lambda: len(titles(window)) == 3)


def fill_store(home: Path, count: int, messages: int = 2) -> list[int]:
    """Conversations written straight into the store (as an earlier session would)."""
    ids = []
    with Store(db_path(home)) as store, store.batch():
        for n in range(count):
            cid = store.create_conversation(
                settings=GenerationSettings(model="gemini-2.5-flash"), created_at=1e9 + n
            )
            for m in range(messages):
                role = Role.USER if m % 2 == 0 else Role.MODEL
                text = f"conversation {n} message {m}" + (" needle" if (n, m) == (3, 1) else "")
                store.append_message(cid, Message(role, [Part.from_text(text)]))
            ids.append(cid)
    return ids


def test_newest_first_pinned_first_and_the_open_one_highlighted(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, qloop: qasync.QEventLoop
) -> None:
    window = history_window()
    three_chats(qtbot, window, fake_gemini)
    assert titles(window) == ["gamma", "beta", "alpha"]
    sidebar = window.conversations
    assert sidebar.selected_id() is None  # a new, empty chat is on screen
    alpha = sidebar.conversation_ids()[2]
    window.history.pin(alpha, True)
    qtbot.waitUntil(lambda: titles(window) == ["alpha", "gamma", "beta"])
    sidebar.list.setCurrentIndex(sidebar.model.index(2))  # beta
    qtbot.waitUntil(lambda: texts(window) == ["beta", "B."])
    fake_gemini.push(stream(["B again."]))
    send(qtbot, window, "more beta")
    qtbot.waitUntil(lambda: titles(window) == ["alpha", "beta", "gamma"])  # active: on top
    assert sidebar.model.index(1).data() == "beta"
    assert sidebar.selected_id() == sidebar.model.id_at(1)
    summary = sidebar.model.summary(alpha)
    assert summary is not None and summary.pinned and summary.model == "gemini-2.5-flash"
    close(qloop, window)
    again = history_window()
    assert titles(again) == ["alpha", "beta", "gamma"]


def test_rename_inline_with_f2(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    send(qtbot, window, "a first prompt that names the chat")
    sidebar = window.conversations
    qtbot.waitUntil(lambda: titles(window) == ["a first prompt that names the chat"])
    sidebar.list.setFocus()
    sidebar.select(sidebar.model.id_at(0))
    qtbot.keyClick(sidebar.list, Qt.Key.Key_F2)
    editor = sidebar.list.findChild(QLineEdit, "renameEdit")
    assert editor is not None and editor.isVisible()
    assert editor.text() == "a first prompt that names the chat"
    editor.selectAll()
    qtbot.keyClicks(editor, "Trip plans")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: titles(window) == ["Trip plans"])
    qtbot.waitUntil(
        lambda: db_rows(hermetic_profile, "SELECT title FROM conversations") == [("Trip plans",)]
    )


def test_delete_with_the_del_key_then_undo(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    three_chats(qtbot, window, fake_gemini)
    sidebar, bar = window.conversations, window.action_bar
    beta = sidebar.model.id_at(1)
    sidebar.list.setFocus()
    sidebar.select(beta)
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Delete)
    assert titles(window) == ["gamma", "alpha"]
    assert bar.isVisible() and bar.label.text() == "Deleted “beta”"
    qtbot.waitUntil(
        lambda: (
            db_rows(
                hermetic_profile,
                "SELECT deleted_at IS NOT NULL FROM conversations WHERE id=?",
                beta,
            )
            == [(1,)]
        )
    )
    assert window.history.worker  # still open
    hits = sidebar.results  # deleted chats leave search too
    qtbot.keyClick(sidebar.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: titles(window) == ["gamma", "beta", "alpha"])
    assert not bar.isVisible() and hits is sidebar.results
    assert db_rows(hermetic_profile, "SELECT deleted_at FROM conversations WHERE id=?", beta) == [
        (None,)
    ]


def test_deleting_the_open_chat_from_the_menu_shows_a_new_one_and_undo_reopens_it(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    send(qtbot, window, "keep me")
    sidebar = window.conversations
    cid = sidebar.model.id_at(0)
    assert sidebar.selected_id() == cid
    window.history.delete_conversation(cid)  # what the context menu's Delete does
    assert window.view.messages == [] and titles(window) == []
    assert window.conversations.hint.text() == "Your chats will be listed here."
    window.action_bar.action_button.click()
    qtbot.waitUntil(lambda: texts(window) == ["keep me", "Echo: keep me"])
    qtbot.waitUntil(lambda: sidebar.selected_id() == cid)


@pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE, "does not support grabbing the keyboard")
def test_the_context_menu_offers_rename_pin_export_delete(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    from PySide6.QtWidgets import QMenu

    window = history_window()
    send(qtbot, window, "menu me")
    sidebar = window.conversations
    rect = sidebar.list.visualRect(sidebar.model.index(0))
    sidebar.list.customContextMenuRequested.emit(rect.center())
    menu = sidebar.findChild(QMenu)
    assert menu is not None
    assert [a.text() for a in menu.actions() if a.text()] == ["Rename", "Pin", "Export…", "Delete"]
    with qtbot.waitSignal(sidebar.pin_requested) as blocker:
        menu.actions()[1].trigger()
    assert blocker.args == [sidebar.model.id_at(0), True]
    menu.close()


def test_rows_load_lazily_a_page_at_a_time(
    qtbot: QtBot, history_window: MakeWindow, hermetic_profile: Path
) -> None:
    fill_store(hermetic_profile, 300)
    window = history_window()
    model = window.conversations.model
    assert model.rowCount() == 300
    loaded = [cid for cid in model.ids() if model.summary(cid) is not None]
    assert PAGE <= len(loaded) < 300 and CACHE_ROWS >= PAGE  # the first page, not all
    last = model.id_at(299)
    window.conversations.list.scrollToBottom()
    qtbot.waitUntil(lambda: model.summary(last) is not None)
    assert model.index(299).data() == "conversation 0 message 0"


def test_search_shows_the_hit_highlighted_and_jumps_to_the_message(
    qtbot: QtBot, history_window: MakeWindow, hermetic_profile: Path
) -> None:
    fill_store(hermetic_profile, 6, messages=40)
    window = history_window()
    sidebar = window.conversations
    qtbot.keyClick(window, Qt.Key.Key_F, CTRL_SHIFT)
    assert sidebar.search.hasFocus()
    qtbot.keyClicks(sidebar.search, "needl")  # a prefix, as while typing
    qtbot.waitUntil(lambda: len(sidebar.results.hits()) == 1, timeout=3000)
    hit = sidebar.results.hits()[0]
    assert isinstance(hit, SearchHit)
    assert hit.html() == "conversation 3 message 1 <b>needle</b>"
    assert sidebar.stack.currentWidget() is sidebar.results
    qtbot.keyClick(sidebar.search, Qt.Key.Key_Return)
    view = window.view
    qtbot.waitUntil(lambda: len(view.messages) == 40, timeout=3000)
    qtbot.waitUntil(lambda: view.surface.highlighted is not None, timeout=3000)
    assert "conversation 3" in texts(window)[0]
    card = view.surface.highlighted
    assert card is not None and "message 1 needle" in card.plain_text()
    # The message is on screen, near the top of the pane.
    top = view.surface.card_top(card.index) - view.surface.verticalScrollBar().value()
    assert 0 <= top < view.surface.viewport().height() // 2
    assert not view.surface.following
    qtbot.waitUntil(lambda: view.surface.highlighted is None, timeout=4000)  # it fades
    qtbot.keyClick(sidebar.search, Qt.Key.Key_Escape)
    assert sidebar.search.text() == "" and sidebar.stack.currentWidget() is sidebar.list


def test_search_finds_another_version_and_shows_it(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    fake_gemini.push(stream(["An aardvark answer."]), stream(["A plain answer."]))
    send(qtbot, window, "Tell me about animals")
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.regenerate(1)
    wait_saved(qtbot, window)
    window.new_chat()
    window.conversations.search.setText("aardvark")
    sidebar = window.conversations
    qtbot.waitUntil(lambda: len(sidebar.results.hits()) == 1, timeout=3000)
    sidebar.results.activate_current()
    qtbot.waitUntil(lambda: texts(window) == ["Tell me about animals", "An aardvark answer."])
    assert "1/2" in window.view.message_text(1)


def test_search_stays_fast_and_ignores_stale_answers(
    qtbot: QtBot, history_window: MakeWindow, hermetic_profile: Path
) -> None:
    fill_store(hermetic_profile, 20, messages=20)
    window = history_window()
    sidebar = window.conversations
    sidebar.search.setText("message")
    sidebar.show_hits("conversation", [])  # an answer for text no longer in the box
    assert sidebar.results.hits() == []
    qtbot.waitUntil(lambda: len(sidebar.results.hits()) == 50, timeout=3000)
    started = time.perf_counter()
    window.history.search("message 7")
    qtbot.waitUntil(lambda: window.history.last_search_ms is not None)
    assert (time.perf_counter() - started) < 1.0
    sidebar.search.setText("zzzznothing")
    qtbot.waitUntil(lambda: sidebar.hint.text() == "No messages match.", timeout=3000)


def test_a_narrow_window_shows_the_list_in_place_of_the_chat(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    three_chats(qtbot, window, fake_gemini)
    sidebar = window.conversations
    sidebar.list.setCurrentIndex(sidebar.model.index(1))  # beta
    qtbot.waitUntil(lambda: texts(window) == ["beta", "B."])
    window.resize(480, 640)
    qtbot.waitUntil(lambda: not sidebar.isVisible())
    qtbot.keyClick(window, Qt.Key.Key_F, CTRL_SHIFT)
    assert sidebar.isVisible() and not window.chat_column.isVisible()
    assert sidebar.search.hasFocus() and sidebar.selected_id() == sidebar.model.id_at(1)
    sidebar.list.setCurrentIndex(sidebar.model.index(2))  # alpha
    qtbot.waitUntil(lambda: texts(window) == ["alpha", "A."])
    assert window.chat_column.isVisible() and not sidebar.isVisible()
    window.menus.chats_action.trigger()  # View → Chat list
    assert sidebar.isVisible() and sidebar.selected_id() == sidebar.model.id_at(2)
    window.menus.chats_action.trigger()
    # Back to the chat: the menu does not tick a list that is not shown.
    assert window.chat_column.isVisible() and not window.menus.chats_action.isChecked()
