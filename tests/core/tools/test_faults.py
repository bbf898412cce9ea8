"""What a misbehaving server does to Rill: a call that hangs, a cancelled call, a crash
mid-call, 5 MB of result, an invalid schema, an image, a server that cannot start or
never answers. Against ``tests/fakes/mcp_server.py`` (the SDK's own server) over stdio."""

from __future__ import annotations

import asyncio
import time

import pytest

from rill.core.tool_settings import ServerConfig
from rill.core.tools import connection
from rill.core.tools.convert import MAX_TEXT_BYTES
from rill.core.tools.model import ServerState, ServerStatus, ToolCallError
from tests.core.tools.conftest import Make
from tests.core.tools.support import alive, fake_config, wait_until
from tests.fakes.mcp_server import RED_PIXEL_PNG

pytestmark = pytest.mark.timeout(90)


async def test_a_hanging_call_times_out_and_the_session_still_works(make_servers: Make) -> None:
    servers = make_servers(fake=fake_config())
    await servers.tools("fake")
    started = time.monotonic()
    with pytest.raises(ToolCallError) as caught:
        await servers.call("fake", "hang", limit=0.5)
    assert caught.value.failure == "timeout" and "0.5 s" in str(caught.value)
    assert time.monotonic() - started < 5
    assert (await servers.call("fake", "echo", {"text": "still here"})).text == "still here"
    assert servers.status("fake").state is ServerState.READY


async def test_the_call_timeout_setting_is_the_default(make_servers: Make) -> None:
    servers = make_servers(fake=fake_config(), call_timeout=1.0)
    await servers.tools("fake")
    with pytest.raises(ToolCallError, match="within 1 s"):
        await servers.call("fake", "hang")


async def test_cancelling_a_call_stops_waiting_at_once_and_keeps_the_session(
    make_servers: Make,
) -> None:
    servers = make_servers(fake=fake_config())
    await servers.tools("fake")
    call = asyncio.create_task(servers.call("fake", "hang"))
    await asyncio.sleep(0.3)  # the request is with the server
    cancelled_at = time.monotonic()
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert time.monotonic() - cancelled_at < 0.5
    assert (await servers.call("fake", "add", {"a": 2, "b": 3})).text == "5"
    assert servers.status("fake").state is ServerState.READY


async def test_a_crash_mid_call_is_a_clear_error_and_the_server_restarts(
    make_servers: Make,
) -> None:
    seen: list[ServerStatus] = []
    servers = make_servers(fake=fake_config(), seen=seen)
    first_pid = int((await servers.call("fake", "pid")).text)
    with pytest.raises(ToolCallError) as caught:
        await servers.call("fake", "crash")
    error = caught.value
    assert error.failure == "crashed"
    assert "went away during the call to crash" in str(error)
    assert "fatal: the crash tool was called" in str(error)  # its last words
    # The next call waits for the restart (after the first backoff) and works.
    second_pid = int((await servers.call("fake", "pid")).text)
    assert second_pid != first_pid and not alive(first_pid)
    states = [(s.state, s.restart_in) for s in seen]
    assert states == [
        (ServerState.STARTING, None),
        (ServerState.READY, None),
        (ServerState.FAILED, connection.BACKOFF_FIRST),
        (ServerState.STARTING, None),
        (ServerState.READY, None),
    ]
    failed = next(s for s in seen if s.state is ServerState.FAILED)
    assert failed.reason and "fatal: the crash tool was called" in failed.stderr_tail


async def test_a_server_that_keeps_crashing_is_given_up(
    make_servers: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "BACKOFF_FIRST", 0.05)
    monkeypatch.setattr(connection, "MAX_CRASHES", 2)
    seen: list[ServerStatus] = []
    servers = make_servers(fake=fake_config(), seen=seen)
    for _ in range(3):
        with pytest.raises(ToolCallError):
            await servers.call("fake", "crash")
    await wait_until(
        lambda: not servers.status("fake").restart_in and seen[-1].state is ServerState.FAILED
    )
    delays = [s.restart_in for s in seen if s.state is ServerState.FAILED]
    assert delays == [0.05, 0.1, None]  # doubled, then no more restarts
    final = servers.status("fake")
    assert final.state is ServerState.FAILED and "not restarted after 2 crashes" in final.reason
    # Using it again starts it afresh: Retry works.
    assert (await servers.call("fake", "echo", {"text": "back"})).text == "back"


async def test_five_megabytes_of_result_are_cut_with_a_note(make_servers: Make) -> None:
    servers = make_servers(fake=fake_config())
    result = await servers.call("fake", "big")
    assert not result.is_error
    assert sum(len(p.text or "") for p in result.parts) == MAX_TEXT_BYTES
    assert result.notes[0] == "(result cut at 1,024 KB; the tool sent 5,120 KB of text)"
    assert result.structured is None and "structured result of 5,120 KB left out" in result.notes[1]
    assert result.text.endswith(result.notes[-1])  # the model is told too


async def test_an_invalid_schema_marks_that_tool_only(make_servers: Make) -> None:
    servers = make_servers(fake=fake_config())
    tools = {t.name: t for t in await servers.tools("fake")}
    bad = tools["bad_schema"]
    assert not bad.usable and "not a valid JSON Schema" in bad.problem and "'zero'" in bad.problem
    assert all(t.usable for name, t in tools.items() if name != "bad_schema")
    offered, _ = await servers.offered_tools()
    assert "bad_schema" not in {t.name for t in offered} and "echo" in {t.name for t in offered}
    with pytest.raises(ToolCallError) as caught:
        await servers.call("fake", "bad_schema", {"n": 1})
    assert caught.value.failure == "unknown_tool" and "cannot be used" in str(caught.value)
    assert servers.status("fake").state is ServerState.READY


async def test_an_image_result_arrives_as_an_image_part(make_servers: Make) -> None:
    servers = make_servers(fake=fake_config())
    result = await servers.call("fake", "picture")
    (image,) = result.images
    assert image.mime_type == "image/png" and image.data == RED_PIXEL_PNG


async def test_a_tool_that_raises_gives_an_error_result(make_servers: Make) -> None:
    servers = make_servers(fake=fake_config())
    result = await servers.call("fake", "fail", {"reason": "disk on fire"})
    assert result.is_error and "disk on fire" in result.text


async def test_bad_arguments_and_a_protocol_error(make_servers: Make) -> None:
    servers = make_servers(fake=fake_config())
    # The SDK's servers answer arguments that do not fit as a tool error...
    result = await servers.call("fake", "add", {"a": "two"})
    assert result.is_error and "validation error" in result.text
    # ...and a protocol error is a refusal, with the server's words.
    with pytest.raises(ToolCallError) as caught:
        await servers.call("fake", "refuse")
    assert caught.value.failure == "refused" and "this tool never runs" in str(caught.value)
    assert (await servers.call("fake", "echo", {"text": "fine"})).text == "fine"


async def test_an_unknown_tool_and_an_unknown_server(make_servers: Make) -> None:
    servers = make_servers(fake=fake_config())
    with pytest.raises(ToolCallError) as caught:
        await servers.call("fake", "nope")
    assert caught.value.failure == "unknown_tool"
    with pytest.raises(ToolCallError) as caught:
        await servers.call("other", "echo")
    assert caught.value.failure == "unavailable"


async def test_a_program_that_does_not_exist_fails_once_without_restarts(
    make_servers: Make,
) -> None:
    seen: list[ServerStatus] = []
    servers = make_servers(gone=ServerConfig(command="/nonexistent/mcp-server"), seen=seen)
    with pytest.raises(ToolCallError) as caught:
        await servers.call("gone", "anything")
    assert caught.value.failure == "unavailable"
    assert "cannot run '/nonexistent/mcp-server': no such program" in str(caught.value)
    assert [s.state for s in seen] == [ServerState.STARTING, ServerState.FAILED]
    assert seen[-1].restart_in is None


async def test_a_server_that_never_answers_fails_after_the_start_timeout(
    make_servers: Make,
) -> None:
    import sys

    silent = ServerConfig(command=sys.executable, args=("-c", "import time; time.sleep(60)"))
    servers = make_servers(silent=silent, start_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(ToolCallError, match="did not start within 1 s"):
        await servers.tools("silent")
    assert time.monotonic() - started < 5


async def test_stderr_lines_are_kept_for_the_ui(make_servers: Make) -> None:
    servers = make_servers(fake=fake_config())
    await servers.call("fake", "shout", {"text": "warming up the flux capacitor"})
    # The pipe is read by the loop, a moment after the tool wrote it.
    await wait_until(lambda: "warming up the flux capacitor" in servers.status("fake").stderr_tail)


async def test_a_missing_secret_fails_the_start_with_the_reason(make_servers: Make) -> None:
    servers = make_servers(fake=fake_config(secret_env=("API_TOKEN",)))
    with pytest.raises(ToolCallError, match=r"secret values \(API_TOKEN\) are not in the keychain"):
        await servers.tools("fake")
    assert servers.status("fake").fault == "auth"


async def test_stderr_read_in_a_thread_as_on_windows(
    make_servers: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rill.core.tools import transport

    monkeypatch.setattr(transport, "READ_IN_THREAD", True)
    servers = make_servers(fake=fake_config())
    await servers.call("fake", "shout", {"text": "read by a thread"})
    await wait_until(lambda: "read by a thread" in servers.status("fake").stderr_tail)
    with pytest.raises(ToolCallError, match="fatal: the crash tool was called"):
        await servers.call("fake", "crash")  # the end of file still tells it went away
    assert (await servers.call("fake", "echo", {"text": "restarted"})).text == "restarted"
