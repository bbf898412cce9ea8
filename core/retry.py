"""Retrying a stream before its first chunk, and never after.

Once any output reached the user, a retry would silently show a different answer
stitched onto the old one, so errors after the first chunk always surface. Only the
opening is retried here (:func:`open_with_retry`): the chunks after the first come
straight from the provider's stream, not through this module.
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from rill.core.errors import RillError

T = TypeVar("T")


async def _sleep(seconds: float) -> None:
    """``asyncio.sleep``, importing asyncio when a retry first waits: the app reads
    this module's policy before the window's first paint, and asyncio (with ssl) is
    not imported before it (issue 14, item 7)."""
    import asyncio

    await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter; a server's own delay wins."""

    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    # A server asking for a longer wait than this is not worth an automatic retry:
    # the error surfaces with its countdown and the user decides.
    max_honoured_delay: float = 120.0
    jitter: float = 0.25  # +/- fraction of the computed delay

    def delay_for(self, attempt: int, error: RillError, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
        asked = getattr(error, "retry_after", None)
        if isinstance(asked, int | float) and asked >= 0:
            return float(asked)
        raw = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        spread = raw * self.jitter
        offset: float = (rng or random).uniform(-spread, spread)
        return max(0.0, raw + offset)

    def should_retry(self, attempt: int, error: RillError) -> bool:
        """Whether to try again after ``error`` on attempt ``attempt`` (0-based)."""
        if not error.retryable or attempt >= self.max_attempts:
            return False
        asked = getattr(error, "retry_after", None)
        return not (isinstance(asked, int | float) and asked > self.max_honoured_delay)


NO_RETRY = RetryPolicy(max_attempts=1)
MAX_ATTEMPTS_ENV = "RILL_MAX_ATTEMPTS"


def env_policy() -> tuple[RetryPolicy, str | None]:
    """The policy for the CLI and the window alike, with ``RILL_MAX_ATTEMPTS`` (scripts,
    CI and users who want fewer retries) applied: ``(policy, problem)``.

    A value that is not a whole number from 1 gives the default policy and a one-line
    ``problem`` naming it; the CLI refuses to run with it, the window says so.
    """
    raw = os.environ.get(MAX_ATTEMPTS_ENV, "").strip()
    if not raw:
        return RetryPolicy(), None
    try:
        attempts = int(raw)
    except ValueError:
        attempts = 0
    if attempts < 1:
        return RetryPolicy(), f"{MAX_ATTEMPTS_ENV} must be a whole number from 1, not {raw!r}"
    return RetryPolicy(max_attempts=attempts), None


@dataclass(frozen=True, slots=True)
class RetryNotice:
    """Told to the UI before each wait: "Retrying in 14 s…"."""

    attempt: int  # the attempt that failed, from 1
    max_attempts: int
    delay: float
    error: RillError

    def __str__(self) -> str:
        seconds = max(1, round(self.delay))
        return (
            f"{self.error} Retrying in {seconds} s… "
            f"(attempt {self.attempt + 1} of {self.max_attempts})"
        )


OnRetry = Callable[[RetryNotice], None]

# "14 s" or "0.3 s" as a whole: not the "3 s" of "0.3 s".
_SECONDS = re.compile(r"(?<![\d.])\d+(?:\.\d+)? s\b")


def count_down(text: str, left: int) -> tuple[str, bool]:
    """``text`` with its own countdown set to ``left`` seconds, and whether it has one.

    A notice is the error's words (which may hold numbers of their own: "sent nothing
    for 60 s") followed by Rill's ("Retrying in 14 s…"), so the countdown is the last
    "N s" of the text, never the first.
    """
    matches = list(_SECONDS.finditer(text))
    if not matches:
        return text, False
    last = matches[-1]
    return f"{text[: last.start()]}{left} s{text[last.end() :]}", True


async def open_with_retry(
    open_stream: Callable[[], AsyncIterator[T]],
    policy: RetryPolicy,
    on_retry: OnRetry | None = None,
    *,
    sleep: Callable[[float], Awaitable[None]] = _sleep,
    shows: Callable[[T], bool] | None = None,
) -> tuple[list[T], AsyncIterator[T]]:
    """Open ``open_stream()`` and read it up to its first output, re-opening it on
    retryable errors until then: ``(items read, the stream)``.

    ``shows(item)`` says whether an item is output (default: every item is): one that
    shows nothing (usage alone, say) does not end the retries, so a stream failing
    after it is retried like the same failure without a stream (and what it read is
    dropped). The stream comes back as the provider made it, for the caller to read
    on and close (:func:`close_stream`): later items do not pass through here, and an
    error after output surfaces from it unretried. Cancelling the caller during a
    backoff wait cancels the wait.
    """
    attempt = 1
    while True:
        stream = open_stream()
        head: list[T] = []
        try:
            while True:
                item = await anext(stream)
                head.append(item)
                if shows is None or shows(item):
                    return head, stream
        except StopAsyncIteration:
            return head, stream
        except RillError as error:
            await close_stream(stream)
            if not policy.should_retry(attempt, error):
                raise
            delay = policy.delay_for(attempt, error)
            if on_retry is not None:
                on_retry(RetryNotice(attempt, policy.max_attempts, delay, error))
        except BaseException:
            await close_stream(stream)
            raise
        await sleep(delay)
        attempt += 1


async def close_stream(stream: AsyncIterator[T]) -> None:
    """Close ``stream`` now (not at garbage collection): a stopped answer's HTTP
    response ends at once."""
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


async def call_with_retry(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    on_retry: OnRetry | None = None,
    *,
    sleep: Callable[[float], Awaitable[None]] = _sleep,
) -> T:
    """Await ``call()``, retrying retryable failures under ``policy``."""
    attempt = 1
    while True:
        try:
            return await call()
        except RillError as error:
            if not policy.should_retry(attempt, error):
                raise
            delay = policy.delay_for(attempt, error)
            if on_retry is not None:
                on_retry(RetryNotice(attempt, policy.max_attempts, delay, error))
        await sleep(delay)
        attempt += 1


__all__ = [
    "MAX_ATTEMPTS_ENV",
    "NO_RETRY",
    "OnRetry",
    "RetryNotice",
    "RetryPolicy",
    "call_with_retry",
    "close_stream",
    "count_down",
    "env_policy",
    "open_with_retry",
]
