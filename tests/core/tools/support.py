"""Real MCP servers for the tools tests: the PyPI ones from the dev extras
(``mcp-server-time``, ``mcp-server-git``) and ``tests/fakes/mcp_server.py`` (the SDK's
own server with faults), over stdio or streamable HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from rill.core.tool_settings import ServerConfig

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def fake_config(*extra: str, env: dict[str, str] | None = None, **fields: Any) -> ServerConfig:
    """The fault server over stdio (``python -m tests.fakes.mcp_server``)."""
    return ServerConfig(
        command=sys.executable,
        args=("-m", "tests.fakes.mcp_server", *extra),
        env={"PYTHONPATH": str(ROOT), **(env or {})},
        **fields,
    )


def time_config() -> ServerConfig:
    """``mcp-server-time`` from PyPI; answers offline."""
    return ServerConfig(command=str(BIN / "mcp-server-time"), args=("--local-timezone", "UTC"))


def git_config(repository: Path) -> ServerConfig:
    """``mcp-server-git`` from PyPI, limited to ``repository``."""
    return ServerConfig(command=str(BIN / "mcp-server-git"), args=("--repository", str(repository)))


def make_repository(folder: Path) -> Path:
    """A git repository with one commit, made with the real git."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
    }
    for command in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "."],
        ["git", "commit", "-q", "-m", "First commit of the test repository"],
    ):
        if command[1] == "add":
            (folder / "README.md").write_text("hello\n", encoding="utf-8")
        subprocess.run(command, cwd=folder, env=env, check=True, capture_output=True)
    return folder


class HttpFake:
    """The fault server over streamable HTTP in a child process; needs
    ``Authorization: Bearer <token>``."""

    def __init__(self, token: str = "test-token") -> None:
        self.token = token
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> HttpFake:
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.fakes.mcp_server",
                "--http",
                "--token",
                self.token,
                "--exit-on-stdin-eof",
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        assert line.startswith("PORT="), line[:200]
        self.url = f"http://127.0.0.1:{int(line.removeprefix('PORT='))}/mcp"
        return self

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


async def wait_until(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Return once ``condition()`` holds (checked every 20 ms); TimeoutError after
    ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not come true")
        await asyncio.sleep(0.02)


def still_running(pids: list[int], within: float = 5.0) -> list[int]:
    """Those of ``pids`` still running after up to ``within`` seconds. A process sent
    SIGKILL as its parent exits still has to be scheduled to die: on a loaded machine
    it was seen running just after the app's exit, so this waits for it (a server
    that was never killed still shows)."""
    deadline = time.monotonic() + within
    while (left := [pid for pid in pids if alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.02)
    return left


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
