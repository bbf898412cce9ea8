"""How a conversation row looks: the title (with a pin when pinned), then when and which
model, in two lines; and the inline editor that renames it (F2 or a double-click)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from rill.gui.conversations.model import STREAMING_ROLE, SUMMARY_ROLE

if TYPE_CHECKING:
    from rill.core.store import ConversationSummary

PAD_X, PAD_Y, GAP = 10, 7, 2
PIN_W = 12
ANSWERING = "● Answering…"


def when(timestamp: float, now: float | None = None) -> str:
    """A short date for a list: "14:02" today, "Yesterday", "Mon", "12 Mar", "12 Mar 2024"."""
    moment = datetime.fromtimestamp(timestamp)
    today = datetime.fromtimestamp(time.time() if now is None else now).date()
    days = (today - moment.date()).days
    if days <= 0:
        return moment.strftime("%H:%M")
    if days == 1:
        return "Yesterday"
    if days < 7:
        return moment.strftime("%a")
    if moment.year == today.year:
        return f"{moment.day} {moment.strftime('%b')}"
    return f"{moment.day} {moment.strftime('%b %Y')}"


def subtitle(
    summary: ConversationSummary, now: float | None = None, *, streaming: bool = False
) -> str:
    """The second line: when (or "● Answering…" while an answer streams) · the model."""
    bits = [ANSWERING if streaming else when(summary.updated_at, now)]
    if summary.model:
        bits.append(summary.model)
    return " · ".join(bits)


class ConversationDelegate(QStyledItemDelegate):
    """Paints two-line rows and edits titles in place."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # The row being renamed: its editor sits on the title line, which is not
        # painted under it (the two used to show through each other).
        self._editing: QPersistentModelIndex | None = None

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """Qt: two lines (title; when and model) with padding."""
        metrics = QFontMetrics(option.font)
        small = QFontMetrics(self._small_font(option.font))
        return QSize(120, PAD_Y * 2 + metrics.height() + GAP + small.height())

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        # The background (hover, selection, focus) as the style sheet draws it.
        """Qt: the row's background, title, time, model and badges."""
        self.initStyleOption(option, index)
        option.text = ""
        widget = option.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, widget)
        summary = index.data(SUMMARY_ROLE)
        rect: QRect = option.rect.adjusted(PAD_X, PAD_Y, -PAD_X, -PAD_Y)
        palette: QPalette = option.palette
        font: QFont = option.font
        editing = self._editing is not None and self._editing == QPersistentModelIndex(index)
        streaming = bool(index.data(STREAMING_ROLE))
        painter.save()
        try:
            self._paint_text(
                painter, rect, palette, font, summary, title=not editing, streaming=streaming
            )
        finally:
            painter.restore()

    def _paint_text(
        self,
        painter: QPainter,
        rect: QRect,
        palette: QPalette,
        font: QFont,
        summary: ConversationSummary | None,
        *,
        title: bool = True,
        streaming: bool = False,
    ) -> None:
        metrics = QFontMetrics(font)
        text_colour = palette.color(QPalette.ColorRole.Text)
        muted = QColor(text_colour)
        muted.setAlphaF(0.62)
        left = rect.left()
        if summary is not None and summary.pinned:
            self._paint_pin(
                painter, QPointF(left + 4, rect.top() + metrics.ascent() / 2 + 1), muted
            )
            left += PIN_W + 2
        name = (summary.title or "Untitled") if summary is not None else "…"
        title_rect = QRect(left, rect.top(), rect.right() - left, metrics.height())
        painter.setFont(font)
        painter.setPen(text_colour if summary is not None else muted)
        elided = metrics.elidedText(name, Qt.TextElideMode.ElideRight, title_rect.width())
        if title:
            painter.drawText(
                title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided
            )
        if summary is None:
            return
        small = self._small_font(font)
        small_metrics = QFontMetrics(small)
        line = QRect(
            rect.left(), title_rect.bottom() + 1 + GAP, rect.width(), small_metrics.height()
        )
        painter.setFont(small)
        # Answering: in the link colour (4.5:1 on the list and on a selected row).
        painter.setPen(palette.color(QPalette.ColorRole.Link) if streaming else muted)
        text = small_metrics.elidedText(
            subtitle(summary, streaming=streaming), Qt.TextElideMode.ElideRight, line.width()
        )
        painter.drawText(line, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)

    @staticmethod
    def _paint_pin(painter: QPainter, centre: QPointF, colour: QColor) -> None:
        """A small push-pin: a round head on a short needle."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(centre + QPointF(0, -2), 3.2, 3.2)
        painter.drawRect(int(centre.x()) - 1, int(centre.y()), 2, 5)

    @staticmethod
    def _small_font(font: QFont) -> QFont:
        small = QFont(font)
        size = font.pointSizeF()
        if size > 0:
            small.setPointSizeF(max(7.0, size * 0.86))
        return small

    # ------------------------------------------------------------ renaming

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        """Qt: the inline title editor."""
        editor = QLineEdit(parent)
        editor.setObjectName("renameEdit")
        editor.setAccessibleName("Conversation title")
        editor.setFrame(True)
        self._editing = QPersistentModelIndex(index)
        return editor

    def destroyEditor(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        """Qt: forget the row being edited."""
        self._editing = None
        super().destroyEditor(editor, index)

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        """Qt: start editing with the whole title selected."""
        if isinstance(editor, QLineEdit):
            editor.setText(str(index.data(Qt.ItemDataRole.EditRole) or ""))
            editor.selectAll()

    def updateEditorGeometry(
        self,
        editor: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        # Over the title line only, ending above the second line (when, model).
        """Qt: the editor covers the title line only."""
        rect: QRect = option.rect
        title_bottom = rect.top() + PAD_Y + QFontMetrics(option.font).height()
        top = rect.top() + 1
        height = min(editor.sizeHint().height(), title_bottom + GAP - top)
        editor.setGeometry(rect.left() + 4, top, rect.width() - 8, height)
