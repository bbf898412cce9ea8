"""First start with no key and no network: the embedded model answers in the window."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.core.settings import GenerationDefaults, Settings, load_settings, save_settings
from rill.core.types import MessageStatus
from rill.gui.app import connect_provider, create_window, present
from rill.gui.common.tasks import TaskLauncher
from rill.gui.common.theme import ThemeManager
from rill.gui.providers.manager import LOADING_LOCAL
from rill.gui.window.main_window import MainWindow
from tests.gui.conftest import run_until_done

# The real model on a loaded machine: loading plus a few tokens can take a while.
ANSWER_TIMEOUT_MS = 180_000


@pytest.fixture
def first_start(
    qtbot: QtBot, qloop: qasync.QEventLoop, qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MainWindow]:
    """A fresh profile (short answers), no key, and every proxy pointing nowhere."""
    for variable in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(variable, "http://127.0.0.1:9")  # any network use would fail
    save_settings(Settings(generation=GenerationDefaults(max_output_tokens=12)))
    loaded = load_settings()
    theme = ThemeManager(qapp, loaded.settings.ui.theme)
    window = create_window(loaded, TaskLauncher(), theme)
    with qtbot.waitActive(window):
        present(window)
    run_until_done(qloop, connect_provider(window))
    yield window
    run_until_done(qloop, window.controller.shutdown(), timeout=30)
    window.close()
    window.deleteLater()
    theme.deleteLater()


@pytest.mark.qt_log_ignore(r"This plugin does not support")
def test_typing_a_prompt_and_enter_gets_an_offline_answer(
    qtbot: QtBot, first_start: MainWindow
) -> None:
    window = first_start
    assert window.welcome.isVisible() and "answering offline" in window.welcome.intro.text()
    assert window.composer.edit.hasFocus()
    statuses: list[str] = []
    window.controller.status_changed.connect(statuses.append)
    window.providers.manager.status_changed.connect(statuses.append)  # its own lines
    qtbot.keyClicks(window.composer.edit, "Say hello")
    with qtbot.waitSignal(window.controller.answer_finished, timeout=ANSWER_TIMEOUT_MS) as blocker:
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Return)
    message = blocker.args[1]
    assert message.status is MessageStatus.COMPLETE, message.error
    assert message.text.strip()
    assert message.model == "smollm2-135m-instruct"
    shown = window.view.plain_text()
    assert "Say hello" in shown and message.text.strip()[:20] in shown
    assert LOADING_LOCAL in statuses  # the first answer said it was loading the model
    assert message.usage is not None and message.usage.output_tokens <= 12


def test_the_welcome_card_can_be_dismissed(qtbot: QtBot, first_start: MainWindow) -> None:
    card = first_start.welcome
    with qtbot.waitSignal(card.dismissed):
        qtbot.mouseClick(card.close_button, Qt.MouseButton.LeftButton)
    assert not card.isVisible()
    assert first_start.composer.isVisible()


@pytest.mark.qt_log_ignore(r"This plugin does not support")
def test_a_stopped_offline_answer_shows_its_tokens_and_speed(
    qtbot: QtBot, first_start: MainWindow
) -> None:
    window = first_start
    controller = window.controller
    controller.set_settings(replace(controller.settings, max_output_tokens=2000))
    controller.send("Write a very long story about a lighthouse keeper and the sea.")
    chat = controller.current_chat

    def streamed() -> bool:
        return chat.answer is not None and len(chat.answer.text) > 40

    qtbot.waitUntil(streamed, timeout=ANSWER_TIMEOUT_MS)
    with qtbot.waitSignal(controller.answer_finished, timeout=10_000) as blocker:
        qtbot.keyClick(window.composer.edit, Qt.Key.Key_Escape)  # Stop
    status = blocker.args[1].status
    assert status is MessageStatus.STOPPED
    stats = window.status_line.stats_label.text()
    footer = window.view.message_text(1)
    # The offline model sent its usage only at the end, which a stop never reaches.
    assert "tokens" in stats and "tok/s" in stats, stats
    assert "out" in footer and "tokens/s" in footer, footer
