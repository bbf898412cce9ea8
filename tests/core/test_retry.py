"""Retry policy: only before output, bounded, honouring the server's delay, cancellable."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from rill.core.errors import AuthError, RateLimitedError, ServerError
from rill.core.retry import RetryNotice, RetryPolicy, call_with_retry, open_with_retry


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


async def read_all(
    open_stream: Callable[[], AsyncIterator[str]],
    policy: RetryPolicy,
    on_retry: Callable[[RetryNotice], None] | None = None,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    into: list[str] | None = None,
) -> list[str]:
    """Open with retries, then read the stream on to its end, as ChatSession does."""
    got = [] if into is None else into
    head, stream = await open_with_retry(open_stream, policy, on_retry, sleep=sleep)
    got.extend(head)
    async for item in stream:
        got.append(item)
    return got


def flaky(failures: list[Exception], items: list[str]) -> tuple[list[int], object]:
    opened: list[int] = []

    def open_stream() -> AsyncIterator[str]:
        opened.append(1)

        async def gen() -> AsyncIterator[str]:
            if failures:
                raise failures.pop(0)
            for item in items:
                yield item

        return gen()

    return opened, open_stream


async def test_retries_before_the_first_chunk_then_succeeds() -> None:
    opened, open_stream = flaky([ServerError("503", status=503), ServerError("500")], ["a", "b"])
    sleep = FakeSleep()
    notices: list[RetryNotice] = []
    got = await read_all(
        open_stream,  # type: ignore[arg-type]
        RetryPolicy(max_attempts=4, base_delay=1.0, jitter=0.0),
        notices.append,
        sleep=sleep,
    )
    assert got == ["a", "b"]
    assert len(opened) == 3
    assert sleep.delays == [1.0, 2.0]
    assert [n.attempt for n in notices] == [1, 2]
    assert "Retrying in 2 s" in str(notices[1])


async def test_never_retries_after_output() -> None:
    calls = 0

    def open_stream() -> AsyncIterator[str]:
        async def gen() -> AsyncIterator[str]:
            nonlocal calls
            calls += 1
            yield "partial"
            raise ServerError("boom")

        return gen()

    got: list[str] = []
    with pytest.raises(ServerError):
        await read_all(open_stream, RetryPolicy(), sleep=FakeSleep(), into=got)
    assert got == ["partial"]
    assert calls == 1


async def test_server_retry_delay_is_honoured_and_attempts_are_bounded() -> None:
    errors = [RateLimitedError("slow down", retry_after=57.2) for _ in range(5)]
    opened, open_stream = flaky(errors, ["never"])
    sleep = FakeSleep()
    with pytest.raises(RateLimitedError):
        await read_all(open_stream, RetryPolicy(max_attempts=3), sleep=sleep)  # type: ignore[arg-type]
    assert sleep.delays == [57.2, 57.2]
    assert len(opened) == 3


async def test_an_overlong_server_delay_is_not_waited_out() -> None:
    opened, open_stream = flaky([RateLimitedError("quota", retry_after=3600)], ["x"])
    with pytest.raises(RateLimitedError):
        await read_all(open_stream, RetryPolicy(), sleep=FakeSleep())  # type: ignore[arg-type]
    assert len(opened) == 1


async def test_non_retryable_errors_surface_at_once() -> None:
    opened, open_stream = flaky([AuthError("bad key")], ["x"])
    with pytest.raises(AuthError):
        await read_all(open_stream, RetryPolicy(), sleep=FakeSleep())  # type: ignore[arg-type]
    assert len(opened) == 1


async def test_cancelling_during_backoff_cancels_the_wait() -> None:
    opened, open_stream = flaky([ServerError("503")], ["x"])
    waiting = asyncio.Event()

    def on_retry(_: RetryNotice) -> None:
        waiting.set()

    async def consume() -> None:
        await read_all(open_stream, RetryPolicy(base_delay=30.0, jitter=0.0), on_retry)  # type: ignore[arg-type]

    task = asyncio.create_task(consume())
    await asyncio.wait_for(waiting.wait(), 2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 1)
    assert len(opened) == 1


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0, jitter=0.25)
    rng = random.Random(1)
    for attempt, centre in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0)]:
        for _ in range(50):
            delay = policy.delay_for(attempt, ServerError("x"), rng)
            assert centre * 0.75 <= delay <= centre * 1.25


async def test_call_with_retry_retries_then_returns() -> None:
    attempts = 0

    async def call() -> str:
        nonlocal attempts
        attempts += 1
        if attempts < 3:
            raise ServerError("503")
        return "ok"

    sleep = FakeSleep()
    assert await call_with_retry(call, RetryPolicy(jitter=0.0), sleep=sleep) == "ok"
    assert sleep.delays == [1.0, 2.0]


async def test_only_the_opening_is_retried_and_the_stream_comes_back_as_made() -> None:
    """Items that show nothing are read with the opening; from the first output on,
    the caller reads the provider's own stream (nothing passes through retry)."""
    made: list[AsyncIterator[str]] = []

    def open_stream() -> AsyncIterator[str]:
        async def gen() -> AsyncIterator[str]:
            for item in ["usage", "a", "b"]:
                yield item

        made.append(gen())
        return made[-1]

    head, stream = await open_with_retry(
        open_stream, RetryPolicy(), sleep=FakeSleep(), shows=lambda item: item != "usage"
    )
    assert head == ["usage", "a"]
    assert stream is made[0]
    assert [x async for x in stream] == ["b"]
