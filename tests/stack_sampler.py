"""What the UI thread was running during its longest stretch of work: a thread samples
the UI thread's stack and its CPU clock every millisecond, so a stall test that fails
can say which code took the time, not only how long it was.

Sampling needs the GIL: a sample that falls inside one long C call lands when it
returns, still inside the Python function that made it, which is the one to name.
"""

from __future__ import annotations

import collections
import itertools
import sys
import threading
import time
from types import FrameType

_ROOT = "/rill/"  # frames of Rill's own code (and the tests') are the ones to show


class StackSampler:
    """Samples the calling thread (start it on the UI thread) until :meth:`stop`."""

    def __init__(self, interval_s: float = 0.001, depth: int = 8) -> None:
        self.samples: list[tuple[float, float, tuple[str, ...]]] = []  # (wall, cpu, stack)
        self._interval = interval_s
        self._depth = depth
        self._target = threading.get_ident()
        self._clock = time.pthread_getcpuclockid(self._target)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stack-sampler", daemon=True)

    def start(self) -> StackSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(self._interval):
            frame = sys._current_frames().get(self._target)
            cpu = time.clock_gettime(self._clock)
            self.samples.append((time.perf_counter(), cpu, self._stack(frame)))

    def _stack(self, frame: FrameType | None) -> tuple[str, ...]:
        out: list[str] = []
        while frame is not None and len(out) < self._depth:
            code = frame.f_code
            where = code.co_filename
            if "site-packages" not in where or len(out) == 0:
                short = where.rsplit("/", 2)
                out.append(f"{'/'.join(short[-2:])}:{frame.f_lineno} {code.co_name}")
            frame = frame.f_back
        return tuple(out)

    def during(self, start: float, end: float, top: int = 5) -> str:
        """The stacks sampled between two wall-clock times (and the one just after),
        the costliest first, each with the UI thread's CPU time since the sample
        before it: a long stretch holding the GIL is sampled as it ends, in its caller."""
        spent: collections.Counter[tuple[str, ...]] = collections.Counter()
        first = next((i for i, s in enumerate(self.samples) if s[0] >= start), len(self.samples))
        last = next((i for i, s in enumerate(self.samples) if s[0] > end), len(self.samples))
        inside = self.samples[max(0, first - 1) : last + 1]
        for (_, before, _), (_, cpu, stack) in itertools.pairwise(inside):
            spent[stack] += cpu - before
        lines = []
        for stack, seconds in spent.most_common(top):
            lines.append(f"{seconds * 1000:.1f} ms in " + " < ".join(stack))
        return "\n".join(lines) or "no samples"
