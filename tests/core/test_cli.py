"""`rill ask` as a real subprocess against the fake Gemini server: streaming, options,
images, stdin, --stats, --thoughts, --no-stream and Ctrl-C.

The helpers here (`Cli`, `cli_env`, `run_cli`) are shared with the other test_cli_*
modules. Every run gets RILL_HOME in a temporary folder, a null keychain and one
attempt per request (no retries) unless a test says otherwise.
"""

from __future__ import annotations

import base64
import io
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from tests.fakes.gemini_scenarios import Scenario, hold_open, huge_text, slow, stream
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.skipif(os.name != "posix", reason="reads pipes with select, sends SIGINT")

KEY = "test-key"
CLI = [sys.executable, "-m", "rill.core.cli"]
# Variables of the developer's shell that must not leak into a hermetic run.
_SCRUBBED = (
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "RILL_HOME",
    "RILL_DEBUG",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "NO_COLOR",
)


def cli_env(home: Path, *, key: str | None = KEY, **extra: str) -> dict[str, str]:
    """A hermetic environment for one CLI process."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(
        RILL_HOME=str(home),
        # Never the real keychain: the null backend stores nothing and finds nothing.
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        RILL_MAX_ATTEMPTS="1",
        PYTHONIOENCODING="utf-8",
    )
    if key is not None:
        env["GEMINI_API_KEY"] = key
    env.update(extra)
    return env


def run_cli(
    args: list[str], env: dict[str, str], stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=timeout,
    )


# The CLI as a terminal starts it: Ctrl-C raises KeyboardInterrupt. A process started in
# the background by a shell without job control (CI scripts, `cmd &`) inherits SIGINT
# ignored, and Python then leaves it ignored, so the Ctrl-C tests hung in such a run.
INTERRUPTIBLE_CLI = [
    sys.executable,
    "-c",
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('rill.core.cli', run_name='__main__', alter_sys=True)",
]


class Cli:
    """A running CLI whose stdout is read incrementally, as a terminal would see it."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*INTERRUPTIBLE_CLI, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self.stdin = self.proc.stdin
        self._fd = self.proc.stdout.fileno()
        self.out = b""

    def read_until(self, needle: str, timeout: float = 20) -> str:
        """Read stdout until it contains ``needle``; returns everything read so far."""
        deadline = time.monotonic() + timeout
        wanted = needle.encode()
        while wanted not in self.out:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([self._fd], [], [], max(0.0, remaining))
            if not readable:
                raise TimeoutError(f"no {needle!r} on stdout after {timeout} s: {self.out!r}")
            data = os.read(self._fd, 65536)
            if not data:
                raise EOFError(f"stdout closed before {needle!r}: {self.out!r}")
            self.out += data
        return self.out.decode()

    def send(self, line: str) -> None:
        self.stdin.write(line.encode())
        self.stdin.flush()

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        """Close stdin, wait for exit; (status, all of stdout, stderr)."""
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, (self.out + out).decode(), err.decode()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture
def fake(fake_gemini: FakeGemini) -> FakeGemini:
    """The shared in-process fake (tests/conftest.py), under a short name."""
    assert fake_gemini.api_key == KEY
    return fake_gemini


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "home")


def ask(fake: FakeGemini, env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    return run_cli(["ask", "--base-url", fake.base_url, *args], env, stdin)


def image_bytes(fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (0, 128, 255)).save(buffer, format=fmt)
    return buffer.getvalue()


def upload_to_files_api(fake: FakeGemini, data: bytes, mime: str) -> str:
    """Put a file into the fake's Files API (as a finished upload) and return its URI."""
    fake.file_active_after_polls = 0
    started = fake.files.start(
        {
            "x-goog-upload-protocol": "resumable",
            "x-goog-upload-command": "start",
            "x-goog-upload-header-content-length": str(len(data)),
            "x-goog-upload-header-content-type": mime,
        },
        {"file": {"displayName": "upload"}},
        fake.base_url,
    )
    upload_id = parse_qs(urlsplit(started.headers["X-Goog-Upload-URL"]).query)["upload_id"][0]
    done = fake.files.transfer(
        upload_id, {"x-goog-upload-command": "upload, finalize", "x-goog-upload-offset": "0"}, data
    )
    assert done.body is not None, done.error
    return str(done.body["file"]["uri"])


# ------------------------------------------------------------------ streaming


def test_ask_prints_exactly_the_streamed_text(fake: FakeGemini, env: dict[str, str]) -> None:
    fake.push(stream(["Hel", "lo, ", "wörld 😀 — ", "日本語"]))
    result = ask(fake, env, "Say hello")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "Hello, wörld 😀 — 日本語\n"
    request = fake.last_request
    assert request.path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
    assert request.query == {"alt": "sse"}
    assert request.json == {"contents": [{"role": "user", "parts": [{"text": "Say hello"}]}]}


def test_the_key_travels_only_in_the_header(fake: FakeGemini, env: dict[str, str]) -> None:
    assert ask(fake, env, "hi").returncode == 0
    request = fake.last_request
    assert request.headers["x-goog-api-key"] == KEY
    assert KEY not in request.target
    assert "key" not in request.query
    assert KEY.encode() not in request.body


def test_first_words_arrive_before_the_server_has_finished(
    fake: FakeGemini, env: dict[str, str]
) -> None:
    fake.push(slow(interval=0.3, texts=["First words. ", "b ", "c ", "d ", "e."]))
    cli = Cli(["ask", "--base-url", fake.base_url, "go"], env)
    try:
        assert cli.read_until("First words.") == "First words. "
        record = fake.streams[-1]
        assert not record.completed and record.disconnected_at is None
        status, out, err = cli.finish()
    finally:
        cli.kill()
    assert (status, out, err) == (0, "First words. b c d e.\n", "")
    assert fake.streams[-1].completed


def test_held_stream_shows_its_first_chunk_then_the_rest(
    fake: FakeGemini, env: dict[str, str]
) -> None:
    fake.push(hold_open(["Hello"], [", world."]))
    cli = Cli(["ask", "--base-url", fake.base_url, "greet"], env)
    try:
        cli.read_until("Hello")
        assert fake.wait_for_hold() is not None
        fake.release()
        status, out, err = cli.finish()
    finally:
        cli.kill()
    assert (status, out, err) == (0, "Hello, world.\n", "")


def test_ctrl_c_keeps_what_was_printed_and_exits_130(fake: FakeGemini, env: dict[str, str]) -> None:
    fake.push(hold_open(["Partial answer"], [" never sent"]))
    cli = Cli(["ask", "--base-url", fake.base_url, "tell me"], env)
    try:
        cli.read_until("Partial answer")
        cli.proc.send_signal(signal.SIGINT)
        status, out, err = cli.finish()
    finally:
        cli.kill()
    assert status == 130
    assert out == "Partial answer\n"
    assert err.splitlines() == ["Stopped (Ctrl-C)."]
    assert fake.wait_for_disconnect() is not None  # the HTTP response was closed


# ------------------------------------------------------------------ what is sent


def test_every_option_reaches_the_request_body(fake: FakeGemini, env: dict[str, str]) -> None:
    result = ask(
        fake,
        env,
        "--model",
        "gemini-2.5-pro",
        "--temperature",
        "0.3",
        "--top-p",
        "0.8",
        "--top-k",
        "20",
        "--max-output-tokens",
        "64",
        "--stop",
        "END",
        "--stop",
        "STOP HERE",
        "--seed",
        "42",
        "--system",
        "Be terse.",
        "--thoughts",
        "Two",
        "words",
    )
    assert result.returncode == 0, result.stderr
    request = fake.last_request
    assert request.model == "gemini-2.5-pro"
    assert request.normalized == {
        "contents": [{"role": "user", "parts": [{"text": "Two words"}]}],
        "systemInstruction": {"parts": [{"text": "Be terse."}]},
        "generationConfig": {
            "temperature": 0.3,
            "topP": 0.8,
            "topK": 20,
            "maxOutputTokens": 64,
            "stopSequences": ["END", "STOP HERE"],
            "seed": 42,
            "thinkingConfig": {"includeThoughts": True},
        },
    }


def test_options_not_given_are_not_sent(fake: FakeGemini, env: dict[str, str]) -> None:
    assert ask(fake, env, "--top-k", "5", "plain").returncode == 0
    assert fake.last_request.normalized == {
        "contents": [{"role": "user", "parts": [{"text": "plain"}]}],
        "generationConfig": {"topK": 5},
    }


def test_images_go_as_inline_and_file_data(
    fake: FakeGemini, env: dict[str, str], tmp_path: Path
) -> None:
    picture = tmp_path / "pixel.png"
    picture.write_bytes(image_bytes("PNG"))
    # A Files API URI has no extension: the CLI sends it as image/jpeg (documented).
    files_api = upload_to_files_api(fake, image_bytes("JPEG"), "image/jpeg")
    assert files_api.startswith("https://generativelanguage.googleapis.com/v1beta/files/")
    result = ask(
        fake,
        env,
        "--image",
        str(picture),
        "--image",
        "gs://bucket/cat.webp",
        "--image",
        files_api,
        "What is this?",
    )
    assert result.returncode == 0, result.stderr
    parts = fake.last_request.normalized["contents"][0]["parts"]
    assert parts == [
        {
            "inlineData": {
                "mimeType": "image/png",
                "data": base64.b64encode(image_bytes("PNG")).decode(),
            }
        },
        {"fileData": {"mimeType": "image/webp", "fileUri": "gs://bucket/cat.webp"}},
        {"fileData": {"mimeType": "image/jpeg", "fileUri": files_api}},
        {"text": "What is this?"},
    ]


def test_prompt_dash_reads_stdin(fake: FakeGemini, env: dict[str, str]) -> None:
    text = "from stdin\nwith two lines ünïcode\n"
    result = ask(fake, env, "-", stdin=text)
    assert result.returncode == 0, result.stderr
    assert fake.last_request.json["contents"][0]["parts"] == [{"text": text}]


def test_defaults_come_from_the_settings_file(fake: FakeGemini, tmp_path: Path) -> None:
    from rill.core.settings import GenerationDefaults, ProviderConfig, Settings, save_settings

    home = tmp_path / "home"
    config = home / "config" / "settings.json"
    save_settings(
        Settings(
            providers={"gemini": ProviderConfig("gemini", fake.base_url, "gemini-2.0-flash")},
            generation=GenerationDefaults(temperature=1.25, stop_sequences=("X",)),
        ),
        config,
    )
    result = run_cli(["ask", "--temperature", "0.5", "hi"], cli_env(home))
    assert result.returncode == 0, result.stderr
    request = fake.last_request
    assert request.model == "gemini-2.0-flash"
    assert request.normalized["generationConfig"] == {"temperature": 0.5, "stopSequences": ["X"]}


# ------------------------------------------------------------------ other modes


def test_no_stream_uses_generate_content(fake: FakeGemini, env: dict[str, str]) -> None:
    result = ask(fake, env, "--no-stream", "all at once")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "Echo: all at once\n"
    assert fake.last_request.action == "generateContent"


def test_stats_match_the_usage_metadata(fake: FakeGemini, env: dict[str, str]) -> None:
    usage = {
        "promptTokenCount": 11,
        "candidatesTokenCount": 7,
        "thoughtsTokenCount": 5,
        "totalTokenCount": 23,
    }
    fake.push(stream(["one ", "two ", "three"], usage=usage, model_version="gemini-2.5-flash-001"))
    result = ask(fake, env, "--stats", "count")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "one two three\n"
    stats = dict(line.split(": ", 1) for line in result.stderr.splitlines())
    assert stats["prompt tokens"] == "11"
    assert stats["output tokens"] == "7"
    assert stats["thinking tokens"] == "5"
    assert stats["total tokens"] == "23"
    assert stats["finish reason"] == "STOP"
    assert stats["model version"] == "gemini-2.5-flash-001"
    assert float(stats["time to first token"].removesuffix(" s")) >= 0
    assert set(stats) == {
        "prompt tokens",
        "output tokens",
        "thinking tokens",
        "total tokens",
        "time to first token",
        "tokens per second",
        "finish reason",
        "model version",
    }


@pytest.mark.parametrize(
    "how", [["--no-stream"], []], ids=["not-streamed", "streamed-in-one-piece"]
)
def test_stats_of_an_answer_that_came_whole_have_no_speed(
    fake: FakeGemini, env: dict[str, str], how: list[str]
) -> None:
    # The whole body arrived at once: its first token and its end were stamped
    # microseconds apart, and --stats printed "tokens per second: 4504504.5".
    fake.push(stream(["All of it at once, in one piece."]))
    result = ask(fake, env, *how, "--stats", "whole")
    assert result.returncode == 0, result.stderr
    stats = dict(line.split(": ", 1) for line in result.stderr.splitlines())
    assert stats["tokens per second"] == "-"
    assert "time to first token" not in stats
    assert float(stats["time to whole answer"].removesuffix(" s")) >= 0
    assert stats["output tokens"] == "8"


def test_thoughts_go_to_stderr_and_stdout_stays_clean(
    fake: FakeGemini, env: dict[str, str]
) -> None:
    result = ask(fake, env, "--model", "fake-thoughts", "--thoughts", "think")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Echo: think\n"
    assert "**Planning the answer**" in result.stderr
    assert "\x1b[" not in result.stderr  # no colour codes when stderr is not a terminal
    assert fake.last_request.normalized["generationConfig"]["thinkingConfig"] == {
        "includeThoughts": True
    }


def test_version_and_help(env: dict[str, str]) -> None:
    version = run_cli(["--version"], env)
    assert (version.returncode, version.stdout.split()[0]) == (0, "rill")
    helped = run_cli(["ask", "--help"], env)
    assert helped.returncode == 0
    for text in ("--max-output-tokens", "--no-stream", "exit status:", "130", "RILL_HOME"):
        assert text in helped.stdout


def test_a_default_answer_is_the_echo(fake: FakeGemini, env: dict[str, str]) -> None:
    fake.push(Scenario())
    result = ask(fake, env, "ping")
    assert (result.returncode, result.stdout) == (0, "Echo: ping\n")


def test_a_huge_answer_arrives_intact(fake: FakeGemini, env: dict[str, str]) -> None:
    result = ask(fake, env, "--model", "fake-huge", "long please")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == huge_text(300_000) + "\n"


def test_a_closed_stdout_ends_quietly(fake: FakeGemini, env: dict[str, str]) -> None:
    """`rill ask ... | head -c 5`: the reader goes away; no traceback, status 141."""
    fake.push(hold_open(["first"], [" second"]))
    cli = Cli(["ask", "--base-url", fake.base_url, "go"], env)
    try:
        cli.read_until("first")
        assert cli.proc.stdout is not None
        cli.proc.stdout.close()  # the reader hangs up
        fake.release()
        assert cli.proc.wait(timeout=30) == 141
        assert cli.proc.stderr is not None
        assert cli.proc.stderr.read() == b""
    finally:
        cli.kill()
