"""`rill chat`: a multi-turn REPL on one ChatSession, driven through real pipes."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.core.cli.test_cli import KEY, Cli, cli_env, run_cli
from tests.fakes.gemini_scenarios import Scenario, hold_open, http_error, stream
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.skipif(os.name != "posix", reason="reads pipes with select, sends SIGINT")


@pytest.fixture
def fake(fake_gemini: FakeGemini) -> FakeGemini:
    """The shared in-process fake (tests/conftest.py), under a short name."""
    assert fake_gemini.api_key == KEY
    return fake_gemini


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "home")


def user(text: str) -> dict[str, object]:
    return {"role": "user", "parts": [{"text": text}]}


def model(text: str) -> dict[str, object]:
    return {"role": "model", "parts": [{"text": text}]}


def test_two_turns_send_the_history(fake: FakeGemini, env: dict[str, str]) -> None:
    result = run_cli(
        ["chat", "--base-url", fake.base_url, "--system", "Be kind.", "--temperature", "0.5"],
        env,
        stdin="first question\nsecond question\n",
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "Echo: first question\nEcho: second question\n"
    first, second = fake.requests_for("streamGenerateContent")
    assert first.json["contents"] == [user("first question")]
    assert second.json["contents"] == [
        user("first question"),
        model("Echo: first question"),
        user("second question"),
    ]
    # The same options go with every turn.
    for request in (first, second):
        assert request.json["systemInstruction"] == {"parts": [{"text": "Be kind."}]}
        assert request.json["generationConfig"] == {"temperature": 0.5}


def test_exit_command_and_blank_lines(fake: FakeGemini, env: dict[str, str]) -> None:
    result = run_cli(
        ["chat", "--base-url", fake.base_url], env, stdin="\n   \nhello\n/exit\nnever sent\n"
    )
    assert (result.returncode, result.stdout) == (0, "Echo: hello\n")
    assert len(fake.requests_for("streamGenerateContent")) == 1


def test_an_error_is_shown_and_retry_resends_the_same_turn(
    fake: FakeGemini, env: dict[str, str]
) -> None:
    fake.push(http_error(503), Scenario())
    result = run_cli(["chat", "--base-url", fake.base_url], env, stdin="hello\n/retry\n")
    assert result.returncode == 0
    assert result.stdout == "Echo: hello\n"
    (line,) = result.stderr.splitlines()
    assert line.startswith("Gemini is unavailable (UNAVAILABLE)")
    failed, retried = fake.requests_for("streamGenerateContent")
    assert failed.json["contents"] == retried.json["contents"] == [user("hello")]


def test_retry_with_nothing_to_retry_says_so(fake: FakeGemini, env: dict[str, str]) -> None:
    result = run_cli(["chat", "--base-url", fake.base_url], env, stdin="/retry\n/nope\n")
    assert result.returncode == 0
    first, second = result.stderr.splitlines()
    assert "nothing to retry" in first
    assert second == "Unknown command /nope; /help lists them."
    assert fake.requests == []


def test_a_failed_turn_is_not_sent_back(fake: FakeGemini, env: dict[str, str]) -> None:
    fake.push(http_error(500), Scenario())
    result = run_cli(["chat", "--base-url", fake.base_url], env, stdin="lost\nkept\n")
    assert result.stdout == "Echo: kept\n"
    assert fake.requests_for("streamGenerateContent")[-1].json["contents"] == [user("kept")]


def test_ctrl_c_stops_the_answer_and_the_chat_goes_on(
    fake: FakeGemini, env: dict[str, str]
) -> None:
    fake.push(hold_open(["Partial"], [" never"]), stream(["Second ", "answer"]))
    cli = Cli(["chat", "--base-url", fake.base_url], env)
    try:
        cli.send("first\n")
        cli.read_until("Partial")
        cli.proc.send_signal(signal.SIGINT)
        assert fake.wait_for_disconnect() is not None
        cli.send("second\n")
        status, out, err = cli.finish()
    finally:
        cli.kill()
    assert status == 0
    assert out == "Partial\nSecond answer\n"
    assert err.splitlines() == ["Stopped."]
    # The stopped answer is kept, with what the user saw, and goes back as history.
    assert fake.requests_for("streamGenerateContent")[-1].json["contents"] == [
        user("first"),
        model("Partial"),
        user("second"),
    ]


def test_images_go_with_the_first_message_only(
    fake: FakeGemini, env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli(
        ["chat", "--base-url", fake.base_url, "--image", "gs://bucket/a.png"],
        env,
        stdin="look\nand now?\n",
    )
    assert result.returncode == 0, result.stderr
    first, second = fake.requests_for("streamGenerateContent")
    picture = {"fileData": {"mimeType": "image/png", "fileUri": "gs://bucket/a.png"}}
    assert first.json["contents"][0]["parts"] == [picture, {"text": "look"}]
    assert second.json["contents"][-1] == user("and now?")


def test_no_stream_chat(fake: FakeGemini, env: dict[str, str]) -> None:
    result = run_cli(["chat", "--base-url", fake.base_url, "--no-stream"], env, stdin="a\nb\n")
    assert (result.returncode, result.stdout) == (0, "Echo: a\nEcho: b\n")
    assert len(fake.requests_for("generateContent")) == 2
    assert fake.requests_for("generateContent")[-1].json["contents"][1] == model("Echo: a")
