"""Where formulas are typeset: one worker process, one formula at a time, each timed.

ziamath is pure Python: on a thread it would hold the GIL for milliseconds at a time
and the UI thread would wait for its turn (bench/bench_math.py measures both). A
process shares no GIL, and a formula that loops or crashes the engine costs only the
process: past its time limit the worker is killed, the formula is shown as its source,
and the next formula starts a fresh worker. The worker is started (``spawn``: a Qt
process never forks) on the first formula and kept; it imports only ``rill.core``.
A frozen app, or a platform where the process cannot start, typesets on a thread.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import queue
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, TypeAlias

from PySide6.QtCore import QObject, QTimer, Signal

# rill.core.markdown (markdown-it, Pygments) loads with the first formula, not with this
# module: the window's first paint needs none of it.
if TYPE_CHECKING:
    from rill.core.markdown import Typeset

log = logging.getLogger(__name__)

JOB_TIMEOUT_MS = 3_000  # one formula, worker warm
START_TIMEOUT_MS = 30_000  # the first formula also waits for an interpreter and imports
MAX_WAITING = 5_000  # formulas queued at most; more are refused at once

Key = tuple[str, bool, float]  # tex, display, size in px
Result: TypeAlias = "Typeset | str"  # a typeset formula, or why it is not one


class _Bridge(QObject):
    """Carries what a reader thread receives to the UI thread (a queued signal).

    One for the whole process, never deleted: a reader thread may still be emitting
    while its worker is destroyed on the UI thread, and emitting on a QObject being
    deleted is a use-after-free (a segfault, not a RuntimeError). Qt removes a dead
    receiver's connections under its own lock, so the emit is then simply not delivered.
    """

    received = Signal(int, object)  # generation, (key, result) or None when it died


_bridge: _Bridge | None = None
# Generations are unique across workers, so each worker can tell its own readers'
# messages apart on the one bridge.
_generations = itertools.count(1)


def _shared_bridge() -> _Bridge:
    """The process's bridge (made on the UI thread, by the first worker)."""
    global _bridge
    if _bridge is None:
        _bridge = _Bridge()
    return _bridge


class MathWorker(QObject):
    """Typesets formulas off the UI thread; results arrive as a signal, in order.

    Signals:
        typeset_done(object key, object result): ``key`` is ``(tex, display, size)``;
            ``result`` a :class:`Typeset`, or a short reason (str) when the formula
            could not be typeset (invalid, too slow, crashed the engine).
    """

    typeset_done = Signal(object, object)

    def __init__(self, *, processes: bool = True, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._processes = processes and not getattr(sys, "frozen", False)
        self._queue: dict[Key, None] = {}  # an ordered set
        self._busy: Key | None = None
        self._warm = False
        self._generation = next(_generations)
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._jobs: queue.SimpleQueue[Key | None] | None = None  # the thread fallback
        _shared_bridge().received.connect(self._on_bridge_received)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.started_processes = 0  # for tests and the benchmark

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing being typeset."""
        return self._busy is None and not self._queue

    def request(self, key: Key) -> None:
        """Typeset ``key`` once its turn comes (a key already waiting is not queued twice)."""
        if key == self._busy or key in self._queue:
            return
        if len(self._queue) >= MAX_WAITING:
            self.typeset_done.emit(key, "too many formulas waiting")
            return
        self._queue[key] = None
        self._next()

    def close(self) -> None:
        """Stop the worker; queued formulas are dropped."""
        self._queue.clear()
        self._busy = None
        self._timer.stop()
        self._stop_process()
        if self._jobs is not None:
            self._jobs.put(None)
            self._jobs = None

    # ------------------------------------------------------------ internals

    def _next(self) -> None:
        if self._busy is not None or not self._queue:
            return
        key = next(iter(self._queue))
        del self._queue[key]
        self._busy = key
        try:
            self._send(key)
        except Exception:
            log.warning("the math worker could not start; typesetting on a thread", exc_info=True)
            self._processes = False
            self._stop_process()
            self._send(key)
        self._timer.start(JOB_TIMEOUT_MS if self._warm else START_TIMEOUT_MS)

    def _send(self, key: Key) -> None:
        if not self._processes:
            self._thread_jobs().put(key)
            return
        if self._conn is None:
            self._start_process()
        assert self._conn is not None
        self._conn.send(key)

    def _start_process(self) -> None:
        from rill.core.markdown import serve

        context = multiprocessing.get_context("spawn")  # never fork a Qt process
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(theirs,), name="rill-math", daemon=True)
        process.start()
        theirs.close()
        self._generation = next(_generations)
        self._process, self._conn, self._warm = process, ours, False
        self.started_processes += 1
        generation = self._generation
        self._reader(lambda: _read(ours), generation)

    def _thread_jobs(self) -> queue.SimpleQueue[Key | None]:
        if self._jobs is None:
            jobs: queue.SimpleQueue[Key | None] = queue.SimpleQueue()
            self._jobs = jobs
            self._generation = next(_generations)
            self._reader(lambda: _typeset_next(jobs), self._generation)
        return self._jobs

    def _reader(self, receive: Callable[[], Any], generation: int) -> None:
        """A daemon thread that hands each result to the UI thread until the source ends."""
        emit = _shared_bridge().received.emit

        def run() -> None:
            while True:
                message = receive()
                try:
                    emit(generation, message)
                except RuntimeError:  # Qt is being torn down (the app is closing)
                    return
                if message is None:
                    return

        threading.Thread(target=run, name="rill-math-reader", daemon=True).start()

    def _on_bridge_received(self, generation: int, message: tuple[Key, Result] | None) -> None:
        if generation != self._generation:
            return  # from a worker that was replaced
        if message is None:  # the process died (or was killed)
            if self._busy is not None:
                self._finish(self._busy, "crashed the typesetter")
            self._stop_process()
            self._next()
            return
        key, result = message
        self._warm = True
        if key == self._busy:
            self._finish(key, result)
        self._next()

    def _on_timer_timeout(self) -> None:
        key = self._busy
        if key is None:
            return
        log.info("typesetting a formula took too long; restarting the math worker")
        self._stop_process()
        if not self._processes:  # a thread cannot be stopped: leave it, start another
            self._jobs = None
        self._finish(key, "took too long")
        self._next()

    def _finish(self, key: Key, result: Result) -> None:
        self._busy = None
        self._timer.stop()
        self.typeset_done.emit(key, result)

    def _stop_process(self) -> None:
        self._generation = next(_generations)  # whatever the old reader says is ignored
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.close()
        if process is not None and process.is_alive():
            process.kill()
            process.join(1.0)


def _read(conn: Connection) -> tuple[Key, Result] | None:
    """The next result from the worker process; None once it is gone (or once the UI
    thread closed the pipe: a formula past its time limit)."""
    try:
        message: tuple[Key, Result] = conn.recv()
    except (EOFError, OSError):
        return None
    except TypeError:
        # Closed by the UI thread in the middle of a read: the connection's handle is
        # None by then, and multiprocessing's read raises TypeError on it (CI run 41).
        return None
    return message


def _typeset_next(jobs: queue.SimpleQueue[Key | None]) -> tuple[Key, Result] | None:
    """The thread fallback: typeset the next queued formula (None: stop)."""
    from rill.core.markdown import typeset_job

    key = jobs.get()
    if key is None:
        return None
    try:
        return key, typeset_job(*key)
    except Exception as error:  # an engine bug must not end the thread
        return key, f"{type(error).__name__}"


_shared: MathWorker | None = None


def shared_worker() -> MathWorker:
    """The app's one math worker (created on first use, stopped when the app quits)."""
    global _shared
    if _shared is None:
        from PySide6.QtCore import QCoreApplication

        _shared = MathWorker()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(_shared.close)
    return _shared
