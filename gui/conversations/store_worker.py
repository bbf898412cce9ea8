"""The conversation store on its own threads, so the UI thread never waits for SQLite.

One writer thread runs every write and every read that must see them, in the order
they were asked for (a user turn is written before its answer's first partial write;
an export sees the last one). A second thread serves reads that may be a moment
stale and must not queue behind a write: search and the sidebar's rows. The store is
opened by the first job, on the writer thread: opening may run an integrity check
and move a damaged file aside, which is not work for the UI thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from rill.core.paths import ProfileError

if TYPE_CHECKING:
    from rill.core.store import OpenReport, Store

T = TypeVar("T")
log = logging.getLogger(__name__)
OPEN_WAIT_S = 60.0  # a read waits this long for the store to open (a huge quick_check)


class StoreUnavailable(RuntimeError):
    """The store could not be opened; chats go on in memory only."""


class StoreWorker(QObject):
    """Runs jobs ``fn(store) -> T`` off the UI thread and hands back asyncio futures.

    Signals:
        failed(str message): a job the caller did not await failed (one line, for
            a notice); an unopenable store is reported once, not per job.
        recovered(str message): a write succeeded after ``failed`` said ``message``
            (space was freed, say): that report no longer holds.
    """

    failed = Signal(str)
    recovered = Signal(str)

    def __init__(self, path: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path = path
        self._store: Store | None = None
        self._open_error: StoreUnavailable | None = None
        self._opened = threading.Event()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="rill-store")
        self._reader = ThreadPoolExecutor(1, thread_name_prefix="rill-store-read")
        self._closed = False
        self._unavailable_reported = False
        self._failing: str | None = None  # the last write failure reported, until one works

    @property
    def report(self) -> OpenReport | None:
        """What opening found (None until the store opened)."""
        return self._store.report if self._store is not None else None

    @property
    def unavailable(self) -> StoreUnavailable | None:
        """Why the store could not be opened, once that is known."""
        return self._open_error

    # ------------------------------------------------------------ jobs

    def write(self, job: Callable[[Store], T], *, awaited: bool = False) -> asyncio.Future[T]:
        """Run ``job`` on the writer thread after every job asked for before it.

        ``awaited``: the caller handles a failure; otherwise it becomes ``failed``.
        Raises RuntimeError once :meth:`close` began.
        """
        future = self._submit(self._writer, lambda: job(self._ensure_open()), awaited)
        future.add_done_callback(self._on_write_done)
        return future

    def _on_write_done(self, future: asyncio.Future[Any]) -> None:
        if self._failing is None or future.cancelled() or future.exception() is not None:
            return
        message, self._failing = self._failing, None
        self.recovered.emit(message)

    def read(self, job: Callable[[Store], T], *, awaited: bool = True) -> asyncio.Future[T]:
        """Run ``job`` on the reading thread (it may not see writes still queued)."""
        return self._submit(self._reader, lambda: job(self._wait_open()), awaited)

    def _submit(
        self, executor: ThreadPoolExecutor, call: Callable[[], T], awaited: bool
    ) -> asyncio.Future[T]:
        if self._closed:
            raise RuntimeError("the conversation store is closed")
        future = asyncio.wrap_future(executor.submit(call), loop=asyncio.get_running_loop())
        if not awaited:
            future.add_done_callback(self._report)
        return future

    def _report(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            self.tell(future.exception())

    def tell(self, error: BaseException | None) -> None:
        """Report a failure as ``failed`` (an unopenable store only the first time)."""
        if error is None:
            return
        if isinstance(error, StoreUnavailable):
            if self._unavailable_reported:
                return
            self._unavailable_reported = True
        log.error("conversation store job failed", exc_info=error)
        message = describe(error)
        if not isinstance(error, StoreUnavailable):
            self._failing = message  # a write that works again withdraws it
        self.failed.emit(message)

    # ------------------------------------------------------------ opening

    def _ensure_open(self) -> Store:
        """The store, opened on first use (writer thread only)."""
        if self._store is None:
            if self._open_error is not None:
                raise self._open_error
            # Imported here, on the writer thread after the window is up: the first
            # paint needs no store (see "Startup" in docs/ARCHITECTURE.md).
            import sqlite3

            from rill.core.store import Store

            try:
                self._store = Store(self._path, check="quick")
            except ProfileError as error:  # its sentence names the folder and what is wrong
                self._open_error = StoreUnavailable(
                    f"The chat history could not be opened: {error}"
                )
                raise self._open_error from error
            except (OSError, sqlite3.Error) as error:
                self._open_error = StoreUnavailable(
                    f"The chat history could not be opened ({error}); "
                    "chats in this window are not being saved."
                )
                raise self._open_error from error
            finally:
                self._opened.set()
        return self._store

    def _wait_open(self) -> Store:
        if not self._opened.is_set():
            self._writer.submit(self._try_open)
            self._opened.wait(OPEN_WAIT_S)
        if self._store is None:
            raise self._open_error or StoreUnavailable("The chat history is not open yet.")
        return self._store

    def _try_open(self) -> None:
        with contextlib.suppress(StoreUnavailable):  # the reader raises it itself
            self._ensure_open()

    # ------------------------------------------------------------ closing

    async def close(self) -> None:
        """Finish every queued job, then close the store (writes are never dropped)."""
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._reader, lambda: None)
        await loop.run_in_executor(self._writer, lambda: None)
        self._closed = True
        self._reader.shutdown(wait=True)
        self._writer.submit(self._close_store)
        self._writer.shutdown(wait=True)

    def close_now(self) -> None:
        """The same without a running loop (blocks until queued writes are done)."""
        if self._closed:
            return
        self._closed = True
        self._reader.shutdown(wait=True)
        self._writer.submit(self._close_store)
        self._writer.shutdown(wait=True)

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()


def describe(error: BaseException) -> str:
    """One line for a failed store job."""
    if isinstance(error, StoreUnavailable | ProfileError):
        return str(error)
    detail = str(error) or type(error).__name__
    return f"The chat history could not be updated: {detail}"
