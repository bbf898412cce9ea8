""" "Allow in this chat" is remembered with the chat: granted on the consent bar, it is
stored with the conversation (the real SQLite file), holds when the chat is opened
again in a new window over the same profile, and is revoked in Settings → Tools…;
a new chat still asks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rill.core.store.db import default_path
from rill.core.tools import ToolRef
from rill.core.types import MessageStatus
from rill.gui.window.main_window import MainWindow
from tests.core.tools.support import fake_config
from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.gemini_tool_scenarios import function_call
from tests.gui.chat.test_tool_consent import (  # noqa: F401 (make_window: a fixture)
    START_MS,
    MakeWindow,
    bodies,
    make_window,
    press,
    wait_for_question,
)
from tests.gui.support.qt_waiting import run_until_done


def stored_grants(conversation_id: int) -> str | None:
    conn = sqlite3.connect(default_path())
    try:
        row = conn.execute(
            "SELECT tool_grants FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
    finally:
        conn.close()
    return None if row is None else row[0]


def outputs(gemini: FakeGemini) -> list[str]:
    replies = [b["contents"][-1]["parts"][0]["functionResponse"] for b in bodies(gemini)[1::2]]
    return [r["response"].get("output") or r["response"]["error"] for r in replies]


def ask_and_answer(qtbot: QtBot, window: MainWindow, text: str, *keys: Qt.Key) -> None:
    with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS):
        window.controller.send(text)
        if keys:
            wait_for_question(qtbot, window)
            for key in keys:
                press(qtbot, key)


def test_allow_in_this_chat_is_stored_reopened_and_revoked(
    qtbot: QtBot,
    make_window: MakeWindow,  # noqa: F811
    fake_gemini: FakeGemini,
    qloop: qasync.QEventLoop,
) -> None:
    window = make_window(fake=fake_config())
    fake_gemini.push(function_call("fake__add", {"a": 1, "b": 1}, call_id="g1"), sc.stream(["2"]))
    ask_and_answer(qtbot, window, "1+1", Qt.Key.Key_Tab, Qt.Key.Key_Return)  # in this chat
    persistence = window.history.persistence
    cid = persistence.current.conversation_id
    assert cid is not None
    qtbot.waitUntil(lambda: stored_grants(cid) == '[["fake","add"]]', timeout=5000)
    run_until_done(qloop, window.controller.shutdown(), timeout=15)  # the app quits

    again = make_window(fake=fake_config())
    asked: list[object] = []
    again.consent_bar.opened.connect(lambda: asked.append(1))
    with qtbot.waitSignal(again.controller.current_chat_changed, timeout=5000):
        again.history.loader.show(cid)
    assert again.controller.current_chat.grants.granted(ToolRef("fake", "add"))
    fake_gemini.push(function_call("fake__add", {"a": 2, "b": 2}, call_id="g2"), sc.stream(["4"]))
    ask_and_answer(qtbot, again, "2+2")  # runs without asking
    assert asked == [] and outputs(fake_gemini) == ["2", "4"]

    # Settings → Tools…: the tool runs "in this chat"; Revoke makes it ask again.
    again.menus.tools_action.trigger()
    dialog = again.tools_dialog
    assert dialog is not None
    row = next(
        dialog.tools.topLevelItem(i)
        for i in range(dialog.tools.topLevelItemCount())
        if dialog.tools.topLevelItem(i).text(0) == "add"
    )
    assert row.text(1) == "in this chat"
    dialog.tools.setCurrentItem(row)
    assert dialog.revoke_button.isEnabled()
    dialog.revoke_button.click()
    dialog.close()
    with qtbot.waitActive(again):
        again.activateWindow()
    qtbot.waitUntil(lambda: stored_grants(cid) is None, timeout=5000)
    fake_gemini.push(function_call("fake__add", {"a": 3, "b": 3}, call_id="g3"), sc.stream(["6"]))
    ask_and_answer(qtbot, again, "3+3", Qt.Key.Key_Return)  # asked: allow once
    assert asked == [1] and outputs(fake_gemini)[-1] == "6"

    # A new chat asks too (and the reopened chat's grant never reached it).
    again.controller.new_chat()
    fake_gemini.push(function_call("fake__add", {"a": 4, "b": 4}, call_id="g4"), sc.stream(["8"]))
    ask_and_answer(qtbot, again, "4+4", Qt.Key.Key_Escape)
    assert asked == [1, 1]


def test_retry_after_a_crash_mid_call_runs_the_call_again_and_keeps_the_answer(
    qtbot: QtBot,
    make_window: MakeWindow,  # noqa: F811
    fake_gemini: FakeGemini,
    tmp_path: Path,
) -> None:
    window = make_window(fake=fake_config())
    bar = window.consent_bar
    marker = str(tmp_path / "crashed-once")
    fake_gemini.push(
        function_call(
            "fake__crash_once", {"marker": marker}, call_id="r1", text="Let me try that. "
        ),
        sc.stream(["It worked."]),
    )
    with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS) as done:
        window.controller.send("try the flaky tool")
        wait_for_question(qtbot, window)
        press(qtbot, Qt.Key.Key_Return)  # allow once: the server dies mid-call
        qtbot.waitUntil(lambda: bar.fault is not None, timeout=START_MS)
        fault = bar.fault or ""
        assert fault.startswith("The call of fake.crash_once failed:")
        assert fault.endswith(".") and not fault.endswith("..")
        assert bar.title.text() == fault and bar.title.textFormat() is Qt.TextFormat.PlainText
        assert len(bodies(fake_gemini)) == 1  # nothing went to the model yet
        assert window.controller.current_chat.answer is not None  # the answer waits
        qtbot.waitUntil(bar.retry_button.hasFocus, timeout=2000)
        press(qtbot, Qt.Key.Key_Return)  # Retry: the server restarts, the call answers
    answer = done.args[1]
    assert answer.status is MessageStatus.COMPLETE
    assert answer.text.startswith("Let me try that. ")  # the answer so far was kept
    assert answer.text.endswith("It worked.")
    (reply,) = bodies(fake_gemini)[1]["contents"][2]["parts"]
    assert reply["functionResponse"]["id"] == "r1"
    assert reply["functionResponse"]["response"]["output"] == "worked on the second try"
    assert not bar.isVisible()
