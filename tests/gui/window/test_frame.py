"""The frame around the chat (issue 15.4), in the real window against the fake server:
the model picker, the context meter, the empty state, the settings panel's defaults
and its Advanced fold, and every command reachable on screen."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractButton, QApplication, QMenu
from pytestqt.qtbot import QtBot

from rill.core.settings import load_settings
from rill.gui.app import present
from rill.gui.common.theme import tokens
from rill.gui.window.context_meter import compact
from rill.gui.window.main_window import MainWindow
from rill.gui.window.model_picker import KIND, VALUE
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.conftest import OFFSCREEN_NOISE
from tests.gui.support.window_factory import window_maker

MakeWindow = Callable[[], MainWindow]


@pytest.fixture
def make_window(
    qtbot: QtBot,
    qloop: qasync.QEventLoop,
    qapp: QApplication,
    fake_gemini: FakeGemini,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MakeWindow]:
    """Windows built as ``main()`` builds them (a fresh profile), on the fake server."""
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", fake_gemini.base_url)
    with window_maker(qtbot, qloop, qapp) as make:

        def shown() -> MainWindow:
            window = make()
            window.resize(1100, 720)
            with qtbot.waitActive(window):
                present(window)
            return window

        yield shown


def models_listed(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: bool(window.providers.manager.models), timeout=5000)


def answer(qtbot: QtBot, window: MainWindow, fake: FakeGemini, prompt_tokens: int) -> None:
    usage = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": 5}
    fake.push(stream(["Fine."], usage=usage))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.send("hello")


def visible_rows(window: MainWindow) -> list[tuple[str, str]]:
    proxy = window.chat_bar.picker.popup.proxy
    return [
        (str(proxy.index(r, 0).data(KIND)), str(proxy.index(r, 0).data(VALUE)))
        for r in range(proxy.rowCount())
    ]


# ---------------------------------------------------------------- the model picker


@pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE, "does not support grabbing the keyboard")
def test_the_picker_filters_the_models_and_switches_the_chat(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window()
    models_listed(qtbot, window)
    picker = window.chat_bar.picker
    assert picker.choice == "Google Gemini · gemini-2.5-flash"
    qtbot.mouseClick(picker, Qt.MouseButton.LeftButton)
    popup = picker.popup
    qtbot.waitUntil(popup.filter.hasFocus)
    assert ("provider", "local") in visible_rows(window)  # the other providers, listed
    qtbot.keyClicks(popup.filter, "2.5 pro")  # every word must match, in any order
    assert visible_rows(window) == [("model", "gemini-2.5-pro")]
    qtbot.keyClick(popup.filter, Qt.Key.Key_Return)
    assert not popup.isVisible()
    # The same path as the panel's model box: the chat, the panel and the bar agree.
    assert window.controller.settings.model == "gemini-2.5-pro"
    assert window.panel.model_combo.currentText() == "gemini-2.5-pro"
    assert picker.choice == "Google Gemini · gemini-2.5-pro"
    fake_gemini.push(stream(["ok"]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=5000):
        window.controller.send("which model?")
    assert fake_gemini.requests[-1].model == "gemini-2.5-pro"


@pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE, "does not support grabbing the keyboard")
def test_the_picker_moves_with_the_keyboard_and_switches_the_provider(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    models_listed(qtbot, window)
    picker = window.chat_bar.picker
    picker.setFocus()
    qtbot.keyClick(picker, Qt.Key.Key_Space)
    popup = picker.popup
    qtbot.waitUntil(popup.filter.hasFocus)
    qtbot.keyClicks(popup.filter, "offline")
    assert visible_rows(window) == [("heading", ""), ("provider", "local")]
    assert popup.list.currentIndex().data(VALUE) == "local"  # the heading is skipped
    with qtbot.waitSignal(window.providers.manager.current_changed, timeout=10000):
        qtbot.keyClick(popup.filter, Qt.Key.Key_Enter)
    assert window.providers.manager.current == "local"
    assert window.panel.provider_picker.current() == "local"
    qtbot.waitUntil(lambda: picker.choice.startswith("Offline model · "))
    assert window.empty_state.note.text().startswith("Answering offline")


def test_the_picker_shows_text_not_markup_and_shortens_in_a_narrow_window(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    picker = window.chat_bar.picker
    window.panel.choose_model("<b>x</b>-a-very-long-model-name-that-goes-on-and-on-and-on")
    assert picker.choice.endswith("<b>x</b>-a-very-long-model-name-that-goes-on-and-on-and-on")
    window.resize(480, 640)
    qtbot.waitUntil(lambda: window.chat_column.width() == 480)
    bar = window.chat_bar
    assert picker.text().endswith("…") and picker.text() != picker.choice
    assert bar.settings_button.geometry().right() <= bar.width()  # nothing pushed out
    assert picker.accessibleName() == "Model"


# ---------------------------------------------------------------- the context meter


def test_compact_token_counts() -> None:
    assert [compact(n) for n in (812, 12_412, 125_000, 1_048_576, 2_500_000)] == [
        "812",
        "12.4k",
        "125k",
        "1M",
        "2.5M",
    ]


def test_the_meter_shows_the_last_prompt_against_the_input_limit(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window()
    models_listed(qtbot, window)
    meter = window.chat_bar.meter
    assert not meter.isVisible()  # nothing sent yet: unknown
    answer(qtbot, window, fake_gemini, 12_412)
    assert meter.isVisible() and meter.text() == "12.4k / 1M" and not meter.full
    assert "12,412 of 1,048,576" in meter.toolTip()
    answer(qtbot, window, fake_gemini, 900_000)  # 86 %: amber
    assert meter.text() == "900k / 1M" and meter.full
    window.new_chat()
    assert not meter.isVisible()
    window.panel.choose_model("not-in-the-list")  # its limit is unknown
    assert not meter.isVisible()


def test_the_amber_meter_is_drawn_in_the_notice_colour(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window()
    models_listed(qtbot, window)
    answer(qtbot, window, fake_gemini, 1_000_000)
    meter = window.chat_bar.meter
    assert meter.full
    image = meter.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(8, 14)}
    assert tokens(window.theme.dark)["notice"] in colours


# ---------------------------------------------------------------- the empty state


def test_a_new_chat_shows_the_empty_state_until_its_first_message(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window()
    models_listed(qtbot, window)
    assert window.stack.currentWidget() is window.empty_state
    assert window.empty_state.note.text() == "Answering with Google Gemini · gemini-2.5-flash"
    qtbot.keyClicks(window.composer.edit, "my own words")
    button = window.empty_state.buttons[1]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    text = window.composer.typed_text()
    assert text.startswith("Write a Python function")  # filled in, not sent
    assert fake_gemini.requests_for(":streamGenerateContent") == []
    assert window.composer.edit.hasFocus()
    qtbot.keyClick(window.composer.edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.composer.typed_text() == "my own words"  # one undo brings them back
    answer(qtbot, window, fake_gemini, 10)
    assert window.stack.currentWidget() is window.view
    window.new_chat()
    assert window.stack.currentWidget() is window.empty_state
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is window.empty_state


# ---------------------------------------------------------------- the settings panel


def test_the_panel_is_closed_for_a_new_profile_and_advanced_is_folded(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    panel = window.panel
    assert not panel.isVisible()
    qtbot.mouseClick(window.chat_bar.settings_button, Qt.MouseButton.LeftButton)
    assert panel.isVisible() and panel.model_combo.hasFocus()  # opens on the model
    assert panel.temperature_slider.isVisible() and panel.top_p_spin.isVisible()
    folded = [panel.seed_edit, panel.stop_edit, *panel.safety_combos.values()]
    assert not any(w.isVisible() for w in folded)
    qtbot.mouseClick(panel.advanced.button, Qt.MouseButton.LeftButton)
    assert all(w.isVisible() for w in folded)
    saved = load_settings().settings.ui
    assert saved.settings_panel_visible and saved.settings_advanced_open
    window.close()
    again = make_window()  # the saved choices come back
    assert again.panel.isVisible() and again.panel.advanced.is_open
    assert again.panel.seed_edit.isVisible()


# ---------------------------------------------------------------- on screen, not only in menus


def actions_of(menu: QMenu) -> set[QAction]:
    found: set[QAction] = set()
    for action in menu.actions():
        sub = action.menu()
        found |= actions_of(sub) if isinstance(sub, QMenu) else {action}
    return found


def test_every_menu_command_has_a_way_on_screen(qtbot: QtBot, make_window: MakeWindow) -> None:
    window = make_window()
    m, bar, composer, sidebar = window.menus, window.chat_bar, window.composer, window.conversations
    more = actions_of(m.more_menu)
    on_screen = {
        m.new_chat_action: bar.new_button,
        m.attach_action: composer.attach_button,
        m.stop_action: composer.send_button,
        m.search_action: sidebar.search,
        m.focus_action: composer.edit,
        m.settings_action: bar.settings_button,
        m.chats_action: bar.chats_button,
    }
    for action in window.menuBar().actions():
        menu = action.menu()
        assert isinstance(menu, QMenu)
        for command in actions_of(menu):
            if command.isSeparator():
                continue
            if command is m.undo_action:  # offered by the bar a deletion shows
                continue
            if command is m.quit_action:  # the window's own close button
                continue
            reach = on_screen.get(command)
            assert command in more or reach is not None, command.text()
            if reach is not None:
                assert reach.isVisibleTo(window), command.text()
    assert bar.more_button.menu() is m.more_menu
    assert set(m.theme_actions.values()) <= more and window.providers.action in more


def test_every_icon_button_has_a_name_and_rills_own_icon(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    window.toggle_settings()
    window.panel.set_advanced_open(True)
    window.welcome.show_offline()
    window.notice.show_text("A notice")
    buttons = [
        b
        for b in window.findChildren(QAbstractButton)
        if not window.view.isAncestorOf(b) and b.isVisibleTo(window)
    ]
    assert len(buttons) > 15
    for button in buttons:
        label = button.accessibleName() or button.text()
        where = f"{type(button).__name__} in {type(button.parent()).__name__}"
        assert label.strip(), button.objectName() or where
        # No glyph stands in for an icon (×, +, ↻, ⚙).
        assert not set(button.text()) & set("×+↻⚙"), button.text()
        if not button.icon().isNull():
            assert button.icon().pixmap(16, 16).cacheKey() != 0
            assert not button.icon().name(), "a theme/standard icon"
