"""Notices under an answer: the error card with Retry, "Stopped", "Interrupted", and
the retry countdown. Everything a server or provider said is plain text here."""

from __future__ import annotations

import html

from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen

from rill.core.types import Message, MessageStatus
from rill.gui.transcript.message_html import ERROR_TITLES
from rill.gui.transcript.renderers.base import Block, Context, Hit
from rill.gui.transcript.renderers.doc_block import DocBlock
from rill.gui.transcript.renderers.lines import LineBlock, small_font

PAD_PX = 12
RADIUS_PX = 8
BUTTON_PX = 30
GAP_PX = 8


def error_title(message: Message) -> str:
    """The card's title for a failed or blocked answer."""
    if message.status is MessageStatus.BLOCKED:
        return ERROR_TITLES["blocked"]
    return ERROR_TITLES.get(message.error_kind or "", "The answer failed")


class ErrorCard(Block):
    """A failed or blocked answer: title, the human message, and ⟳ Retry when it can act."""

    def __init__(self, context: Context, message: Message, card_id: int, *, retry: bool) -> None:
        super().__init__()
        self.context = context
        self.card_id = card_id
        self.retry = retry
        self.countdown = ""  # "Retrying in 14 s…" while the session waits
        self.body = DocBlock(context)
        title = html.escape(error_title(message))
        detail = html.escape(message.error or "Something went wrong.")
        colour = context.palette.error_title
        self.body.add(
            f'<p style="margin:0px; margin-bottom:4px; color:{colour};"><b>{title}</b></p>'
            f'<p style="margin:0px; white-space:pre-wrap;">{detail}</p>'
        )

    def estimate(self, column: int) -> int:
        """The body's guess plus the frame."""
        if self.laid_at == column and not self.dirty:
            return self.height
        return self.body.estimate(column) + 2 * PAD_PX + 2 * GAP_PX + BUTTON_PX

    def layout(self, column: int) -> int:
        """The message wraps inside the card."""
        self.body.layout(column - 2 * PAD_PX)
        self.width = column
        extra = BUTTON_PX if self.retry or self.countdown else 0
        self.height = GAP_PX + PAD_PX + self.body.height + extra + PAD_PX + GAP_PX
        self.laid_at, self.dirty = column, False
        return self.height

    def _retry_rect(self) -> QRect:
        metrics = QFontMetrics(small_font(self.context, 1.0, bold=True))
        y = GAP_PX + PAD_PX + self.body.height + 4
        return QRect(PAD_PX, y, metrics.horizontalAdvance("⟳ Retry") + 20, BUTTON_PX - 6)

    def paint(self, painter: QPainter, clip: QRect) -> None:
        """The tinted card, the text, the button and the countdown."""
        palette = self.context.palette
        card = QRectF(0.5, GAP_PX + 0.5, self.width - 1, self.height - 2 * GAP_PX - 1)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(palette.error_border), 1))
        painter.setBrush(QColor(palette.error_bg))
        painter.drawRoundedRect(card, RADIUS_PX, RADIUS_PX)
        painter.translate(PAD_PX, GAP_PX + PAD_PX)
        self.body.paint(painter, clip.translated(-PAD_PX, -GAP_PX - PAD_PX))
        painter.restore()
        x = PAD_PX
        if self.retry:
            button = self._retry_rect()
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(palette.link), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(button).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
            painter.setFont(small_font(self.context, 1.0, bold=True))
            painter.drawText(button, Qt.AlignmentFlag.AlignCenter, "⟳ Retry")
            painter.restore()
            x = button.right() + 12
        if self.countdown:
            painter.save()
            painter.setFont(small_font(self.context))
            painter.setPen(QColor(palette.notice))
            y = GAP_PX + PAD_PX + self.body.height + 4
            painter.drawText(
                QRect(x, y, self.width - x - PAD_PX, BUTTON_PX - 6),
                Qt.AlignmentFlag.AlignVCenter,
                f"⟳ {self.countdown}",
            )
            painter.restore()

    def hits(self) -> list[Hit]:
        """Retry, when the pane can act on turns."""
        if not self.retry:
            return []
        return [
            Hit(f"rill:retry/{self.card_id}", self._retry_rect(), "Send this turn again", "⟳ Retry")
        ]

    def text(self) -> str:
        """Title and message (and Retry, as the old pane's text had it)."""
        tail = "\n⟳ Retry" if self.retry else ""
        countdown = f"\n⟳ {self.countdown}" if self.countdown else ""
        return self.body.text() + tail + countdown

    def position_at(self, pos: QPoint) -> int | None:
        """Positions in the message text."""
        return self.body.position_at(pos - QPoint(PAD_PX, GAP_PX + PAD_PX))

    @property
    def text_length(self) -> int:
        """The message text's length."""
        return self.body.text_length

    def set_selection(self, start: int, end: int) -> None:
        """Select message text."""
        self.body.set_selection(start, end)

    def selected_text(self, start: int, end: int) -> str:
        """The selected message text."""
        return self.body.selected_text(start, end)


def marker(context: Context, message: Message, card_id: int, *, actions: bool) -> list[Block]:
    """ "■ Stopped" / "■ Interrupted …" (with ⟳ Retry for an interrupted answer)."""
    if message.status is MessageStatus.STOPPED:
        return [LineBlock(context, "■ Stopped", top=6, bottom=0)]
    if message.status is MessageStatus.INTERRUPTED:
        out: list[Block] = [
            LineBlock(context, "■ Interrupted: the app closed mid-answer", top=6, bottom=0)
        ]
        if actions:
            out.append(
                LineBlock(
                    context,
                    "⟳ Retry",
                    href=f"rill:regenerate/{card_id}",
                    role="link",
                    tip="Ask for this answer again",
                )
            )
        return out
    return []


def countdown(context: Context, text: str) -> LineBlock:
    """ "⟳ Retrying in 14 s…" under an answer (``text`` is plain)."""
    return LineBlock(context, f"⟳ {text}", role="notice", top=6, bottom=6)
