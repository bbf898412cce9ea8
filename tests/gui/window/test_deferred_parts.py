"""The parts the first paint does not show are made after it (issue 14, item 7) and
work the instant they are reached: the settings panel by its shortcut before the
window finished building, and with what the provider said before it existed.
test_startup_imports checks, in a real launch, that they are not made before the
paint; test_crash that a turn sent before the window finished building is saved.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.gui.settings import SettingsPanel
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.qt_waiting import run_until_done
from tests.gui.support.window_factory import answer_from, window_maker


@pytest.fixture
def first_paint(
    qtbot: QtBot,
    qloop: qasync.QEventLoop,
    qapp: QApplication,
    fake_gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MainWindow]:
    """A window shown as at its first paint: not finished, no provider yet."""
    answer_from(fake_gemini, monkeypatch)
    with window_maker(qtbot, qloop, qapp, show=True, connect=False) as make:
        yield make()


def panels_made(window: MainWindow) -> int:
    return len(window.layout_parts.panel_slot.findChildren(SettingsPanel))


def test_the_settings_panel_waits_and_opens_by_keyboard_at_once(
    qtbot: QtBot, first_paint: MainWindow
) -> None:
    window = first_paint
    assert panels_made(window) == 0
    assert not window.layout_parts.panel_slot.isVisible()
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    # No waiting: the shortcut made the panel and showed it in the same key press.
    assert panels_made(window) == 1
    assert window.panel.isVisible() and window.menus.settings_action.isChecked()
    assert window.panel.model_combo.hasFocus() or window.panel.model_combo.lineEdit().hasFocus()
    qtbot.keyClick(window.panel.model_combo, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert not window.panel.isVisible() and panels_made(window) == 1


def test_a_panel_made_after_the_provider_arrived_shows_what_it_said(
    qtbot: QtBot, qloop: qasync.QEventLoop, first_paint: MainWindow
) -> None:
    window = first_paint
    manager = window.providers.manager
    run_until_done(qloop, manager.connect_default())
    qtbot.waitUntil(lambda: bool(manager.models), timeout=5000)
    assert panels_made(window) == 0
    panel = window.panel
    listed = [panel.model_combo.itemText(i) for i in range(panel.model_combo.count())]
    assert listed == [m.id for m in manager.models]
    assert panel.provider_picker.combo.currentData() == manager.current
    assert panel.settings() == window.controller.settings
    # The capabilities came too: the same offer as a panel made before the provider.
    fresh = SettingsPanel()
    fresh.set_settings(window.controller.settings)
    fresh.set_models(manager.models)
    fresh.set_capabilities(manager.provider.capabilities, "Google Gemini")
    assert panel.current_offer == fresh.current_offer
    fresh.deleteLater()


def test_finishing_makes_each_part_once(first_paint: MainWindow) -> None:
    window = first_paint
    window.finish_building()
    history, panel = window.history, window.panel
    window.finish_building()
    assert window.history is history and window.panel is panel and panels_made(window) == 1


def test_the_chat_half_comes_after_the_paint_and_puts_providers_in_the_menus(
    first_paint: MainWindow,
) -> None:
    window = first_paint
    # What the chat bar says before the provider manager exists: the settings' default.
    assert window.chat_bar.picker.choice.startswith("Google Gemini")
    settings_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Settings")
    assert [a.text() for a in settings_menu.actions()] == ["&Tools…"]
    assert not hasattr(window, "edit_banner")  # nor any other part of the chat half
    window.finish_building()
    assert [a.text() for a in settings_menu.actions()] == ["&Providers…", "&Tools…"]
    more = [a.text() for a in window.menus.more_menu.actions()]
    assert more[-2:] == ["&Providers…", "&Tools…"]
    # The chat half's two bars join the chat column, hidden until used.
    for bar in (window.edit_banner, window.consent_bar):
        assert bar.parentWidget() is window.chat_column and bar.isHidden()
