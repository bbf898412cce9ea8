"""Find in the chat on screen (Ctrl+F): every match in the cards, one selected at a time.

The cards of a long chat are mostly not built (only those in view are), so a search
goes through them in slices of a few milliseconds between turns of the event loop:
a card whose message cannot hold the words is skipped without building it; the
others are built, rendered and searched in what they show (not their Markdown), and
given back afterwards unless the surface keeps them. Matches are kept as (card, n-th
match in it): going to one renders its card again if it was given back and searches
that card anew, so a card laid out differently since (thoughts opened) still lands on
its n-th match. The match gone to is the surface's selection, so Ctrl+C copies it.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from rill.gui.transcript.cards import Card
from rill.gui.transcript.renderers.base import Block
from rill.gui.transcript.renderers.doc_block import ASTRAL, SOFT_BREAK
from rill.gui.transcript.surface_input import Surface

SLICE_S = 0.006  # one slice of searching between two turns of the event loop
VIEW_MARGIN = 3  # the match's line this far (a fraction of the view) from the top


@dataclass(frozen=True, slots=True)
class Match:
    """The ``nth`` match in ``card`` (0-based, in reading order)."""

    card: Card
    nth: int


def pattern(query: str) -> re.Pattern[str] | None:
    """A case-insensitive pattern for ``query`` that also matches where the pane put an
    invisible break opportunity inside a long word; None for an empty query."""
    if not query:
        return None
    soft = re.escape(SOFT_BREAK)
    return re.compile(f"{soft}?".join(re.escape(c) for c in query), re.IGNORECASE)


def may_hold(card: Card, words: list[str]) -> bool:
    """Whether the card's message could show every word (its source has them all).

    The Markdown source holds what the card shows, less markup, so a card whose
    source lacks a word is skipped unbuilt. Checked on the casefolded source."""
    source = card.shown.text.casefold()
    return all(word in source for word in words)


def utf16_positions(text: str) -> Callable[[int], int]:
    """Maps an index into ``text`` to the document position of that character."""
    astral = [m.start() for m in ASTRAL.finditer(text)]
    if not astral:
        return lambda index: index
    return lambda index: index + bisect.bisect_left(astral, index)


# Where a match lies: the block it begins in and its start there, the block it ends in
# and its end there (positions in the blocks; two blocks when a piece of a huge line,
# see ``Block.continues_line``, cut it).
Spot = tuple[int, int, int, int]


def reach(query: str) -> int:
    """The most characters a match of ``query`` can span (a break opportunity may
    follow each of its characters but the last)."""
    return max(0, 2 * len(query) - 1)


def block_matches(
    index: int, blocks: list[Block], found: re.Pattern[str], span: int, before: Spot | None = None
) -> list[Spot]:
    """Every match that begins in block ``index``, as positions in its text (what
    selecting takes). A match cut where the next block goes on with the same line ends
    in that block; ``span`` is the longest a match can be (:func:`reach`) and
    ``before`` the last match found before this block, whose end may lie in it."""
    text = blocks[index].search_text()
    if not text:
        return []
    position = utf16_positions(text)
    matches = list(found.finditer(text))
    since = before[3] if before is not None and before[2] == index else 0
    spots = [
        (index, position(m.start()), index, position(m.end()))
        for m in matches
        if position(m.start()) >= since  # (not within the match cut from the block before)
    ]
    after = blocks[index + 1] if index + 1 < len(blocks) else None
    if after is None or not after.continues_line or span < 2:
        return spots
    # This text's end, a break opportunity for the cut (the pattern matches through one)
    # and the next block's start: a match across it begins before the cut, ends after.
    tail_at = max(len(text) - span, matches[-1].end() if matches else 0)
    head = after.search_text()[:span]
    cut = len(text) - tail_at
    for m in found.finditer(f"{text[tail_at:]}{SOFT_BREAK}{head}"):
        if m.start() >= cut:
            break
        if m.end() > cut + 1:
            end = utf16_positions(head)(m.end() - cut - 1)
            spots.append((index, position(tail_at + m.start()), index + 1, end))
            break
    return spots


def card_matches(card: Card, found: re.Pattern[str], span: int) -> list[Spot]:
    """Every match in what a built, rendered card shows, in reading order."""
    spots: list[Spot] = []
    blocks = card.blocks
    for i in range(len(blocks)):
        spots += block_matches(i, blocks, found, span, spots[-1] if spots else None)
    return spots


class ChatFinder(QObject):
    """The search of one chat pane's cards, and the match it has gone to.

    Signals:
        changed(): the count, the scanning state or the current match changed.
    """

    changed = Signal()

    def __init__(self, surface: Surface, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.surface = surface
        self.query = ""
        self.matches: list[Match] = []
        self.current = -1  # index into matches (-1: none gone to)
        self._pattern: re.Pattern[str] | None = None
        self._span = 0  # the most characters a match can span (see reach)
        self._words: list[str] = []
        self._next_card = 0  # the scan's position
        self._cards: list[Card] = []  # the cards being searched (a snapshot)
        self._going: Match | None = None  # a match whose card is still rendering
        self._top = 0  # the card at the top of the view when the search started
        # The card being searched block by block (a long answer spans slices): the
        # next block, the matches so far, whether it was built before.
        self._scan: tuple[Card, int, list[Spot], bool] | None = None
        # The matches of each card searched, with its block count then: going to a
        # match reuses them while the card is built with as many blocks.
        self._spots: dict[int, tuple[int, list[Spot]]] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def scanning(self) -> bool:
        """Whether cards are still to be searched."""
        return self._pattern is not None and self._next_card < len(self._cards)

    def search(self, query: str) -> None:
        """Start over for ``query`` ("" clears); the first match at or after the top
        of the view is gone to as soon as it is found."""
        self.query = query
        self._pattern = pattern(query)
        self._span = reach(query)
        self._words = query.casefold().split()
        self.matches, self.current, self._going = [], -1, None
        self._scan, self._spots = None, {}
        self._cards = list(self.surface.cards)
        self._next_card = 0
        self._top = max(0, self.surface.card_at(self.surface.verticalScrollBar().value()))
        self.surface.keep_built(None)
        if self._pattern is None:
            self.surface.clear_selection()
            self._timer.stop()
        else:
            self._timer.start()
        self.changed.emit()

    def invalidate(self) -> None:
        """The cards changed (another chat, older messages in front): search again."""
        if self.query:
            self.search(self.query)

    def step(self, forward: bool = True) -> None:
        """Go to the next (or previous) match, wrapping around."""
        if not self.matches:
            return
        count = len(self.matches)
        if self.current < 0:
            self.current = 0 if forward else count - 1
        else:
            self.current = (self.current + (1 if forward else -1)) % count
        self._go(self.matches[self.current])
        self.changed.emit()

    def finish(self) -> None:
        """Search everything now (tests): every match counted, the current one shown."""
        while self.scanning or self._going is not None:
            self._work(float("inf"))

    # ------------------------------------------------------------ slices

    def _on_timer_timeout(self) -> None:
        self._work(time.perf_counter() + SLICE_S)
        if self.scanning or self._going is not None:
            self._timer.start()

    def _work(self, deadline: float) -> None:
        if self._going is not None and not self._render(self._going.card, deadline):
            return
        if self._going is not None:
            self._land(self._going)
        found = self._pattern
        while found is not None and self._next_card < len(self._cards):
            card = self._cards[self._next_card]
            cards = self.surface.cards
            present = card.index < len(cards) and cards[card.index] is card
            if present and may_hold(card, self._words) and not self._search(card, deadline):
                return  # this card goes on in the next slice
            self._next_card += 1
            if time.perf_counter() >= deadline:
                break
        if not self.scanning and self.current < 0 and self.matches:
            self.current = 0  # none at or after the view: the first, wrapping around
            self._go(self.matches[0])
        self.changed.emit()

    def _search(self, card: Card, deadline: float) -> bool:
        """Search ``card`` until ``deadline``; True when it is done."""
        if self._scan is None or self._scan[0] is not card:
            self._scan = (card, 0, [], card.built)
        if not self._render(card, deadline):
            return False
        _, next_block, spots, was_built = self._scan
        blocks = card.blocks
        found = self._pattern
        assert found is not None
        while next_block < len(blocks):
            before = spots[-1] if spots else None
            spots += block_matches(next_block, blocks, found, self._span, before)
            next_block += 1
            if time.perf_counter() >= deadline and next_block < len(blocks):
                self._scan = (card, next_block, spots, was_built)
                return False
        self._scan = None
        self._spots[card.id] = (len(blocks), spots)
        self._add(card, len(spots))
        if not was_built and not self.surface.is_kept(card):
            card.release()
        return True

    def _render(self, card: Card, deadline: float) -> bool:
        card.build()
        while card.pending:
            card.render(deadline)
            if card.pending and time.perf_counter() >= deadline:
                return False
        return True

    def _add(self, card: Card, count: int) -> None:
        if not count:
            return
        self.matches += [Match(card, n) for n in range(count)]
        if self.current < 0 and card.index >= self._top:
            self.current = len(self.matches) - count
            self._go(self.matches[self.current])

    # ------------------------------------------------------------ going to a match

    def _go(self, match: Match) -> None:
        self.surface.keep_built(match.card)
        if match.card.built and not match.card.pending:
            self._land(match)
        else:
            self._going = match
            self._timer.start()

    def _land(self, match: Match) -> None:
        """Select the match and bring its line into view."""
        self._going = None
        card, found, cards = match.card, self._pattern, self.surface.cards
        if found is None or not (0 <= card.index < len(cards)) or cards[card.index] is not card:
            return
        count, spots = self._spots.get(card.id, (-1, []))
        if count != len(card.blocks):
            spots = card_matches(card, found, self._span)  # built again since, maybe otherwise
        if not spots:
            return
        block, start, end_block, end = spots[min(match.nth, len(spots) - 1)]
        margin = self.surface.viewport().height() // VIEW_MARGIN
        self.surface.show_range(card, block, start, end, margin, end_block=end_block)
