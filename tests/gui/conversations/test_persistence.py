"""Chats on disk: what a window saves (turns, partial answers, settings) is what the next
window over the same RILL_HOME shows; a damaged or newer store is moved aside, never
lost; export and import from the File menu; the CLI's export matches the chat pane."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import qasync
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from rill.core.types import Chunk, GenerateRequest, MessageStatus
from tests.fakes.gemini_scenarios import hold_open, stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.history_support import (
    MakeWindow,
    close,
    db_path,
    db_rows,
    send,
    texts,
    wait_saved,
)

ROOT = Path(__file__).resolve().parents[3]


def test_conversations_and_their_settings_survive_a_restart(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, qloop: qasync.QEventLoop
) -> None:
    window = history_window()
    c = window.controller
    c.set_settings(replace(c.settings, temperature=0.3, system_instruction="Be brief."))
    fake_gemini.push(stream(["Forty-two."]), stream(["Hello there."]))
    send(qtbot, window, "What is the answer?")
    window.new_chat()
    c.set_settings(replace(c.settings, temperature=1.5, model="gemini-2.5-pro"))
    send(qtbot, window, "Say hello")
    close(qloop, window)

    again = history_window()
    sidebar = again.conversations
    assert [sidebar.model.index(r).data() for r in range(2)] == [
        "Say hello",
        "What is the answer?",
    ]
    assert again.view.messages == []  # a new chat until one is picked
    sidebar.list.setCurrentIndex(sidebar.model.index(1))
    qtbot.waitUntil(lambda: texts(again) == ["What is the answer?", "Forty-two."])
    assert again.controller.settings.temperature == 0.3
    assert again.controller.settings.system_instruction == "Be brief."
    assert again.panel.settings().temperature == 0.3
    sidebar.list.setCurrentIndex(sidebar.model.index(0))
    qtbot.waitUntil(lambda: texts(again) == ["Say hello", "Hello there."])
    assert again.controller.settings.temperature == 1.5
    assert again.controller.settings.model == "gemini-2.5-pro"
    assert again.panel.settings().temperature == 1.5


def test_settings_changed_later_are_saved_too(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    send(qtbot, window, "Hi")
    c = window.controller
    c.set_settings(replace(c.settings, temperature=0.1))
    c.set_settings(replace(c.settings, temperature=0.2))  # a slider on its way: one write
    window.history.persistence.flush_settings()
    wait_saved(qtbot, window)
    qtbot.waitUntil(
        lambda: (
            '"temperature":0.2'
            in str(db_rows(hermetic_profile, "SELECT settings FROM conversations"))
        )
    )


def test_the_user_turn_is_stored_before_the_request_leaves(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    provider = window.controller.provider
    seen: list[list[tuple[object, ...]]] = []
    original = provider.stream

    def spying_stream(request: GenerateRequest) -> AsyncIterator[Chunk]:
        seen.append(db_rows(hermetic_profile, "SELECT role, text FROM messages"))
        return original(request)

    provider.stream = spying_stream  # type: ignore[method-assign]
    send(qtbot, window, "Remember me")
    assert seen == [[("user", "Remember me"), ("model", "")]]


def test_a_partial_answer_is_written_while_it_streams_and_kept_when_stopped(
    qtbot: QtBot,
    history_window: MakeWindow,
    fake_gemini: FakeGemini,
    hermetic_profile: Path,
    qloop: qasync.QEventLoop,
) -> None:
    window = history_window()
    fake_gemini.push(hold_open(["Hello, this part arrived"]))
    window.controller.send("Tell me a long story")
    qtbot.waitUntil(lambda: "this part arrived" in window.view.plain_text(), timeout=5000)
    arrived = time.monotonic()

    def partial_on_disk() -> bool:
        rows = db_rows(hermetic_profile, "SELECT status, text FROM messages WHERE role='model'")
        return rows == [("streaming", "Hello, this part arrived")]

    qtbot.waitUntil(partial_on_disk, timeout=3000)
    # At least once a second (a 250 ms tick, 750 ms between writes), plus a busy
    # machine's slack between the text showing and this poll seeing it.
    assert time.monotonic() - arrived <= 1.5
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.stop()
    wait_saved(qtbot, window)
    close(qloop, window)

    again = history_window()
    again.history.loader.show(again.conversations.conversation_ids()[0])
    qtbot.waitUntil(lambda: len(again.view.messages) == 2)
    assert again.view.messages[1].status is MessageStatus.STOPPED
    assert "Hello, this part arrived" in again.view.message_text(1)
    assert "Stopped" in again.view.message_text(1)


def test_a_corrupt_store_is_moved_aside_and_the_app_carries_on(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    path = db_path(hermetic_profile)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not a database" * 100)
    window = history_window()
    notice = window.notice.label.text()
    assert window.notice.isVisible()
    assert "could not be read" in notice and "moved to" in notice
    moved = [p for p in path.parent.iterdir() if p.name.startswith("rill.sqlite.corrupt-")]
    assert len(moved) == 1 and str(moved[0]) in notice
    assert moved[0].read_bytes().startswith(b"this is not a database")
    send(qtbot, window, "Still works?")
    assert db_rows(hermetic_profile, "SELECT text FROM messages WHERE role='user'") == [
        ("Still works?",)
    ]


def test_a_store_from_a_newer_rill_is_moved_aside(
    qtbot: QtBot, history_window: MakeWindow, hermetic_profile: Path
) -> None:
    import sqlite3

    path = db_path(hermetic_profile)
    path.parent.mkdir(parents=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    window = history_window()
    assert "newer version of Rill" in window.notice.label.text()
    assert any(p.name.startswith("rill.sqlite.newer-") for p in path.parent.iterdir())


def test_export_from_the_file_menu_writes_markdown_and_json_without_the_key(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    window = history_window()
    fake_gemini.push(stream(["An answer worth keeping."]))
    send(qtbot, window, "Export me")
    window.menus.export_action.trigger()
    dialog = window.findChild(QFileDialog)
    assert dialog is not None and dialog.isVisible()
    target = tmp_path / "out.md"
    with qtbot.waitSignal(window.exports.finished, timeout=5000) as blocker:
        dialog.fileSelected.emit(str(target))
    assert blocker.args == [f"Exported to {target}"]
    text = target.read_text(encoding="utf-8")
    assert "# Export me" in text and "An answer worth keeping." in text
    as_json = tmp_path / "out.json"
    with qtbot.waitSignal(window.exports.finished, timeout=5000):
        window.exports.export_to(
            window.history.persistence.current.conversation_id or 0, as_json, "json"
        )
    document = json.loads(as_json.read_text(encoding="utf-8"))
    assert document["format"] == "rill.conversation"
    for written in (text, as_json.read_text(encoding="utf-8")):
        assert "test-key" not in written


def test_import_adds_a_conversation_and_shows_it(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    window = history_window()
    fake_gemini.push(stream(["Original answer."]))
    send(qtbot, window, "Original question")
    exported = tmp_path / "c.json"
    with qtbot.waitSignal(window.exports.finished, timeout=5000):
        window.exports.export_to(
            window.history.persistence.current.conversation_id or 0, exported, "json"
        )
    window.new_chat()
    window.menus.import_action.trigger()
    dialog = window.findChild(QFileDialog)
    assert dialog is not None
    with qtbot.waitSignal(window.exports.finished, timeout=5000) as blocker:
        dialog.fileSelected.emit(str(exported))
    assert blocker.args[0].startswith("Imported")
    qtbot.waitUntil(lambda: len(window.conversations.conversation_ids()) == 2)
    qtbot.waitUntil(lambda: texts(window) == ["Original question", "Original answer."])
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    with qtbot.waitSignal(window.exports.finished, timeout=5000) as blocker:
        window.exports.import_from(bad)
    assert "could not be imported" in blocker.args[0]


def test_the_cli_export_matches_what_the_chat_pane_shows(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    fake_gemini.push(
        stream(["Rivers run ", "to the sea."]),
        stream(["A first take."]),
        stream(["A better take."]),
    )
    send(qtbot, window, "Where do rivers go?")
    send(qtbot, window, "Say it again")
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.regenerate(3)
    wait_saved(qtbot, window)
    env = {**os.environ, "RILL_HOME": str(hermetic_profile)}
    result = subprocess.run(
        [sys.executable, "-m", "rill.core.cli", "export", "--latest", "--format", "md"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    markdown = result.stdout
    shown = [window.view.message_text(i) for i in range(len(window.view.messages))]
    # The same turns, in the same order, with the same words.
    turns = [block.split("\n\n", 1) for block in markdown.split("\n---\n\n")[1:]]
    assert [head for head, _ in turns] == [
        "## You",
        "## Model · gemini-2.5-flash",
        "## You",
        "## Model · gemini-2.5-flash · version 2 of 2",
    ]
    bodies = [body.strip() for _, body in turns]
    for body, (message, on_screen) in zip(
        bodies, zip(window.view.messages, shown, strict=True), strict=True
    ):
        assert body.startswith(message.text)
        assert message.text in on_screen
    assert "2/2" in shown[3]
    plain = window.view.plain_text()
    positions = [plain.index(m.text) for m in window.view.messages]
    assert positions == sorted(positions)


def test_without_a_usable_store_the_app_says_so_and_chats_in_memory(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    hermetic_profile.mkdir(parents=True, exist_ok=True)
    (hermetic_profile / "data").write_text("a file where the data folder should be")
    window = history_window()
    assert "could not be opened" in window.notice.label.text()
    fake_gemini.push(stream(["Still here."]))
    send(qtbot, window, "Hello?")
    assert texts(window) == ["Hello?", "Still here."]
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.regenerate(1)  # versions need the store; answering again does not
    assert texts(window)[0] == "Hello?" and len(texts(window)) == 2
