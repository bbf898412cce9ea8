"""Search results in the sidebar: one row per matching message, the hit highlighted.

A row shows the conversation's title and date, then the snippet around the hit as
rich text (``SearchHit.html()``: the matched words in bold, everything else escaped).
Activating a row (click, Enter) asks for a jump to that message.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from rill.core.generation import Role
from rill.gui.conversations.delegate import PAD_X, PAD_Y, when

if TYPE_CHECKING:
    from rill.core.store import SearchHit

HIT_ROLE = Qt.ItemDataRole.UserRole
SNIPPET_LINES = 2
Index = QModelIndex | QPersistentModelIndex


class SearchResultsModel(QAbstractListModel):
    """The hits of the last search, best first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.hits: list[SearchHit] = []

    def set_hits(self, hits: Sequence[SearchHit]) -> None:
        """Show ``hits``."""
        self.beginResetModel()
        self.hits = list(hits)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        """Qt: how many hits there are."""
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt: a hit (HIT_ROLE) or its title and snippet as text."""
        if not index.isValid() or not 0 <= index.row() < len(self.hits):
            return None
        hit = self.hits[index.row()]
        if role == HIT_ROLE:
            return hit
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{hit.title}: {hit.marked('', '')}"
        return None


class SearchHitDelegate(QStyledItemDelegate):
    """Title and date on one line; the snippet, hits in bold, on up to two more."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._doc = QTextDocument()
        self._doc.setDocumentMargin(0)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        """Qt: the title line and the snippet lines."""
        metrics = QFontMetrics(option.font)
        return QSize(120, PAD_Y * 2 + metrics.height() * (1 + SNIPPET_LINES) + 4)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        """Qt: the background, the title and the snippet with its marks."""
        self.initStyleOption(option, index)
        option.text = ""
        widget = option.widget
        if widget is not None:
            widget.style().drawControl(
                QStyle.ControlElement.CE_ItemViewItem, option, painter, widget
            )
        from rill.core.store import SearchHit  # loaded by then: hits come from the store

        hit = index.data(HIT_ROLE)
        if not isinstance(hit, SearchHit):
            return
        rect: QRect = option.rect.adjusted(PAD_X, PAD_Y, -PAD_X, -PAD_Y)
        palette: QPalette = option.palette
        painter.save()
        try:
            self._paint_hit(painter, rect, palette, option, hit)
        finally:
            painter.restore()

    def _paint_hit(
        self,
        painter: QPainter,
        rect: QRect,
        palette: QPalette,
        option: QStyleOptionViewItem,
        hit: SearchHit,
    ) -> None:
        font = option.font
        metrics = QFontMetrics(font)
        text = palette.color(QPalette.ColorRole.Text)
        muted = QColor(text)
        muted.setAlphaF(0.62)
        head = QRect(rect.left(), rect.top(), rect.width(), metrics.height())
        self._paint_head(painter, head, hit, text, muted)
        painter.setFont(font)
        who = "You: " if hit.role is Role.USER else ""
        self._doc.setDefaultFont(font)
        self._doc.setTextWidth(rect.width())
        colour = muted.name(QColor.NameFormat.HexArgb)
        self._doc.setHtml(
            f'<span style="color:{colour};">{who}</span>'
            f'<span style="color:{text.name()};">{hit.html()}</span>'
        )
        painter.translate(rect.left(), head.bottom() + 3)
        clip = QRectF(0, 0, rect.width(), self._lines_height(SNIPPET_LINES))
        painter.setClipRect(clip)
        context = QAbstractTextDocumentLayout.PaintContext()
        context.clip = clip
        self._doc.documentLayout().draw(painter, context)

    @staticmethod
    def _paint_head(
        painter: QPainter, head: QRect, hit: SearchHit, text: QColor, muted: QColor
    ) -> None:
        """The conversation's title in bold, the message's date on the right."""
        date = when(hit.created_at)
        date_w = painter.fontMetrics().horizontalAdvance(date) + 8
        font = painter.font()
        bold = painter.font()
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text)
        title = QFontMetrics(bold).elidedText(
            hit.title or "Untitled", Qt.TextElideMode.ElideRight, max(0, head.width() - date_w)
        )
        painter.drawText(head, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        painter.setFont(font)
        painter.setPen(muted)
        painter.drawText(head, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, date)

    def _lines_height(self, lines: int) -> float:
        """The height of the snippet's first ``lines`` lines, so none shows cut in half."""
        block = self._doc.begin()
        top = self._doc.documentLayout().blockBoundingRect(block).top()  # lays it out
        layout = block.layout()
        if layout is None or layout.lineCount() == 0:
            return 0.0
        return top + layout.lineAt(min(lines, layout.lineCount()) - 1).rect().bottom()


class SearchPanel(QListView):
    """The list of hits.

    Signals:
        hit_activated(object hit): the user chose a hit (a SearchHit) to jump to.
    """

    hit_activated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchResults")
        self.setAccessibleName("Search results")
        self.results = SearchResultsModel(self)
        self.setModel(self.results)
        self.setItemDelegate(SearchHitDelegate(self))
        self.setUniformItemSizes(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        # Clicks and Enter, not `activated`: some styles activate on a single click too,
        # which would jump twice.
        self.clicked.connect(self._on_activated)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Qt: Enter opens the selected hit."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activate_current()
            return
        super().keyPressEvent(event)

    def set_hits(self, hits: Sequence[SearchHit]) -> None:
        """Show ``hits`` with the first one selected."""
        self.results.set_hits(hits)
        if hits:
            self.setCurrentIndex(self.results.index(0))

    def hits(self) -> list[SearchHit]:
        """The hits shown."""
        return list(self.results.hits)

    def activate_current(self) -> bool:
        """Jump to the selected hit (or the first); False when there is none."""
        index = self.currentIndex()
        if not index.isValid() and self.results.rowCount():
            index = self.results.index(0)
        if not index.isValid():
            return False
        self._on_activated(index)
        return True

    def _on_activated(self, index: QModelIndex) -> None:
        from rill.core.store import SearchHit

        hit = index.data(HIT_ROLE)
        if isinstance(hit, SearchHit):
            self.hit_activated.emit(hit)
