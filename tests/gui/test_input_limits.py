"""Input limits through the real window: emoji and lone surrogates.

A lone surrogate cannot reach the wire: PySide drops it where Python text becomes a
QString (a paste's QMimeData, insertPlainText), so what the composer holds and sends
is always valid UTF-8, and the emoji around it arrive intact.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData
from pytestqt.qtbot import QtBot

from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.history_support import MakeWindow

EMOJI = "👩‍👩‍👧 🇺🇦 😀"


def test_lone_surrogate_paste_is_dropped_and_emoji_are_sent_intact(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    mime = QMimeData()
    mime.setText(f"a\ud800b {EMOJI}")
    window.composer.edit.insertFromMimeData(mime)
    window.composer.edit.insertPlainText(" c\udfffd")
    text = window.composer.text
    assert text == f"ab {EMOJI} cd"
    text.encode("utf-8")  # strict: raises on any surrogate left
    fake_gemini.push(stream(["ok"]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.composer.send_button.click()
    sent = fake_gemini.requests_for("streamGenerateContent")[-1].json
    assert sent["contents"][-1]["parts"][0]["text"] == f"ab {EMOJI} cd"


def test_50mb_paste_is_refused_with_the_limit_and_the_typed_text_stays(
    qtbot: QtBot, history_window: MakeWindow
) -> None:
    from rill.gui.composer import MAX_PROMPT_CHARS

    window = history_window()
    window.composer.set_text("typed first")
    mime = QMimeData()
    mime.setText(("y" * 79 + "\n") * (50_000_000 // 80))
    window.composer.edit.insertFromMimeData(mime)
    assert window.composer.text == "typed first"
    message = window.composer.error_label.text()
    assert f"{MAX_PROMPT_CHARS:,}" in message
    assert message.startswith("Not pasted: the message would be 50,000,011 characters")
    assert window.composer.notice.isVisibleTo(window.composer)
