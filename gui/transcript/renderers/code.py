"""A code block as a card: a header with its language and Copy, the code below.

The code is a document of its own that never wraps: a long line scrolls sideways
(horizontal wheel, or Shift+wheel, over the code) instead of breaking mid-token, and a
thin bar under it shows where the view is. Copy confirms with "Copied ✓" for a moment.
Streamed code arrives in pieces (``rill.core.markdown``'s finished pieces, then the
open last one), appended at the card's end.
"""

from __future__ import annotations

import math
import re
import time

from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QWheelEvent

from rill.gui.transcript.renderers.base import Block, Context, Hit
from rill.gui.transcript.renderers.doc_block import DocBlock

HEADER_PX = 32
PAD_PX = 12
RADIUS_PX = 8
BAR_PX = 6  # the sideways scroll indicator, under code wider than the card
GAP_PX = 8  # space above and below the card
COPY_LABEL = "Copy"
COPIED_LABEL = "Copied ✓"
CONFIRM_S = 1.5
# The <pre> of a piece carries its own background and margins; the card draws both.
# Its text colour stays: plain names in the code take it (the theme's, not black).
_PRE_STYLE = re.compile(r'<pre style="[^"]*"')
_COLOUR = re.compile(r"(?:^|;)\s*(color:\s*#[0-9a-fA-F]{3,8})")


def code_piece_html(html: str) -> str:
    """A rendered code piece as the card's document takes it (no own box)."""

    def bare(match: re.Match[str]) -> str:
        colour = _COLOUR.search(match.group()[len('<pre style="') : -1])
        return f'<pre style="margin:0px;{colour.group(1) + ";" if colour else ""}"'

    return _PRE_STYLE.sub(bare, html)


class CodeBlock(Block):
    """One fenced (or indented) code block of an answer."""

    def __init__(self, context: Context, language: str | None, index: int) -> None:
        super().__init__()
        self.context = context
        self.language = language
        self.index = index  # the Markdown block it renders
        self.body = DocBlock(context, wrap=False)
        mono = QFont(context.font)
        mono.setFamilies(["monospace"])
        mono.setStyleHint(QFont.StyleHint.TypeWriter)
        self.body.doc.setDefaultFont(mono)
        self.pieces: list[str] = []
        self._lines = 0  # newlines in the finished pieces (estimates without a join)
        self.open_piece = ""
        self.code_id = context.register(self)
        self.x_offset = 0
        self.copied_at = -math.inf
        self.closed = False

    def code(self) -> str:
        """The code as the model wrote it (what Copy gives)."""
        return "".join(self.pieces) + self.open_piece

    def add_piece(self, html: str, code: str) -> None:
        """Append a finished piece."""
        self.body.add(code_piece_html(html))
        self.pieces.append(code)
        self._lines += code.count("\n")
        self.open_piece = ""
        self.dirty = True

    def set_open_piece(self, html: str | None, code: str) -> None:
        """Replace the still-open last piece (None: none)."""
        self.body.set_tail(code_piece_html(html) if html else None)
        self.open_piece = code if html else ""
        self.dirty = True

    @property
    def empty(self) -> bool:
        """Whether no code is in the card."""
        return self.body.empty

    def confirm_copy(self) -> None:
        """Say "Copied ✓" for a moment."""
        self.copied_at = time.monotonic()

    @property
    def confirming(self) -> bool:
        """Whether the header says "Copied ✓" now."""
        return time.monotonic() - self.copied_at < CONFIRM_S

    # ------------------------------------------------------------ layout

    def estimate(self, column: int) -> int:
        """Header, padding and a line per line of code."""
        if self.laid_at == column and not self.dirty:
            return self.height
        lines = self._lines + self.open_piece.count("\n") + 1
        return HEADER_PX + 2 * PAD_PX + 2 * GAP_PX + 20 * lines

    def layout(self, column: int) -> int:
        """The card spans the column; the code inside keeps its own width."""
        self.body.layout(column)
        self.width = column
        inner = column - 2 * PAD_PX
        overflow = self.body.doc.size().width() > inner
        bar = BAR_PX + 4 if overflow else 0
        self.height = GAP_PX + HEADER_PX + PAD_PX + self.body.height + PAD_PX + bar + GAP_PX
        self.x_offset = max(0, min(self.x_offset, self._max_offset()))
        self.laid_at, self.dirty = column, False
        return self.height

    def _max_offset(self) -> int:
        inner = self.width - 2 * PAD_PX
        return max(0, math.ceil(self.body.doc.size().width()) - inner)

    def _card(self) -> QRect:
        return QRect(0, GAP_PX, self.width, self.height - 2 * GAP_PX)

    def _code_rect(self) -> QRect:
        card = self._card()
        return QRect(
            PAD_PX, card.top() + HEADER_PX + PAD_PX, self.width - 2 * PAD_PX, self.body.height
        )

    def _copy_rect(self) -> QRect:
        metrics = QFontMetrics(self._small_font())
        width = metrics.horizontalAdvance(COPIED_LABEL) + 16
        return QRect(self.width - width - 8, GAP_PX + 4, width, HEADER_PX - 8)

    def _small_font(self) -> QFont:
        font = QFont(self.context.font)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        return font

    # ------------------------------------------------------------ paint

    def paint(self, painter: QPainter, clip: QRect) -> None:
        """The card, its header, the visible code, and the sideways bar."""
        theme = self.context.theme
        card = QRectF(self._card()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(theme.border), 1))
        painter.setBrush(QColor(theme.code_background))
        painter.drawRoundedRect(card, RADIUS_PX, RADIUS_PX)
        line_y = card.top() + HEADER_PX
        painter.drawLine(
            QRectF(card.left(), line_y, card.width(), 0).topLeft(),
            QRectF(card.right(), line_y, 0, 0).topLeft(),
        )
        painter.setFont(self._small_font())
        painter.setPen(QColor(theme.muted))
        label = self.language or "code"
        painter.drawText(
            QRect(PAD_PX, GAP_PX, self.width // 2, HEADER_PX), Qt.AlignmentFlag.AlignVCenter, label
        )
        copy = self._copy_rect()
        painter.setPen(QColor(theme.link))
        text = COPIED_LABEL if self.confirming else COPY_LABEL
        painter.drawText(copy, Qt.AlignmentFlag.AlignCenter, text)
        code = self._code_rect()
        painter.setClipRect(code.intersected(clip.adjusted(0, -1, 0, 1)))
        painter.translate(code.left() - self.x_offset, code.top())
        visible = QRect(self.x_offset, max(0, clip.top() - code.top()), code.width(), clip.height())
        self.body.paint(painter, visible)
        painter.restore()
        self._paint_bar(painter)

    def _paint_bar(self, painter: QPainter) -> None:
        most = self._max_offset()
        if most <= 0:
            return
        code = self._code_rect()
        total = code.width() + most
        length = max(24, code.width() * code.width() // total)
        x = code.left() + (code.width() - length) * self.x_offset // most
        y = code.bottom() + PAD_PX // 2 + 2
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = QColor(self.context.theme.muted)
        colour.setAlpha(140)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(x, y, length, BAR_PX), 3, 3)
        painter.restore()

    # ------------------------------------------------------------ input

    def hits(self) -> list[Hit]:
        """Copy, then the links in the code (none: code is never linked)."""
        return [Hit(f"rill:copy/{self.code_id}", self._copy_rect(), "Copy the code", COPY_LABEL)]

    def wheel(self, event: QWheelEvent, pos: QPoint) -> bool:
        """Sideways wheel (or Shift+wheel) over the code scrolls the code."""
        if self._max_offset() <= 0 or not self._code_rect().adjusted(0, 0, 0, PAD_PX).contains(pos):
            return False
        delta = event.angleDelta()
        dx = delta.x() or (
            delta.y() if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 0
        )
        if not dx:
            return False
        self.x_offset = max(0, min(self._max_offset(), self.x_offset - dx // 2))
        return True

    def text(self) -> str:
        """The code."""
        return self.code()

    @property
    def text_length(self) -> int:
        """Selectable positions of the code."""
        return self.body.text_length

    def position_at(self, pos: QPoint) -> int | None:
        """A position in the code (None over the header)."""
        code = self._code_rect()
        if pos.y() < code.top() - PAD_PX:
            return None
        return self.body.position_at(pos - code.topLeft() + QPoint(self.x_offset, 0))

    def set_selection(self, start: int, end: int) -> None:
        """Select code."""
        self.body.set_selection(start, end)

    def selected_text(self, start: int, end: int) -> str:
        """Selected code."""
        return self.body.selected_text(start, end)

    def search_text(self) -> str:
        """The code, one character per position."""
        return self.body.search_text()

    def position_y(self, position: int) -> int:
        """Below the header, the line holding ``position``."""
        return self._code_rect().top() + self.body.position_y(position)
