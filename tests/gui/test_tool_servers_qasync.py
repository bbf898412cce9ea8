"""The MCP layer on the window's own loop: a QApplication with a qasync loop runs the
SDK (anyio, asyncio subprocesses, pipes) with no thread of its own. And a process built
like the app, quitting with servers running, is gone within 1 s with status 0.

The quit test runs this module as its driver (``python -m tests.gui.test_tool_servers_qasync
--driver``): a QApplication and a qasync loop as ``rill.gui.app.main`` makes them, three
servers ready (one of them ignores a closed stdin and SIGTERM), then the same exit
order as the app: close → ``ToolServers.shutdown()`` → the loop ends → exit.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rill.core.tool_settings import ToolSettings
from rill.core.tools.model import ServerState, ServerStatus, ToolCallError
from tests.core.tools.support import fake_config, still_running, time_config

ROOT = Path(__file__).resolve().parents[2]
QUIT_LIMIT_S = 1.0
CLOSE_MARK = "driver: closing at "
PIDS_MARK = "driver: servers "


def test_tool_servers_run_on_the_qasync_loop(run_async: Callable[..., Any]) -> None:
    from rill.core.tools.manager import ToolServers

    seen: list[ServerStatus] = []
    servers = ToolServers(
        ToolSettings(servers={"time": time_config(), "fake": fake_config()}), seen.append
    )
    try:
        offered, failed = run_async(servers.offered_tools(), timeout=30)
        assert failed == {} and {"get_current_time", "echo"} <= {t.name for t in offered}
        answer = run_async(servers.call("time", "get_current_time", {"timezone": "UTC"}))
        assert answer.structured_value()["timezone"] == "UTC"

        async def cancel_a_hanging_call() -> float:
            call = asyncio.create_task(servers.call("fake", "hang"))
            await asyncio.sleep(0.3)
            started = time.monotonic()
            call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await call
            return time.monotonic() - started

        assert run_async(cancel_a_hanging_call()) < 0.5
        assert run_async(servers.call("fake", "echo", {"text": "on qasync"})).text == "on qasync"
        with pytest.raises(ToolCallError, match="went away during the call to crash"):
            run_async(servers.call("fake", "crash"))
        assert (
            run_async(servers.call("fake", "echo", {"text": "again"}), timeout=30).text == "again"
        )
        assert [s.state for s in seen if s.name == "fake"].count(ServerState.READY) == 2
    finally:
        run_async(servers.shutdown())
    assert {servers.status(n).state for n in ("time", "fake")} == {ServerState.STOPPED}


def test_quitting_with_servers_running_exits_within_1s(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "RILL_HOME": str(tmp_path / "home"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        "PYTHONASYNCIODEBUG": "0",
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.gui.test_tool_servers_qasync", "--driver"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    closed_at: float | None = None
    pids: list[int] = []
    for line in child.stdout:  # ends when the child's stdout closes (at exit)
        if line.startswith(PIDS_MARK):
            pids = json.loads(line.removeprefix(PIDS_MARK))
        elif line.startswith(CLOSE_MARK):
            closed_at = float(line.removeprefix(CLOSE_MARK))
    code = child.wait(timeout=60)
    exited_at = time.monotonic()
    stderr = child.stderr.read() if child.stderr else ""
    assert closed_at is not None and len(pids) == 3, stderr[-2000:]
    took = exited_at - closed_at
    assert code == 0, stderr[-2000:]
    assert took <= QUIT_LIMIT_S, f"quit took {took:.2f} s"
    assert not still_running(pids)  # the stubborn one was killed too


async def _drive() -> int:
    from rill.core.tools.manager import ToolServers

    settings = ToolSettings(
        servers={
            "time": time_config(),
            "fake": fake_config(),
            "stubborn": fake_config("--stubborn"),
        }
    )
    servers = ToolServers(settings)
    _, failed = await servers.offered_tools()
    assert not failed, failed
    pids = [int((await servers.call(n, "pid")).text) for n in ("fake", "stubborn")]
    time_pid = await _child_running(servers, "mcp-server-time")
    print(PIDS_MARK + json.dumps([time_pid, *pids]), flush=True)
    print(f"{CLOSE_MARK}{time.monotonic()}", flush=True)
    await servers.shutdown()
    return 0


async def _child_running(servers: Any, name: str) -> int:
    """The pid of this process's child whose command line names ``name``."""
    for entry in await asyncio.to_thread(lambda: list(Path("/proc").iterdir())):
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and name.encode() in command:
            return int(entry.name)
    raise AssertionError(f"no child process runs {name}")


def _driver() -> int:
    """As ``rill.gui.app.main`` runs: QApplication, qasync loop, run until closed."""
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        code = loop.run_until_complete(_drive())
        loop.run_until_complete(loop.shutdown_asyncgens())
    gc.freeze()  # as the app does: the OS frees the memory faster than the collector
    return code


if __name__ == "__main__" and sys.argv[1:] == ["--driver"]:
    raise SystemExit(_driver())
