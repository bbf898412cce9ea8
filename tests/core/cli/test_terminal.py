"""Model output cannot drive the terminal: control sequences are shown, not obeyed."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import time
from pathlib import Path

from rill.core.cli.terminal import for_stream, inert
from tests.core.cli.test_cli import CLI, cli_env, run_cli
from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_server import FakeGemini

HOSTILE = "Hi \x1b[2J\x1b]0;pwned\x07\x1b[31mred\x9b1m\r\x08done\n\ttab"


def test_inert_keeps_text_newlines_and_tabs_but_shows_controls() -> None:
    shown = inert(HOSTILE)
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert "\r" not in shown and "\x08" not in shown
    assert shown.startswith("Hi ␛[2J␛]0;pwned␇␛[31mred\ufffd1m␍␈done\n\ttab")
    assert inert("plain 日本 🎉\n") == "plain 日本 🎉\n"


def test_pipes_and_files_get_the_exact_text() -> None:
    assert for_stream(io.StringIO(), HOSTILE) == HOSTILE


def read_all(fd: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                piece = os.read(fd, 65536)
            except OSError:  # the pty closes when the child exits
                break
            if not piece:
                break
            out += piece
        elif proc.poll() is not None:
            break
    return out


def test_rill_ask_on_a_terminal_shows_escapes_as_symbols(
    fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    fake_gemini.push(sc.stream(["Hi \x1b[2J", "\x1b]0;pwned\x07 ok"]))
    master, slave = pty.openpty()
    env = cli_env(tmp_path, GOOGLE_GEMINI_BASE_URL=fake_gemini.base_url)
    proc = subprocess.Popen(
        [*CLI, "ask", "--no-save", "hello"],
        stdout=slave,
        stderr=slave,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(slave)
    try:
        out = read_all(master, proc)
        assert proc.wait(timeout=30) == 0
    finally:
        os.close(master)
    text = out.decode("utf-8")
    assert "\x1b" not in text and "\x07" not in text
    assert "Hi ␛[2J␛]0;pwned␇ ok" in text


def test_rill_ask_into_a_pipe_keeps_the_exact_bytes(
    fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    fake_gemini.push(sc.stream(["Hi \x1b[31m", "red"]))
    env = cli_env(tmp_path, GOOGLE_GEMINI_BASE_URL=fake_gemini.base_url)
    done = run_cli(["ask", "--no-save", "hello"], env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hi \x1b[31mred\n"
