"""Setting a provider up as a new user does (issue 12, items 1-3), against real local servers."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.core import secrets
from rill.core.settings import ProviderConfig, load_settings, save_settings
from rill.core.types import MessageStatus
from rill.gui.providers.dialog import ProvidersDialog
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_scenarios import stream as oai_stream
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.support.window_factory import window_maker

MakeWindow = Callable[[], MainWindow]
MODEL_COLUMN, KEY_COLUMN, URL_COLUMN = 3, 4, 2


@pytest.fixture
def make_window(qtbot: QtBot, qloop: qasync.QEventLoop, qapp: QApplication) -> Iterator[MakeWindow]:
    with window_maker(qtbot, qloop, qapp, apply_theme=False) as make:
        yield make


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def open_dialog(qtbot: QtBot, window: MainWindow) -> ProvidersDialog:
    with qtbot.waitSignal(window.providers.manager.key_statuses_ready, timeout=5000):
        dialog = window.providers.open_dialog()
    return dialog


def cell(dialog: ProvidersDialog, name: str, column: int) -> str:
    for row in range(dialog.table.rowCount()):
        item = dialog.table.item(row, 0)
        if item is not None and item.text() == name:
            other = dialog.table.item(row, column)
            return other.text() if other is not None else ""
    raise AssertionError(f"no row {name}")


def switch_to(qtbot: QtBot, window: MainWindow, name: str) -> None:
    picker = window.panel.provider_picker
    with qtbot.waitSignal(window.providers.manager.current_changed, timeout=10000):
        picker.combo.activated.emit(picker.combo.findData(name))


def send(qtbot: QtBot, window: MainWindow, text: str) -> object:
    with qtbot.waitSignal(window.controller.answer_finished, timeout=10000) as blocker:
        window.controller.send(text)
    return blocker.args[1]


# ------------------------------------------------------------ 12.1: the default model


def test_saving_the_gemini_row_with_a_url_and_key_keeps_its_default_model(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window()
    dialog = open_dialog(qtbot, window)
    dialog._select("gemini")
    assert cell(dialog, "gemini", MODEL_COLUMN) == "gemini-2.5-flash"
    dialog.url_edit.setText(fake_gemini.base_url)
    dialog.key_edit.setText("test-key")
    with qtbot.waitSignal(window.providers.manager.key_statuses_ready, timeout=5000):
        dialog.save_button.click()
    assert cell(dialog, "gemini", MODEL_COLUMN) == "gemini-2.5-flash"
    launcher = window.controller.launcher
    qtbot.waitUntil(lambda: not launcher.is_running("save-key:gemini"), timeout=10000)
    if window.providers.manager.current != "gemini":
        switch_to(qtbot, window, "gemini")
    assert window.panel.model_combo.currentText() == "gemini-2.5-flash"
    message = send(qtbot, window, "hello")
    assert message.status is MessageStatus.COMPLETE, message.error
    request = fake_gemini.requests_for("streamGenerateContent")[-1]
    assert request.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"


def test_an_empty_model_is_never_sent_to_gemini(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    # The chat's model cleared by hand: the provider's default goes out, not "models/".
    settings = load_settings().settings
    entry = ProviderConfig(kind="gemini", base_url=fake_gemini.base_url)
    save_settings(settings.__class__(providers={**settings.providers, "gem2": entry}))
    secrets.set_api_key("gem2", "test-key")
    window = make_window()
    switch_to(qtbot, window, "gem2")
    window.controller.set_settings(replace(window.controller.settings, model=""))
    message = send(qtbot, window, "hello")
    assert message.status is MessageStatus.COMPLETE, message.error
    paths = [r.path for r in fake_gemini.requests_for("streamGenerateContent")]
    assert paths and all("/models/:" not in p for p in paths), paths[-1]
    assert paths[-1] == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"


def test_an_openai_entry_without_a_model_asks_for_the_first_listed_one(
    qtbot: QtBot, make_window: MakeWindow, fake_openai: FakeOpenAI
) -> None:
    window = make_window()
    dialog = open_dialog(qtbot, window)
    dialog._on_add_clicked()
    dialog.name_edit.setText("lab")
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("openai"))
    dialog.url_edit.setText(fake_openai.base_url)
    dialog.key_edit.setText("test-key")
    with qtbot.waitSignal(window.providers.manager.key_statuses_ready, timeout=5000):
        dialog.save_button.click()
    switch_to(qtbot, window, "lab")
    fake_openai.push(oai_stream(["Hi"]))
    message = send(qtbot, window, "hello")
    assert message.status is MessageStatus.COMPLETE, message.error
    assert fake_openai.completions()[-1].json["model"] == "fake-chat"
    assert message.model == "fake-chat"


# ------------------------------------------------------------ 12.2: environment overrides


def test_test_connection_tries_the_forms_url_while_the_environment_overrides_it(
    qtbot: QtBot,
    make_window: MakeWindow,
    fake_gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    window = make_window()
    dialog = open_dialog(qtbot, window)
    dialog._select("gemini")
    # The table shows the address the app really uses, and why.
    url_cell = cell(dialog, "gemini", URL_COLUMN)
    assert url_cell == f"{fake_gemini.base_url} (from GOOGLE_GEMINI_BASE_URL)"
    assert dialog.form.isRowVisible(dialog.env_note)
    assert "GOOGLE_GEMINI_BASE_URL" in dialog.env_note.text()
    assert "GOOGLE_GEMINI_BASE_URL" in dialog.url_edit.placeholderText()
    dead = f"http://127.0.0.1:{closed_port()}"
    dialog.url_edit.setText(dead)
    dialog.key_edit.setText("test-key")
    with qtbot.waitSignal(dialog.manager.test_finished, timeout=10000) as blocker:
        dialog.test_button.click()
    assert blocker.args[0] is False, dialog.outcome.text()
    assert dead.removeprefix("http://") in dialog.outcome.text()
    assert fake_gemini.requests == []
    # With the field empty the test goes where chats would go: the environment's URL.
    dialog.url_edit.clear()
    with qtbot.waitSignal(dialog.manager.test_finished, timeout=10000) as blocker:
        dialog.test_button.click()
    assert blocker.args[0] is True, dialog.outcome.text()


def test_a_key_from_the_environment_is_shown_as_such_everywhere(
    qtbot: QtBot,
    make_window: MakeWindow,
    fake_gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets.set_api_key("gemini", "stored-key")  # in the warned file: no keychain here
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    window = make_window()
    dialog = open_dialog(qtbot, window)
    dialog._select("gemini")
    assert cell(dialog, "gemini", KEY_COLUMN) == "from GEMINI_API_KEY"
    assert dialog.key_edit.placeholderText().startswith("From GEMINI_API_KEY")
    assert "GEMINI_API_KEY" in dialog.env_note.text()
    assert "saved keys are in" not in dialog.warning.text()  # the key is not in the file
    message = send(qtbot, window, "hello")
    assert message.status is MessageStatus.COMPLETE, message.error
    assert fake_gemini.requests[-1].headers["x-goog-api-key"] == "test-key"


def test_the_fallback_banner_names_the_file_only_for_a_key_kept_there(
    qtbot: QtBot, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "env-key")
    dialog = open_dialog(qtbot, make_window())
    assert "a key saved here goes to" in dialog.warning.text()
    dialog._on_add_clicked()
    dialog.name_edit.setText("lab")
    dialog.url_edit.setText("http://127.0.0.1:9/v1")
    dialog.key_edit.setText("sk-lab")
    with qtbot.waitSignal(dialog.manager.key_statuses_ready, timeout=5000):
        dialog.save_button.click()
    assert cell(dialog, "lab", KEY_COLUMN) == "in file (warned)"
    assert "saved keys are in" in dialog.warning.text()


# ------------------------------------------------------------ 12.3: a key saved in Providers


def test_a_key_saved_in_providers_moves_the_window_off_the_offline_model(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window()
    manager = window.providers.manager
    assert manager.current == "local" and window.welcome.isVisibleTo(window)
    dialog = open_dialog(qtbot, window)
    dialog._select("gemini")
    assert dialog.key_edit.placeholderText() == "Not stored"
    dialog.url_edit.setText(fake_gemini.base_url)
    dialog.key_edit.setText("test-key")
    with qtbot.waitSignal(manager.current_changed, timeout=10000) as blocker:
        dialog.save_button.click()
    assert blocker.args == ["gemini"]
    assert not window.welcome.isVisibleTo(window)  # no longer "answering offline"
    assert window.panel.provider_picker.current() == "gemini"
    # The table and the form agree on where the key is.
    qtbot.waitUntil(lambda: cell(dialog, "gemini", KEY_COLUMN) == "in file (warned)")
    assert dialog.key_edit.placeholderText().startswith("In file (warned)")
    message = send(qtbot, window, "hello")
    assert message.status is MessageStatus.COMPLETE, message.error
    assert fake_gemini.requests[-1].headers["x-goog-api-key"] == "test-key"


def test_the_welcome_cards_key_builds_the_provider_from_the_saved_entry(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    # The Gemini entry's saved address and model count for the card's key too.
    settings = load_settings().settings
    entry = ProviderConfig(
        kind="gemini", base_url=fake_gemini.base_url, default_model="gemini-2.5-pro"
    )
    save_settings(settings.__class__(providers={"gemini": entry}))
    window = make_window()
    assert window.welcome.isVisibleTo(window)
    window.welcome.open_key_form()
    window.welcome.key_edit.setText("test-key")
    with qtbot.waitSignal(window.providers.manager.current_changed, timeout=10000):
        window.welcome.save_button.click()
    assert not window.welcome.isVisibleTo(window)
    message = send(qtbot, window, "hello")
    assert message.status is MessageStatus.COMPLETE, message.error
    request = fake_gemini.requests_for("streamGenerateContent")[-1]
    assert request.model == "gemini-2.5-pro"
