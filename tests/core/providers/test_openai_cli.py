"""`rill ask/chat --provider openai --base-url …` as real subprocesses against the fake server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rill.core.cli import parse as cli
from tests.core.cli.test_cli import Cli, cli_env, run_cli
from tests.fakes import openai_scenarios as sc
from tests.fakes.openai_server import FakeOpenAI

pytestmark = pytest.mark.skipif(os.name != "posix", reason="reads pipes with select")


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(api_key=None) as server:  # a local server: no key
        yield server


def ask(fake: FakeOpenAI, home: Path, *args: str) -> tuple[int, str, str]:
    done = run_cli(
        ["ask", "--provider", "openai", "--base-url", fake.base_url, *args], cli_env(home, key=None)
    )
    return done.returncode, done.stdout, done.stderr


def test_ask_streams_and_reports_stats(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.push(sc.OAIScenario(texts=("Bonjour ", "le ", "monde"), reasoning=("pondering",)))
    status, out, err = ask(
        fake, tmp_path, "--model", "fake-chat", "--temperature", "0", "--max-output-tokens", "16",
        "--system", "Be brief.", "--stats", "--thoughts", "Hello world",
    )  # fmt: skip
    assert status == cli.EXIT_OK, err
    assert out == "Bonjour le monde\n"
    assert "pondering" in err  # thoughts go to stderr
    assert "finish reason: STOP" in err and "output tokens: 3" in err
    body = fake.last_request.json
    assert body["model"] == "fake-chat" and body["stream"] is True
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert (body["temperature"], body["max_tokens"]) == (0, 16)


def test_without_model_the_servers_first_is_used(fake: FakeOpenAI, tmp_path: Path) -> None:
    status, out, err = ask(fake, tmp_path, "Hi")
    assert status == cli.EXIT_OK, err
    assert out == "Echo: Hi\n"
    assert fake.last_request.json["model"] == "fake-chat"


def test_answer_arrives_chunk_by_chunk(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.push(sc.OAIScenario(texts=("first ", "second"), hold_after=1))
    args = ["ask", "--provider", "openai", "--base-url", fake.base_url, "--model", "fake-chat"]
    proc = Cli([*args, "go"], cli_env(tmp_path, key=None))
    try:
        assert proc.read_until("first ") == "first "  # printed while the server holds
        fake.release()
        status, out, err = proc.finish()
    finally:
        proc.kill()
    assert status == cli.EXIT_OK, err
    assert out == "first second\n"


@pytest.mark.parametrize(
    ("scenario", "code", "words"),
    [
        (sc.http_error(429, retry_after="120"), cli.EXIT_RATE_LIMITED, "rate limit"),
        (sc.http_error(503), cli.EXIT_SERVER, "server error (503)"),
        (sc.OAIScenario(texts=("x",), send_done=False, finish_reason=None), cli.EXIT_NETWORK,
         "closed before the answer was finished"),
        (sc.stream(["cut"], finish_reason="content_filter"), cli.EXIT_BLOCKED,
         "stopped the answer (SAFETY)"),
    ],
)  # fmt: skip
def test_failures_are_one_line_with_the_exit_status(
    fake: FakeOpenAI, tmp_path: Path, scenario: sc.OAIScenario, code: int, words: str
) -> None:
    fake.push(scenario)
    status, _out, err = ask(fake, tmp_path, "--model", "fake-chat", "Hi")
    assert status == code
    assert words in err and len(err.splitlines()) == 1


def test_chat_sends_the_history(fake: FakeOpenAI, tmp_path: Path) -> None:
    done = run_cli(
        ["chat", "--provider", "openai", "--base-url", fake.base_url, "--model", "fake-chat"],
        cli_env(tmp_path, key=None),
        stdin="one\ntwo\n",
    )
    assert done.returncode == cli.EXIT_OK, done.stderr
    assert done.stdout == "Echo: one\nEcho: two\n"
    roles = [m["role"] for m in fake.last_request.json["messages"]]
    assert roles == ["user", "assistant", "user"]


def test_a_preset_needing_a_key_says_so(tmp_path: Path) -> None:
    done = run_cli(["ask", "--provider", "openrouter", "Hi"], cli_env(tmp_path, key=None))
    assert done.returncode == cli.EXIT_AUTH
    assert "No API key for provider 'openrouter': set OPENROUTER_API_KEY" in done.stderr


def test_no_choices_is_the_same_failure_streamed_or_not(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.push(sc.no_choices(), sc.no_choices())
    streamed = ask(fake, tmp_path, "--model", "fake-chat", "hi")
    whole = ask(fake, tmp_path, "--model", "fake-chat", "--no-stream", "hi")
    assert streamed == whole
    status, out, err = streamed
    assert (status, out) == (cli.EXIT_SERVER, "")
    host = fake.origin.removeprefix("http://")
    assert err.strip() == f"{host} returned no answer (the response had no choices)."
