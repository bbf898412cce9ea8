"""`rill ask --provider local` as a real subprocess: it answers with no network at all.

"No network" is enforced, not assumed: the CLI runs under an audit hook that fails
the process on any socket connect or DNS lookup.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rill.core.cli import parse as cli
from rill.core.providers.local_models import bundled_model_path
from tests.core.cli.test_cli import cli_env

pytestmark = [
    pytest.mark.skipif(bundled_model_path() is None, reason="the built-in model is not installed"),
    pytest.mark.skipif(os.name != "posix", reason="runs the CLI under a POSIX environment"),
]

# Runs rill's CLI with every network call turned into a crash.
NO_NETWORK = """
import sys
def hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto"):
        raise SystemExit(f"network used: {event} {args!r}")
sys.addaudithook(hook)
from rill.core.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_offline(args: list[str], home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(home, key=None, **extra)
    # A proxy that does not exist: if anything tried the network, it would fail loudly.
    env["HTTPS_PROXY"] = env["HTTP_PROXY"] = "http://127.0.0.1:9"
    return subprocess.run(
        [sys.executable, "-c", NO_NETWORK, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


def test_ask_local_answers_offline_with_stats(tmp_path: Path) -> None:
    done = run_offline(
        ["ask", "--provider", "local", "--temperature", "0", "--seed", "1",
         "--max-output-tokens", "12", "--stats", "Say hello."],
        tmp_path / "home",
    )  # fmt: skip
    assert done.returncode == cli.EXIT_OK, done.stderr
    assert done.stdout.strip()  # the answer
    assert "network used" not in done.stderr
    assert "model version: smollm2-135m-instruct" in done.stderr
    stats = dict(line.split(": ", 1) for line in done.stderr.splitlines() if ": " in line)
    assert int(stats["prompt tokens"]) > 5
    assert 0 < int(stats["output tokens"]) <= 12


def test_ask_local_is_the_same_answer_streamed_or_not(tmp_path: Path) -> None:
    args = ["ask", "--provider", "local", "--temperature", "0", "--max-output-tokens", "8", "Hi"]
    streamed = run_offline(args, tmp_path / "a")
    whole = run_offline([*args[:1], "--no-stream", *args[1:]], tmp_path / "b")
    assert streamed.returncode == whole.returncode == cli.EXIT_OK, streamed.stderr + whole.stderr
    assert streamed.stdout == whole.stdout and streamed.stdout.strip()


def test_chat_local_keeps_the_conversation(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "home", key=None)
    done = subprocess.run(
        [sys.executable, "-c", NO_NETWORK, "chat", "--provider", "local", "--temperature", "0",
         "--max-output-tokens", "6"],
        input="My name is Ada.\nWhat is my name?\n",
        capture_output=True, text=True, encoding="utf-8", env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == cli.EXIT_OK, done.stderr
    assert len([line for line in done.stdout.splitlines() if line.strip()]) >= 2


def test_an_unknown_local_model_is_one_line(tmp_path: Path) -> None:
    done = run_offline(["ask", "--provider", "local", "--model", "nope.gguf", "Hi"], tmp_path / "h")
    assert done.returncode == cli.EXIT_INVALID
    assert done.stderr.startswith("No local model called 'nope.gguf'")
    assert len(done.stderr.splitlines()) == 1
