"""Capabilities drive the UI: images, thinking, safety, seed/top-k and temperature range."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.core.types import Capabilities, GenerationSettings, ModelInfo
from rill.gui.settings.panel import SettingsPanel
from rill.gui.window.main_window import MainWindow
from tests.gui.support.window_factory import window_maker


@pytest.fixture
def offline_window(
    qtbot: QtBot, qloop: qasync.QEventLoop, qapp: QApplication
) -> Iterator[MainWindow]:
    """The window as main() builds it with no key: the offline model, not yet loaded."""
    with window_maker(qtbot, qloop, qapp, apply_theme=False) as make:
        yield make()


def test_the_offline_model_cannot_take_images_and_the_attach_button_says_why(
    qtbot: QtBot, offline_window: MainWindow
) -> None:
    # Documents and text still go to it as text (issue 18): attaching stays, and the
    # button says what cannot; a URI (only Gemini fetches one) is refused.
    composer = offline_window.composer
    # Documents and text still go to it, as text (issue 18): the button stays, and says so.
    assert composer.attach_button.isEnabled()
    assert "cannot read images; PDFs, text and code can still go" in (
        composer.attach_button.toolTip()
    )
    assert offline_window.menus.attach_action.isEnabled()
    assert not offline_window.menus.uri_action.isEnabled()  # it fetches no link of any kind


def test_the_offline_model_hides_thinking_and_safety(
    qtbot: QtBot, offline_window: MainWindow
) -> None:
    panel = offline_window.panel
    offer = panel.current_offer
    assert not offer.thinking and not offer.safety
    assert not panel.thinking_combo.isEnabled()
    assert not panel.show_thoughts_check.isEnabled()
    assert not panel._form.isRowVisible(panel.show_thoughts_check)
    combo = next(iter(panel.safety_combos.values()))
    assert not panel._advanced_form.isRowVisible(combo)
    assert panel.seed_edit.isEnabled() and panel.top_k_spin.isEnabled()  # llama.cpp takes both


def test_thinking_follows_the_chosen_model(qtbot: QtBot) -> None:
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel.set_capabilities(Capabilities(), "Google Gemini")
    panel.set_models(
        [
            ModelInfo("thinker", thinking=True, max_temperature=2.0),
            ModelInfo("plain", display_name="Plain", thinking=False, max_temperature=1.0),
        ]
    )
    panel.set_settings(GenerationSettings(model="thinker"))
    assert panel.current_offer.thinking and panel.thinking_combo.isEnabled()
    assert panel._form.isRowVisible(panel.show_thoughts_check)
    panel.set_settings(GenerationSettings(model="plain"))
    assert not panel.current_offer.thinking
    assert not panel._form.isRowVisible(panel.show_thoughts_check)
    assert panel.current_offer.thinking_reason == "Plain does not think before answering."
    # An id the list does not know keeps what the provider allows.
    panel.set_settings(GenerationSettings(model="typed-by-hand"))
    assert panel.current_offer.thinking


def test_the_budget_box_shows_only_with_budget_even_after_a_model_change(
    qtbot: QtBot,
) -> None:
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_settings(GenerationSettings(model="thinker"))
    panel.set_capabilities(Capabilities(), "Google Gemini")
    # The model list arriving after the settings (as at start-up) re-offers thinking.
    panel.set_models([ModelInfo("thinker", thinking=True), ModelInfo("plain", thinking=False)])
    assert panel.thinking_combo.isVisible() and panel.thinking_combo.currentText() == "Default"
    assert not panel.thinking_spin.isVisible()  # not "1 tokens" beside "Default"
    panel.set_settings(GenerationSettings(model="thinker", thinking_budget=2048))
    assert panel.thinking_spin.isVisible() and panel.thinking_spin.value() == 2048


def test_temperature_range_comes_from_the_model(qtbot: QtBot) -> None:
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel.set_models(
        [ModelInfo("cool", max_temperature=1.0), ModelInfo("hot", max_temperature=2.0)]
    )
    panel.set_settings(GenerationSettings(model="cool", temperature=0.5))
    assert panel.temperature_spin.maximum() == pytest.approx(1.0)
    panel.temperature_spin.setValue(1.8)
    assert panel.settings().temperature == pytest.approx(1.0)
    panel.set_settings(GenerationSettings(model="hot"))
    assert panel.temperature_spin.maximum() == pytest.approx(2.0)


def test_a_provider_without_seed_or_top_k_disables_them_with_a_reason(qtbot: QtBot) -> None:
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    panel.set_capabilities(Capabilities(seed=False, top_k=False, safety_settings=False), "OpenAI")
    assert (
        not panel.seed_edit.isEnabled()
        and "OpenAI does not take a seed." in panel.seed_edit.toolTip()
    )
    assert not panel.top_k_spin.isEnabled() and "top-k" in panel.top_k_spin.toolTip()
    assert not panel._advanced_form.isRowVisible(panel._safety_title)
