"""One palette, readable in both themes.

Control edges keep ≥ 3:1 against what a control sits on and text ≥ 4.5:1 against what
it is drawn on. The ratios are computed from the palette tokens (WCAG 2 relative
luminance), every border the style sheet gives a control is checked to use such a
token, and a real unticked check box is rendered in the dark theme and its edge
measured in pixels. The app, the chat pane and highlighted code show text in one
colour, the theme's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QCheckBox, QStyle, QStyleOptionButton, QWidget
from pytestqt.qtbot import QtBot

from rill.core.markdown import render_all
from rill.core.markdown.highlight import highlight
from rill.gui.common.theme import (
    CONTROL_BACKGROUNDS,
    DARK,
    LIGHT,
    TEXT_ON,
    ThemeManager,
    contrast_ratio,
    markdown_theme,
    palette,
    resource_path,
    stylesheet,
)
from rill.gui.transcript import message_html
from rill.gui.transcript.view import ChatView

THEMES = {"light": LIGHT, "dark": DARK}
MIN_CONTROL = 3.0  # WCAG 1.4.11, non-text contrast
MIN_TEXT = 4.5
# Controls: a border the style sheet gives one of these must be a token at 3:1.
CONTROLS = (
    "QPushButton",
    "QToolButton",
    "QLineEdit",
    "QPlainTextEdit",
    "QAbstractSpinBox",
    "QComboBox",
    "QCheckBox::indicator",
    "QSlider::groove",
    "QSlider::handle",
)
# Ends a border may have that say nothing about the control's shape.
EXEMPT = re.compile(r":disabled|#panelClose|#chipRemove|QAbstractItemView")
RULE = re.compile(r"([^{}]+)\{([^}]*)\}")
BORDER = re.compile(r"(?:^|;)\s*(border(?:-[a-z]+)*|background)\s*:\s*([^;]+)")


def border_tokens() -> list[tuple[str, str]]:
    """(selector, token) for every border colour the style sheet gives a control
    (and the slider groove's fill, which is its edge), ``transparent`` and
    ``none`` left out."""
    sheet = re.sub(r"/\*.*?\*/", "", resource_path("rill.qss").read_text(), flags=re.S)
    found: list[tuple[str, str]] = []
    for selectors, body in RULE.findall(sheet):
        for selector in (s.strip() for s in selectors.split(",")):
            if not selector.startswith(CONTROLS) or EXEMPT.search(selector):
                continue
            for prop, value in BORDER.findall(body):
                if prop == "background" and "groove" not in selector:
                    continue
                found += [(selector, token) for token in re.findall(r"@([a-z_]+)", value)]
    return found


@pytest.mark.parametrize("name", THEMES)
def test_control_borders_stand_out_from_every_background(name: str) -> None:
    tokens = THEMES[name]
    for edge in ("control_border", "focus"):
        for background in CONTROL_BACKGROUNDS:
            ratio = contrast_ratio(tokens[edge], tokens[background])
            assert ratio >= MIN_CONTROL, f"{name}: {edge} on {background} is {ratio:.2f}:1"


@pytest.mark.parametrize("name", THEMES)
def test_scroll_bar_handles_stand_out_from_every_background(name: str) -> None:
    tokens = THEMES[name]
    panes = [pane for pane in CONTROL_BACKGROUNDS if pane != "hover"]  # (not a pane)
    for handle in ("scrollbar", "scrollbar_hover"):
        for background in panes:
            ratio = contrast_ratio(tokens[handle], tokens[background])
            assert ratio >= MIN_CONTROL, f"{name}: {handle} on {background} is {ratio:.2f}:1"


@pytest.mark.parametrize("name", THEMES)
def test_every_control_border_in_the_style_sheet_uses_a_visible_token(name: str) -> None:
    tokens = THEMES[name]
    used = border_tokens()
    for control in ("QCheckBox::indicator", "QComboBox"):
        edged = (control, "control_border") in used
        assert edged, f"{control} has no @control_border edge"
    for selector, token in used:
        if token == "danger":  # the Stop button: its red fill is the control
            continue
        for background in ("window", "sidebar", "surface"):
            ratio = contrast_ratio(tokens[token], tokens[background])
            assert ratio >= MIN_CONTROL, (
                f"{name}: {selector} border @{token} on {background} is {ratio:.2f}:1"
            )


@pytest.mark.parametrize("name", THEMES)
def test_text_tokens_stay_readable(name: str) -> None:
    tokens = THEMES[name]
    assert {"text", "muted", "link", "error_text", "on_accent"} <= set(TEXT_ON)
    for text, backgrounds in TEXT_ON.items():
        for background in backgrounds:
            ratio = contrast_ratio(tokens[text], tokens[background])
            assert ratio >= MIN_TEXT, f"{name}: {text} on {background} is {ratio:.2f}:1"


def test_every_text_colour_in_the_style_sheet_is_checked_for_contrast() -> None:
    sheet = re.sub(r"/\*.*?\*/", "", resource_path("rill.qss").read_text(), flags=re.S)
    for selectors, body in RULE.findall(sheet):
        if ":disabled" in selectors:  # WCAG exempts what cannot be used
            continue
        for token in re.findall(r"(?:^|;|\s)color\s*:\s*@([a-z_]+)", body):
            assert token in TEXT_ON, f"{selectors.strip()} uses @{token} as text"


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_app_the_chat_pane_and_code_share_one_text_colour(qtbot: QtBot, dark: bool) -> None:
    text = THEMES["dark" if dark else "light"]["text"]
    assert palette(dark).color(QPalette.ColorRole.Text).name() == text
    assert f"color: {text};" in stylesheet(dark).split("QTextBrowser {", 1)[1].split("}")[0]
    view = ChatView()
    qtbot.addWidget(view)
    view.set_dark(dark)
    assert message_html.palette_for(dark).text == text
    assert view.context.palette.text == text  # what the cards paint their text in
    theme = markdown_theme(dark)
    assert theme.text == text and theme.code_text == text
    # The highlight style's default text (a plain name) takes the theme's, not its own.
    assert highlight("answer\n", "python", theme.pygments_style) == "answer\n"
    block = render_all("```python\nanswer\n```\n", theme)[0].html
    assert f"color:{text}" in block


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    # The report: an unticked box #2A2D33 on the dark panel #191B1F.
    assert contrast_ratio("#2a2d33", "#191b1f") == pytest.approx(1.3, abs=0.1)


@pytest.fixture
def dark_theme(qapp: QApplication) -> Iterator[None]:
    theme = ThemeManager(qapp, "dark")
    theme.apply()
    yield
    qapp.setStyleSheet("")
    qapp.setPalette(QPalette())
    theme.deleteLater()


def test_an_unticked_check_box_is_visible_on_the_dark_panel(qtbot: QtBot, dark_theme: None) -> None:
    panel = QWidget()
    panel.setObjectName("settingsPanel")  # the style sheet's @sidebar background
    qtbot.addWidget(panel)
    box = QCheckBox("Show thoughts", panel)
    box.move(20, 20)
    panel.resize(200, 60)
    panel.show()
    qtbot.waitExposed(panel)
    option = QStyleOptionButton()
    box.initStyleOption(option)
    indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    image = panel.grab().toImage()
    offset = box.pos()
    y = offset.y() + indicator.center().y()
    edge = image.pixelColor(offset.x() + indicator.left(), y)
    background = image.pixelColor(2, 2)
    assert background.name() == DARK["sidebar"]
    ratio = contrast_ratio(edge.name(), background.name())
    assert ratio >= MIN_CONTROL, f"the box's edge {edge.name()} is {ratio:.2f}:1"
    assert QColor(edge) != QColor(DARK["input"])
