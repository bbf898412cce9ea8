"""The Providers screen and the panel's provider combo, against real local servers."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.core import secrets
from rill.core.settings import ProviderConfig, load_settings, save_settings, settings_path
from rill.core.types import MessageStatus
from rill.gui.providers.dialog import ProvidersDialog
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_scenarios import stream as oai_stream
from tests.fakes.openai_server import FakeOpenAI
from tests.gui.support.providers_support import MemoryKeyring, memory_keychain
from tests.gui.support.window_factory import window_maker

MakeWindow = Callable[[], MainWindow]


@pytest.fixture
def make_window(qtbot: QtBot, qloop: qasync.QEventLoop, qapp: QApplication) -> Iterator[MakeWindow]:
    """Windows built as ``main()`` builds them (no Gemini key: the offline model)."""
    with window_maker(qtbot, qloop, qapp, apply_theme=False) as make:
        yield make


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    with memory_keychain() as backend:
        yield backend


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
    """The providers screen, once it knows where each key is."""
    with qtbot.waitSignal(window.providers.manager.key_statuses_ready, timeout=5000):
        dialog = window.providers.open_dialog()
    return dialog


def fill(dialog: ProvidersDialog, name: str, kind: str, url: str, key: str, model: str) -> None:
    dialog._on_add_clicked()
    dialog.name_edit.setText(name)
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(kind))
    dialog.url_edit.setText(url)
    dialog.key_edit.setText(key)
    dialog.model_edit.setText(model)


def test_offline_model_is_the_default_without_a_key(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    assert window.providers.manager.current == "local"
    assert window.panel.provider_picker.current() == "local"
    assert window.controller.settings.model == "smollm2-135m-instruct"
    assert window.welcome.isVisibleTo(window)
    assert "answering offline" in window.welcome.intro.text()
    assert "aistudio.google.com/apikey" in window.welcome.where.text()


def test_add_edit_remove_persist_and_keep_the_key_out_of_the_file(
    qtbot: QtBot, make_window: MakeWindow, memory_keyring: MemoryKeyring
) -> None:
    window = make_window()
    dialog = open_dialog(qtbot, window)
    manager = window.providers.manager
    assert dialog.isVisible() and not dialog.isModal()
    fill(dialog, "lab", "openai", "http://127.0.0.1:9/v1", "sk-lab-secret", "llama3")
    with qtbot.waitSignal(manager.key_statuses_ready, timeout=5000):
        dialog.save_button.click()
    text = settings_path().read_text(encoding="utf-8")
    saved = json.loads(text)["providers"]["lab"]
    assert saved["kind"] == "openai" and saved["base_url"] == "http://127.0.0.1:9/v1"
    assert saved["default_model"] == "llama3"
    assert "sk-lab-secret" not in text
    assert memory_keyring.passwords[("rill", "lab")] == "sk-lab-secret"
    rows = {dialog.table.item(r, 0).text(): r for r in range(dialog.table.rowCount())}
    assert dialog.table.item(rows["lab"], 4).text() == "in keychain"
    assert window.panel.provider_combo.findData("lab") >= 0
    # Edit: a new model and a new name; the key follows the entry.
    dialog.table.selectRow(rows["lab"])
    assert dialog.url_edit.text() == "http://127.0.0.1:9/v1"
    dialog.name_edit.setText("lab2")
    dialog.model_edit.setText("qwen")
    with qtbot.waitSignal(manager.key_statuses_ready, timeout=5000):
        dialog.save_button.click()
    providers = load_settings().settings.providers
    assert "lab" not in providers and providers["lab2"].default_model == "qwen"
    assert memory_keyring.passwords == {("rill", "lab2"): "sk-lab-secret"}
    # Remove: the entry and its key go.
    with qtbot.waitSignal(manager.key_statuses_ready, timeout=5000):
        dialog.remove_button.click()
    assert "lab2" not in load_settings().settings.providers
    assert memory_keyring.passwords == {}
    assert window.panel.provider_combo.findData("lab2") < 0


def test_test_connection_against_the_fake_gemini_server(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    dialog = open_dialog(qtbot, make_window())
    fill(dialog, "gemini", "gemini", fake_gemini.base_url, "test-key", "")
    with qtbot.waitSignal(dialog.manager.test_finished, timeout=10000) as blocker:
        dialog.test_button.click()
    assert blocker.args[0] is True
    outcome = dialog.outcome.text()
    assert outcome.startswith("✓ Connected to")
    assert "gemini" in outcome
    # One sentence, the time inside it: no "…, …." and no ". (0.1 s)".
    assert re.fullmatch(r"✓ Connected to [^…]+ and \d+ more \(\d+\.\d s\)\.", outcome), outcome


def test_test_connection_to_a_closed_port_fails_clearly(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    dialog = open_dialog(qtbot, make_window())
    fill(dialog, "nothing", "openai", f"http://127.0.0.1:{closed_port()}/v1", "", "")
    with qtbot.waitSignal(dialog.manager.test_finished, timeout=10000) as blocker:
        dialog.test_button.click()
    assert blocker.args[0] is False
    outcome = dialog.outcome.text()
    assert outcome.startswith("✗ ") and "127.0.0.1" in outcome
    assert dialog.test_button.isEnabled()


def test_a_bad_base_url_is_refused_before_anything_runs(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    dialog = open_dialog(qtbot, make_window())
    fill(dialog, "x", "openai", "localhost:11434", "", "")
    dialog.save_button.click()
    assert dialog.outcome.text() == "✗ The base URL must start with http:// or https://."
    assert "x" not in load_settings().settings.providers


def test_switching_to_an_openai_compatible_server_streams_an_answer(
    qtbot: QtBot, make_window: MakeWindow, fake_openai: FakeOpenAI, memory_keyring: MemoryKeyring
) -> None:
    settings = load_settings().settings
    entry = ProviderConfig(kind="openai", base_url=fake_openai.base_url)
    save_settings(settings.__class__(providers={**settings.providers, "fake": entry}))
    secrets.set_api_key("fake", "test-key")
    window = make_window()
    picker = window.panel.provider_picker
    index = picker.combo.findData("fake")
    assert index >= 0
    with qtbot.waitSignal(window.providers.manager.current_changed, timeout=10000):
        picker.combo.activated.emit(index)
    assert window.providers.manager.current == "fake"
    qtbot.waitUntil(lambda: window.panel.model_combo.findText("fake-chat") >= 0, timeout=10000)
    assert load_settings().settings.default_provider == "fake"  # remembered
    fake_openai.push(oai_stream(["Hello ", "from the ", "fake server."]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=10000) as blocker:
        window.controller.send("hi there")
    message = blocker.args[1]
    assert message.status is MessageStatus.COMPLETE, (message.error, message.model)
    assert message.status is MessageStatus.COMPLETE
    assert message.text == "Hello from the fake server."
    assert "Hello from the fake server." in window.view.plain_text()
    assert fake_openai.completions()[-1].json["messages"][-1]["content"] == "hi there"


def test_the_keychain_fallback_is_warned_about(qtbot: QtBot, make_window: MakeWindow) -> None:
    # The test profile has no keychain: keys go to the private file, and the screen says so.
    window = make_window()
    dialog = open_dialog(qtbot, window)
    assert dialog.warning.isVisibleTo(dialog)
    assert "No system keychain" in dialog.warning.text()
    fill(dialog, "filed", "openai", "http://127.0.0.1:9/v1", "sk-filed", "")
    with qtbot.waitSignal(window.providers.manager.key_warning, timeout=5000):
        dialog.save_button.click()
    qtbot.waitUntil(lambda: "No system keychain" in window.notice.label.text(), timeout=5000)
    assert secrets.find_api_key("filed", use_env=False).source.endswith("api-keys.json")


def test_network_settings_persist(qtbot: QtBot, make_window: MakeWindow) -> None:
    dialog = open_dialog(qtbot, make_window())
    dialog.proxy_edit.setText("http://proxy.example:3128")
    dialog.timeout_spin.setValue(42)
    with qtbot.waitSignal(dialog.manager.table_changed, timeout=5000):
        dialog.network_button.click()
    network = load_settings().settings.network
    assert network.proxy == "http://proxy.example:3128" and network.read_timeout == 42
    dialog.proxy_edit.setText("proxy.example")
    dialog.network_button.click()
    assert dialog.network_note.text().startswith("✗")


def test_choosing_gemini_without_a_key_explains_and_offers_the_key_field(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    picker = window.panel.provider_picker
    with qtbot.waitSignal(window.providers.manager.switch_failed, timeout=5000):
        picker.combo.activated.emit(picker.combo.findData("gemini"))
    assert "No Gemini API key" in window.notice.label.text()
    assert picker.current() == "local" and window.providers.manager.current == "local"
    assert window.welcome.key_form.isVisibleTo(window)


def test_a_vertex_entry_keeps_project_and_location(qtbot: QtBot, make_window: MakeWindow) -> None:
    dialog = open_dialog(qtbot, make_window())
    fill(dialog, "cloud", "vertex", "", "", "gemini-2.5-pro")
    assert not dialog.form.isRowVisible(dialog.key_edit)  # credentials come from ADC
    assert dialog.form.isRowVisible(dialog.project_edit)
    dialog.project_edit.setText("my-project")
    dialog.location_edit.setText("europe-west4")
    with qtbot.waitSignal(dialog.manager.table_changed, timeout=5000):
        dialog.save_button.click()
    entry = load_settings().settings.providers["cloud"]
    assert (entry.kind, entry.project, entry.location) == ("vertex", "my-project", "europe-west4")
    assert entry.default_model == "gemini-2.5-pro"
