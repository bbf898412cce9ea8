"""The settings panel: slider and box in step, caps, no echo, values reach the request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import qasync
from pytestqt.qtbot import QtBot

from rill.core.providers.gemini import GeminiProvider
from rill.core.retry import NO_RETRY
from rill.core.types import GenerationSettings, ModelInfo
from rill.gui.chat.controller import ChatController
from rill.gui.common.tasks import TaskLauncher
from rill.gui.settings.panel import SettingsPanel, parse_stop_sequences
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.conftest import run_until_done
from tests.gui.support.recording_view import RecordingView

MODEL = "gemini-2.5-flash"


@pytest.fixture
def panel(qtbot: QtBot) -> SettingsPanel:
    widget = SettingsPanel()
    qtbot.addWidget(widget)
    widget.set_settings(GenerationSettings(model=MODEL))
    return widget


def test_slider_moves_the_box(qtbot: QtBot, panel: SettingsPanel) -> None:
    with qtbot.waitSignal(panel.settings_edited, timeout=1000) as blocker:
        panel.temperature_slider.setValue(7)  # 7 steps of 0.05
    assert panel.temperature_spin.value() == pytest.approx(0.35)
    assert blocker.args[0].temperature == pytest.approx(0.35)


def test_box_moves_the_slider(qtbot: QtBot, panel: SettingsPanel) -> None:
    with qtbot.waitSignal(panel.settings_edited, timeout=1000) as blocker:
        panel.temperature_spin.setValue(1.25)
    assert panel.temperature_slider.value() == 25
    assert blocker.args[0].temperature == pytest.approx(1.25)


def test_box_below_zero_means_default_and_is_not_sent(qtbot: QtBot, panel: SettingsPanel) -> None:
    panel.temperature_spin.setValue(0.5)
    with qtbot.waitSignal(panel.settings_edited, timeout=1000) as blocker:
        panel.temperature_spin.setValue(panel.temperature_spin.minimum())
    assert panel.temperature_spin.text() == "Default"
    assert blocker.args[0].temperature is None


def test_temperature_is_capped_at_the_models_max(qtbot: QtBot, panel: SettingsPanel) -> None:
    panel.temperature_spin.setValue(1.8)
    capped = ModelInfo(id="capped-model", max_temperature=1.0)
    panel.set_models([ModelInfo(id=MODEL, max_temperature=2.0), capped])
    assert panel.temperature_spin.maximum() == pytest.approx(2.0)
    with qtbot.waitSignal(panel.settings_edited, timeout=1000) as blocker:
        panel.model_combo.setCurrentText("capped-model")
    assert panel.temperature_spin.maximum() == pytest.approx(1.0)
    assert panel.temperature_slider.maximum() == 20
    assert blocker.args[0].temperature == pytest.approx(1.0)
    assert blocker.args[0].model == "capped-model"


def test_unknown_model_ids_can_be_typed(qtbot: QtBot, panel: SettingsPanel) -> None:
    panel.set_models([ModelInfo(id=MODEL)])
    with qtbot.waitSignal(panel.settings_edited, timeout=1000) as blocker:
        panel.model_combo.setEditText("gemini-9-experimental")
    assert blocker.args[0].model == "gemini-9-experimental"


def test_set_settings_emits_nothing(qtbot: QtBot, panel: SettingsPanel) -> None:
    full = GenerationSettings(
        model="gemini-2.5-pro",
        temperature=0.7,
        top_p=0.9,
        top_k=40,
        max_output_tokens=2048,
        stop_sequences=("END", "STOP"),
        seed=42,
        system_instruction="Be brief.",
        thinking_budget=1024,
        include_thoughts=True,
        safety=(("HARM_CATEGORY_HARASSMENT", "BLOCK_ONLY_HIGH"),),
        stream=False,
    )
    with qtbot.assertNotEmitted(panel.settings_edited):
        panel.set_settings(full)
    assert panel.settings() == full
    assert panel.temperature_slider.value() == 14


def test_thinking_modes_map_to_budgets(panel: SettingsPanel) -> None:
    budgets = []
    for mode in range(4):
        panel.thinking_combo.setCurrentIndex(mode)
        budgets.append(panel.settings().thinking_budget)
    assert budgets == [None, 0, -1, panel.thinking_spin.value()]


def test_stop_sequences_split_on_lines_and_commas() -> None:
    assert parse_stop_sequences("END\n, STOP ,\n\nx,y,z,w") == ("END", "STOP", "x", "y", "z")


# ---------------------------------------------------------------- into the request


@pytest.fixture
def wired(
    qtbot: QtBot, qloop: qasync.QEventLoop, fake_gemini: FakeGemini
) -> Iterator[tuple[SettingsPanel, ChatController]]:
    widget = SettingsPanel()
    qtbot.addWidget(widget)
    provider = GeminiProvider("test-key", fake_gemini.base_url)
    controller = ChatController(
        RecordingView(),
        TaskLauncher(),
        GenerationSettings(model=MODEL),
        provider,
        retry_policy=NO_RETRY,
    )
    widget.set_settings(controller.settings)
    widget.settings_edited.connect(controller.set_settings)
    yield widget, controller
    run_until_done(qloop, controller.shutdown())


def test_edited_values_reach_the_request_body(
    qtbot: QtBot, wired: tuple[SettingsPanel, ChatController], fake_gemini: FakeGemini
) -> None:
    widget, controller = wired
    widget.temperature_slider.setValue(7)
    widget.top_p_spin.setValue(0.8)
    widget.top_k_spin.setValue(20)
    widget.max_tokens_spin.setValue(500)
    widget.stop_edit.setPlainText("END, HALT")
    widget.seed_edit.setText("1234")
    widget.system_edit.setPlainText("Answer in French.")
    widget.thinking_combo.setCurrentIndex(3)
    widget.thinking_spin.setValue(512)
    widget.show_thoughts_check.setChecked(True)
    widget.safety_combos["HARM_CATEGORY_HATE_SPEECH"].setCurrentIndex(4)  # BLOCK_NONE
    fake_gemini.push(stream(["ok"]))
    with qtbot.waitSignal(controller.answer_finished, timeout=5000):
        controller.send("bonjour")
    body: Any = fake_gemini.requests[-1].normalized
    config = body["generationConfig"]
    assert config["temperature"] == pytest.approx(0.35)
    assert config["topP"] == pytest.approx(0.8)
    assert config["topK"] == 20
    assert config["maxOutputTokens"] == 500
    assert config["stopSequences"] == ["END", "HALT"]
    assert config["seed"] == 1234
    assert config["thinkingConfig"] == {"thinkingBudget": 512, "includeThoughts": True}
    assert body["systemInstruction"]["parts"][0]["text"] == "Answer in French."
    assert body["safetySettings"] == [
        {"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_NONE"}
    ]


def test_defaults_send_no_generation_fields(
    qtbot: QtBot, wired: tuple[SettingsPanel, ChatController], fake_gemini: FakeGemini
) -> None:
    _widget, controller = wired
    fake_gemini.push(stream(["ok"]))
    with qtbot.waitSignal(controller.answer_finished, timeout=5000):
        controller.send("plain")
    body: Any = fake_gemini.requests[-1].normalized
    assert "safetySettings" not in body and "systemInstruction" not in body
    assert not body.get("generationConfig")
