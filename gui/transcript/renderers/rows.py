"""A titled list of one-line rows inside a card that never grows past a few rows.

The Sources under a grounded answer and the pages URL context read are such lists. A
list of hundreds of entries stays inside its card: the card shows ``max_rows`` rows
and scrolls them (the wheel over the list, or the ▲ ▼ buttons in its header, which a
keyboard user reaches with Tab). Laying one out costs the same for 5 rows or 5,000,
and a paint draws only the rows in view. Every word in a row is a server's: it is
painted as plain text, elided to the row, never loaded or parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QRect, QRectF, Qt, QUrl
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen, QWheelEvent

from rill.gui.transcript.link_guard import hover_text, is_external
from rill.gui.transcript.renderers.base import Block, Context, Hit
from rill.gui.transcript.renderers.lines import small_font

GAP_PX = 12  # space above and below the card
PAD_PX = 12
RADIUS_PX = 8
MAX_ROWS = 8
WHEEL_ROWS = 3  # rows per wheel notch
LEAD_PX = 34  # the column of numbers or status marks
TITLE_LIMIT = 300  # characters of a row's text kept (a server may send megabytes)


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a list: a lead (a number, a mark), a title, a muted detail.

    ``href``: where a click on the row goes (an http/https link; "" for none);
    ``name``: what the row is called to the link guard and to screen readers;
    ``lead_role``: the palette colour of the lead.
    """

    lead: str
    title: str
    detail: str = ""
    href: str = ""
    name: str = ""
    lead_role: str = "muted"


def clip(text: str, limit: int = TITLE_LIMIT) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    line = " ".join(text[: limit * 2].split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class RowsBlock(Block):
    """A heading and its rows, ``max_rows`` of them in view at once."""

    def __init__(
        self, context: Context, heading: str, rows: list[Row], *, max_rows: int = MAX_ROWS
    ) -> None:
        super().__init__()
        self.context = context
        self.heading = heading
        self.rows = rows
        self.max_rows = max(1, max_rows)
        self.first = 0  # the row at the top of the list's view
        self.block_id = context.register(self)

    # ------------------------------------------------------------ geometry

    def _row_px(self) -> int:
        return QFontMetrics(small_font(self.context, 1.0)).height() + 10

    def _head_px(self) -> int:
        return QFontMetrics(small_font(self.context, bold=True)).height() + 14

    @property
    def shown_rows(self) -> int:
        """How many rows the card has room for."""
        return min(len(self.rows), self.max_rows)

    @property
    def scrolls(self) -> bool:
        """Whether more rows exist than the card shows."""
        return len(self.rows) > self.max_rows

    def estimate(self, column: int) -> int:
        """Exact: a header and a fixed number of rows."""
        del column
        rows = self.shown_rows * self._row_px()
        return 2 * GAP_PX + self._head_px() + rows + PAD_PX // 2

    def layout(self, column: int) -> int:
        """The card spans the column."""
        self.width = column
        self.height = self.estimate(column)
        self.laid_at, self.dirty = column, False
        return self.height

    def _row_rect(self, index: int) -> QRect:
        top = GAP_PX + self._head_px() + (index - self.first) * self._row_px()
        return QRect(PAD_PX // 2, top, self.width - PAD_PX - self._bar_room(), self._row_px())

    def _bar_room(self) -> int:
        return 8 if self.scrolls else 0

    def _page_rects(self) -> tuple[QRect, QRect]:
        size = self._head_px() - 8
        right = self.width - PAD_PX // 2
        down = QRect(right - size, GAP_PX + 4, size, size)
        return down.translated(-size - 4, 0), down

    # ------------------------------------------------------------ scrolling

    def scroll_to(self, first: int) -> bool:
        """Show the rows from ``first`` on; True when the view moved."""
        first = max(0, min(first, len(self.rows) - self.max_rows))
        moved, self.first = first != self.first, first
        if moved:
            self.context.hits_moved += 1  # other rows under the keyboard's stand-ins
        return moved

    def page(self, direction: str) -> None:
        """A page of rows up ("up") or down (anything else)."""
        step = self.max_rows - 1 if self.max_rows > 1 else 1
        self.scroll_to(self.first + (-step if direction == "up" else step))

    def wheel(self, event: QWheelEvent, pos: QPoint) -> bool:
        """The wheel over the rows scrolls them, until the list's end (then the pane)."""
        if not self.scrolls or pos.y() < GAP_PX + self._head_px():
            return False
        notches = event.angleDelta().y() / 120
        if not notches:
            return False
        rows = -round(notches * WHEEL_ROWS) or (-1 if notches > 0 else 1)
        return self.scroll_to(self.first + rows)

    # ------------------------------------------------------------ paint

    def paint(self, painter: QPainter, clip: QRect) -> None:
        """The card, its heading, the rows in view and where the view is in the list."""
        del clip
        theme, palette = self.context.theme, self.context.palette
        card = QRectF(0.5, GAP_PX + 0.5, self.width - 1, self.height - 2 * GAP_PX - 1)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(theme.border), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(card, RADIUS_PX, RADIUS_PX)
        painter.setFont(small_font(self.context, bold=True))
        painter.setPen(QColor(palette.text))
        head = QRect(PAD_PX, GAP_PX, self.width - 2 * PAD_PX, self._head_px())
        painter.drawText(head, Qt.AlignmentFlag.AlignVCenter, self._heading_text())
        if self.scrolls:
            painter.setFont(small_font(self.context))
            painter.setPen(QColor(palette.link))
            up, down = self._page_rects()
            painter.drawText(up, Qt.AlignmentFlag.AlignCenter, "▲")
            painter.drawText(down, Qt.AlignmentFlag.AlignCenter, "▼")
        for index in range(self.first, min(len(self.rows), self.first + self.max_rows)):
            self._paint_row(painter, index)
        painter.restore()
        self._paint_bar(painter)

    def _heading_text(self) -> str:
        if not self.scrolls:
            return self.heading
        last = min(len(self.rows), self.first + self.max_rows)
        return f"{self.heading}  ·  {self.first + 1}–{last} of {len(self.rows):,}"

    def _paint_row(self, painter: QPainter, index: int) -> None:
        row, rect = self.rows[index], self._row_rect(index)
        palette = self.context.palette
        font = small_font(self.context, 1.0)
        metrics = QFontMetrics(font)
        painter.setFont(font)
        painter.setPen(QColor(getattr(palette, row.lead_role, palette.muted)))
        lead = QRect(rect.left(), rect.top(), LEAD_PX, rect.height())
        painter.drawText(lead, Qt.AlignmentFlag.AlignCenter, row.lead)
        room = rect.width() - LEAD_PX - 8
        detail_w = min(metrics.horizontalAdvance(row.detail), room // 2) if row.detail else 0
        title_w = room - detail_w - (12 if detail_w else 0)
        title = metrics.elidedText(row.title, Qt.TextElideMode.ElideRight, title_w)
        painter.setPen(QColor(palette.link if row.href else palette.text))
        x = rect.left() + LEAD_PX + 4
        middle = Qt.AlignmentFlag.AlignVCenter
        painter.drawText(QRect(x, rect.top(), title_w, rect.height()), middle, title)
        if detail_w:
            detail = metrics.elidedText(row.detail, Qt.TextElideMode.ElideMiddle, detail_w)
            painter.setPen(QColor(palette.muted))
            at = x + metrics.horizontalAdvance(title) + 12
            painter.drawText(QRect(at, rect.top(), detail_w, rect.height()), middle, detail)

    def _paint_bar(self, painter: QPainter) -> None:
        if not self.scrolls:
            return
        top = GAP_PX + self._head_px()
        track = self.shown_rows * self._row_px()
        length = max(16, track * self.max_rows // len(self.rows))
        span = len(self.rows) - self.max_rows
        y = top + (track - length) * self.first // span
        colour = QColor(self.context.theme.muted)
        colour.setAlpha(140)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(self.width - PAD_PX // 2 - 6, y, 4, length), 2, 2)
        painter.restore()

    # ------------------------------------------------------------ input and text

    def hits(self) -> list[Hit]:
        """The ▲ ▼ buttons (when the list scrolls), then the linked rows in view."""
        out: list[Hit] = []
        if self.scrolls:
            up, down = self._page_rects()
            base = f"rill:page-part/{self.block_id}"
            out.append(Hit(f"{base}/up", up, "Show the rows above", f"Earlier {self.heading}"))
            out.append(Hit(f"{base}/down", down, "Show the rows below", f"More {self.heading}"))
        for index in range(self.first, min(len(self.rows), self.first + self.max_rows)):
            row = self.rows[index]
            if row.href:
                tip = hover_text(QUrl(row.href))
                out.append(Hit(row.href, self._row_rect(index), tip, row.name or row.title))
        return out

    def text(self) -> str:
        """The heading and every row (the ones scrolled away too)."""
        lines = [self.heading]
        for row in self.rows:
            detail = f" ({row.detail})" if row.detail else ""
            lines.append(f"{row.lead} {row.title}{detail}".strip())
        return "\n".join(lines)


def link_or_empty(uri: str | None) -> str:
    """``uri`` when a click may open it (http or https, parseable), else ""."""
    if not uri or len(uri) > 4096:
        return ""
    url = QUrl(uri, QUrl.ParsingMode.StrictMode)
    if not url.isValid() or not is_external(url) or url.scheme().lower() == "mailto":
        return ""
    return uri
