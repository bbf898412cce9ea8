"""Small painted lines of a card: a disclosure, a header, a marker, waiting dots.

Each is one line of small text (elided to the column, never wrapped) that may be a
button: its whole width is then a :class:`Hit` with the line's ``href``.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter

from rill.gui.transcript.renderers.base import Block, Context, Hit

SMALL = 0.9  # small type, relative to the body font


def small_font(context: Context, scale: float = SMALL, *, bold: bool = False) -> QFont:
    """The body font scaled (footers, headers, labels)."""
    font = QFont(context.font)
    if font.pointSizeF() > 0:
        font.setPointSizeF(max(7.0, font.pointSizeF() * scale))
    font.setBold(bold)
    return font


class LineBlock(Block):
    """One line of text in a palette colour; a button when it has an ``href``."""

    def __init__(
        self,
        context: Context,
        text: str,
        *,
        href: str = "",
        tip: str = "",
        role: str = "muted",
        top: int = 4,
        bottom: int = 4,
        bold: bool = False,
        align_right: bool = False,
    ) -> None:
        super().__init__()
        self.context = context
        self.label = text
        self.href = href
        self.tip = tip
        self.role = role
        self.top = top
        self.bottom = bottom
        self.bold = bold
        self.align_right = align_right

    def set_text(self, text: str) -> None:
        """Change what the line says (same height)."""
        self.label = text

    def _font(self) -> QFont:
        return small_font(self.context, bold=self.bold)

    def estimate(self, column: int) -> int:
        """Always exact: one line."""
        del column
        return self.top + QFontMetrics(self._font()).height() + 4 + self.bottom

    def layout(self, column: int) -> int:
        """One line at the column's width."""
        self.width = column
        self.height = self.estimate(column)
        self.laid_at, self.dirty = column, False
        return self.height

    def _text_rect(self) -> QRect:
        metrics = QFontMetrics(self._font())
        width = min(self.width, metrics.horizontalAdvance(self.label) + 8)
        x = self.width - width if self.align_right else 0
        return QRect(x, self.top, width, metrics.height() + 4)

    def paint(self, painter: QPainter, clip: QRect) -> None:
        """The text, elided to the column."""
        del clip
        font = self._font()
        painter.save()
        painter.setFont(font)
        painter.setPen(QColor(getattr(self.context.palette, self.role)))
        rect = self._text_rect()
        text = QFontMetrics(font).elidedText(self.label, Qt.TextElideMode.ElideRight, self.width)
        align = Qt.AlignmentFlag.AlignRight if self.align_right else Qt.AlignmentFlag.AlignLeft
        painter.drawText(rect.adjusted(0, 0, 0, 0), align | Qt.AlignmentFlag.AlignVCenter, text)
        painter.restore()

    def hits(self) -> list[Hit]:
        """The whole line when it is a button."""
        return [Hit(self.href, self._text_rect(), self.tip, self.label)] if self.href else []

    def text(self) -> str:
        """What the line says."""
        return self.label


class WaitingBlock(Block):
    """Three dots at the end of a live answer; ``phase`` moves the bright one. Before
    the first word they are the answer's text (for screen readers); once it streams
    (``streaming``) they only mark where it grows."""

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.context = context
        self.phase = 0
        self.streaming = False

    def estimate(self, column: int) -> int:
        """Always 32 px."""
        del column
        return 32

    def layout(self, column: int) -> int:
        """A fixed height."""
        self.width, self.height = column, 32
        self.laid_at, self.dirty = column, False
        return self.height

    def text(self) -> str:
        """The dots, for the pane's text (and screen readers), until the first word."""
        return "" if self.streaming else "● ● ●"

    def paint(self, painter: QPainter, clip: QRect) -> None:
        """The dots."""
        del clip
        palette = self.context.palette
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        for i in range(3):
            painter.setBrush(QColor(palette.link if i == self.phase % 3 else palette.muted))
            painter.drawEllipse(4 + i * 14, 12, 8, 8)
        painter.restore()
