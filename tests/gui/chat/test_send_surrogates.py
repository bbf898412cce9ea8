"""controller.send() with lone surrogates through the real window and store: they are
dropped before the request and the store; the answer completes and is saved."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from rill.core.types import MessageStatus
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.history_support import MakeWindow, db_rows, send, texts


def test_programmatic_send_with_lone_surrogates_is_sent_and_stored_clean(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = history_window()
    failures: list[str] = []
    window.controller.launcher.task_failed.connect(lambda _name, text: failures.append(text))
    fake_gemini.push(stream(["All ", "good."]))
    answer = send(qtbot, window, "x\ud800y 😀\udc00!")
    assert failures == []
    assert answer.status is MessageStatus.COMPLETE
    body = fake_gemini.requests_for("streamGenerateContent")[-1].json
    assert body["contents"][-1]["parts"] == [{"text": "xy 😀!"}]
    assert texts(window) == ["xy 😀!", "All good."]
    rows = db_rows(hermetic_profile, "SELECT role, status, text FROM messages ORDER BY id")
    assert rows == [("user", "complete", "xy 😀!"), ("model", "complete", "All good.")]
