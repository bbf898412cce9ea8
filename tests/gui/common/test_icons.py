"""Rill's own icons: one 24 px stroke set, drawn in the palette's colours of the theme
that is on when they are painted, and readable on what they are drawn on."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QImage, QPalette
from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot

from rill.gui.common import icons
from rill.gui.common.theme import (
    CONTROL_BACKGROUNDS,
    DARK,
    LIGHT,
    ThemeManager,
    contrast_ratio,
    resource_path,
    tokens,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[ThemeManager]:
    theme = ThemeManager(qapp, "light")
    theme.apply()
    yield theme
    qapp.setStyleSheet("")
    qapp.setPalette(QPalette())
    theme.deleteLater()


def inked(icon: QIcon, mode: QIcon.Mode = QIcon.Mode.Normal) -> set[str]:
    """The opaque colours of ``icon`` drawn at 48 px (its anti-aliased edges left out)."""
    image = icon.pixmap(QSize(48, 48), 1.0, mode).toImage()
    found: set[str] = set()
    for y in range(image.height()):
        for x in range(image.width()):
            colour = image.pixelColor(x, y)
            if colour.alpha() == 255:
                found.add(colour.name())
    return found


@pytest.mark.parametrize("name", icons.NAMES)
def test_every_icon_is_a_24_px_stroke_drawing_in_current_colour(name: str) -> None:
    root = ET.parse(icons.icon_path(name)).getroot()
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 24 24" and root.get("width") == "24"
    assert root.get("stroke") == "currentColor" and root.get("fill") == "none"
    text = (resource_path("icons") / f"{name}.svg").read_text()
    # No colour of its own: the palette gives every one.
    assert not re.search(r"#[0-9a-fA-F]{3,6}\b|rgb\(", text), name


def test_the_folder_holds_exactly_the_named_icons() -> None:
    files = sorted(p.stem for p in resource_path("icons").glob("*.svg"))
    assert files == sorted(icons.NAMES)


def test_icons_follow_the_theme_without_being_set_again(themed: ThemeManager) -> None:
    copy = icons.icon("copy")
    assert LIGHT["text"] in inked(copy)
    themed.set_mode("dark")
    assert DARK["text"] in inked(copy) and LIGHT["text"] not in inked(copy)
    assert DARK["muted"] in inked(copy, QIcon.Mode.Disabled)  # greyed out when disabled
    send = icons.icon("send", "on_accent")
    assert DARK["on_accent"] in inked(send)


def test_a_button_paints_its_icon_at_the_screens_resolution(
    qtbot: QtBot, themed: ThemeManager
) -> None:
    button = QToolButton()
    qtbot.addWidget(button)
    button.setIcon(icons.icon("search"))
    pixmap = button.icon().pixmap(QSize(20, 20), 2.0)
    assert pixmap.size() == QSize(40, 40) and pixmap.devicePixelRatio() == 2.0
    # By hand (a delegate): a given theme's token, at a given ratio.
    drawn = icons.pixmap("check", 16, "link", dark=True, ratio=2.0)
    assert drawn.size() == QSize(32, 32) and drawn.devicePixelRatio() == 2.0
    image = drawn.toImage()
    colours = {image.pixelColor(x, y).name() for x in range(32) for y in range(32)}
    assert DARK["link"] in colours


def test_unknown_names_and_tokens_fail_at_once() -> None:
    with pytest.raises(ValueError, match="no icon"):
        icons.icon("sparkles")
    with pytest.raises(KeyError):
        icons.icon("copy", "no_such_token")


@pytest.mark.parametrize("dark", [False, True])
def test_icons_stand_out_from_what_they_are_drawn_on(dark: bool) -> None:
    t = tokens(dark)
    for background in CONTROL_BACKGROUNDS:  # buttons: the text colour, the muted one
        for token in ("text", "muted"):
            ratio = contrast_ratio(t[token], t[background])
            assert ratio >= 3.0, f"{token} on {background}: {ratio:.2f}"
    for background in ("accent", "accent_hover", "danger", "danger_hover"):  # Send / Stop
        assert contrast_ratio(t["on_accent"], t[background]) >= 3.0, background
    assert QColor(t["muted"]).isValid()


@pytest.mark.parametrize("name", icons.NAMES)
def test_the_image_plugin_draws_each_icon_as_the_renderer_does(
    qapp: QApplication, name: str
) -> None:
    # The square icons widgets show come from Qt's SVG image plugin (no QtSvg module
    # before the first paint); the same pixels as QSvgRenderer's, at 1x and 2x.
    svg = icons._svg(name).replace("currentColor", "#2459d6")
    for side in (16, 20, 40):
        plugin = icons._render_square(svg, side)
        assert plugin is not None, (name, side)
        renderer = icons._render_centred(svg, side, side)
        wanted = renderer.toImage().convertToFormat(QImage.Format.Format_ARGB32)
        assert plugin.toImage().convertToFormat(QImage.Format.Format_ARGB32) == wanted, side
    drawn = icons.pixmap(name, 20, "link", dark=False, ratio=2.0)
    assert drawn.size() == QSize(40, 40) and drawn.devicePixelRatio() == 2.0
