"""Which messages of a long transcript are in its document: a window grown at either end.

History renders newest first, each slice going in front of what is shown. Qt lays a
document out again from an insertion to its end, so the cost of putting a message at
the top grows with everything below it: with all 5,000 messages of a chat in the
document, a slice at the top cost 30 to 60 ms. So while the reader goes up, the
newest messages far below are taken out again (cheap: nothing follows them), keeping
the document at about :data:`WINDOW` messages; when the reader comes back down they
are appended again, which is just as cheap. A reader never sees the difference: what
leaves is screens away, and a new turn brings the end of the chat back first.
"""

from __future__ import annotations

import math
import time

from bench.old_transcript.browser import TranscriptBrowser
from bench.old_transcript.entries import SEGMENTS, Entry, Transcript
from bench.old_transcript.navigation import Revealer

WINDOW = 1000  # messages kept in the document while older ones come in at the top
# Older history fills in by itself up to this many messages; beyond, only while the
# reader is near its top (or a search hit waits for it): a chat of 5,000 messages
# costs what its last thousand do until someone scrolls that far.
EAGER_ENTRIES = 1000
FIRST_SCREEN_S = 0.030  # history rendered at once so the window is never blank
# What the first screen renders at most, in characters per 100 square pixels of the
# view (about two screens of prose): layout of more would only delay the first paint.
FIRST_SCREEN_CHARS_PER_100PX2 = 2


def load_older(t: Transcript, deadline: float, max_chars: float = math.inf) -> int:
    """Render entries before ``loaded_from``, newest first, until ``deadline`` (or once
    ``max_chars`` characters went in). Returns the number of characters inserted.

    Each goes in front of what is shown, so the bottom of the chat (what the user looks
    at) is complete first.
    """
    k = t.loaded_from
    if k == 0:
        return 0
    entries = t.entries
    at = entries[k].start if k < t.loaded_to else t.doc.end
    batch: list[Entry] = []
    inserted = 0
    t.doc.begin_edit()
    try:
        while k > 0:
            entry = entries[k - 1]
            entry.start, entry.lengths = at, [0] * SEGMENTS
            t.render(entry, shift=False)
            size = entry.end - at
            for later in batch:
                later.start += size
            batch.append(entry)
            inserted += size
            k -= 1
            if inserted >= max_chars or time.perf_counter() >= deadline:
                break
    finally:
        t.doc.end_edit()
    for entry in entries[t.loaded_from :]:
        entry.start += inserted
    for entry in entries[:k]:
        entry.start = at
    t.loaded_from = k
    return inserted


def load_newer(t: Transcript, deadline: float) -> int:
    """Append entries taken out by :func:`unload_newer` again, oldest first, until
    ``deadline``. Returns how many went in."""
    entries, first = t.entries, t.loaded_to
    k = first
    t.doc.begin_edit()
    try:
        while k < len(entries):
            entry = entries[k]
            entry.start, entry.lengths = t.doc.end, [0] * SEGMENTS
            t.render(entry, shift=False)
            k += 1
            if time.perf_counter() >= deadline:
                break
    finally:
        t.doc.end_edit()
    t.newer_unloaded = len(entries) - k
    for entry in entries[k:]:
        entry.start = t.doc.end
    return k - first


def unload_newer(t: Transcript, keep: int) -> None:
    """Take entries from index ``keep`` on out of the document (they stay entries)."""
    if not t.loaded_from < keep < t.loaded_to:
        return
    entries = t.entries
    start = entries[keep].start
    t.doc.remove(start, t.doc.end - start)
    for entry in entries[keep:]:
        entry.start, entry.lengths = t.doc.end, [0] * SEGMENTS
    t.newer_unloaded = len(entries) - keep


def trim_for_older(t: Transcript) -> None:
    """Before more history goes in at the top: keep the document to about WINDOW
    messages by taking out the newest ones (the caller makes sure none of them is a
    live answer or shows a countdown)."""
    if t.loaded_to - t.loaded_from > WINDOW + WINDOW // 4:  # in batches, not per slice
        unload_newer(t, t.loaded_from + WINDOW)


class HistoryWindow:
    """Decides, slice by slice, which part of a long history goes into the document.

    Older messages come in while fewer than :data:`EAGER_ENTRIES` are shown, while the
    reader is near the top, or while a message to reveal is above; newer ones (taken
    out earlier) while the reader is near the bottom of what is shown or a message to
    reveal is below.
    """

    def __init__(
        self, transcript: Transcript, browser: TranscriptBrowser, revealer: Revealer
    ) -> None:
        self.transcript = transcript
        self.browser = browser
        self.revealer = revealer

    def wants_older(self) -> bool:
        """Whether older history should be loaded at the top now."""
        t = self.transcript
        if t.loaded_from == 0:
            return False
        target = self.revealer.target
        if target is not None:
            return target < t.loaded_from
        rendered = t.loaded_to - t.loaded_from
        return rendered < EAGER_ENTRIES or self.browser.near_top()

    def wants_newer(self) -> bool:
        """Whether newer history should be loaded at the bottom now."""
        t = self.transcript
        if t.newer_unloaded == 0:
            return False
        target = self.revealer.target
        if target is not None:
            return target >= t.loaded_to
        return self.browser.near_bottom()

    @property
    def busy(self) -> bool:
        """Whether history is still to be loaded either way."""
        return self.wants_older() or self.wants_newer()

    def step(self, deadline: float, *, bottom_busy: bool) -> None:
        """One slice: older history at the top, or newer at the bottom."""
        if self.wants_older():
            if not bottom_busy:
                trim_for_older(self.transcript)
            self.load_history(deadline)
        elif self.wants_newer():
            load_newer(self.transcript, deadline)
            self.browser.bottom_is_end = self.transcript.newer_unloaded == 0
            self.revealer.poll()

    def first_screen(self) -> None:
        """What shows at once when a history opens: about two screens, newest first."""
        viewport = self.browser.viewport().size()
        area = max(viewport.width(), 400) * max(viewport.height(), 300)
        chars = FIRST_SCREEN_CHARS_PER_100PX2 * area / 100
        self.load_history(time.perf_counter() + FIRST_SCREEN_S, chars)

    def load_history(self, deadline: float, max_chars: float = math.inf) -> None:
        """Render older messages in front; a reader scrolled up keeps their place."""
        t = self.transcript
        shown = t.entries[t.loaded_from : t.loaded_to]
        self.browser.keep_in_place(shown[0].start if shown else None)
        load_older(t, deadline, max_chars)
        self.browser.bottom_is_end = t.newer_unloaded == 0
        self.browser.restore_place()
        self.revealer.poll()

    def settle(self) -> None:
        """Everything into the document now (tests, exports)."""
        while self.transcript.loaded_from > 0:
            load_older(self.transcript, math.inf)
        load_newer(self.transcript, math.inf)
        self.browser.bottom_is_end = True

    def bring_back_the_end(self) -> bool:
        """Before something is appended: if the newest messages were taken out, start
        over from the end (as on opening). True when it did."""
        if self.transcript.newer_unloaded == 0:
            return False
        self.revealer.cancel()
        self.transcript.unload()
        self.browser.bottom_is_end = True
        self.browser.scroll_to_bottom()
        return True
