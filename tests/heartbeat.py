"""A heartbeat on the UI thread: the gaps between a 1 ms timer's ticks are its stalls.

Shared by the benchmarks (bench/) and the tests that bound a freeze. Each tick records
the wall clock and the UI thread's own CPU time, so a long gap can be told apart from
the machine being busy elsewhere (a gap with little CPU time in it was not Rill's work).
"""

from __future__ import annotations

import itertools
import time

from PySide6.QtCore import QObject, Qt, QTimer

from tests.sched import queued_s


class Heartbeat(QObject):
    def __init__(self, interval_ms: int = 1) -> None:
        super().__init__()
        self.ticks: list[float] = []  # time.perf_counter() at each tick
        self.cpu: list[float] = []  # time.thread_time() at each tick
        self.queued: list[float] = []  # queued_s() at each tick
        self.running = False
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.tick)

    def start(self) -> None:
        """Start ticking from now (earlier ticks are forgotten)."""
        self.ticks, self.cpu, self.queued = [], [], []
        self.tick()
        self.running = True
        self._timer.start()

    def tick(self) -> None:
        """Record a tick now (the timer does; call it to close the gap up to now)."""
        self.ticks.append(time.perf_counter())
        self.cpu.append(time.thread_time())
        self.queued.append(queued_s())

    def stop(self) -> list[float]:
        """Stop; every gap between ticks, in ms."""
        self._timer.stop()
        self.running = False
        return gaps_ms(self.ticks)

    def gaps_since(self, since: float) -> list[float]:
        """The gaps (ms) from the tick before ``since`` on: the one spanning it counts."""
        return gaps_ms(self.ticks[self._first(since) :])

    def stalls_since(self, since: float) -> list[float]:
        """The gaps (ms) from the tick before ``since`` on, each less the time the UI
        thread was queued for a CPU within it: Rill's own stalls (its work, a blocking
        call, waiting for the GIL), without the machine's load."""
        first = self._first(since)
        walls = gaps_ms(self.ticks[first:])
        queued = gaps_ms(self.queued[first:])
        return [wall - waited for wall, waited in zip(walls, queued, strict=True)]

    def _first(self, since: float) -> int:
        return max(0, sum(1 for t in self.ticks if t < since) - 1)


def gaps_ms(ticks: list[float]) -> list[float]:
    return [(b - a) * 1000 for a, b in itertools.pairwise(ticks)]
