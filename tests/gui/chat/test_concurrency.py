"""Two chats streaming at once through the real window and a real store (issue 8.6).

Chat A's answer is held open by the fake server while chat B (Ctrl+N) sends its own;
the sidebar switches between them mid-stream. Each chat's pane and stored rows hold
exactly its own answer (nothing leaked across, nothing doubled), both requests are
open on the server together, the status line and Send/Stop follow the chat shown,
and Stop in one chat stops that chat only.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from rill.core.attachments.request_parts import FileUri
from rill.core.types import MessageStatus
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_scenarios import hold_open
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.history_support import MakeWindow, db_rows, texts, wait_saved

A1, A2 = "Alpha begins. ", "Alpha ends."
B1, B2 = "Beta begins. ", "Beta ends."


def type_and_send(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Type ``text`` into the composer and press Enter; wait until the turn is shown."""
    QTest.keyClicks(window.composer.edit, text)
    QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: text in texts(window), timeout=5000)


def conversation_of(qtbot: QtBot, window: MainWindow, chat_id: int) -> int:
    """The stored conversation id of chat ``chat_id`` (once its first write is done)."""
    records = window.history.persistence.records

    def known() -> bool:
        record = records.get(chat_id)
        return record is not None and record.conversation_id is not None

    qtbot.waitUntil(known, timeout=5000)
    cid = records[chat_id].conversation_id
    assert cid is not None
    return cid


def pick(qtbot: QtBot, window: MainWindow, conversation_id: int) -> None:
    """Click a conversation's row in the sidebar, as a user does."""
    sidebar = window.conversations
    qtbot.waitUntil(lambda: sidebar.model.row_of(conversation_id) is not None, timeout=5000)
    row = sidebar.model.row_of(conversation_id)
    assert row is not None
    rect = sidebar.list.visualRect(sidebar.model.index(row))
    QTest.mouseClick(sidebar.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(
        lambda: window.history.persistence.current.conversation_id == conversation_id,
        timeout=5000,
    )


def button(window: MainWindow) -> str:
    return window.composer.send_button.text()


def status(window: MainWindow) -> str:
    return window.status_line.state_label.text()


def open_streams(server: FakeGemini) -> int:
    return sum(
        1 for s in server.streams if s.held and not s.completed and s.disconnected_at is None
    )


def rows_of(home: Path, conversation_id: int) -> list[tuple[object, ...]]:
    return db_rows(
        home,
        "SELECT role, status, text FROM messages WHERE conversation_id = ? ORDER BY id",
        conversation_id,
    )


def test_two_chats_stream_at_once_and_switching_keeps_each_answer_in_its_chat(  # noqa: PLR0915
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    controller = window.controller
    fake_gemini.push(hold_open([A1], [A2]), hold_open([B1], [B2]))

    # Chat A: its answer starts and is held open mid-stream.
    chat_a = controller.current_chat.id
    type_and_send(qtbot, window, "Question A")
    qtbot.waitUntil(lambda: texts(window) == ["Question A", A1], timeout=5000)
    assert button(window) == "Stop" and status(window) == "Streaming…"
    a = conversation_of(qtbot, window, chat_a)

    # Ctrl+N: chat B is empty and idle although A still streams.
    QTest.keyClick(window.composer.edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: controller.current_chat.id != chat_a, timeout=5000)
    chat_b = controller.current_chat.id
    assert texts(window) == []
    assert button(window) == "Send" and status(window) == "Ready."
    first = controller.chat(chat_a)
    assert first is not None and first.answer is not None  # A streams on, unseen

    type_and_send(qtbot, window, "Question B")
    qtbot.waitUntil(lambda: texts(window) == ["Question B", B1], timeout=5000)
    assert button(window) == "Stop" and status(window) == "Streaming…"
    b = conversation_of(qtbot, window, chat_b)
    assert a != b

    # Both requests are open on the server at once, each carrying only its own turn.
    qtbot.waitUntil(lambda: open_streams(fake_gemini) == 2, timeout=5000)
    bodies = [r.json for r in fake_gemini.requests_for("streamGenerateContent")]
    assert [[p["text"] for c in body["contents"] for p in c["parts"]] for body in bodies] == [
        ["Question A"],
        ["Question B"],
    ]

    # Back and forth through the sidebar, mid-stream: each pane shows its own text once.
    for _ in range(2):
        pick(qtbot, window, a)
        assert controller.current_chat.id == chat_a
        assert texts(window) == ["Question A", A1]
        assert button(window) == "Stop" and status(window) == "Streaming…"
        pick(qtbot, window, b)
        assert controller.current_chat.id == chat_b
        assert texts(window) == ["Question B", B1]
        assert button(window) == "Stop" and status(window) == "Streaming…"

    # Both finish while A is shown; B finishes in the background.
    pick(qtbot, window, a)
    finished: dict[int, MessageStatus] = {}
    controller.answer_finished.connect(lambda cid, m: finished.__setitem__(cid, m.status))
    fake_gemini.release()
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=5000)
    assert finished == {chat_a: MessageStatus.COMPLETE, chat_b: MessageStatus.COMPLETE}
    wait_saved(qtbot, window)
    assert texts(window) == ["Question A", A1 + A2]
    assert button(window) == "Send" and status(window) == "Ready."
    pick(qtbot, window, b)
    assert texts(window) == ["Question B", B1 + B2]
    assert rows_of(hermetic_profile, a) == [
        ("user", "complete", "Question A"),
        ("model", "complete", A1 + A2),
    ]
    assert rows_of(hermetic_profile, b) == [
        ("user", "complete", "Question B"),
        ("model", "complete", B1 + B2),
    ]

    # Round two: both stream again; Stop in B stops B only.
    fake_gemini.push(hold_open(["More beta. "], ["Never sent."]))
    type_and_send(qtbot, window, "Again B")
    qtbot.waitUntil(lambda: texts(window)[-1] == "More beta. ", timeout=5000)
    pick(qtbot, window, a)
    fake_gemini.push(hold_open(["More alpha. "], ["Alpha again ends."]))
    type_and_send(qtbot, window, "Again A")
    qtbot.waitUntil(lambda: texts(window)[-1] == "More alpha. ", timeout=5000)
    qtbot.waitUntil(lambda: open_streams(fake_gemini) == 2, timeout=5000)
    pick(qtbot, window, b)
    assert button(window) == "Stop"
    finished.clear()
    window.composer.send_button.click()  # Stop, in B
    qtbot.waitUntil(lambda: chat_b in finished, timeout=5000)
    assert finished == {chat_b: MessageStatus.STOPPED}
    assert button(window) == "Send" and status(window) == "Stopped."
    qtbot.waitUntil(lambda: open_streams(fake_gemini) == 1, timeout=5000)  # B hung up
    chat_a_state = controller.chat(chat_a)
    assert chat_a_state is not None and chat_a_state.answer is not None  # A goes on

    # A finishes in the background: B's pane, button and status line stay B's.
    fake_gemini.release()
    qtbot.waitUntil(lambda: chat_a in finished, timeout=5000)
    assert finished[chat_a] is MessageStatus.COMPLETE
    assert texts(window) == ["Question B", B1 + B2, "Again B", "More beta. "]
    assert button(window) == "Send" and status(window) == "Stopped."
    wait_saved(qtbot, window)
    pick(qtbot, window, a)
    assert texts(window) == ["Question A", A1 + A2, "Again A", "More alpha. Alpha again ends."]
    assert button(window) == "Send" and status(window) == "Ready."
    assert rows_of(hermetic_profile, a) == [
        ("user", "complete", "Question A"),
        ("model", "complete", A1 + A2),
        ("user", "complete", "Again A"),
        ("model", "complete", "More alpha. Alpha again ends."),
    ]
    assert rows_of(hermetic_profile, b) == [
        ("user", "complete", "Question B"),
        ("model", "complete", B1 + B2),
        ("user", "complete", "Again B"),
        ("model", "stopped", "More beta. "),
    ]


class HeldImage:
    """An attachment whose preparation ends when the test says so."""

    name = "cat.png"

    def __init__(self) -> None:
        self.future: asyncio.Future[FileUri] = asyncio.get_running_loop().create_future()

    async def ready(self) -> FileUri:
        return await self.future

    def release(self) -> None:
        self.future.set_result(FileUri("https://example.com/cat.png", "image/png"))


def test_an_answer_starting_in_a_chat_not_shown_is_saved_while_it_streams(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    controller = window.controller
    image = HeldImage()
    fake_gemini.push(hold_open(["Partial, saved. "], ["The end."]))
    first = controller.current_chat.id
    assert controller.send("Look at this", [image])
    window.new_chat()  # the images go out while another chat is shown
    assert controller.current_chat.id != first
    assert button(window) == "Send" and status(window) == "Ready."
    # As after a long upload: the live tick has long stopped (no answer was in flight).
    tick = window.history.persistence._tick
    qtbot.waitUntil(lambda: not tick.isActive(), timeout=3000)
    image.release()
    qtbot.waitUntil(lambda: open_streams(fake_gemini) == 1, timeout=3000)
    query = "SELECT status, text FROM messages WHERE role = 'model'"
    # Written within about a second although no answer streams in the chat shown.
    qtbot.waitUntil(
        lambda: db_rows(hermetic_profile, query) == [("streaming", "Partial, saved. ")],
        timeout=3000,
    )
    assert texts(window) == [] and button(window) == "Send" and status(window) == "Ready."
    with qtbot.waitSignal(controller.answer_finished, timeout=5000):
        fake_gemini.release()
    wait_saved(qtbot, window)
    assert db_rows(hermetic_profile, query) == [("complete", "Partial, saved. The end.")]
