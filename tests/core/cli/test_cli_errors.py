"""`rill ask` failures: exactly one line on stderr naming the cause, a documented exit
status for each class of error, partial output kept, and never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rill.core.cli import parse as cli
from tests.core.cli.test_cli import KEY, cli_env, run_cli
from tests.fakes.gemini_scenarios import (
    abrupt_close,
    error_event_after,
    fail_n_times_then_ok,
    no_candidates,
    rate_limited,
    stream,
)
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX subprocess semantics")


@pytest.fixture
def fake(fake_gemini: FakeGemini) -> FakeGemini:
    """The shared in-process fake (tests/conftest.py), under a short name."""
    assert fake_gemini.api_key == KEY
    return fake_gemini


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def ask_fails(
    fake: FakeGemini, home: Path, *args: str, key: str | None = KEY, **env: str
) -> tuple[int, str, str]:
    """Run `rill ask`; return (status, stdout, the one stderr line) and check the rest."""
    result = run_cli(["ask", "--base-url", fake.base_url, *args], cli_env(home, key=key, **env))
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    assert result.returncode != 0
    return result.returncode, result.stdout, lines[0]


def test_a_bad_key(fake: FakeGemini, home: Path) -> None:
    status, out, line = ask_fails(fake, home, "hi", key="wrong-key")
    assert (status, out) == (cli.EXIT_AUTH, "")
    assert line == "Gemini rejected the API key (API_KEY_INVALID)."
    assert fake.last_request.headers["x-goog-api-key"] == "wrong-key"
    assert "wrong-key" not in fake.last_request.target


def test_a_missing_key_names_the_variable_and_sends_nothing(fake: FakeGemini, home: Path) -> None:
    status, out, line = ask_fails(fake, home, "hi", key=None)
    assert (status, out) == (cli.EXIT_AUTH, "")
    assert "GEMINI_API_KEY" in line
    assert fake.requests == []


def test_google_api_key_is_the_fallback_variable(fake: FakeGemini, home: Path) -> None:
    result = run_cli(
        ["ask", "--base-url", fake.base_url, "hi"], cli_env(home, key=None, GOOGLE_API_KEY=KEY)
    )
    assert result.returncode == 0, result.stderr
    assert fake.last_request.headers["x-goog-api-key"] == KEY


@pytest.mark.parametrize(
    ("scenario_model", "code", "words"),
    [
        ("fake-403", cli.EXIT_AUTH, "(PERMISSION_DENIED)"),
        ("no-such-model", cli.EXIT_INVALID, "The model 'no-such-model' was not found (NOT_FOUND)"),
        ("fake-400", cli.EXIT_INVALID, "(INVALID_ARGUMENT)"),
        ("fake-500", cli.EXIT_SERVER, "(INTERNAL)"),
        ("fake-503", cli.EXIT_SERVER, "Gemini is unavailable (UNAVAILABLE)"),
        ("fake-504", cli.EXIT_SERVER, "(DEADLINE_EXCEEDED)"),
        ("fake-blocked", cli.EXIT_BLOCKED, "Gemini blocked the prompt (PROHIBITED_CONTENT)."),
    ],
)
def test_http_errors_and_blocks(
    fake: FakeGemini, home: Path, scenario_model: str, code: int, words: str
) -> None:
    status, out, line = ask_fails(fake, home, "--model", scenario_model, "hi")
    assert (status, out) == (code, "")
    assert words in line


def test_rate_limited_after_the_retries(fake: FakeGemini, home: Path) -> None:
    fake.push(rate_limited("57.2s"))
    status, out, line = ask_fails(fake, home, "hi")
    assert (status, out) == (cli.EXIT_RATE_LIMITED, "")
    assert line.startswith("Gemini's rate limit or quota was reached (RESOURCE_EXHAUSTED)")


def test_rate_limit_retry_delay_is_honoured_and_shown(fake: FakeGemini, home: Path) -> None:
    fake.push(rate_limited("1s"), stream(["after ", "waiting"]))
    result = run_cli(
        ["ask", "--base-url", fake.base_url, "hi"], cli_env(home, RILL_MAX_ATTEMPTS="2")
    )
    assert (result.returncode, result.stdout) == (0, "after waiting\n")
    (notice,) = result.stderr.splitlines()
    assert "Retrying in 1 s…" in notice and "RESOURCE_EXHAUSTED" in notice
    first, second = fake.requests_for("streamGenerateContent")
    assert second.received_at - first.received_at >= 0.9


def test_a_server_error_is_retried_by_default(fake: FakeGemini, home: Path) -> None:
    fake.push(fail_n_times_then_ok(1, 503))
    env = cli_env(home)
    del env["RILL_MAX_ATTEMPTS"]  # the default policy
    result = run_cli(["ask", "--base-url", fake.base_url, "again"], env)
    assert (result.returncode, result.stdout) == (0, "Echo: again\n")
    assert "Retrying in" in result.stderr
    assert len(fake.requests_for("streamGenerateContent")) == 2


def test_an_answer_cut_by_the_safety_filter(fake: FakeGemini, home: Path) -> None:
    status, out, line = ask_fails(fake, home, "--model", "fake-safety", "risky")
    assert status == cli.EXIT_BLOCKED
    assert out == "Echo: risky\n"  # what arrived stays on stdout
    assert line == "Gemini stopped the answer (SAFETY)."


def test_max_tokens_is_a_success_with_a_note(fake: FakeGemini, home: Path) -> None:
    result = run_cli(
        ["ask", "--base-url", fake.base_url, "--model", "fake-max-tokens", "long"], cli_env(home)
    )
    assert (result.returncode, result.stdout) == (0, "Echo: long\n")
    assert result.stderr == "Note: the answer reached the output token limit (MAX_TOKENS).\n"


@pytest.mark.parametrize(
    ("scenario", "code", "kept"),
    [
        (abrupt_close(1, texts=["Kept part", " lost"]), cli.EXIT_NETWORK, "Kept part\n"),
        (stream(["Kept part", " too"], finish_reason=None), cli.EXIT_NETWORK, "Kept part too\n"),
        (error_event_after(1, 503, texts=["Kept part", " lost"]), cli.EXIT_SERVER, "Kept part\n"),
    ],
    ids=["abrupt-close", "no-finish-reason", "error-event"],
)
def test_a_broken_stream_keeps_what_was_printed(
    fake: FakeGemini, home: Path, scenario: object, code: int, kept: str
) -> None:
    fake.push(scenario)  # type: ignore[arg-type]
    status, out, line = ask_fails(fake, home, "hi")
    assert (status, out) == (code, kept)
    assert "broke" in line or "closed" in line or "UNAVAILABLE" in line


def test_no_answer_is_the_same_failure_streamed_or_not(fake: FakeGemini, home: Path) -> None:
    # No candidates and no block reason: streamed it used to be "closed before the
    # answer was finished" (8), not streamed a silent success (0).
    fake.push(no_candidates(), no_candidates())
    streamed = ask_fails(fake, home, "hi")
    whole = ask_fails(fake, home, "--no-stream", "hi")
    assert streamed == whole == (cli.EXIT_SERVER, "", streamed[2])
    assert streamed[2] == "Gemini returned no answer (no candidates and no block reason)."


def test_malformed_json_is_a_server_fault(fake: FakeGemini, home: Path) -> None:
    status, out, _line = ask_fails(fake, home, "--model", "fake-bad-json", "hi")
    assert status == cli.EXIT_SERVER
    assert out.endswith("\n")


def test_nothing_listening(home: Path, tmp_path: Path) -> None:
    with FakeGemini(KEY) as gone:
        base_url = gone.base_url
    result = run_cli(["ask", "--base-url", base_url, "hi"], cli_env(home))
    assert result.returncode == cli.EXIT_NETWORK
    (line,) = result.stderr.splitlines()
    assert "127.0.0.1" in line


def test_an_unusable_image_is_named(fake: FakeGemini, home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.png"
    status, _out, line = ask_fails(fake, home, "--image", str(missing), "hi")
    assert status == cli.EXIT_INVALID
    assert line == f"Cannot attach {missing}: file not found"
    text = tmp_path / "notes.txt"
    text.write_text("not pixels")
    status, _out, line = ask_fails(fake, home, "--image", str(text), "hi")
    assert (status, line) == (
        cli.EXIT_INVALID,
        f"Cannot attach {text}: not an image (it is text; attach it with --file)",
    )
    assert fake.requests == []


def test_an_unknown_provider(fake: FakeGemini, home: Path) -> None:
    status, _out, line = ask_fails(fake, home, "--provider", "nope", "hi")
    assert status == cli.EXIT_AUTH
    assert line.startswith("Unknown provider 'nope'; known: gemini, local, vertex, ")
    assert fake.requests == []


@pytest.mark.parametrize(
    "args",
    [
        ["ask", "--temperature", "hot", "hi"],
        ["ask", "--top-p", "1.5", "hi"],
        ["ask", "--top-k", "0", "hi"],
        ["ask", "--no-such-option", "hi"],
        ["ask"],
        ["ask", "   "],
        ["fly"],
        [],
    ],
)
def test_usage_errors_are_one_line_with_status_2(home: Path, args: list[str]) -> None:
    result = run_cli(args, cli_env(home))
    assert result.returncode == cli.EXIT_USAGE
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("rill")
    assert result.stdout == ""


def test_a_bad_settings_file_is_a_warning_not_a_failure(fake: FakeGemini, home: Path) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text("{broken", encoding="utf-8")
    result = run_cli(["ask", "--base-url", fake.base_url, "hi"], cli_env(home))
    assert (result.returncode, result.stdout) == (0, "Echo: hi\n")
    assert "rill: warning: The settings file" in result.stderr
    assert list((home / "config").glob("settings.json.corrupt-*"))


def test_a_bad_rill_max_attempts_is_refused(fake: FakeGemini, home: Path) -> None:
    status, out, line = ask_fails(fake, home, "hi", RILL_MAX_ATTEMPTS="0")
    assert (status, out) == (cli.EXIT_AUTH, "")
    assert line == "RILL_MAX_ATTEMPTS must be a whole number from 1, not '0'"
    assert fake.requests == []
