"""Garbage collections kept apart from what a stall test measures.

After a thousand tests the suite's process holds a heap the app never has, and a full
collection of it during a measured stretch is a stall of tens of milliseconds that is
neither the code under test nor anything a user sees. ``collections_timed`` collects
first and freezes what exists (those objects are not traversed again until the block
ends), and times the collections that still happen, so a failure can say whether they
were part of it.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Collections:
    """The collections that ran inside the block: their total time and the longest."""

    def __init__(self) -> None:
        self.durations: list[float] = []  # seconds each
        self._started: list[float] = []

    def callback(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._started.append(time.perf_counter())
        elif self._started:
            self.durations.append(time.perf_counter() - self._started.pop())

    @property
    def total_ms(self) -> float:
        return sum(self.durations) * 1000

    @property
    def longest_ms(self) -> float:
        return max(self.durations, default=0.0) * 1000


@contextmanager
def collections_timed() -> Iterator[Collections]:
    """Collect and freeze the heap as it is, then time the collections in the block."""
    gc.collect()
    gc.freeze()
    watch = Collections()
    gc.callbacks.append(watch.callback)
    try:
        yield watch
    finally:
        gc.callbacks.remove(watch.callback)
        gc.unfreeze()
