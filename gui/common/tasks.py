"""The one way the GUI starts asyncio work: named, referenced, cancellable tasks.

A bare ``create_task`` can be garbage-collected mid-flight and its exception lost;
here every task is kept until it ends, a task of the same name replaces (cancels)
the previous one, and a failure becomes a ``task_failed`` signal the window shows as
a non-modal notice — never a traceback, never a dialog from inside a coroutine.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from rill.core.errors import RillError

if TYPE_CHECKING:  # asyncio is imported when a task first starts: not before the paint
    import asyncio

T = TypeVar("T")

log = logging.getLogger(__name__)


@contextmanager
def asyncgen_hooks(loop: asyncio.BaseEventLoop) -> Iterator[None]:
    """Let ``loop`` finalize abandoned async generators, as ``run_forever`` would.

    qasync runs Qt's loop instead of asyncio's ``run_forever``, which is where asyncio
    installs these hooks. Without them an async generator dropped mid-iteration (an
    httpx body, an SSE reader) is closed by the garbage collector outside any task,
    and httpx's clean-up fails ("exit cancel scope in a different task").
    """
    previous = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(
        firstiter=loop._asyncgen_firstiter_hook,  # type: ignore[attr-defined]
        finalizer=loop._asyncgen_finalizer_hook,  # type: ignore[attr-defined]
    )
    try:
        yield
    finally:
        sys.set_asyncgen_hooks(*previous)


def describe_failure(name: str, error: BaseException) -> str:
    """One human line for a failed task: a RillError's own words, else its type."""
    if isinstance(error, RillError):
        return str(error)
    detail = str(error) or type(error).__name__
    return f"Something went wrong ({name}): {detail}"


class TaskLauncher(QObject):
    """Runs coroutines as named tasks on the running (qasync) loop.

    Signals:
        task_failed(str name, str message): a task ended with an exception other
            than cancellation; ``message`` is one line fit for the user.
        busy_changed(bool busy): whether any task is running.
    """

    task_failed = Signal(str, str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: dict[str, asyncio.Task[Any]] = {}
        self._closing = False

    def run(self, name: str, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Start ``coro`` as task ``name``; a running task of that name is cancelled first.

        Raises RuntimeError after :meth:`shutdown` started: a closing app starts nothing.
        """
        if self._closing:
            coro.close()
            raise RuntimeError(f"cannot start {name!r}: the application is closing")
        previous = self._tasks.get(name)
        if previous is not None and not previous.done():
            previous.cancel()
        was_busy = self.busy
        import asyncio

        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks[name] = task
        task.add_done_callback(self._on_task_done)
        if not was_busy:
            self.busy_changed.emit(True)
        return task

    def get(self, name: str) -> asyncio.Task[Any] | None:
        """The running task called ``name``, if any."""
        task = self._tasks.get(name)
        return task if task is not None and not task.done() else None

    def is_running(self, name: str) -> bool:
        """Whether task ``name`` exists and has not finished."""
        return self.get(name) is not None

    def cancel(self, name: str) -> bool:
        """Ask task ``name`` to stop; True when there was one to cancel."""
        task = self.get(name)
        if task is None:
            return False
        task.cancel()
        return True

    @property
    def busy(self) -> bool:
        """Whether any task is still running."""
        return any(not t.done() for t in self._tasks.values())

    async def shutdown(self, grace: float = 5.0) -> None:
        """Cancel every task and wait until all of them ended (at most ``grace`` s).

        Awaiting them is what lets streams close their HTTP responses before the
        loop stops, so no "Task was destroyed but it is pending" at exit.
        """
        self._closing = True
        tasks = [t for t in self._tasks.values() if not t.done()]
        for task in tasks:
            task.cancel()
        if tasks:
            import asyncio

            _done, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                log.warning("task %s did not stop within %.1f s", task.get_name(), grace)

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        name = task.get_name()
        if self._tasks.get(name) is task:
            del self._tasks[name]
        if not task.cancelled():
            error = task.exception()
            if error is not None:
                # The traceback goes to the log for a bug report, not to the user.
                log.error("task %s failed", name, exc_info=error)
                if not self._closing:
                    self.task_failed.emit(name, describe_failure(name, error))
        if not self.busy:
            self.busy_changed.emit(False)
