"""The core paths with a planted key: providers streaming, failing every way the fault
server can make them fail, with every logger at DEBUG writing to the profile's log
file (as the app does); keys and settings saved. The key is only ever in the request
header, the private key file, and nowhere in errors, logs or settings."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from rill.core import secrets
from rill.core.errors import RillError
from rill.core.paths import logs_dir
from rill.core.providers.base import Provider
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.settings import NetworkSettings, ProviderConfig, Settings, save_settings
from rill.core.types import GenerateRequest, GenerationSettings, Message, Part, Role
from tests.fakes import faulty_server as fs
from tests.fakes.fault_payloads import DIALECTS, Dialect
from tests.faults.cases import CASES, Case, setting
from tests.security.secret_scan import (
    assert_only_key_file,
    assert_request_clean,
    files_holding,
    planted_key,
)

REQUEST = GenerateRequest(
    contents=(Message(role=Role.USER, parts=[Part.from_text("hi")]),),
    settings=GenerationSettings(model="m"),
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """RILL_HOME in tmp, a null keychain, and every logger at DEBUG into logs/rill.log."""
    home = tmp_path / "home"
    monkeypatch.setenv("RILL_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    handler = logging.FileHandler(logs_dir() / "rill.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s %(args)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield home
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


def _provider(dialect: Dialect, url: str, key: str) -> Provider:
    if dialect.name == "gemini":
        return GeminiProvider(key, url, read_timeout=0.5, connect_timeout=0.5)
    return OpenAICompatProvider(url, key, read_timeout=0.5, connect_timeout=0.5)


def _error_text(error: RillError) -> str:
    return " ".join([str(error), repr(error), error.detail or "", repr(error.args)])


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
async def test_every_fault_with_a_planted_key(home: Path, dialect: Dialect) -> None:
    key = planted_key()
    header = "x-goog-api-key" if dialect.name == "gemini" else "authorization"
    seen: list[fs.RawRequest] = []
    cases: list[Case] = [c for c in CASES if c.name not in ("drip-1Bps", "drip-fast", "10MB-event")]
    for case in cases:
        with setting(case, dialect) as where:
            provider = _provider(dialect, where.base_url, key)
            try:
                async for _chunk in provider.stream(REQUEST):
                    pass
            except RillError as error:
                assert key not in _error_text(error), case.name
            finally:
                await provider.aclose()
            seen += where.server.requests
    assert seen
    for r in seen:
        assert_request_clean(r.target, r.headers, r.body, key, header)
    log = (home / "logs" / "rill.log").read_text(encoding="utf-8")
    assert "HTTP Request" in log or "httpcore" in log  # the logging really was on
    assert key not in log
    assert assert_only_key_file(home, key) > 0


def test_saved_keys_go_only_to_the_private_key_file(home: Path) -> None:
    key = planted_key()
    secrets.set_api_key("gemini", key)
    secrets.set_api_key("openai", key)
    settings = Settings(
        providers={
            "gemini": ProviderConfig(kind="gemini"),
            "openai": ProviderConfig(kind="openai", base_url="http://127.0.0.1:9/v1"),
        },
        network=NetworkSettings(read_timeout=30),
    )
    save_settings(settings)
    assert secrets.get_api_key("openai", use_env=False) == key
    key_file = secrets.key_file_path()
    assert files_holding(home, key) == [key_file]  # the scanner does find it there
    assert_only_key_file(home, key, allowed=[key_file])
    secrets.delete_api_key("gemini")
    secrets.delete_api_key("openai")
    assert_only_key_file(home, key)
