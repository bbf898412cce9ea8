"""The chat surface: message cards in a virtualised, centred reading column.

Only the cards in view are built, laid out and painted, and within a card only the
blocks in view: a chat of 5,000 messages costs what its last screen costs, and a
1,000,000-character answer what its visible part costs. Heights are estimates until
a card or block is first laid out; when one turns out different, the text the reader
looks at stays where it is (an anchor: a block and an offset into it), or the view
stays at the bottom while it follows the end. Streaming touches only the live card.
Cards far out of view give their blocks back (memory), keeping their heights.
"""

from __future__ import annotations

import bisect
import time
from collections import OrderedDict
from collections.abc import Iterator
from itertools import accumulate

from PySide6.QtCore import QPoint, QRect, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractScrollArea, QFrame, QWidget

from rill.gui.transcript.cards import BOTTOM_PX, Card
from rill.gui.transcript.renderers.base import Block, Context, join_lines

MAX_COLUMN_PX = 760  # the reading column at most; full width below that
SIDE_PX = 16  # margin either side of the column
BOTTOM_SLACK_PX = 8  # this close to the bottom still counts as "at the bottom"
END_PAD_PX = 16  # space after the last card
KEEP_BUILT = 48  # cards whose blocks are kept while out of view
HIGHLIGHT_S = 1.6
PAINT_DECAY = 0.9  # how fast a slow paint's cost is forgotten
RENDER_IN_PAINT_S = 0.002  # text of cards coming into view rendered before a paint


class SurfaceGeometry(QAbstractScrollArea):
    """Cards stacked in a column, with estimates, anchoring and following."""

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        # The paint fills its whole rectangle itself: Qt need not clear it first.
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.context = context
        self.cards: list[Card] = []
        self._tops: list[int] = [0]
        self._column = -1
        self._following = True
        self._anchor: tuple[Card, int, int] | None = None  # card, block, offset
        self._scrolling = False
        self._painting_all = False  # in a paint of the whole view (see _repaint)
        self._quiet = False  # in an update_range that does not paint
        self.paint_asked = False  # a paint of the view is on its way (request_paint)
        self.paint_s = 0.003  # what a paint of the view costs (UI-thread CPU, lately)
        self.scrolled_at = -1.0  # time.monotonic() when the reader last scrolled
        self.bottom_pinned = True  # the bottom of the view follows the end when True
        self._built: OrderedDict[int, Card] = OrderedDict()
        self.highlighted: Card | None = None
        self._kept: Card | None = None  # stays built though far from view (a find's match)
        self._highlight_until = 0.0
        self._highlight_timer = QTimer(self)
        self._highlight_timer.setSingleShot(True)
        self._highlight_timer.timeout.connect(self._on_highlight_timer_timeout)
        bar = self.verticalScrollBar()
        bar.setSingleStep(48)
        bar.valueChanged.connect(self._on_scroll_value_changed)

    # ------------------------------------------------------------ geometry

    @property
    def column(self) -> int:
        """The reading column's width."""
        return max(120, min(MAX_COLUMN_PX, self.viewport().width() - 2 * SIDE_PX))

    @property
    def column_x(self) -> int:
        """Where the column starts in the viewport."""
        return max(0, (self.viewport().width() - self.column) // 2)

    def card_top(self, index: int) -> int:
        """Content y of card ``index``."""
        return self._tops[index]

    @property
    def content_height(self) -> int:
        """The height of everything."""
        return self._tops[-1] + END_PAD_PX

    def restack_from(self, index: int) -> None:
        """Recompute the tops of the cards from ``index`` on (heights may have changed)."""
        column = self.column
        index = max(0, min(index, len(self.cards)))
        cards = self.cards
        # A comprehension and accumulate, not a loop of appends: at 5,000 cards this
        # runs on every height change in view (a wheel flick, a streamed frame).
        heights = [card.height for card in cards[index:]]
        if heights and min(heights) <= 0:
            for n, card in enumerate(cards[index:]):
                if card.height <= 0:
                    card.height = heights[n] = card.estimate(column)
        del self._tops[index + 1 :]
        self._tops += accumulate(heights, initial=self._tops[index])
        del self._tops[index + 1]  # accumulate starts with the initial value

    def restack_range(self, start: int, stop: int) -> None:
        """Recompute the tops after cards ``start`` to ``stop`` (exclusive), whose
        heights may have changed: the cards after them only move by the difference.
        A wheel flick changes a screenful of heights; :meth:`restack_from` read every
        card's height after them (5,000 attribute reads, ~1 ms) several times a step."""
        stop = min(stop, len(self.cards))
        if start >= stop:
            return
        tops = self._tops
        before = tops[stop]
        for i in range(start, stop):
            card = self.cards[i]
            if card.height <= 0:
                card.height = card.estimate(self.column)
            tops[i + 1] = tops[i] + card.height
        shift = tops[stop] - before
        if shift:
            tops[stop + 1 :] = [top + shift for top in tops[stop + 1 :]]

    def reindex(self, start: int = 0) -> None:
        """Number the cards again from ``start`` (after an insertion or removal)."""
        for i in range(start, len(self.cards)):
            self.cards[i].index = i

    def card_changed(self, card: Card, *, paint: bool = True) -> None:
        """``card``'s blocks or chrome changed: its height and everything after it
        (repainted now, or not: ``paint`` False, the caller paints later)."""
        if not (0 <= card.index < len(self.cards)) or self.cards[card.index] is not card:
            return
        if card.built:
            card.height = card.block_tops(self.column)[-1] + BOTTOM_PX
        else:
            card.height = card.estimate(self.column)
        self.restack_from(card.index)
        self.update_range(paint=paint)

    def card_at(self, y: int) -> int:
        """The index of the card at content ``y`` (-1: none)."""
        i = bisect.bisect_right(self._tops, y) - 1
        return i if 0 <= i < len(self.cards) else -1

    def visible(self) -> Iterator[Card]:
        """The cards overlapping the view now."""
        top = self.verticalScrollBar().value()
        bottom = top + self.viewport().height()
        i = max(0, self.card_at(top))
        while i < len(self.cards) and self._tops[i] < bottom:
            yield self.cards[i]
            i += 1

    # ------------------------------------------------------------ scrolling

    @property
    def following(self) -> bool:
        """Whether the view follows the end of the chat (the reader is at the bottom)."""
        return self._following

    def update_range(self, *, paint: bool = True) -> None:
        """Set the scroll bar to the content and put the view back where it belongs:
        at the bottom while following, else at the anchored text; then repaint
        (unless not ``paint``)."""
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        self._scrolling = True
        self._quiet = not paint
        try:
            bar.setPageStep(page)
            bar.setRange(0, max(0, self.content_height - page))
            if self._following:
                bar.setValue(bar.maximum())
            elif self._anchor is not None:
                bar.setValue(self._anchored_y())
        finally:
            self._scrolling = self._quiet = False
        if paint:
            self._repaint()

    def _anchored_y(self) -> int:
        assert self._anchor is not None
        card, block, offset = self._anchor
        if not (0 <= card.index < len(self.cards)) or self.cards[card.index] is not card:
            self._anchor = None
            return self.verticalScrollBar().value()
        y = self._tops[card.index]
        if card.built and block >= 0:
            tops = card.block_tops(self.column)
            y += tops[min(block, len(tops) - 1)]
        return y + offset

    def set_anchor(self) -> None:
        """Remember the text at the top of the view (it stays put from now on)."""
        y = self.verticalScrollBar().value()
        i = self.card_at(y)
        if i < 0:
            self._anchor = None
            return
        card = self.cards[i]
        within = y - self._tops[i]
        block = card.block_at(self.column, within) if card.built else -1
        if block >= 0:
            within -= card.block_tops(self.column)[block]
        self._anchor = (card, block, within)

    def _repaint(self) -> None:
        # Not from inside a paint of the whole view: it paints what its layout settled
        # on, and asking again scheduled a second paint of the same frame (every
        # streamed frame was painted twice).
        if not self._painting_all and not self._quiet:
            self.request_paint()

    def request_paint(self) -> None:
        """Ask for a paint of the view, noting that one is on its way (work in slices
        lets it go first: a slice and a paint in one turn were one long stall)."""
        self.paint_asked = True
        self.viewport().update()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        """The scroll bar moved: repaint (see :meth:`_repaint`)."""
        del dx, dy
        self._repaint()

    def _on_scroll_value_changed(self, value: int) -> None:
        self._repaint()
        if self._scrolling:
            return
        self.scrolled_at = time.monotonic()
        bar = self.verticalScrollBar()
        self._following = value >= bar.maximum() - BOTTOM_SLACK_PX and self.bottom_pinned
        self.set_anchor()

    def scroll_to_bottom(self) -> None:
        """Jump to the end and follow it again."""
        self._following = True
        self._anchor = None
        self.update_range()

    def scroll_to_card(self, index: int, margin: int = 12, block: int = -1) -> None:
        """Put card ``index`` (or one of its blocks) ``margin`` px under the top of the view."""
        card = self.cards[index]
        self._following = False
        self._anchor = (card, block, -margin)
        self.update_range()
        bar = self.verticalScrollBar()
        self._following = bar.value() >= bar.maximum() - BOTTOM_SLACK_PX and self.bottom_pinned

    def highlight(self, card: Card) -> None:
        """Tint ``card`` for a moment (a search hit gone to)."""
        self.highlighted = card
        self._highlight_until = time.monotonic() + HIGHLIGHT_S
        self._highlight_timer.start(int(HIGHLIGHT_S * 1000))
        self.viewport().update()

    def clear_highlight(self) -> None:
        """Drop the tint."""
        self._highlight_timer.stop()
        if self.highlighted is not None:
            self.highlighted = None
            self.viewport().update()

    def _on_highlight_timer_timeout(self) -> None:
        self.clear_highlight()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A new column width: every height is an estimate again (scaled from the old)."""
        super().resizeEvent(event)
        column = self.column
        if column != self._column:
            self._column = column
            for card in self.cards:
                card.height = card.estimate(column)
            self.restack_from(0)
        self.update_range()

    # ------------------------------------------------------------ layout and paint

    def lay_out_visible(self) -> bool:
        """Build and lay out what is in view; True when some card still has work queued."""
        column = self.column
        pending = False
        # A card coming into view with nothing to show renders a first slice now (a
        # short message: all of it); the rest goes on in slices on later turns.
        deadline = time.perf_counter() + RENDER_IN_PAINT_S
        for n in range(6):  # heights settle in a pass or two
            top = self.verticalScrollBar().value()
            bottom = top + self.viewport().height()
            first = max(0, self.card_at(top))
            self._first_words(first, bottom, deadline, at_least_one=n == 0)
            changed = False
            i = first
            while i < len(self.cards) and self._tops[i] < bottom:
                card = self.cards[i]
                card_top = self._tops[i]
                card.layout_between(column, top - card_top, bottom - card_top)
                pending = pending or card.pending
                if card.height != self._tops[i + 1] - card_top:
                    changed = True
                i += 1
            if not changed:
                break
            self.restack_range(first, i)
            self.update_range()
        self._release_far()
        return pending

    def _first_words(self, first: int, bottom: int, deadline: float, *, at_least_one: bool) -> None:
        """Build the cards from ``first`` down to ``bottom``; those with nothing to show
        render a first slice (a short message: all of it), nearest the end the reader
        follows first, until ``deadline`` (one at least if ``at_least_one``: the first
        pass of a layout; each of its passes rendered one more). The rest goes on in
        slices on later turns: a paint never waits for a screenful of Markdown."""
        cards = self.cards
        last = first
        while last < len(cards) and self._tops[last] < bottom:
            self._touch(cards[last])
            last += 1
        empty = [c for c in cards[first:last] if c.pending and not c.has_content]
        if self._following:
            empty.reverse()
        for n, card in enumerate(empty):
            if (n or not at_least_one) and time.perf_counter() >= deadline:
                break
            card.render(deadline)

    def _touch(self, card: Card) -> None:
        card.build()
        self._built[card.id] = card
        self._built.move_to_end(card.id)

    def _release_far(self) -> None:
        """Let cards long out of view give their blocks back.

        A card still rendering its text in slices is released too: only the cards in
        view and the live ones are worked on, so a card a flick passed by would
        otherwise stay built for good (a flick to the top of 5,000 messages kept ~800,
        and every full collection walked them all). Rendering builds it again.
        """
        kept: list[Card] = []
        while len(self._built) > KEEP_BUILT:
            _card_id, card = self._built.popitem(last=False)
            if card.live or card is self.highlighted or card is self._kept:
                kept.append(card)
            else:
                card.release()
        for card in kept:
            self._built[card.id] = card

    def keep_built(self, card: Card | None) -> None:
        """Keep ``card`` built even far out of view (None: none kept)."""
        self._kept = card
        if card is not None:
            self._touch(card)

    def is_kept(self, card: Card) -> bool:
        """Whether the surface keeps ``card`` built (in view lately, live, or kept)."""
        return card.id in self._built or card.live or card is self._kept

    def forget(self, cards: list[Card]) -> None:
        """Cards that left the surface."""
        for card in cards:
            self._built.pop(card.id, None)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Lay out what is in view, then paint its blocks."""
        self.paint_asked = False
        started = time.thread_time()
        self._painting_all = event.rect().contains(self.viewport().rect())
        try:
            self.lay_out_visible()
        finally:
            self._painting_all = False
        painter = QPainter(self.viewport())
        palette = self.context.palette
        painter.fillRect(self.viewport().rect(), QColor(palette.base))
        top = self.verticalScrollBar().value()
        height = self.viewport().height()
        column, x0 = self.column, self.column_x
        for card in self.visible():
            card_y = self._tops[card.index] - top
            if card is self.highlighted:
                tint = QColor(palette.link)
                tint.setAlpha(40)
                painter.fillRect(QRect(x0 - 8, card_y, column + 16, card.height), tint)
            tops = card.block_tops(column)
            j = max(0, card.block_at(column, -card_y))
            blocks = card.blocks
            while j < len(blocks) and card_y + tops[j] < height:
                self._paint_block(painter, blocks[j], x0, card_y + tops[j], column, height)
                j += 1
        painter.end()
        self.after_paint()
        # Decaying: one slow paint (a first layout, a collection) is soon forgotten.
        self.paint_s = max(time.thread_time() - started, PAINT_DECAY * self.paint_s)

    def _paint_block(
        self, painter: QPainter, block: Block, x0: int, y: int, column: int, height: int
    ) -> None:
        x = x0 + (column - block.width if block.align_right else 0)
        clip = QRect(0, -y, column, height).intersected(QRect(0, 0, column, block.height))
        if clip.isEmpty():
            return
        painter.save()
        painter.translate(x, y)
        painter.setClipRect(clip.adjusted(-2, 0, 2, 0))
        block.paint(painter, clip)
        painter.restore()

    def after_paint(self) -> None:
        """Hook for the subclass: a paint finished."""

    def visible_text(self) -> str:
        """The text of the blocks in view now (laid out first), top to bottom."""
        self.lay_out_visible()
        top = self.verticalScrollBar().value()
        height = self.viewport().height()
        column = self.column
        out: list[tuple[str, bool]] = []
        for card in self.visible():
            card_y = self._tops[card.index] - top
            tops = card.block_tops(column)
            blocks = card.blocks
            j = max(0, card.block_at(column, -card_y))
            while j < len(blocks) and card_y + tops[j] < height:
                block = blocks[j]
                if card_y + tops[j + 1] > 0:
                    out.append((block.text(), block.continues_line))
                j += 1
        return join_lines(out)

    # ------------------------------------------------------------ hit testing

    def block_at(self, pos: QPoint) -> tuple[Card, int, Block, QPoint] | None:
        """The card, block index, block and block-local point under viewport ``pos``."""
        y = pos.y() + self.verticalScrollBar().value()
        i = self.card_at(y)
        if i < 0:
            return None
        card = self.cards[i]
        if not card.built:
            return None
        column = self.column
        within = y - self._tops[i]
        j = card.block_at(column, within)
        if j < 0:
            return None
        block = card.blocks[j]
        x = self.column_x + (column - block.width if block.align_right else 0)
        local = QPoint(pos.x() - x, within - card.block_tops(column)[j])
        return card, j, block, local

    def block_origin(self, card: Card, index: int) -> QPoint:
        """Where block ``index`` of ``card`` starts in the viewport."""
        column = self.column
        block = card.blocks[index]
        x = self.column_x + (column - block.width if block.align_right else 0)
        y = self._tops[card.index] + card.block_tops(column)[index]
        return QPoint(x, y - self.verticalScrollBar().value())
