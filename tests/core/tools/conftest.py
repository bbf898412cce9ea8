"""Fixtures for the tools tests: a hermetic profile with an in-memory keychain, tool
servers that are always shut down (no child process outlives its test), and a fake
OpenAI-compatible server with its provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import keyring
import pytest

from rill.core import secrets
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.tool_settings import ServerConfig, ToolSettings
from rill.core.tools.manager import ToolServers
from rill.core.tools.model import ServerStatus
from tests.core.test_secrets import MemoryKeyring
from tests.fakes.openai_server import FakeOpenAI


@pytest.fixture
def keychain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """RILL_HOME in tmp and a keychain in memory (the real one is never touched)."""
    monkeypatch.setenv("RILL_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(secrets, "_held", {})
    before = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        yield memory
    finally:
        keyring.set_keyring(before)


Make = Callable[..., ToolServers]


@pytest.fixture
async def make_servers(keychain: MemoryKeyring) -> AsyncIterator[Make]:
    """``make_servers(name=config, ..., call_timeout=60, seen=list)``: a ToolServers
    whose state changes go to ``seen``; shut down at the end of the test."""
    made: list[ToolServers] = []

    def make(
        *,
        call_timeout: float = 60.0,
        seen: list[ServerStatus] | None = None,
        start_timeout: float = 60.0,
        **configs: ServerConfig,
    ) -> ToolServers:
        settings = ToolSettings(call_timeout=call_timeout, servers=configs)
        servers = ToolServers(
            settings, seen.append if seen is not None else None, start_timeout=start_timeout
        )
        made.append(servers)
        return servers

    yield make
    for servers in made:
        await servers.shutdown()


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    """A fake OpenAI-compatible server on 127.0.0.1."""
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def oai_provider(openai: FakeOpenAI) -> AsyncIterator[OpenAICompatProvider]:
    """An OpenAICompatProvider talking to :func:`openai`, closed after the test."""
    made = OpenAICompatProvider(openai.base_url, "test-key", read_timeout=10.0)
    yield made
    await made.aclose()
