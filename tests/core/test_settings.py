"""Settings: typed defaults, validation that never crashes, atomic saves, migrations."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from rill.core import settings as s
from rill.core.types import GenerationSettings


@pytest.fixture(autouse=True)
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RILL_HOME", str(tmp_path))
    return tmp_path / "config" / "settings.json"


def write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_missing_file_gives_defaults_silently(profile: Path) -> None:
    result = s.load_settings()
    assert result.settings == s.Settings()
    assert result.warnings == []
    assert result.path == profile
    assert not profile.exists()


def test_defaults() -> None:
    d = s.Settings()
    assert d.schema_version == s.SCHEMA_VERSION
    assert d.default_provider == "gemini"
    assert d.providers == {"gemini": s.ProviderConfig("gemini", "", "")}
    assert d.ui == s.UIPrefs(theme="system", stream=True, show_thoughts=True)
    assert d.network.read_timeout == 60.0 and d.network.proxy == ""


def test_save_and_load_round_trip(profile: Path) -> None:
    original = s.Settings(
        default_provider="work",
        providers={
            "gemini": s.ProviderConfig("gemini"),
            "work": s.ProviderConfig("openai", "http://127.0.0.1:11434/v1", "llama3"),
        },
        generation=s.GenerationDefaults(
            temperature=0.7,
            top_p=0.9,
            top_k=40,
            max_output_tokens=512,
            stop_sequences=("END", "STOP"),
            seed=7,
            system_instruction="Be brief.",
            thinking_budget=-1,
            include_thoughts=True,
            safety=(("HARM_CATEGORY_HARASSMENT", "BLOCK_ONLY_HIGH"),),
        ),
        ui=s.UIPrefs(theme="dark", stream=False, show_thoughts=False, settings_panel_visible=False),
        network=s.NetworkSettings(read_timeout=120.0, proxy="http://proxy:3128"),
    )
    assert s.save_settings(original) == profile
    on_disk = json.loads(profile.read_text(encoding="utf-8"))
    assert on_disk["schema_version"] == s.SCHEMA_VERSION
    assert on_disk["generation"]["safety"] == {"HARM_CATEGORY_HARASSMENT": "BLOCK_ONLY_HIGH"}
    result = s.load_settings()
    assert result.warnings == []
    assert result.settings == original


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_save_is_user_only_and_leaves_no_temp_files(profile: Path) -> None:
    s.save_settings(s.Settings())
    assert stat.S_IMODE(profile.stat().st_mode) == 0o600
    assert [p.name for p in profile.parent.iterdir()] == ["settings.json"]


def test_failed_save_keeps_the_old_file(profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s.save_settings(s.Settings(default_provider="gemini"))
    before = profile.read_bytes()

    def broken_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(s.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        s.save_settings(s.Settings(ui=s.UIPrefs(theme="dark")))
    assert profile.read_bytes() == before
    assert [p.name for p in profile.parent.iterdir()] == ["settings.json"]


@pytest.mark.parametrize(
    ("section", "key", "bad", "default"),
    [
        ("generation", "temperature", "hot", None),
        ("generation", "temperature", 3.5, None),
        ("generation", "top_p", -0.1, None),
        ("generation", "top_k", 0, None),
        ("generation", "top_k", 2.5, None),
        ("generation", "max_output_tokens", True, None),
        ("generation", "seed", "seven", None),
        ("generation", "thinking_budget", -2, None),
        ("generation", "include_thoughts", 1, False),
        ("generation", "system_instruction", 42, None),
        ("ui", "theme", "neon", "system"),
        ("ui", "stream", "yes", True),
        ("ui", "show_thoughts", None, True),
        ("network", "read_timeout", 0, 60.0),
        ("network", "read_timeout", "slow", 60.0),
        ("network", "proxy", "proxy.example:3128", ""),
    ],
)
def test_bad_value_is_reported_and_replaced_by_default(
    profile: Path, section: str, key: str, bad: Any, default: Any
) -> None:
    good = {"generation": {"temperature": 1.0}, "ui": {"theme": "light"}}
    data: dict[str, Any] = {"schema_version": 1, **good}
    data.setdefault(section, {})[key] = bad
    write(profile, data)
    result = s.load_settings()
    assert len(result.warnings) == 1, result.warnings
    assert f"{section}.{key}" in result.warnings[0]
    assert repr(bad) in result.warnings[0]
    assert getattr(getattr(result.settings, section), key) == default
    # The other values in the file survive a bad neighbour.
    if (section, key) != ("generation", "temperature"):
        assert result.settings.generation.temperature == 1.0
    if (section, key) != ("ui", "theme"):
        assert result.settings.ui.theme == "light"


def test_bad_lists_and_tables(profile: Path) -> None:
    write(
        profile,
        {
            "default_provider": "nowhere",
            "providers": {
                "gemini": {"kind": "gemini", "base_url": "ftp://x"},
                "odd": {"kind": "telepathy"},
                "broken": 5,
            },
            "generation": {
                "stop_sequences": ["ok", 3],
                "safety": {"HARM_CATEGORY_HARASSMENT": "BLOCK_NONE", "HARM_X": "BLOCK_NONE"},
            },
            "ui": [],
        },
    )
    result = s.load_settings()
    text = "\n".join(result.warnings)
    assert "providers.gemini.base_url" in text
    assert "providers.odd.kind" in text
    assert "providers.broken" in text
    assert "default_provider 'nowhere'" in text
    assert "generation.stop_sequences" in text
    assert "'HARM_X'" in text
    assert "setting ui:" in text
    got = result.settings
    assert got.default_provider == "gemini"
    assert got.providers["gemini"].base_url == ""
    assert got.providers["odd"].kind == "gemini"
    assert "broken" not in got.providers
    assert got.generation.stop_sequences == ()
    assert got.generation.safety == (("HARM_CATEGORY_HARASSMENT", "BLOCK_NONE"),)
    assert got.ui == s.UIPrefs()


def test_an_api_key_in_the_file_is_ignored_and_never_saved(profile: Path) -> None:
    write(profile, {"providers": {"gemini": {"kind": "gemini", "api_key": "AIzaSECRET"}}})
    result = s.load_settings()
    assert any("API keys are never kept" in w for w in result.warnings)
    assert "AIzaSECRET" not in "\n".join(result.warnings)
    s.save_settings(result.settings)
    assert "AIzaSECRET" not in profile.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "is not valid JSON"),
        (b"[1, 2]", "does not hold a JSON object"),
        (b'{"ui": "\xff\xfe"}', "could not be read"),
    ],
)
def test_corrupt_file_is_moved_aside(profile: Path, content: bytes, reason: str) -> None:
    profile.parent.mkdir(parents=True)
    profile.write_bytes(content)
    result = s.load_settings()
    assert result.settings == s.Settings()
    assert result.moved_aside is not None
    assert result.moved_aside.name.startswith("settings.json.corrupt-")
    assert result.moved_aside.read_bytes() == content
    assert not profile.exists()
    (warning,) = result.warnings
    assert reason in warning and str(result.moved_aside) in warning and "Using defaults" in warning
    # A second corrupt file in the same second does not overwrite the first.
    profile.write_bytes(content)
    again = s.load_settings()
    assert again.moved_aside is not None and again.moved_aside != result.moved_aside
    assert result.moved_aside.exists()


def test_migration_hook_runs_in_order(profile: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
        data["ui"] = {"theme": data.pop("colour_scheme")}
        data["schema_version"] = 2
        return data

    def v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
        data["network"] = {"read_timeout": data.pop("timeout")}
        return data

    monkeypatch.setattr(s, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(s, "MIGRATIONS", {1: v1_to_v2, 2: v2_to_v3})
    write(profile, {"schema_version": 1, "colour_scheme": "dark", "timeout": 90})
    result = s.load_settings()
    assert result.warnings == []
    assert result.settings.ui.theme == "dark"
    assert result.settings.network.read_timeout == 90.0
    assert result.settings.schema_version == 3


def test_file_from_a_newer_rill_loads_what_it_can(profile: Path) -> None:
    write(profile, {"schema_version": 99, "ui": {"theme": "dark"}, "future": {"x": 1}})
    result = s.load_settings()
    assert result.settings.ui.theme == "dark"
    assert any("newer Rill" in w for w in result.warnings)


def test_generation_settings_conversion_round_trip() -> None:
    chosen = GenerationSettings(
        model="gemini-2.5-pro",
        temperature=0.2,
        top_p=0.5,
        top_k=10,
        max_output_tokens=100,
        stop_sequences=("END",),
        seed=3,
        system_instruction="Rhyme.",
        thinking_budget=1024,
        include_thoughts=True,
        safety=(("HARM_CATEGORY_HATE_SPEECH", "OFF"),),
        stream=False,
    )
    updated = s.Settings().with_generation_defaults(chosen)
    assert updated.generation_settings() == chosen
    assert updated.providers["gemini"].default_model == "gemini-2.5-pro"
    assert updated.ui.stream is False


def test_use_as_default_persists_and_keeps_the_model_when_none_given(profile: Path) -> None:
    s.use_as_default(GenerationSettings(model="gemini-2.5-pro", temperature=1.5))
    s.use_as_default(GenerationSettings(model="", temperature=0.3))
    loaded = s.load_settings().settings
    assert loaded.generation.temperature == 0.3
    assert loaded.providers["gemini"].default_model == "gemini-2.5-pro"
    assert loaded.generation_settings().model == "gemini-2.5-pro"


def test_unknown_provider_entry_falls_back_to_defaults() -> None:
    assert s.Settings().provider("nowhere") == s.ProviderConfig()
    assert s.Settings().generation_settings("nowhere").model == ""


def test_model_paths_round_trip_and_bad_values_are_reported(tmp_path: Path) -> None:
    from rill.core.settings import ProviderConfig, Settings, load_settings, save_settings

    path = tmp_path / "settings.json"
    config = ProviderConfig(kind="local", model_paths=("/models/a.gguf", "/models/b.gguf"))
    save_settings(Settings(providers={"local": config}), path)
    assert load_settings(path).settings.providers["local"].model_paths == config.model_paths
    data = json.loads(path.read_text())
    data["providers"]["local"]["model_paths"] = "/not/a/list.gguf"
    path.write_text(json.dumps(data))
    loaded = load_settings(path)
    assert loaded.settings.providers["local"].model_paths == ()
    assert any("model_paths" in w for w in loaded.warnings)
