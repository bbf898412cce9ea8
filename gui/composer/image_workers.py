"""Where image work runs: worker processes for Pillow, a thread pool for the rest.

Pillow holds the GIL for a few milliseconds at a time while it decodes, resamples and
encodes; with two busy decoder threads the UI thread sometimes waited 50–90 ms for its
turn on a loaded 2-CPU machine (bench/bench_attach_ui.py). ``prepare_image`` and
``make_thumbnail`` therefore run in worker processes, which share no GIL with the UI:
a ``ProcessPoolExecutor`` over the ``spawn`` context (a Qt process must never fork),
started in the background once the window is on screen (:meth:`ImageWorkers.warm_up`:
a cold start of the pool made the first thumbnail wait 0.6-1.6 s), kept warm, and
shut down with the window. Results come back pickled (``PreparedImage`` is plain
data); an ``AttachmentError`` is made picklable here, so its message still names the file.
If the processes cannot start, the same work runs on the threads, as it used to.

Qt work (``QImage`` to PNG, preview decodes) stays on the threads: Qt lets go of the
GIL while it works. This module imports nothing from Qt, so a worker process loads
only Pillow and ``rill.core``.
"""

from __future__ import annotations

import contextlib
import copyreg
import logging
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rill.core.attachments import AttachmentError

if TYPE_CHECKING:  # imported with the first pool: see POOL_MODULES
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # The jobs' modules (Pillow's helpers, documents, PDF, media) load where a job
    # first runs, not with the window's first paint (issue 14, item 7).
    from rill.core.attachments import AttachmentLimits, Prepared

T = TypeVar("T")
log = logging.getLogger(__name__)

WORKERS = 2  # measured best on a 2-CPU machine
WORKER_NICENESS = 10  # added to the workers' nice value: background work yields the CPU
SWITCH_INTERVAL_S = 0.001  # GIL hand-over interval while images are being prepared
START_METHOD = "spawn"  # never "fork": a forked Qt process inherits locks and threads
# The modules a prepared file is made of and turned into parts by (documents, PDF,
# media, Pillow's helpers, the request's parts: ~12 ms of CPU), loaded in this process
# when a job's result first comes back or at the first Send with it.
ATTACHMENT_MODULES = ("rill.core.attachments.documents", "rill.core.attachments.request_parts")
# What the first pool imports (~20 ms of CPU) and what its results need here: not before
# the window's first paint, and not in warm_up() either, which runs while the user may
# type; the app imports them right after the paint, before any input can drop or paste
# a file (rill.gui.app.finish_after_paint).
POOL_MODULES = ("multiprocessing", "concurrent.futures.process", *ATTACHMENT_MODULES)


# ------------------------------------------------------------ picklable errors


def _rebuild_image_error(
    source: str, reason: str, code: str, state: dict[str, Any]
) -> AttachmentError:
    error = AttachmentError(source, reason, code=code)
    error.__dict__.update(state)
    return error


def _reduce_image_error(error: AttachmentError) -> tuple[Any, ...]:
    # The default reduction calls AttachmentError(message), which lacks ``reason``: the
    # parent could not unpickle it, and the process pool would break.
    state = {k: v for k, v in error.__dict__.items() if k not in ("source", "reason", "code")}
    return _rebuild_image_error, (error.source, error.reason, error.code, state)


copyreg.pickle(AttachmentError, _reduce_image_error)


# ------------------------------------------------------------ the jobs (run anywhere)


def lower_priority() -> None:
    """Run this worker (thread or process) at a lower CPU priority than the UI (Linux).

    With two CPUs, two busy decoders and the UI thread compete for cores; the
    scheduler then lets the UI thread in first, and the workers lose only idle time.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)


def start_worker() -> None:
    """A worker process's first step: a lower priority, an end with the app's, and
    no end of its own on Ctrl+C."""
    lower_priority()
    exit_with_parent()
    ignore_interrupts()


def ignore_interrupts() -> None:
    """Leave Ctrl+C to the app: a terminal sends SIGINT to every process of its group,
    and an idle worker died of it printing a KeyboardInterrupt traceback while the app
    (which closes on SIGINT) was still shutting its pool down in order."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def exit_with_parent() -> None:
    """End this worker process as soon as the process that started it is gone.

    A pool's workers wait on a queue whose writing end they hold themselves, so when
    the app ended without shutting the pool down (killed, crashed, a SIGTERM) they,
    and multiprocessing's resource tracker with them, waited forever: 60-160 MB a
    launch, found by the dozen on the test machine. ``spawn`` gives each child a
    sentinel that becomes readable when its parent's end closes, which happens
    however the parent ends; a daemon thread waits on it.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:  # (not in a worker process)
        return
    sentinel = parent.sentinel

    def watch() -> None:
        wait([sentinel])
        os._exit(0)  # nothing of this worker's is worth finishing: its app is gone

    threading.Thread(target=watch, name="rill-parent-watch", daemon=True).start()


def thumbnail_job(source: Path | bytes, side: int, name: str) -> bytes:
    """A small PNG for the strip (``make_thumbnail``)."""
    from rill.core.attachments import make_thumbnail

    return make_thumbnail(source, side, name=name)


def prepare_job(source: Path | bytes, name: str, limits: AttachmentLimits) -> Prepared:
    """The file made fit to send (``prepare_attachment``: an image, a PDF read with
    PDFium, text checked, audio or video described; big media stays on disk)."""
    from rill.core.attachments import prepare_attachment

    return prepare_attachment(source, name=name, limits=limits)


def warm_job() -> int:
    """Run in each new worker: Pillow's JPEG and PNG code loaded, a thumbnail made once."""
    from io import BytesIO

    from PIL import Image

    from rill.core.attachments import make_thumbnail

    buffer = BytesIO()
    Image.new("RGB", (32, 24), (40, 90, 160)).save(buffer, "JPEG")
    return len(make_thumbnail(buffer.getvalue(), 16, name="warm-up"))


def _in_process(fn: Callable[..., T], *args: Any) -> T:
    """Call ``fn`` in a worker process; whatever it raises must unpickle in the parent."""
    try:
        return fn(*args)
    except AttachmentError:
        raise  # picklable through copyreg above
    except Exception as error:  # a Pillow bug: its exception may not pickle
        raise RuntimeError(f"{type(error).__name__}: {error}") from None


# ------------------------------------------------------------ the pools


class ImageWorkers:
    """Worker processes and threads for image work, awaited from the qasync loop.

    :meth:`run_isolated` runs Pillow jobs in processes (threads as a fallback),
    :meth:`run` runs Qt jobs on threads. While any job runs, the interpreter's switch
    interval is 1 ms instead of 5, so the UI thread waits less for the GIL behind the
    thread pool and the process pool's result thread.
    """

    def __init__(self, workers: int = WORKERS, *, processes: bool = True) -> None:
        self._workers = workers
        self._threads = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="rill-image", initializer=lower_priority
        )
        self._processes: ProcessPoolExecutor | None = None
        # A frozen app (PyInstaller) starts "spawn" children by running itself again:
        # without multiprocessing.freeze_support() first thing in its entry script
        # (packaging/rill_main.py has none yet), each worker would be a new window.
        self._use_processes = processes and not getattr(sys, "frozen", False)
        self._process_results = 0  # jobs a process pool finished: it did start
        self._closed = False
        self._active = 0
        self._isolated = 0  # jobs in flight in the processes (warm-ups not counted)
        self._isolated_lock = threading.Lock()  # the manager thread counts down
        self._warming: set[Future[Any]] = set()  # warm-up jobs not finished yet
        self._warm_started = False
        self._saved_interval = 0.0

    @property
    def uses_processes(self) -> bool:
        """Whether Pillow jobs go to worker processes (False after a failed start)."""
        return self._use_processes

    def warm_up(self) -> None:
        """Start the worker processes now, without waiting for them (call it once the
        window is on screen). Each boots (a new interpreter, Pillow) in the background
        at a lower priority, so the first dropped image finds them ready. Cheap on the
        calling thread: two process spawns, about 10 ms together."""
        if self._warm_started:
            return
        self._warm_started = True
        pool = self._process_pool()
        if pool is None:
            return
        for _ in range(self._workers):  # each submit starts one more process
            try:
                future = pool.submit(_in_process, warm_job)
            except Exception:
                self._give_up_processes("starting the workers failed")
                return
            self._warming.add(future)
            future.add_done_callback(self._warmed)
        _renice(pool)

    def _warmed(self, future: Future[Any]) -> None:
        """A warm-up finished (on the pool's manager thread): its result is not needed."""
        self._warming.discard(future)
        if not self._closed and not future.cancelled() and future.exception() is not None:
            log.info("an image worker's warm-up failed: %s", future.exception())

    @property
    def warming(self) -> bool:
        """Worker processes are still starting (a warm-up job has not finished)."""
        return bool(self._warming)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a worker thread."""
        import asyncio  # not at the top: the window imports this module before its first paint

        self._enter()
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, fn, *args)
        finally:
            self._leave()

    async def run_isolated(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker process: ``fn`` and its arguments and result pickle.

        Falls back to a thread when the processes cannot start. A pool broken after it
        worked (a worker killed, say for memory) is replaced once for this job.
        """
        import asyncio

        self._enter()
        try:
            for attempt in range(2):
                if self._closed:
                    raise asyncio.CancelledError  # the window is closing: nothing to do
                pool = self._process_pool()
                if pool is None:
                    break
                try:
                    job = pool.submit(_in_process, fn, *args)
                except Exception:
                    self._give_up_processes("submitting failed")
                    break
                # Counted until the process is done with it, even if this await is
                # cancelled meanwhile: see shutdown().
                with self._isolated_lock:
                    self._isolated += 1
                job.add_done_callback(self._job_done)
                from concurrent.futures.process import BrokenProcessPool  # loaded with the pool

                try:
                    result = await asyncio.wrap_future(job)
                except BrokenProcessPool:
                    self._drop_pool(pool)
                    if self._closed:
                        raise asyncio.CancelledError from None
                    if self._process_results == 0:
                        self._give_up_processes("a worker process did not start")
                        break
                    if attempt == 1:
                        raise
                    log.warning("an image worker process died; starting new ones")
                    continue
                self._process_results += 1
                return result
            return await asyncio.get_running_loop().run_in_executor(self._threads, fn, *args)
        finally:
            self._leave()

    def _job_done(self, _job: Future[Any]) -> None:
        with self._isolated_lock:  # on the pool's manager thread
            self._isolated -= 1

    def _process_pool(self) -> ProcessPoolExecutor | None:
        if not self._use_processes or self._closed:
            return None
        if self._processes is None:
            try:
                import multiprocessing
                from concurrent.futures import ProcessPoolExecutor

                context = multiprocessing.get_context(START_METHOD)
                self._processes = ProcessPoolExecutor(
                    max_workers=self._workers, mp_context=context, initializer=start_worker
                )
            except Exception:
                self._give_up_processes("creating the pool failed")
                return None
        return self._processes

    def _give_up_processes(self, why: str) -> None:
        log.warning("image worker processes unavailable (%s); using threads", why, exc_info=True)
        self._use_processes = False
        if self._processes is not None:
            self._drop_pool(self._processes)

    def _drop_pool(self, pool: ProcessPoolExecutor) -> None:
        if self._processes is pool:
            self._processes = None
        pool.shutdown(wait=False, cancel_futures=True)

    def _enter(self) -> None:
        if self._active == 0:
            self._saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._saved_interval, SWITCH_INTERVAL_S))
        self._active += 1

    def _leave(self) -> None:
        self._active -= 1
        if self._active == 0:
            sys.setswitchinterval(self._saved_interval)

    def shutdown(self, *, wait: bool = False) -> None:
        """Drop queued work; the worker processes exit once their current job is done.

        A running job is not killed: a worker terminated mid-result leaves the pool's
        result thread waiting for the rest of a message, and the interpreter's exit
        (which joins that thread) hangs. Finishing costs at most one image's work.
        """
        self._closed = True
        self._threads.shutdown(wait=wait, cancel_futures=True)
        pool, self._processes = self._processes, None
        if pool is None:
            return
        with self._isolated_lock:
            idle = self._isolated == 0
        if idle:
            # No image of the user's is in a worker (only warm-ups, whose tiny results
            # are written in one go): stopping them loses nothing, and the exit does not
            # wait for a worker that is still booting (an interpreter and Pillow: 0.3-1 s
            # on a busy machine) before it can read its stop sentinel.
            _terminate(pool)
        pool.shutdown(wait=wait, cancel_futures=True)


def _workers_of(pool: ProcessPoolExecutor) -> list[multiprocessing.process.BaseProcess]:
    """The pool's processes (a private attribute: an empty list if it ever changes)."""
    processes = getattr(pool, "_processes", None)
    return list(processes.values()) if isinstance(processes, dict) else []


def _renice(pool: ProcessPoolExecutor) -> None:
    """Lower the new workers' priority from outside, before their imports run (Linux)."""
    if not sys.platform.startswith("linux"):
        return
    for process in _workers_of(pool):
        if process.pid is not None:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PROCESS, process.pid, WORKER_NICENESS)


def _terminate(pool: ProcessPoolExecutor) -> None:
    for process in _workers_of(pool):
        with contextlib.suppress(Exception):
            process.terminate()
