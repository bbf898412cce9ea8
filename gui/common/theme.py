"""Light and dark looks: the one palette of the app, for widgets and the chat pane alike.

The tokens below are the only colours Rill has. They fill a Fusion palette, the
``@tokens`` of ``resources/rill.qss``, the chat pane's chrome
(``rill.gui.transcript.message_html``) and the Markdown theme handed to
``rill.core.markdown`` (:func:`markdown_theme`). "system" follows the platform's
colour scheme (``QStyleHints.colorScheme``, Qt 6.5+) and keeps following it while the
app runs; "light" and "dark" pin one.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from rill.core.markdown import Theme

MODES = ("system", "light", "dark")
STYLE = "Fusion"  # the style the palette and the sheet are drawn for, on every platform
_STYLE_PROPERTY = "rillStyle"  # on an application made in STYLE (make_application)

# Palette tokens. Text/background pairs keep WCAG AA contrast (≥ 4.5:1; the pairs are
# listed in TEXT_ON). A control's edge (``control_border``: inputs, buttons, check
# boxes, combo and spin boxes) keeps ≥ 3:1 against every background in
# CONTROL_BACKGROUNDS; ``border`` is for lines that only separate (panels, cards, the
# status line, table rules) and may be quieter. The chat pane's own tokens follow the
# app's: ``view`` its background, ``bubble`` the user's turns, ``error_*`` the failed
# answer's card, ``notice`` a retry countdown, ``rule`` the line between turns, and
# ``code_background``, ``inline_code`` and ``table_header`` the Markdown's boxes.
# ``scrollbar`` fills a scroll bar's handle (a control: ≥ 3:1 on CONTROL_BACKGROUNDS),
# ``scrollbar_hover`` the handle under the pointer or dragged.
LIGHT: dict[str, str] = {
    "window": "#f6f7f9",
    "view": "#ffffff",
    "surface": "#ffffff",
    "sidebar": "#eef0f3",
    "input": "#ffffff",
    "text": "#1f2328",
    "muted": "#5a6270",
    "border": "#d5d9e0",
    "control_border": "#7d8490",
    "hover": "#e3e7ed",
    "selected": "#d8e4fb",
    "accent": "#2459d6",
    "accent_hover": "#1d4bb8",
    "on_accent": "#ffffff",
    "focus": "#2459d6",
    "danger": "#c0322b",
    "danger_hover": "#a52a24",
    "link": "#1f56cf",
    "bubble": "#eef4fc",
    "bubble_border": "#d3e1f5",
    "error_background": "#fff1f0",
    "error_border": "#f1b4ae",
    "error_text": "#b42318",
    "notice": "#8a5a00",
    "success": "#1a7f37",
    "rule": "#e6e8eb",
    "code_background": "#f6f8fa",
    "inline_code": "#eef0f3",
    "table_header": "#f0f3f6",
    "scrollbar": "#7f8691",
    "scrollbar_hover": "#5f6670",
}
DARK: dict[str, str] = {
    "window": "#1c1e22",
    "view": "#1c1d21",
    "surface": "#24272c",
    "sidebar": "#191b1f",
    "input": "#2a2d33",
    "text": "#e3e5e8",
    "muted": "#a0a7b2",
    "border": "#3a3f47",
    "control_border": "#7a818d",
    "hover": "#30343b",
    "selected": "#2c3d5e",
    "accent": "#3b6fe0",
    "accent_hover": "#2f62d0",  # darker, not lighter: the label stays at 4.5:1
    "on_accent": "#ffffff",
    "focus": "#8ab0ff",
    "danger": "#c4453d",
    "danger_hover": "#b53a33",
    "link": "#8ab0ff",
    "bubble": "#253041",
    "bubble_border": "#33445c",
    "error_background": "#3a2326",
    "error_border": "#7d3a40",
    "error_text": "#ff9a92",
    "notice": "#e3b341",
    "success": "#56d364",
    "rule": "#2f3238",
    "code_background": "#161b22",
    "inline_code": "#2d333b",
    "table_header": "#21262d",
    "scrollbar": "#707782",
    "scrollbar_hover": "#9aa1ac",
}
# Pygments' style for code in each theme (its token colours; plain code takes "text").
PYGMENTS_STYLE = {False: "default", True: "github-dark"}

# What a control is drawn on or filled with (a hovered button is filled with "hover").
CONTROL_BACKGROUNDS = ("window", "sidebar", "surface", "input", "hover", "view")
# Each text token and the backgrounds it is drawn on: all at ≥ 4.5:1.
TEXT_ON: dict[str, tuple[str, ...]] = {
    "text": (
        "window", "sidebar", "surface", "input", "hover", "selected", "view", "bubble",
        "error_background", "code_background", "inline_code", "table_header",
    ),
    "muted": ("window", "sidebar", "surface", "input", "view", "hover", "code_background"),
    "link": ("window", "surface", "view", "bubble", "code_background", "inline_code"),
    "error_text": ("error_background", "window", "sidebar", "surface", "input"),
    "notice": ("view", "window"),  # also the chat bar's context meter, past 80 %
    "success": ("view", "code_background"),  # a code run's "OK", a page read
    "on_accent": ("accent", "accent_hover", "danger", "danger_hover"),
}  # fmt: skip

_TOKEN = re.compile(r"@([a-z_]+)")


# A file's badge: its kind's colour (keys are rill.core.file_parts.FileKind values) under
# its extension in white, the same in both themes; each holds white text at 4.5:1 or more.
FILE_BADGES: dict[str, str] = {
    "pdf": "#c5221f",
    "text": "#4a5568",
    "audio": "#7b3fb0",
    "video": "#b0245a",
    "image": "#2b6cb0",
    "other": "#4a5568",
}
FILE_LINK_BADGE = "#0e6e69"  # a file attached by its address


def tokens(dark: bool) -> dict[str, str]:
    """The palette tokens (``#rrggbb`` by name) of the dark or light theme."""
    return DARK if dark else LIGHT


@cache
def markdown_theme(dark: bool) -> Theme:
    """The colours ``rill.core.markdown`` writes into answers, from the same tokens."""
    # Imported here: the Markdown stack (Pygments, markdown-it) is not needed for the
    # window's first paint, and this module is.
    from rill.core.markdown import Theme

    t = tokens(dark)
    return Theme(
        dark=dark,
        text=t["text"],
        muted=t["muted"],
        link=t["link"],
        border=t["border"],
        table_header_background=t["table_header"],
        inline_code_background=t["inline_code"],
        code_background=t["code_background"],
        code_text=t["text"],
        pygments_style=PYGMENTS_STYLE[dark],
    )


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours: 1.0 (none) to 21.0."""

    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def resource_path(name: str) -> Path:
    """A file shipped in ``rill.resources`` (a plain directory in every install we make).

    Found from the package's own location: importlib.resources would import zipfile
    and friends at start-up for nothing.
    """
    import rill.resources

    return Path(rill.resources.__file__).parent / name


@cache
def _template() -> str:
    return resource_path("rill.qss").read_text(encoding="utf-8")


def stylesheet(dark: bool) -> str:
    """The app's style sheet with every ``@token`` replaced by its colour.

    ``@resdir`` is the resources directory, for images the sheet refers to.

    Raises KeyError for a token the palette does not define (a typo in the .qss).
    """
    values = {**tokens(dark), "resdir": resource_path(".").resolve().as_posix()}
    return _TOKEN.sub(lambda m: values[m.group(1)], _template())


def palette(dark: bool) -> QPalette:
    """A Fusion palette from the same tokens, so native parts match the style sheet."""
    t = tokens(dark)
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: t["window"],
        QPalette.ColorRole.WindowText: t["text"],
        QPalette.ColorRole.Base: t["input"],
        QPalette.ColorRole.AlternateBase: t["sidebar"],
        QPalette.ColorRole.Text: t["text"],
        QPalette.ColorRole.Button: t["surface"],
        QPalette.ColorRole.ButtonText: t["text"],
        QPalette.ColorRole.Highlight: t["accent"],
        QPalette.ColorRole.HighlightedText: t["on_accent"],
        QPalette.ColorRole.PlaceholderText: t["muted"],
        QPalette.ColorRole.ToolTipBase: t["surface"],
        QPalette.ColorRole.ToolTipText: t["text"],
        QPalette.ColorRole.Link: t["link"],
        QPalette.ColorRole.LinkVisited: t["link"],
        QPalette.ColorRole.Mid: t["border"],
        QPalette.ColorRole.Midlight: t["hover"],
        QPalette.ColorRole.Light: t["surface"],
        QPalette.ColorRole.Dark: t["border"],
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    disabled = QColor(t["muted"])
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return pal


# Qt's raster engine hands a fill of more than ~100 lines (a window's background, a tall
# scroll bar's) to a pool of its own threads and waits for them. On a 2-CPU machine the
# UI thread then sat 1-4 ms in a paint waiting for those threads to be scheduled, with
# little CPU spent; a fill of a window's size on the UI thread alone costs far less
# (bench_surface's 1 MB stream: stall p99 9.6-17 → 7.0-7.2 ms, UI-thread CPU p99
# 7.0-7.2 → 5.1 in single runs; bench/README.md). Set before the application exists:
# Qt reads it once.
NO_GUI_THREADPOOL = "QT_NO_GUI_THREADPOOL"


def make_application(argv: list[str]) -> QApplication:
    """A QApplication in Rill's style from its start (Qt's ``-style`` argument, after
    any the user gave, so ours wins as ``setStyle`` did), painting on the UI thread
    alone (NO_GUI_THREADPOOL).

    Not ``setStyle`` afterwards: it returns the style, and wrapping that makes PySide
    build QStyle's enum types (11 large ones, ~5 ms) before the window's first paint.
    """
    os.environ.setdefault(NO_GUI_THREADPOOL, "1")
    app = QApplication([*argv, "-style", STYLE])
    app.setProperty(_STYLE_PROPERTY, STYLE)
    return app


def system_is_dark() -> bool:
    """Whether the platform asks for a dark scheme (False where it does not say)."""
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)  # Qt ≥ 6.5
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def app_icon() -> QIcon:
    """Rill's icon from ``resources/rill.svg`` (the Qt SVG plugin renders it)."""
    return QIcon(str(resource_path("rill.svg")))


class ThemeManager(QObject):
    """Applies a mode to the application and re-applies it when the system flips.

    Signals:
        theme_changed(bool dark): the look changed; widgets with their own colours
            (the chat view) should follow.
    """

    theme_changed = Signal(bool)

    def __init__(self, app: QApplication, mode: str = "system") -> None:
        super().__init__(app)
        self._app = app
        self._mode = mode if mode in MODES else "system"
        self.dark = False
        if app.property(_STYLE_PROPERTY) != STYLE:  # made elsewhere (tests, benchmarks)
            app.setStyle(STYLE)
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._on_color_scheme_changed)

    @property
    def mode(self) -> str:
        """The chosen mode: "system", "light" or "dark"."""
        return self._mode

    def set_mode(self, mode: str) -> None:
        """Use ``mode`` ("system", "light" or "dark") from now on."""
        self._mode = mode if mode in MODES else "system"
        self.apply()

    def apply(self) -> None:
        """Set the application's palette and style sheet for the mode; emits ``theme_changed``."""
        dark = system_is_dark() if self._mode == "system" else self._mode == "dark"
        self.dark = dark
        self._app.setPalette(palette(dark))
        self._app.setStyleSheet(stylesheet(dark))
        self.theme_changed.emit(dark)

    def _on_color_scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self._mode == "system":
            self.apply()
