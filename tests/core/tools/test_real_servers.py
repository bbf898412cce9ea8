"""ToolServers against the real MCP servers users install: ``mcp-server-time`` and
``mcp-server-git`` (on a repository made for the test), over stdio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rill.core.tools.model import ServerState, ServerStatus, ToolCallError
from tests.core.tools.conftest import Make
from tests.core.tools.support import alive, git_config, make_repository, time_config

pytestmark = pytest.mark.timeout(60)


async def test_time_server_starts_on_first_use_lists_and_answers(make_servers: Make) -> None:
    seen: list[ServerStatus] = []
    servers = make_servers(time=time_config(), seen=seen)
    assert servers.status("time").state is ServerState.STOPPED  # nothing runs before use
    result = await servers.call("time", "get_current_time", {"timezone": "Asia/Tokyo"})
    assert not result.is_error
    value = result.structured_value()
    assert value["timezone"] == "Asia/Tokyo" and value["datetime"].endswith("+09:00")
    assert "Asia/Tokyo" in result.text
    status = servers.status("time")
    assert status.state is ServerState.READY and status.server_info.startswith("mcp-time")
    names = {t.name for t in status.tools}
    assert names == {"get_current_time", "convert_time"}
    assert all(t.usable and t.description and t.input_schema for t in status.tools)
    assert [s.state for s in seen] == [ServerState.STARTING, ServerState.READY]


async def test_a_bad_timezone_is_the_tools_error_not_a_failure(make_servers: Make) -> None:
    servers = make_servers(time=time_config())
    result = await servers.call("time", "get_current_time", {"timezone": "Mars/Olympus"})
    assert result.is_error and "Mars/Olympus" in result.text
    assert servers.status("time").state is ServerState.READY


async def test_git_server_on_a_temporary_repository(make_servers: Make, tmp_path: Path) -> None:
    repository = make_repository(tmp_path / "repo")
    (repository / "notes.txt").write_text("new\n", encoding="utf-8")
    servers = make_servers(git=git_config(repository))
    tools = {t.name: t for t in await servers.tools("git")}
    assert {"git_status", "git_log", "git_diff_unstaged"} <= set(tools)
    assert all(t.usable for t in tools.values()), [t.problem for t in tools.values()]
    status = await servers.call("git", "git_status", {"repo_path": str(repository)})
    assert not status.is_error and "notes.txt" in status.text
    log = await servers.call("git", "git_log", {"repo_path": str(repository)})
    assert "First commit of the test repository" in log.text
    outside = await servers.call("git", "git_status", {"repo_path": str(tmp_path)})
    assert outside.is_error  # the server refuses a path outside its repository


async def test_offered_tools_leave_out_turned_off_ones(make_servers: Make) -> None:
    from dataclasses import replace

    from rill.core.tool_settings import ToolPrefs

    config = replace(time_config(), tools={"convert_time": ToolPrefs(enabled=False)})
    servers = make_servers(time=config)
    offered, failed = await servers.offered_tools()
    assert [t.name for t in offered] == ["get_current_time"] and failed == {}
    json.dumps(offered[0].input_schema)  # what goes out as the function's schema


async def test_launch_servers_start_and_edits_apply(make_servers: Make) -> None:
    from dataclasses import replace

    from rill.core.tool_settings import ToolPrefs
    from tests.core.tools.support import fake_config, wait_until

    seen: list[ServerStatus] = []
    servers = make_servers(
        time=replace(time_config(), start="launch"), fake=fake_config(), seen=seen
    )
    assert servers.start_at_launch() == ["time"]
    await wait_until(lambda: servers.status("time").state is ServerState.READY)
    assert servers.status("fake").state is ServerState.STOPPED  # first use only
    pid = int((await servers.call("fake", "pid")).text)
    settings = servers.settings
    # A tool's choices change: the server keeps running.
    kept = settings.with_tool_prefs("fake", "echo", ToolPrefs(enabled=False))
    servers.configure(kept)
    assert servers.status("fake").state is ServerState.READY
    assert int((await servers.call("fake", "pid")).text) == pid
    with pytest.raises(ToolCallError, match="turned off"):
        await servers.call("fake", "echo", {"text": "x"})
    # Turned off: stopped, and refused; its command changed: stopped, new one on next use.
    changed = replace(kept.servers["fake"], env={**kept.servers["fake"].env, "TZ": "UTC"})
    servers.configure(
        kept.with_server("time", replace(kept.servers["time"], enabled=False)).with_server(
            "fake", changed
        )
    )
    await wait_until(lambda: not alive(pid))
    assert servers.status("time").state is ServerState.STOPPED
    with pytest.raises(ToolCallError, match="turned off"):
        await servers.call("time", "get_current_time", {"timezone": "UTC"})
    assert int((await servers.call("fake", "pid")).text) != pid
