"""Rill's own icons: stroke SVGs in ``resources/icons``, drawn in the palette's colours.

Every SVG there is drawn on a 24 px grid and strokes (or fills) with ``currentColor``.
An icon made here puts a palette token's colour in its place each time it is drawn, so
one ``QIcon`` follows a theme switch (the application's palette says which theme is
on) and greys out, in the palette's ``muted``, when its button is disabled::

    button.setIcon(icons.icon("copy"))                 # the text colour
    send.setIcon(icons.icon("send", "on_accent"))       # white on the accent button
    icons.pixmap("check", 16, "link", dark=True)        # a delegate painting by hand
"""

from __future__ import annotations

from functools import cache, lru_cache

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QImage, QPainter, QPalette, QPixmap

from rill.gui.common.theme import resource_path, tokens

NAMES = (
    "attach", "chat-list", "check", "chevron-down", "chevron-left", "chevron-right",
    "chevron-up", "close", "copy", "delete", "edit", "key", "more", "new-chat",
    "regenerate", "search", "send", "settings", "sparkle", "stop",
)  # fmt: skip
GRID_PX = 24  # every icon's view box
_GRID_SIZE = f'width="{GRID_PX}" height="{GRID_PX}"'  # as every file's root element says


def icon_path(name: str) -> str:
    """The SVG file of icon ``name`` (raises ValueError for a name not in NAMES)."""
    if name not in NAMES:
        raise ValueError(f"no icon named {name!r}")
    return str(resource_path("icons") / f"{name}.svg")


def app_is_dark() -> bool:
    """Whether the application's palette is a dark one (what the theme applied)."""
    window = QGuiApplication.palette().color(QPalette.ColorRole.Window)
    return window.lightnessF() < 0.5


def icon(name: str, token: str = "text") -> QIcon:
    """Icon ``name`` drawn in palette token ``token`` of whichever theme is on when it
    is painted (``muted`` when disabled). Raises ValueError for an unknown name or
    KeyError for a token the palette does not have."""
    icon_path(name)
    if token not in tokens(False):  # fail now, not at the first paint
        raise KeyError(f"no palette token {token!r}")
    return QIcon(_PaletteIconEngine(name, token))


def pixmap(
    name: str, size: int, token: str = "text", *, dark: bool | None = None, ratio: float = 1.0
) -> QPixmap:
    """Icon ``name`` as a ``size`` px square pixmap in ``token``'s colour of the dark or
    light theme (None: the one on now), rendered for a device pixel ``ratio``."""
    colour = tokens(app_is_dark() if dark is None else dark)[token]
    return _render(name, colour, size, size, ratio)


@cache
def _svg(name: str) -> str:
    with open(icon_path(name), encoding="utf-8") as file:
        return file.read()


@lru_cache(maxsize=512)
def _render(name: str, colour: str, width: int, height: int, ratio: float) -> QPixmap:
    svg = _svg(name).replace("currentColor", colour)
    pixels_wide, pixels_high = max(1, round(width * ratio)), max(1, round(height * ratio))
    result = None
    if pixels_wide == pixels_high:  # every icon a widget shows
        result = _render_square(svg, pixels_wide)
    if result is None:
        result = _render_centred(svg, pixels_wide, pixels_high)
    result.setDevicePixelRatio(ratio)
    return result


def _render_square(svg: str, side: int) -> QPixmap | None:
    """The icon at ``side`` px square by Qt's SVG image plugin (None if it cannot).

    The plugin draws with the same renderer as :func:`_render_centred`, to the same
    pixels (tests/gui/common/test_icons.py), but without PySide's QtSvg module and
    its types: ~2 ms of the window's first paint, which shows nine icons.
    """
    sized = svg.replace(_GRID_SIZE, f'width="{side}" height="{side}"', 1)
    result = QPixmap()
    if result.loadFromData(sized.encode(), "SVG") and result.width() == side == result.height():
        return result
    return None


def _render_centred(svg: str, width: int, height: int) -> QPixmap:
    """The icon in a ``width`` × ``height`` px pixmap, square and centred."""
    from PySide6.QtSvg import QSvgRenderer  # the window's first paint does not need it

    renderer = QSvgRenderer(QByteArray(svg.encode()))
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    side = min(width, height)  # square, centred: the grid is square
    target = QRectF((width - side) / 2, (height - side) / 2, side, side)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, target)
    painter.end()
    return QPixmap.fromImage(image)


class _PaletteIconEngine(QIconEngine):
    """Renders one SVG in a palette token's colour, looked up at each paint."""

    def __init__(self, name: str, token: str) -> None:
        super().__init__()
        self._name, self._token = name, token

    def _colour(self, mode: QIcon.Mode) -> str:
        token = "muted" if mode == QIcon.Mode.Disabled else self._token
        return tokens(app_is_dark())[token]

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        """Qt: the icon at ``size`` logical pixels for a device pixel ratio ``scale``."""
        return _render(self._name, self._colour(mode), size.width(), size.height(), scale)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        """Qt: the icon at ``size`` device pixels."""
        return self.scaledPixmap(size, mode, state, 1.0)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        """Qt: draw the icon into ``rect`` at the screens' resolution (the highest one's,
        smoothed down on a screen with a lower one).

        Not ``painter.device()``'s ratio: the first time PySide wraps a paint device
        it resolves ~50 lazy Qt types (12 ms), and this runs in the window's first paint.
        """
        app = QGuiApplication.instance()
        ratio = app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, ratio))
        painter.restore()

    def clone(self) -> QIconEngine:
        """Qt: a copy (a QIcon detaching)."""
        return _PaletteIconEngine(self._name, self._token)

    def key(self) -> str:
        """Qt: what kind of engine this is."""
        return "rill-palette-svg"
