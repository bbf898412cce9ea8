"""Streamable HTTP servers with their headers (a secret one from the keychain), and
the environment a stdio server gets: its own variables and secrets, none of Rill's keys
(read from /proc/<pid>/environ, the environment it was started with)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from rill.core import secrets
from rill.core.tool_settings import ServerConfig
from rill.core.tools import keys
from rill.core.tools.model import ServerState, ToolCallError
from tests.core.test_secrets import MemoryKeyring
from tests.core.tools.conftest import Make
from tests.core.tools.support import HttpFake, fake_config, wait_until

pytestmark = pytest.mark.timeout(60)


def http_config(url: str, **fields: object) -> ServerConfig:
    return ServerConfig(kind="http", url=url, **fields)  # type: ignore[arg-type]


async def test_http_server_with_a_secret_header_from_the_keychain(
    make_servers: Make, keychain: MemoryKeyring
) -> None:
    with HttpFake(token="tok-123") as fake:
        keys.store_secrets("web", {}, {"Authorization": "Bearer tok-123"})
        config = http_config(
            fake.url, headers={"X-Client": "rill"}, secret_headers=("Authorization",)
        )
        servers = make_servers(web=config)
        result = await servers.call("web", "echo", {"text": "over http"})
        assert result.text == "over http"
        assert servers.status("web").state is ServerState.READY
        (image,) = (await servers.call("web", "picture")).images
        assert image.mime_type == "image/png"
    stored = {user for (_service, user) in keychain.store}
    assert stored == {"mcp/web/header/Authorization"}


async def test_http_credentials_refused_are_named_as_such(make_servers: Make) -> None:
    with HttpFake(token="right") as fake:
        servers = make_servers(web=http_config(fake.url, headers={"Authorization": "Bearer wrong"}))
        with pytest.raises(ToolCallError) as caught:
            await servers.tools("web")
        status = servers.status("web")
    assert caught.value.failure == "unavailable"
    assert "refused the credentials (HTTP 401)" in status.reason and status.fault == "auth"
    assert "wrong" not in status.reason  # never the header's value


async def test_http_server_that_is_not_there(make_servers: Make) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    servers = make_servers(web=http_config(f"http://127.0.0.1:{port}/mcp?token=secret"))
    with pytest.raises(ToolCallError):
        await servers.tools("web")
    status = servers.status("web")
    assert status.fault == "network" and f"http://127.0.0.1:{port}" in status.reason
    assert "secret" not in status.reason  # the query is never shown


async def test_an_http_server_that_goes_away_is_restarted_when_back(make_servers: Make) -> None:
    with HttpFake() as fake:
        servers = make_servers(
            web=http_config(fake.url, headers={"Authorization": "Bearer test-token"})
        )
        assert (await servers.call("web", "echo", {"text": "one"})).text == "one"
    with pytest.raises(ToolCallError) as caught:
        await servers.call("web", "echo", {"text": "two"}, limit=5)
    assert caught.value.failure == "crashed" and "went away during the call" in str(caught.value)
    await wait_until(lambda: servers.status("web").state is ServerState.FAILED)
    status = servers.status("web")
    assert status.fault == "network" and status.restart_in == 1.0  # it is tried again
    assert [t.name for t in status.tools][:2] == ["echo", "add"]  # still shown meanwhile


@pytest.mark.skipif(not os.path.exists("/proc/self/environ"), reason="needs /proc")
@pytest.mark.parametrize("held", [True, False], ids=["window", "cli"])
async def test_a_stdio_server_gets_its_own_variables_and_none_of_rills_keys(
    make_servers: Make, keychain: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, held: bool
) -> None:
    for name in (*secrets.KEY_VARIABLES, "ANTHROPIC_API_KEY"):
        monkeypatch.setenv(name, f"secret-of-{name}")
    monkeypatch.setenv("RILL_PRIVATE_NOTE", "not for children")  # not a key, still not given
    if held:
        secrets.hold_environment_keys()  # what the window does at start; the CLI does not
    keys.store_secrets("fake", {"SERVICE_TOKEN": "tok-from-keychain"}, {})
    config = fake_config(env={"TZ": "UTC"}, secret_env=("SERVICE_TOKEN",))
    servers = make_servers(fake=config)
    pid = int((await servers.call("fake", "pid")).text)
    raw = await asyncio.to_thread(Path(f"/proc/{pid}/environ").read_bytes)
    at_start = dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)
    assert at_start["TZ"] == "UTC" and at_start["SERVICE_TOKEN"] == "tok-from-keychain"
    assert not [name for name in at_start if secrets.is_key_variable(name)]
    assert "RILL_PRIVATE_NOTE" not in at_start  # only what the server is given
    assert set(at_start) <= {
        "HOME",
        "LOGNAME",
        "PATH",
        "SHELL",
        "TERM",
        "USER",
        "TZ",
        "SERVICE_TOKEN",
        "PYTHONPATH",
    }
    seen = (await servers.call("fake", "environment")).structured_value()
    assert seen["SERVICE_TOKEN"] == "tok-from-keychain"
    assert not [name for name in seen if secrets.is_key_variable(name)]
