"""`rill ask --tools`, as a real subprocess against the fake Gemini server and the real
`mcp-server-time` from PyPI: --approve runs the call, no terminal denies it (and says
why), an unknown server is refused before anything runs; `rill mcp tools` lists."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.core.cli.test_cli import CLI, KEY, cli_env, run_cli
from tests.core.cli.test_terminal import read_all
from tests.core.tools.test_tool_loop import calls
from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.skipif(os.name != "posix", reason="shares test_cli's helpers")
TIME = str(Path(sys.executable).parent / "mcp-server-time")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    environment = cli_env(tmp_path / "home")
    added = run_cli(["mcp", "add", "time", "--", TIME, "--local-timezone", "UTC"], environment)
    assert added.returncode == 0, added.stderr
    return environment


def ask(fake: FakeGemini, env: dict[str, str], *args: str) -> Any:
    assert fake.api_key == KEY
    return run_cli(["ask", "--base-url", fake.base_url, *args], env)


def replies(fake: FakeGemini) -> list[dict[str, Any]]:
    body = fake.requests_for("streamGenerateContent")[1].json
    return [p["functionResponse"] for p in body["contents"][2]["parts"]]


def test_approve_runs_the_real_time_server_and_the_answer_goes_on(
    fake_gemini: FakeGemini, env: dict[str, str]
) -> None:
    fake_gemini.push(
        calls(("time__get_current_time", {"timezone": "UTC"}, "t1")), sc.stream(["It is now."])
    )
    result = ask(fake_gemini, env, "--tools", "time", "--approve", "what time is it?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "It is now.\n"
    assert "Tool time.get_current_time (allowed once): done." in result.stderr
    (reply,) = replies(fake_gemini)
    assert reply["id"] == "t1" and '"timezone": "UTC"' in reply["response"]["output"]
    declared = fake_gemini.requests_for("streamGenerateContent")[0].json["tools"]
    names = [d["name"] for d in declared[0]["functionDeclarations"]]
    assert "time__get_current_time" in names


def test_without_a_terminal_calls_are_denied_and_stderr_says_why(
    fake_gemini: FakeGemini, env: dict[str, str]
) -> None:
    fake_gemini.push(
        calls(("time__get_current_time", {"timezone": "UTC"}, "t1")), sc.stream(["No time."])
    )
    result = ask(fake_gemini, env, "--tools", "time", "what time is it?")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "No time.\n"
    assert (
        "rill: denied time.get_current_time: there is no terminal to ask on "
        "(--approve allows every call)" in result.stderr
    )
    (reply,) = replies(fake_gemini)
    assert reply["response"] == {
        "error": "The user denied this call of time.get_current_time; it did not run."
    }


def test_an_unknown_server_is_refused_before_any_request(
    fake_gemini: FakeGemini, env: dict[str, str]
) -> None:
    result = ask(fake_gemini, env, "--tools", "time,nowhere", "hi")
    assert result.returncode == 4
    assert "There is no tool server named 'nowhere'" in result.stderr
    assert fake_gemini.requests_for("streamGenerateContent") == []


def test_mcp_tools_lists_the_time_servers_tools(env: dict[str, str]) -> None:
    result = run_cli(["mcp", "tools", "time"], env)
    assert result.returncode == 0, result.stderr
    assert "get_current_time" in result.stdout and "convert_time" in result.stdout


def test_on_a_terminal_always_is_asked_once_and_saved(
    fake_gemini: FakeGemini, env: dict[str, str], tmp_path: Path
) -> None:
    fake_gemini.push(
        calls(("time__get_current_time", {"timezone": "UTC"}, "t1")),
        calls(("time__get_current_time", {"timezone": "Asia/Tokyo"}, "t2")),
        sc.stream(["Both times."]),
    )
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [*CLI, "ask", "--base-url", fake_gemini.base_url, "--tools", "time", "times?"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    seen = b""
    try:
        deadline = time.monotonic() + 30
        while b"[a]lways" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                seen += os.read(master, 4096)
        os.write(master, b"a\n")
        stdout, _ = proc.communicate(timeout=30)
        seen += read_all(master, proc, timeout=2)
    finally:
        os.close(master)
    assert proc.returncode == 0
    assert stdout == b"Both times.\n"
    text = seen.decode("utf-8")
    assert text.count("[a]lways") == 1
    assert 'Allow time.get_current_time({"timezone":"UTC"})? [y]es/[n]o/[a]lways' in text
    (path,) = Path(env["RILL_HOME"]).rglob("settings.json")
    saved = json.loads(path.read_text("utf-8"))
    assert saved["tools"]["servers"]["time"]["tools"]["get_current_time"]["always_allow"]
