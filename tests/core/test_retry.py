"""Retry policy: only before output, bounded, honouring the server's delay, cancellable."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

from rill.core.errors import AuthError, RateLimitedError, ServerError
from rill.core.retry import RetryNotice, RetryPolicy, call_with_retry, stream_with_retry


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


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
    got = [
        x
        async for x in stream_with_retry(
            open_stream,  # type: ignore[arg-type]
            RetryPolicy(max_attempts=4, base_delay=1.0, jitter=0.0),
            notices.append,
            sleep=sleep,
        )
    ]
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
        async for x in stream_with_retry(open_stream, RetryPolicy(), sleep=FakeSleep()):
            got.append(x)
    assert got == ["partial"]
    assert calls == 1


async def test_server_retry_delay_is_honoured_and_attempts_are_bounded() -> None:
    errors = [RateLimitedError("slow down", retry_after=57.2) for _ in range(5)]
    opened, open_stream = flaky(errors, ["never"])
    sleep = FakeSleep()
    with pytest.raises(RateLimitedError):
        async for _ in stream_with_retry(
            open_stream,  # type: ignore[arg-type]
            RetryPolicy(max_attempts=3),
            sleep=sleep,
        ):
            pass
    assert sleep.delays == [57.2, 57.2]
    assert len(opened) == 3


async def test_an_overlong_server_delay_is_not_waited_out() -> None:
    opened, open_stream = flaky([RateLimitedError("quota", retry_after=3600)], ["x"])
    with pytest.raises(RateLimitedError):
        async for _ in stream_with_retry(open_stream, RetryPolicy(), sleep=FakeSleep()):  # type: ignore[arg-type]
            pass
    assert len(opened) == 1


async def test_non_retryable_errors_surface_at_once() -> None:
    opened, open_stream = flaky([AuthError("bad key")], ["x"])
    with pytest.raises(AuthError):
        async for _ in stream_with_retry(open_stream, RetryPolicy(), sleep=FakeSleep()):  # type: ignore[arg-type]
            pass
    assert len(opened) == 1


async def test_cancelling_during_backoff_cancels_the_wait() -> None:
    opened, open_stream = flaky([ServerError("503")], ["x"])
    waiting = asyncio.Event()

    def on_retry(_: RetryNotice) -> None:
        waiting.set()

    async def consume() -> None:
        async for _ in stream_with_retry(
            open_stream,  # type: ignore[arg-type]
            RetryPolicy(base_delay=30.0, jitter=0.0),
            on_retry,
        ):
            pass

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
