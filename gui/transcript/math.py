"""Formulas in the transcript: ``rill-math:`` placeholders resolved to typeset images.

Core writes each formula as ``<img src="rill-math:…">`` with its TeX in the name
(``rill.core.markdown.math``). When Qt lays one out it asks the document's
``loadResource`` (a card's text block, ``renderers.doc_block``), which asks
:meth:`DocumentMath.image`: an image already painted in this colour, size and pixel
ratio comes back at once; otherwise the formula's source, drawn in code style, stands in
while the worker process typesets it (``math_worker``). A result is painted on the UI
thread a few milliseconds' worth per turn of the event loop, added to the document with
``addResource``, and only the blocks showing that formula are laid out again: a cursor
is kept at each placeholder from its insertion (:meth:`DocumentMath.inserted`) until its
image lands. TeX the engine cannot typeset keeps its source, with the reason as a
tooltip.
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import QByteArray, QObject, QRectF, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontInfo,
    QFontMetrics,
    QFontMetricsF,
    QImage,
    QPainter,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextOption,
)

from rill.gui.common import tokens
from rill.gui.transcript.math_worker import Key, MathWorker, Result, shared_worker

# rill.core.markdown (markdown-it, Pygments) is imported where a formula is first met,
# not with this module: the window's first paint needs none of it.
if TYPE_CHECKING:
    from rill.core.markdown import Typeset

K = TypeVar("K")
V = TypeVar("V")

MATH_SCALE = 1.25  # STIX Two Math looks smaller than the UI font at one size
PAINT_BUDGET_S = 0.004  # painting typeset formulas per turn of the event loop
SOURCE_MAX_WIDTH_PX = 480  # a formula shown as source wraps at this width
SOURCE_MAX_LINES = 24  # ... and stops (with "…") after this many lines
OBJECT = "\ufffc"  # what an image is in the document's text
FIT_TEXT = "rill-math-fit"  # a typeset picture's note of the font size it is padded for
MAX_FIT_PX = 1024  # the largest font size a formula's format is given (see fitting_size)
_IMAGE = QTextDocument.ResourceType.ImageResource.value
_MATH_IMG = re.compile(r'<img[^>]*?src="rill-math:[^"]*"[^>]*>')
_ALT = re.compile(r'alt="([^"]*)"')


class Lru(Generic[K, V]):
    """A small least-recently-used map."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value kept for ``key`` (None: none), now the most recently used."""
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Keep ``value`` for ``key``, forgetting the least recently used past the size."""
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        self._items.clear()


class _Turn:
    """Painting time spent on formulas in this turn of the event loop (all documents)."""

    spent = 0.0


TURN = _Turn()

# Shared by every view of the app: what the worker said, and the pictures made from it.
RESULTS: Lru[Key, Result] = Lru(4096)
IMAGES: Lru[tuple[Key, str, float, str], QImage] = Lru(1024)
SOURCES: Lru[tuple[str, bool, str, float, float], QImage] = Lru(512)


@dataclass(frozen=True, slots=True)
class MathStyle:
    """What a formula's picture depends on besides its TeX."""

    colour: str
    code_background: str
    font_px: float
    font: str  # the body font (QFont.toString): see fitting_size
    dpr: float

    @property
    def math_px(self) -> float:
        """The size formulas are typeset at: the body font's, scaled to match it."""
        return round(self.font_px * MATH_SCALE, 1)


class DocumentMath(QObject):
    """The formulas of one QTextDocument (a text block of a card), painted at the pixel
    ratio ``dpr`` gives; :attr:`changed` is told when the document must be laid out
    again."""

    def __init__(
        self,
        document: QTextDocument,
        dpr: Callable[[], float],
        parent: QObject | None = None,
        worker: Callable[[], MathWorker] = shared_worker,
    ) -> None:
        super().__init__(parent)
        self._dpr = dpr
        self._document = document
        # Told after a formula's picture (or its reason for staying source) went into
        # the document: whoever lays it out must do so again.
        self.changed: Callable[[], None] = lambda: None
        self._make_worker = worker
        self._worker: MathWorker | None = None
        self._colour = "#000000"
        self._code_background = tokens(False)["inline_code"]  # as markdown_theme has it
        self._cursors: dict[str, list[QTextCursor]] = {}  # placeholders awaiting an image
        self._lost: set[str] = set()  # shown as source with no cursor (see image())
        self._ready: OrderedDict[str, None] = OrderedDict()  # names to paint, in order
        self._paint_timer = QTimer(self)
        self._paint_timer.setSingleShot(True)
        self._paint_timer.timeout.connect(self._on_paint_timer_timeout)
        self._turn_timer = QTimer(self)
        self._turn_timer.setSingleShot(True)
        self._turn_timer.timeout.connect(self._on_turn_timer_timeout)

    # ------------------------------------------------------------ the view's side

    @property
    def pending(self) -> bool:
        """Whether a formula in the document still shows its source awaiting its image."""
        return bool(self._cursors or self._ready or self._lost)

    def set_colours(self, text: str, *, dark: bool) -> None:
        """Paint formulas in ``text`` from now on (the document is about to be rebuilt)."""
        self._colour = text
        # A formula shown as its source looks like inline code in the same theme.
        self._code_background = tokens(dark)["inline_code"]
        self._cursors.clear()
        self._lost.clear()
        self._ready.clear()

    def style(self) -> MathStyle:
        """The colour, size and pixel ratio formulas are painted with now."""
        font = self._document.defaultFont()
        size = float(QFontInfo(font).pixelSize())
        return MathStyle(self._colour, self._code_background, size, font.toString(), self._dpr())

    def image(self, name: str) -> QImage:
        """The picture for resource ``name`` (asked by the layout, on the UI thread)."""
        from rill.core.markdown import Typeset, parse_math_name

        parsed = parse_math_name(name)
        if parsed is None:
            return QImage()
        tex, display = parsed
        style = self.style()
        key: Key = (tex, display, style.math_px)
        done = IMAGES.get((key, style.colour, style.dpr, style.font))
        result = RESULTS.get(key)
        if done is None and isinstance(result, Typeset) and TURN.spent < PAINT_BUDGET_S:
            done = self._paint(key, result, style)
        if done is not None:
            if name in self._cursors:  # placeholders laid out earlier: give them the image
                self._ready[name] = None
                self._paint_timer.start()
            return done
        if isinstance(result, str):
            return source_image(tex, display, style)  # not typeset: the source stays
        if result is None:
            self._request(key)
        else:
            self._ready[name] = None
            self._paint_timer.start()
        if name not in self._cursors:
            self._lost.add(name)
        return source_image(tex, display, style)

    def inserted(self, start: int, end: int) -> None:
        """HTML went into ``[start, end)``: keep a cursor at each formula still waiting."""
        style = self.style()
        batch = QTextCursor(self._document)
        batch.beginEditBlock()  # one change for all the formats set (_fit)
        found = self._document.find(OBJECT, start)
        while not found.isNull() and found.selectionStart() < end:
            from rill.core.markdown import parse_math_name  # loaded by then: a formula

            name = found.charFormat().toImageFormat().name()
            parsed = parse_math_name(name)
            if parsed is not None:
                key: Key = (parsed[0], parsed[1], style.math_px)
                result = RESULTS.get(key)
                picture = IMAGES.get((key, style.colour, style.dpr, style.font))
                if picture is not None:  # shown as soon as laid out: in its format now
                    _fit(self._document, found.selectionStart(), picture)
                elif isinstance(result, str):
                    _explain(self._document, found.selectionStart(), result)
                else:
                    self._keep(name, found.selectionStart())
                    if result is None:
                        self._request(key)
            found = self._document.find(OBJECT, found.selectionEnd())
        batch.endEditBlock()

    def selection_text(self, cursor: QTextCursor) -> tuple[str, str] | None:
        """The plain text and HTML of ``cursor``'s selection with each formula as its TeX
        source (delimiters included); None when the selection holds no formula."""
        from rill.core.markdown import MATH_SCHEME

        fragment = cursor.selection()
        text = fragment.toPlainText()
        if OBJECT not in text:
            return None
        sources: list[str] = []
        found = self._document.find(OBJECT, cursor.selectionStart())
        while not found.isNull() and found.selectionStart() < cursor.selectionEnd():
            fmt = found.charFormat().toImageFormat()
            is_math = fmt.name().startswith(f"{MATH_SCHEME}:")
            sources.append(str(fmt.property(QTextFormat.Property.ImageAltText)) if is_math else "")
            found = self._document.find(OBJECT, found.selectionEnd())
        if not any(sources):
            return None
        pieces = text.split(OBJECT)
        out = [pieces[0]]
        for n, piece in enumerate(pieces[1:]):
            out.append((sources[n] if n < len(sources) else "") or OBJECT)
            out.append(piece)

        def as_text(match: re.Match[str]) -> str:
            alt = _ALT.search(match.group())
            return alt.group(1) if alt else ""

        return "".join(out), _MATH_IMG.sub(as_text, fragment.toHtml())

    # ------------------------------------------------------------ typesetting

    def _request(self, key: Key) -> None:
        if self._worker is None:
            self._worker = self._make_worker()
            self._worker.typeset_done.connect(self._on_worker_typeset_done)
        self._worker.request(key)

    def _keep(self, name: str, position: int) -> None:
        kept = [c for c in self._cursors.get(name, []) if self._name_at(c.position()) == name]
        cursor = QTextCursor(self._document)
        cursor.setPosition(position)
        kept.append(cursor)
        self._cursors[name] = kept
        self._lost.discard(name)

    def _on_worker_typeset_done(self, key: Key, result: Result) -> None:
        from rill.core.markdown import math_name

        RESULTS.put(key, result)
        tex, display, size = key
        if size != self.style().math_px:
            return
        name = math_name(tex, display)
        if isinstance(result, str):
            self._mark_failed(name, result)
        elif name in self._cursors or name in self._lost:
            self._ready[name] = None
            self._paint_timer.start()

    def _mark_failed(self, name: str, reason: str) -> None:
        """The source stays; its tooltip says why it is not typeset."""
        for position in self._positions(name):
            _explain(self._document, position, reason)
        self._cursors.pop(name, None)
        self._lost.discard(name)
        self.changed()

    def _on_paint_timer_timeout(self) -> None:
        from rill.core.markdown import Typeset, parse_math_name

        style = self.style()
        dirty: list[int] = []
        batch = QTextCursor(self._document)
        batch.beginEditBlock()  # one change for all the formats set (_fit)
        # The budget is the turn's, shared by every document: a card's text is many
        # documents, and each spending its own would add up.
        while self._ready and TURN.spent < PAINT_BUDGET_S:
            name = next(iter(self._ready))
            del self._ready[name]
            parsed = parse_math_name(name)
            if parsed is None:
                continue
            key: Key = (parsed[0], parsed[1], style.math_px)
            image = IMAGES.get((key, style.colour, style.dpr, style.font))
            result = RESULTS.get(key)
            if image is None and isinstance(result, Typeset):
                image = self._paint(key, result, style)
            if image is None:
                continue
            self._document.addResource(_IMAGE, QUrl(name), image)
            positions = self._positions(name)
            for position in positions:
                _fit(self._document, position, image)
            dirty += positions
            self._cursors.pop(name, None)
            self._lost.discard(name)
        batch.endEditBlock()
        if dirty:
            # One relayout for the turn's formulas: each call lays out the paragraphs
            # it touches again, and 150 formulas in one paragraph made it 150 times.
            start = min(dirty)
            self._document.markContentsDirty(start, max(dirty) + 1 - start)
            self.changed()
        if self._ready:
            self._paint_timer.start()

    def _positions(self, name: str) -> list[int]:
        """Where ``name`` is shown now: from its cursors, or a search when it has none."""
        if name in self._lost:
            return self._find(name)
        positions = {c.position() for c in self._cursors.get(name, [])}
        return sorted(p for p in positions if self._name_at(p) == name)

    def _find(self, name: str) -> list[int]:
        positions: list[int] = []
        found = self._document.find(OBJECT, 0)
        while not found.isNull():
            if found.charFormat().toImageFormat().name() == name:
                positions.append(found.selectionStart())
            found = self._document.find(OBJECT, found.selectionEnd())
        return positions

    def _name_at(self, position: int) -> str:
        if self._document.characterAt(position) != OBJECT:
            return ""
        cursor = QTextCursor(self._document)
        cursor.setPosition(position + 1)
        return cursor.charFormat().toImageFormat().name()

    def _paint(self, key: Key, result: Typeset, style: MathStyle) -> QImage:
        started = time.perf_counter()
        image = typeset_image(result, style)
        IMAGES.put((key, style.colour, style.dpr, style.font), image)
        TURN.spent += time.perf_counter() - started
        if not self._turn_timer.isActive():
            self._turn_timer.start(0)
        return image

    def _on_turn_timer_timeout(self) -> None:
        TURN.spent = 0.0


def _explain(document: QTextDocument, position: int, reason: str) -> None:
    """Give the formula at ``position`` a tooltip saying why it shows its source."""
    tip = QTextCharFormat()
    tip.setToolTip(f"Not typeset: {reason}")
    cursor = QTextCursor(document)
    cursor.setPosition(position)
    cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
    cursor.mergeCharFormat(tip)


def _fit(document: QTextDocument, position: int, picture: QImage) -> None:
    """Give the formula at ``position`` the font size its typeset ``picture`` is padded
    for (see :func:`fitting_size`)."""
    size = int(picture.text(FIT_TEXT) or 0)
    cursor = QTextCursor(document)
    cursor.setPosition(position)
    cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
    if not size or cursor.charFormat().intProperty(QTextFormat.Property.FontPixelSize) == size:
        return
    fit = QTextCharFormat()
    fit.setProperty(QTextFormat.Property.FontPixelSize, size)
    cursor.mergeCharFormat(fit)


@functools.lru_cache(maxsize=4096)
def half_x_height(font: str, pixel_size: int) -> float:
    """Half the x-height Qt centres a "middle" object on when its format has ``font``
    (QFont.toString) at ``pixel_size``: Qt measures it in whole pixels (QFontMetrics)."""
    qfont = QFont()
    qfont.fromString(font)
    qfont.setPixelSize(pixel_size)
    return QFontMetrics(qfont).xHeight() / 2


@functools.lru_cache(maxsize=64)
def text_extent(font: str) -> tuple[float, float]:
    """How far a line of text in ``font`` reaches above and below its baseline."""
    qfont = QFont()
    qfont.fromString(font)
    metrics = QFontMetricsF(qfont)
    return metrics.ascent(), metrics.descent()


def formula_box(result: Typeset, style: MathStyle) -> tuple[float, float]:
    """How far the picture of a formula reaches above and below the baseline: the
    formula, or the body text where that reaches further."""
    above, below = text_extent(style.font)
    return max(result.height - result.depth, above), max(result.depth, below)


def fitting_size(result: Typeset, style: MathStyle) -> int:
    """The font size a formula's format gets so that its line makes room for the formula
    (:func:`formula_box`), not for padding.

    Measured on Qt 6.11 (tests/gui/transcript/test_math_lines.py): Qt lays out an object
    with ``vertical-align: middle`` and height h with the ascent (h + x) / 2 and descent
    (h - x) / 2, x being half the x-height of the format's font; and paints it centred
    in its line's height. With the body font's x (4.5 px at 15 px), a formula standing
    16.6 px above the baseline and 1.2 below (x^2) had 12 px of padding below to keep
    its baseline on the line's, and its line grew by all of it. A font whose x is the
    box's ascent minus its descent needs no such padding; the box reaches as far as the
    text does on both sides, so the centred painting puts the baseline where the layout
    has it. Sizes go in whole pixels: the largest whose x is not over it."""
    above, below = formula_box(result, style)
    target = above - below
    low, high = 1, MAX_FIT_PX
    while low < high:
        middle = (low + high + 1) // 2
        if half_x_height(style.font, middle) <= target:
            low = middle
        else:
            high = middle - 1
    return low


def typeset_image(result: Typeset, style: MathStyle) -> QImage:
    """Paint a typeset formula in ``style``'s colour for a format of font size
    :func:`fitting_size` (noted in the image's text ``FIT_TEXT``), padded to its
    :func:`formula_box` so that Qt's ``vertical-align: middle`` puts the formula's
    baseline on the line's."""
    size = fitting_size(result, style)
    half = half_x_height(style.font, size)
    above, below = formula_box(result, style)
    below = max(below, above - half)  # Qt's ascent is the descent plus half
    dpr = style.dpr
    # In whole device pixels: Qt lays out and centres the image's own height.
    height = math.ceil((2 * below + half) * dpr - 1e-6) / dpr
    pad_top = (height + half) / 2 - (result.height - result.depth)
    width = result.width
    from PySide6.QtSvg import QSvgRenderer  # only once a formula is typeset: not at start

    image = _blank(width, height, dpr)
    renderer = QSvgRenderer(QByteArray(result.svg))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, pad_top * dpr, width * dpr, result.height * dpr))
    painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
    painter.fillRect(image.rect(), QColor(style.colour))
    painter.end()
    image.setDevicePixelRatio(dpr)
    image.setText(FIT_TEXT, str(size))
    return image


def source_image(tex: str, display: bool, style: MathStyle) -> QImage:
    """The formula's source in code style: what shows until (or unless) it is typeset."""
    key = (tex, display, style.colour, style.font_px, style.dpr)
    cached = SOURCES.get(key)
    if cached is not None:
        return cached
    text = f"$${tex}$$" if display else f"${tex}$"
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPixelSize(max(8, round(style.font_px * 0.9)))
    metrics = QFontMetricsF(font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAnywhere)
    pad = 3.0
    flags = int(Qt.TextFlag.TextWrapAnywhere)
    bound = metrics.boundingRect(QRectF(0, 0, SOURCE_MAX_WIDTH_PX, 1e6), flags, text)
    lines = max(1, round(bound.height() / metrics.lineSpacing()))
    if lines > SOURCE_MAX_LINES:
        keep = int(len(text) * SOURCE_MAX_LINES / lines)
        text, lines = text[:keep] + "…", SOURCE_MAX_LINES
    width = min(SOURCE_MAX_WIDTH_PX, metrics.horizontalAdvance(text)) + 2 * pad
    height = lines * metrics.lineSpacing() + 2 * pad
    dpr = style.dpr
    image = QImage(
        round(width * dpr), round(height * dpr), QImage.Format.Format_ARGB32_Premultiplied
    )
    image.fill(Qt.GlobalColor.transparent)
    image.setDevicePixelRatio(dpr)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(style.code_background))
    painter.drawRoundedRect(QRectF(0, 0, width, height), 3, 3)
    painter.setPen(QColor(style.colour))
    painter.setFont(font)
    painter.drawText(QRectF(pad, pad, width - 2 * pad, height - 2 * pad), text, option)
    painter.end()
    SOURCES.put(key, image)
    return image


def _blank(width: float, height: float, dpr: float) -> QImage:
    """A transparent image for ``width`` x ``height`` logical pixels at ``dpr``."""
    size = (max(1, round(width * dpr)), max(1, round(height * dpr)))
    image = QImage(*size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    return image
