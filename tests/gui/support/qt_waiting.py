"""Waiting for a coroutine from synchronous test code, with Qt's event loop running."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from PySide6.QtCore import QEventLoop, QTimer

T = TypeVar("T")


def run_until_done(loop: asyncio.AbstractEventLoop, aw: Awaitable[T], timeout: float = 10.0) -> T:
    """Drive Qt (and so ``loop``) until ``aw`` is done; return its result or raise.

    Uses a local ``QEventLoop`` woken by the future's completion, not a busy wait.
    Raises TimeoutError when ``aw`` is not done after ``timeout`` seconds.
    """
    future = asyncio.ensure_future(aw, loop=loop)
    if not future.done():
        waiter = QEventLoop()
        timer = QTimer()
        timer.setSingleShot(True)
        timer.timeout.connect(waiter.quit)
        future.add_done_callback(lambda _f: waiter.quit())
        timer.start(int(timeout * 1000))
        waiter.exec()
        timer.stop()
    if not future.done():
        future.cancel()
        raise TimeoutError(f"{aw!r} did not finish within {timeout} s")
    return future.result()
