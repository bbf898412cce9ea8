"""What ``bench_surface.py`` and ``bench_surface_candidates.py`` both need: the chats
their panes open, the timing of one frame's work and running the event loop until a
step is done, so both scripts measure the same thing the same way."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from PySide6.QtCore import QEventLoop, QTimer

from rill.core.types import Message, Part, Role


def context() -> list[Message]:
    """The short chat an answer streams after."""
    return [
        Message(Role.USER, [Part.from_text("Tell me about foxes.")]),
        Message(Role.MODEL, [Part.from_text("Foxes are small omnivores.\n\n" * 80)]),
        Message(Role.USER, [Part.from_text("More, please.")]),
    ]


def history(n: int, model: str | None = None) -> list[Message]:
    """A chat of ``n`` messages, questions and short Markdown answers in turn."""
    out = []
    for i in range(n):
        if i % 2 == 0:
            out.append(Message(Role.USER, [Part.from_text(f"Question {i}: how do rivers form?")]))
        else:
            body = f"Answer {i}: rivers **form** where water gathers.\n\n- one\n- two\n\n" * 3
            out.append(Message(Role.MODEL, [Part.from_text(body)], model=model))
    return out


def median_frame_ms(frame: Callable[[int], None], reps: int) -> float:
    """Median UI-thread CPU ms of ``frame(i)`` for i in 0..reps-1: CPU time, since no
    other process on a shared machine can inflate it."""
    costs = []
    for i in range(reps):
        cpu = time.thread_time()
        frame(i)
        costs.append((time.thread_time() - cpu) * 1000)
    return statistics.median(costs)


def run_until(condition: Callable[[], bool], limit: float = 300.0) -> None:
    """Run the event loop (as the app does) until ``condition`` holds."""
    loop = QEventLoop()
    deadline = time.monotonic() + limit

    def check() -> None:
        if condition() or time.monotonic() > deadline:
            loop.quit()

    poll = QTimer()
    poll.setInterval(2)
    poll.timeout.connect(check)
    poll.start()
    # Until it holds after the loop too: "not busy" can hold for a moment before a
    # paint finds more to render.
    while not condition():
        if time.monotonic() > deadline:
            poll.stop()
            raise TimeoutError("benchmark step timed out")
        loop.exec()
    poll.stop()
