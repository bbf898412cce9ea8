"""Turn actions in the chat pane: regenerate (‹ 1/2 › versions), edit and resend (a new
branch, the old one intact), copy and delete, against a real store and the fake server."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from rill.core.store.db import Store
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.chat_view_support import anchors
from tests.gui.support.history_support import (
    MakeWindow,
    click,
    db_path,
    href,
    send,
    texts,
    wait_saved,
)


def regenerate(qtbot: QtBot, window: MainWindow, index: int) -> None:
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        click(qtbot, window, "regenerate", index)
    wait_saved(qtbot, window)


def switch(qtbot: QtBot, window: MainWindow, index: int, version: int) -> None:
    click(qtbot, window, "version", index, version)
    qtbot.waitUntil(lambda: f"{version}/" in window.view.message_text(index), timeout=5000)
    wait_saved(qtbot, window)


def stored_path(home: Path) -> list[str]:
    with Store(db_path(home)) as store:
        cid = store.latest_conversation_id()
        assert cid is not None
        return [m.text for m in store.history(cid)]


def sent_roles_and_texts(server: FakeGemini) -> list[tuple[str, str]]:
    body = server.requests_for("streamGenerateContent")[-1].json
    return [(c["role"], "".join(p.get("text", "") for p in c["parts"])) for c in body["contents"]]


def test_regenerate_adds_a_version_and_the_switcher_shows_either(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    fake_gemini.push(stream(["First ", "answer."]), stream(["Second ", "answer."]))
    send(qtbot, window, "Tell me something")
    regenerate(qtbot, window, 1)
    assert texts(window) == ["Tell me something", "Second answer."]
    assert "‹ 2/2 ›" in window.view.message_text(1).replace("\xa0", " ")
    assert href(window, "version", 1, 1) in anchors(window.view)
    # The question went again, alone: the first answer is not part of the request.
    assert sent_roles_and_texts(fake_gemini) == [("user", "Tell me something")]
    question = window.view.cards[0]
    switch(qtbot, window, 1, 1)
    assert texts(window) == ["Tell me something", "First answer."]
    assert window.view.cards[0] is question  # only what changed is a new card
    assert stored_path(hermetic_profile) == ["Tell me something", "First answer."]
    switch(qtbot, window, 1, 2)
    assert texts(window) == ["Tell me something", "Second answer."]
    with Store(db_path(hermetic_profile)) as store:
        cid = store.latest_conversation_id()
        assert cid is not None and len(store.all_message_ids(cid)) == 3


def test_regenerating_an_earlier_answer_branches_and_the_old_branch_comes_back(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    fake_gemini.push(stream(["Paris."]), stream(["About 2 million."]), stream(["Lutetia."]))
    send(qtbot, window, "Capital of France?")
    send(qtbot, window, "How many people live there?")
    regenerate(qtbot, window, 1)
    assert texts(window) == ["Capital of France?", "Lutetia."]
    assert sent_roles_and_texts(fake_gemini) == [("user", "Capital of France?")]
    switch(qtbot, window, 1, 1)
    assert texts(window) == [
        "Capital of France?",
        "Paris.",
        "How many people live there?",
        "About 2 million.",
    ]
    assert stored_path(hermetic_profile)[-1] == "About 2 million."


def test_edit_and_resend_makes_a_new_branch_and_keeps_the_old_one(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    fake_gemini.push(stream(["Hello!"]), stream(["Blue."]), stream(["Green."]))
    send(qtbot, window, "Hi")
    send(qtbot, window, "Favourite colour?")
    click(qtbot, window, "edit", 2)
    assert window.edit_banner.isVisible()
    assert window.composer.text == "Favourite colour?"
    window.composer.set_text("Favourite colour, in one word?")
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    wait_saved(qtbot, window)
    assert not window.edit_banner.isVisible()
    assert window.composer.text == ""
    assert texts(window) == ["Hi", "Hello!", "Favourite colour, in one word?", "Green."]
    assert sent_roles_and_texts(fake_gemini) == [
        ("user", "Hi"),
        ("model", "Hello!"),
        ("user", "Favourite colour, in one word?"),
    ]
    assert "2/2" in window.view.message_text(2)
    switch(qtbot, window, 2, 1)  # the old branch, intact
    assert texts(window) == ["Hi", "Hello!", "Favourite colour?", "Blue."]
    with Store(db_path(hermetic_profile)) as store:
        cid = store.latest_conversation_id()
        assert cid is not None and len(store.all_message_ids(cid)) == 6


def test_cancelling_an_edit_gives_the_draft_back(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    send(qtbot, window, "Hi")
    window.composer.set_text("a draft")
    click(qtbot, window, "edit", 0)
    assert window.composer.text == "Hi"
    qtbot.mouseClick(window.edit_banner.cancel_button, Qt.MouseButton.LeftButton)
    assert not window.edit_banner.isVisible()
    assert window.composer.text == "a draft"


def test_delete_asks_in_a_bar_then_removes_the_turn_and_what_followed(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    fake_gemini.push(stream(["One."]), stream(["Two."]))
    send(qtbot, window, "First")
    send(qtbot, window, "Second")
    bar = window.action_bar
    click(qtbot, window, "delete", 0)
    assert bar.label.text() == "Delete your message and the 3 messages after it?"
    click(qtbot, window, "delete", 2)
    assert bar.isVisible() and bar.label.text() == "Delete your message and its answer?"
    qtbot.mouseClick(bar.other_button, Qt.MouseButton.LeftButton)  # Cancel
    assert texts(window) == ["First", "One.", "Second", "Two."]
    click(qtbot, window, "delete", 2)
    qtbot.mouseClick(bar.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: texts(window) == ["First", "One."])
    wait_saved(qtbot, window)
    assert stored_path(hermetic_profile) == ["First", "One."]
    click(qtbot, window, "delete", 0)
    assert bar.label.text() == "Delete your message and its answer?"
    click(qtbot, window, "delete", 1)
    assert bar.label.text() == "Delete this answer?"


def test_deleting_one_version_shows_the_other(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    fake_gemini.push(stream(["Old."]), stream(["New."]))
    send(qtbot, window, "Q")
    regenerate(qtbot, window, 1)
    click(qtbot, window, "delete", 1)
    assert "other versions stay" in window.action_bar.label.text()
    window.action_bar.trigger()
    qtbot.waitUntil(lambda: texts(window) == ["Q", "Old."])
    assert "1/2" not in window.view.message_text(1)
    assert stored_path(hermetic_profile) == ["Q", "Old."]


def test_copy_puts_the_message_on_the_clipboard(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    fake_gemini.push(stream(["**Bold** answer."]))
    send(qtbot, window, "Copy me")
    click(qtbot, window, "copy-message", 1)
    assert QGuiApplication.clipboard().text() == "**Bold** answer."
    click(qtbot, window, "copy-message", 0)
    assert QGuiApplication.clipboard().text() == "Copy me"


def test_actions_wait_while_an_answer_streams(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    from tests.fakes.gemini_scenarios import hold_open

    window = history_window()
    send(qtbot, window, "Hi")
    fake_gemini.push(hold_open(["Partial"]))
    window.controller.send("Tell me more")
    qtbot.waitUntil(lambda: window.controller.current_chat.answer is not None)
    with qtbot.waitSignal(window.controller.status_changed) as blocker:
        window.controller.regenerate(1)
    assert blocker.args == ["Stop the answer first."]
    assert not window.controller.begin_edit(0)
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.stop()
