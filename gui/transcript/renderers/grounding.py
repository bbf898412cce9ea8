"""Google Search grounding: numbered markers in the answer, its Sources, its searches.

Gemini marks each grounded stretch of the answer with UTF-8 byte offsets into the
answer's text parts (``rill.core.citations`` turns them into positions and never
raises). Here each marker becomes a link in the answer's Markdown, "[1]" with the
number linked to its source, so a click goes through the link guard like any link.
Under the answer, the Sources list (title, site) and Google's search suggestions: the
queries Google ran, each a plain link to its Google search. ``searchEntryPoint``'s
HTML is never rendered and nothing remote is ever loaded.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import quote_plus

from PySide6.QtCore import QRect, QRectF, Qt, QUrl
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen

from rill.core.answer_types import Grounding
from rill.core.citations import markers, source_title
from rill.core.links import host_of
from rill.core.types import Part
from rill.gui.transcript.link_guard import hover_text
from rill.gui.transcript.renderers.base import Block, Context, Hit, PartView
from rill.gui.transcript.renderers.lines import small_font
from rill.gui.transcript.renderers.rows import Row, RowsBlock, clip, link_or_empty

SEARCH_URL = "https://www.google.com/search?q="
# Gemini's grounding links go through Google's redirect; their title is the site.
REDIRECT_HOST = "vertexaisearch.cloud.google.com"
MAX_QUERIES = 12
MAX_MARKER_NUMBERS = 5  # numbers in one marker; a stretch naming more ends with "…"
QUERY_LIMIT = 80
CHIP_PAD_PX = 10
CHIP_GAP_PX = 6
_NUMBER = re.compile(r"\d+")
_UNSAFE_IN_LINK = re.compile(r"[\s()<>\\]")


def _marker_markdown(numbers: str, links: list[str]) -> str:
    """``[1][3]`` as Markdown: each number linked to its source where it has a link."""
    out = []
    found_all = _NUMBER.findall(numbers)
    for found in found_all[:MAX_MARKER_NUMBERS]:
        n = int(found)
        uri = links[n - 1] if 0 < n <= len(links) else ""
        # The brackets as entities: a backslash-escaped one would open TeX display math.
        out.append(f"&#91;[{n}]({uri})&#93;" if uri else f"&#91;{n}&#93;")
    if len(found_all) > MAX_MARKER_NUMBERS:
        out.append("&#91;…&#93;")
    return "".join(out)


def _source_links(grounding: Grounding) -> list[str]:
    links = []
    for source in grounding.sources:
        uri = link_or_empty(source.uri)
        links.append("" if _UNSAFE_IN_LINK.search(uri) else uri)
    return links


def cited_parts(parts: list[Part], grounding: Grounding | None) -> tuple[list[Part], int]:
    """``parts`` with a marker after each grounded stretch of their text, and how many
    places got one. Offsets count the text parts alone (thoughts out), as Gemini's do;
    a marker at the seam of two parts ends the first. Never raises."""
    texts = [p.text or "" for p in parts if p.is_text]
    where = markers("".join(texts), grounding) if grounding is not None else {}
    if not where or grounding is None:
        return list(parts), 0
    links = _source_links(grounding)
    ordered = sorted(where)
    out: list[Part] = []
    offset, next_marker = 0, 0
    for part in parts:
        if not part.is_text or part.text is None:
            out.append(part)
            continue
        end = offset + len(part.text)
        pieces, done = [], 0
        while next_marker < len(ordered) and ordered[next_marker] <= end:
            at = ordered[next_marker] - offset
            pieces += [part.text[done:at], _marker_markdown(where[ordered[next_marker]], links)]
            done = at
            next_marker += 1
        pieces.append(part.text[done:])
        out.append(replace(part, text="".join(pieces)))
        offset = end
    return out, len(where)


def source_rows(grounding: Grounding) -> list[Row]:
    """A row per source: its number, title and site; a link where it has one."""
    rows = []
    for number, source in enumerate(grounding.sources, start=1):
        title = clip(source_title(source, number))
        href = link_or_empty(source.uri)
        host = host_of(href) or ""
        redirect = host == REDIRECT_HOST
        detail = "" if redirect else host
        if source.kind == "retrieved" and not href:
            detail = "document"
        # Through Google's redirect the title is all that names the site: the row's
        # name is then not read as an address (the tip shows where it goes).
        name = f"Source {number}: {title}" if redirect else title
        rows.append(Row(str(number), title, detail, href, name))
    return rows


class SuggestionsBlock(Block):
    """Google's search suggestions: each query a chip linking to its Google search."""

    def __init__(self, context: Context, queries: tuple[str, ...]) -> None:
        super().__init__()
        self.context = context
        cleaned = (clip(q, QUERY_LIMIT) for q in queries[:MAX_QUERIES] if isinstance(q, str))
        self.queries = [q for q in cleaned if q]
        self.chips: list[QRect] = []
        self._label = "Google Search suggestions"

    def _chip_px(self) -> int:
        return QFontMetrics(small_font(self.context)).height() + 10

    def estimate(self, column: int) -> int:
        """The label and one row of chips (more when laid out narrower)."""
        if self.laid_at == column and not self.dirty:
            return self.height
        return 8 + self._chip_px() + 4 + self._chip_px() + 8

    def layout(self, column: int) -> int:
        """Chips flow in rows across the column."""
        metrics = QFontMetrics(small_font(self.context))
        chip = self._chip_px()
        x, y = 0, 8 + chip + 4
        self.chips = []
        for query in self.queries:
            width = min(column, metrics.horizontalAdvance(query) + 2 * CHIP_PAD_PX)
            if x and x + width > column:
                x, y = 0, y + chip + CHIP_GAP_PX
            self.chips.append(QRect(x, y, width, chip))
            x += width + CHIP_GAP_PX
        self.width = column
        self.height = y + chip + 8
        self.laid_at, self.dirty = column, False
        return self.height

    def paint(self, painter: QPainter, clip_rect: QRect) -> None:
        """The label, then a pill per query."""
        del clip_rect
        palette, theme = self.context.palette, self.context.theme
        font = small_font(self.context)
        metrics = QFontMetrics(font)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(font)
        painter.setPen(QColor(palette.muted))
        label = QRect(0, 8, self.width, self._chip_px())
        painter.drawText(label, Qt.AlignmentFlag.AlignVCenter, self._label)
        for query, rect in zip(self.queries, self.chips, strict=False):  # (none before layout)
            painter.setPen(QPen(QColor(theme.border), 1))
            painter.setBrush(QColor(theme.code_background))
            radius = rect.height() / 2
            painter.drawRoundedRect(QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
            painter.setPen(QColor(palette.link))
            room = rect.width() - 2 * CHIP_PAD_PX
            shown = metrics.elidedText(query, Qt.TextElideMode.ElideRight, room)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, shown)
        painter.restore()

    def hits(self) -> list[Hit]:
        """Each chip opens the Google search for its query."""
        out = []
        for query, rect in zip(self.queries, self.chips, strict=False):
            href = SEARCH_URL + quote_plus(query)
            out.append(Hit(href, rect, hover_text(QUrl(href)), f"Search Google for {query}"))
        return out

    def text(self) -> str:
        """The label and the queries."""
        return "\n".join([self._label, *self.queries])


class GroundingView(PartView):
    """What grounded an answer, under it: the Sources list and the searches."""

    kind = "grounding"

    def __init__(self, context: Context, grounding: Grounding) -> None:
        super().__init__()
        rows = source_rows(grounding)
        if rows:
            self.blocks.append(RowsBlock(context, "Sources", rows))
        suggestions = SuggestionsBlock(context, grounding.queries)
        if suggestions.queries:
            self.blocks.append(suggestions)
