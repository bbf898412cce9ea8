"""The registry: providers from settings, presets and keys; proxies; Test connection."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from rill.core.errors import ConfigurationError
from rill.core.providers import registry
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.local import LocalProvider
from rill.core.providers.local_models import BUILTIN_ID, bundled_model_path
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.settings import NetworkSettings, ProviderConfig, Settings
from rill.core.types import GenerateRequest, GenerationSettings, Message, ModelInfo, Part, Role
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_server import FakeOpenAI

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
KEY_VARS = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (*PROXY_VARS, *KEY_VARS, "GOOGLE_GEMINI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("RILL_HOME", str(tmp_path / "home"))


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def no_keys(name: str) -> str | None:
    return None


def keys(**stored: str) -> registry.KeyLookup:
    return stored.get


def request(text: str = "hi", model: str = "fake-chat") -> GenerateRequest:
    user = Message(role=Role.USER, parts=[Part.from_text(text)])
    return GenerateRequest((user,), GenerationSettings(model=model))


def test_presets_cover_the_known_servers() -> None:
    urls = {p.id: p.base_url for p in registry.PRESETS}
    assert urls["ollama"] == "http://localhost:11434/v1"
    assert urls["lmstudio"] == "http://localhost:1234/v1"
    assert urls["llamacpp"] == "http://localhost:8080/v1"
    assert urls["vllm"] == "http://localhost:8000/v1"
    assert urls["openrouter"] == "https://openrouter.ai/api/v1"
    assert urls["openai"] == "https://api.openai.com/v1"
    assert urls["gemini-openai"] == "https://generativelanguage.googleapis.com/v1beta/openai"
    assert {p.kind for p in registry.PRESETS} == set(registry.KINDS)
    assert all(p.key_url for p in registry.PRESETS if p.needs_key)


async def test_presets_build_without_a_settings_entry() -> None:
    settings = Settings()
    ollama = registry.build_provider("ollama", settings, no_keys)
    local = registry.build_provider("local", settings, no_keys)
    try:
        assert isinstance(ollama, OpenAICompatProvider)
        assert ollama.base_url == "http://localhost:11434/v1"
        assert ollama.label == "Ollama"
        assert isinstance(local, LocalProvider)
        assert registry.default_model("local", settings) == BUILTIN_ID
    finally:
        await ollama.aclose()
        await local.aclose()


def test_cloud_presets_need_a_key_and_say_where_to_get_one() -> None:
    with pytest.raises(ConfigurationError, match=r"set OPENAI_API_KEY.*platform\.openai\.com"):
        registry.build_provider("openai", Settings(), no_keys)
    with pytest.raises(ConfigurationError, match="GEMINI_API_KEY"):
        registry.build_provider("gemini", Settings(), no_keys)
    with pytest.raises(ConfigurationError, match="Unknown provider 'nope'"):
        registry.build_provider("nope", Settings(), no_keys)


async def test_a_settings_entry_with_a_stored_key(fake: FakeOpenAI) -> None:
    settings = Settings(providers={"mine": ProviderConfig(kind="openai", base_url=fake.base_url)})
    provider = registry.build_provider("mine", settings, keys(mine="test-key"))
    try:
        chunks = [c async for c in provider.stream(request("from settings"))]
    finally:
        await provider.aclose()
    assert "".join(c.text for c in chunks) == "Echo: from settings"
    assert fake.last_request.headers["authorization"] == "Bearer test-key"


async def test_an_environment_key_never_goes_to_another_address(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key")
    fake.api_key = None
    provider = registry.build_provider("openai", Settings(), no_keys, base_url=fake.base_url)
    try:
        [c async for c in provider.stream(request())]
    finally:
        await provider.aclose()
    assert "authorization" not in fake.last_request.headers
    official = registry.build_provider("openai", Settings(), no_keys)
    try:
        assert official._headers()["authorization"] == "Bearer sk-real-openai-key"  # type: ignore[attr-defined]
    finally:
        await official.aclose()


async def test_gemini_key_from_the_environment(
    fake_gemini: FakeGemini, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "test-key")
    provider = registry.build_provider("gemini", Settings(), no_keys, base_url=fake_gemini.base_url)
    try:
        assert isinstance(provider, GeminiProvider)
        text = "".join([c.text async for c in provider.stream(request(model="gemini-2.5-flash"))])
    finally:
        await provider.aclose()
    assert text == "Echo: hi"


def test_default_provider_is_local_without_a_gemini_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert registry.default_provider_name(Settings(), no_keys) == "local"
    assert registry.default_provider_name(Settings(), keys(gemini="k")) == "gemini"
    monkeypatch.setenv("GEMINI_API_KEY", "k")
    assert registry.default_provider_name(Settings(), no_keys) == "gemini"
    chosen = Settings(
        default_provider="ollama",
        providers={"ollama": ProviderConfig(kind="openai", base_url="http://localhost:11434/v1")},
    )
    assert registry.default_provider_name(chosen, no_keys) == "ollama"


def test_generation_settings_fill_in_the_default_model() -> None:
    settings = Settings()
    assert registry.generation_settings("gemini", settings).model == "gemini-2.5-flash"
    assert registry.generation_settings("openrouter", settings).model == "openrouter/auto"
    assert registry.generation_settings("llamacpp", settings).model == ""  # the server's
    mine = Settings(providers={"g": ProviderConfig(kind="gemini", default_model="gemini-x")})
    assert registry.generation_settings("g", mine).model == "gemini-x"


async def test_the_settings_proxy_carries_remote_requests(fake: FakeOpenAI) -> None:
    # The fake answers absolute-form requests, so it can stand in for the proxy.
    settings = Settings(
        providers={"remote": ProviderConfig(kind="openai", base_url="http://llm.example.test/v1")},
        network=NetworkSettings(proxy=fake.origin),
    )
    provider = registry.build_provider("remote", settings, keys(remote="test-key"))
    try:
        text = "".join([c.text async for c in provider.stream(request("via proxy"))])
    finally:
        await provider.aclose()
    assert text == "Echo: via proxy"
    assert fake.last_request.target == "http://llm.example.test/v1/chat/completions"


async def test_the_environment_proxy_is_honoured(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", fake.origin)
    settings = Settings(
        providers={"remote": ProviderConfig(kind="openai", base_url="http://llm.example.test/v1")}
    )
    provider = registry.build_provider("remote", settings, keys(remote="test-key"))
    try:
        models = await provider.list_models()
    finally:
        await provider.aclose()
    assert [m.id for m in models] == ["fake-chat", "fake-vision-vl"]
    assert fake.last_request.target == "http://llm.example.test/v1/models"


async def test_servers_on_this_machine_bypass_every_proxy(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    settings = Settings(network=NetworkSettings(proxy="http://127.0.0.1:9"))
    provider = registry.build_provider("x", _with(settings, fake.base_url), keys(x="test-key"))
    try:
        text = "".join([c.text async for c in provider.stream(request())])
    finally:
        await provider.aclose()
    assert text == "Echo: hi"
    assert fake.last_request.target == "/v1/chat/completions"  # origin form: direct


def _with(settings: Settings, url: str, name: str = "x") -> Settings:
    from dataclasses import replace

    return replace(settings, providers={name: ProviderConfig(kind="openai", base_url=url)})


async def test_connection_lists_models(fake: FakeOpenAI) -> None:
    provider = registry.build_provider("x", _with(Settings(), fake.base_url), keys(x="test-key"))
    try:
        result = await registry.test_connection(provider)
    finally:
        await provider.aclose()
    assert result.ok
    assert (
        result.line == f"Connected to 127.0.0.1:{fake.port}: 2 models: fake-chat, fake-vision-vl."
    )
    assert [m.id for m in result.models] == ["fake-chat", "fake-vision-vl"]


def test_a_long_model_list_is_summed_up_in_words() -> None:
    models = [ModelInfo(id=f"m{i}", display_name=f"m{i}") for i in range(12)]
    assert registry.model_summary(models) == "12 models: m0, m1, m2 and 9 more"
    assert registry.model_summary(models[:1]) == "1 model: m0"
    assert registry.model_summary([]) == "no models listed"


async def test_connection_failures_are_one_clear_line(fake: FakeOpenAI) -> None:
    provider = registry.build_provider("x", _with(Settings(), fake.base_url), keys(x="wrong"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    down = registry.build_provider(
        "y", _with(Settings(), f"http://127.0.0.1:{dead}/v1", "y"), no_keys
    )
    try:
        rejected = await registry.test_connection(provider)
        refused = await registry.test_connection(down)
    finally:
        await provider.aclose()
        await down.aclose()
    assert not rejected.ok and "did not accept the API key (401)" in rejected.line
    assert not refused.ok and "refused the connection" in refused.line
    assert refused.error is not None and refused.error.kind == "network"


async def test_connection_falls_back_to_a_tiny_request(fake: FakeOpenAI) -> None:
    # A server without /models (a 404 there) is tried with a one-token request.
    provider = OpenAICompatProvider(fake.base_url, "test-key", label="Tiny")
    provider.list_models = _not_found  # type: ignore[method-assign]
    try:
        result = await registry.test_connection(provider, "fake-chat")
    finally:
        await provider.aclose()
    assert result.ok and result.line == "Connected to Tiny; it answered a one-token request."
    assert fake.last_request.json["max_tokens"] == 1


async def _not_found() -> list[object]:
    from rill.core.errors import NotFoundError

    raise NotFoundError("no models endpoint")


@pytest.mark.skipif(bundled_model_path() is None, reason="the built-in model is not installed")
async def test_connection_of_the_local_model_loads_it() -> None:
    provider = registry.build_provider("local", Settings(), no_keys)
    try:
        result = await registry.test_connection(provider)
        assert isinstance(provider, LocalProvider) and provider.loaded_model == BUILTIN_ID
    finally:
        await provider.aclose()
    assert result.ok and result.line.startswith("The offline model is ready (loaded in ")


def test_vertex_without_credentials_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "none.json"))
    with pytest.raises(ConfigurationError, match="No Google Cloud credentials"):
        registry.build_provider("vertex", Settings(), no_keys)
