"""Servers on this machine are reached directly by every provider, whatever proxy the
environment names (here a dead one): Gemini, Vertex AI, OpenAI-compatible, the Files
API and Test connection all get their HTTP client from one factory."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rill.core.errors import NetworkError
from rill.core.providers import registry
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.http_client import is_loopback, make_client
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.providers.vertex import StaticToken, VertexProvider
from rill.core.settings import NetworkSettings, ProviderConfig, Settings
from rill.core.types import GenerateRequest, GenerationSettings, Message, Part, Role
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_server import FakeOpenAI

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


HOSTS = [
    "127.0.0.1",
    "localhost",
    pytest.param(
        "::1", marks=pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
    ),
]


@pytest.fixture(autouse=True)
def dead_proxy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Every proxy variable names a port where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    for name in PROXY_VARS:
        monkeypatch.setenv(name, url)
        monkeypatch.setenv(name.lower(), url)
    for name in ("NO_PROXY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("RILL_HOME", str(tmp_path / "home"))
    return url


@pytest.fixture(params=HOSTS)
def gemini(request: pytest.FixtureRequest) -> Iterator[FakeGemini]:
    with FakeGemini(host="127.0.0.1" if request.param == "localhost" else request.param) as fake:
        if request.param == "localhost":
            fake.host = "localhost"  # base_url names it; the server listens on 127.0.0.1
        yield fake


def ask(text: str = "hi", model: str = "gemini-2.5-flash") -> GenerateRequest:
    user = Message(role=Role.USER, parts=[Part.from_text(text)])
    return GenerateRequest((user,), GenerationSettings(model=model))


async def test_the_dead_proxy_is_really_in_the_way_of_remote_servers() -> None:
    provider = OpenAICompatProvider("http://llm.example.test/v1", connect_timeout=5.0)
    try:
        with pytest.raises(NetworkError):
            await provider.list_models()
    finally:
        await provider.aclose()


async def test_gemini_reaches_a_server_on_this_machine_directly(gemini: FakeGemini) -> None:
    provider = registry.build_provider(
        "gemini", Settings(), api_key="test-key", base_url=gemini.base_url
    )
    try:
        text = "".join([c.text async for c in provider.stream(ask())])
    finally:
        await provider.aclose()
    assert text == "Echo: hi"


async def test_a_settings_proxy_is_not_used_for_this_machine_either(gemini: FakeGemini) -> None:
    settings = Settings(network=NetworkSettings(proxy="http://127.0.0.1:9"))
    provider = registry.build_provider(
        "gemini", settings, api_key="test-key", base_url=gemini.base_url
    )
    try:
        message = await provider.generate(ask("whole"))
    finally:
        await provider.aclose()
    assert message.text == "Echo: whole"


async def test_vertex_reaches_a_server_on_this_machine_directly(gemini: FakeGemini) -> None:
    gemini.bearer_token = "token"
    provider = VertexProvider(
        "proj", "us-central1", token_source=StaticToken("token"), base_url=gemini.base_url
    )
    try:
        text = "".join([c.text async for c in provider.stream(ask("vertex"))])
    finally:
        await provider.aclose()
    assert text == "Echo: vertex"


async def test_the_files_api_reaches_a_server_on_this_machine_directly(
    gemini: FakeGemini,
) -> None:
    gemini.file_active_after_polls = 1
    provider = GeminiProvider("test-key", gemini.base_url)
    try:
        part = await provider.upload_file(b"\x89PNG fake bytes", "image/png", "x.png")
    finally:
        await provider.aclose()
    assert part.file_uri is not None


async def test_test_connection_reaches_gemini_on_this_machine_directly(
    gemini: FakeGemini,
) -> None:
    provider = registry.build_provider(
        "gemini", Settings(), api_key="test-key", base_url=gemini.base_url
    )
    try:
        result = await registry.test_connection(provider)
    finally:
        await provider.aclose()
    assert result.ok, result.line


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_openai_compatible_and_its_test_connection_go_direct(host: str) -> None:
    with FakeOpenAI() as fake:
        url = fake.base_url.replace("127.0.0.1", host)
        settings = Settings(providers={"mine": ProviderConfig(kind="openai", base_url=url)})
        provider = registry.build_provider("mine", settings, api_key="test-key")
        try:
            text = "".join([c.text async for c in provider.stream(ask(model="fake-chat"))])
            result = await registry.test_connection(provider)
        finally:
            await provider.aclose()
    assert text == "Echo: hi"
    assert result.ok, result.line


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://127.9.8.7", True),
        ("http://localhost:11434/v1", True),
        ("http://api.localhost", True),
        ("http://[::1]:1234/v1", True),
        ("https://generativelanguage.googleapis.com", False),
        ("http://128.0.0.1", False),
        ("http://127.0.0.1.example.com", False),
        ("http://[::1", False),
    ],
)
def test_what_counts_as_this_machine(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


async def test_the_factory_gives_loopback_clients_no_proxy_at_all() -> None:
    client = make_client("http://[::1]:1234/v1", proxy="http://proxy.example:3128")
    try:
        assert not client._mounts  # neither the settings' proxy nor the environment's
    finally:
        await client.aclose()
