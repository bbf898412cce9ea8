"""Rill's app-wide settings: one typed, versioned, validated model stored as JSON.

The file lives in the config dir (see ``rill.core.paths``). A bad value is reported and
replaced by its default; a corrupt file is moved aside. API keys never live here
(``rill.core.secrets`` keeps them).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from rill.core.generation import GenerationSettings
from rill.core.paths import ProfileError, atomic_write_text, config_dir
from rill.core.setting_ranges import READ_TIMEOUT, STORE_ID, Checker, savable, shown
from rill.core.tool_settings import ToolSettings, read_tool_settings

SCHEMA_VERSION = 1
FILE_NAME = "settings.json"
PROVIDER_KINDS = ("gemini", "openai", "local", "vertex")
THEMES = ("system", "light", "dark")

# Forward migrations: MIGRATIONS[n] turns a version-n document into version n + 1.
# Add one whenever SCHEMA_VERSION goes up; old files then load without losing values.
Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}


@dataclass(frozen=True)
class ProviderConfig:
    """One entry of the provider table. ``""`` means "the provider's own default"."""

    kind: str = "gemini"
    base_url: str = ""
    default_model: str = ""
    project: str = ""  # Vertex AI only: the Google Cloud project ("" = from ADC)
    location: str = ""  # Vertex AI only: the region ("" = the provider's default)
    model_paths: tuple[str, ...] = ()  # local only: .gguf files the user added by hand


@dataclass(frozen=True)
class GenerationDefaults:
    """The defaults new chats start from; mirrors ``GenerationSettings``.

    The model lives in the provider table (models belong to a provider) and streaming
    in ``UIPrefs``; both are folded in by ``Settings.generation_settings``.
    """

    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_output_tokens: int | None = None
    stop_sequences: tuple[str, ...] = ()
    seed: int | None = None
    system_instruction: str | None = None
    thinking_budget: int | None = None
    include_thoughts: bool = False
    safety: tuple[tuple[str, str], ...] = ()
    google_search: bool = False
    url_context: bool = False
    code_execution: bool = False
    image_output: bool = False


@dataclass(frozen=True)
class UIPrefs:
    """How the window looks and behaves (theme, streaming, panels)."""

    theme: str = "system"
    stream: bool = True
    show_thoughts: bool = True
    # Closed for a new user: the chat comes first; the bar's toggle opens it.
    settings_panel_visible: bool = False
    # The settings panel's "Advanced" fold (safety, stop sequences, seed).
    settings_advanced_open: bool = False
    open_conversation: int = 0  # the stored chat on screen at the last close (0: none)


@dataclass(frozen=True)
class NetworkSettings:
    """Network options shared by every HTTP provider."""

    read_timeout: float = 60.0  # idle seconds between bytes, not a total limit
    proxy: str = ""  # "" = none beyond the environment's HTTPS_PROXY


def _default_providers() -> dict[str, ProviderConfig]:
    return {"gemini": ProviderConfig(kind="gemini")}


@dataclass(frozen=True)
class Settings:
    """Everything Rill remembers between runs, except keys and window geometry."""

    schema_version: int = SCHEMA_VERSION
    default_provider: str = "gemini"
    providers: dict[str, ProviderConfig] = field(default_factory=_default_providers)
    generation: GenerationDefaults = field(default_factory=GenerationDefaults)
    ui: UIPrefs = field(default_factory=UIPrefs)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    tools: ToolSettings = field(default_factory=ToolSettings)  # MCP servers

    def provider(self, name: str | None = None) -> ProviderConfig:
        """The named provider's entry (default provider when None); defaults if unknown."""
        return self.providers.get(name or self.default_provider, ProviderConfig())

    def generation_settings(self, provider: str | None = None) -> GenerationSettings:
        """The app-wide defaults as ``GenerationSettings`` for ``provider``."""
        g = self.generation
        return GenerationSettings(
            model=self.provider(provider).default_model,
            temperature=g.temperature,
            top_p=g.top_p,
            top_k=g.top_k,
            max_output_tokens=g.max_output_tokens,
            stop_sequences=g.stop_sequences,
            seed=g.seed,
            system_instruction=g.system_instruction,
            thinking_budget=g.thinking_budget,
            include_thoughts=g.include_thoughts,
            safety=g.safety,
            stream=self.ui.stream,
            google_search=g.google_search,
            url_context=g.url_context,
            code_execution=g.code_execution,
            image_output=g.image_output,
        )

    def with_generation_defaults(
        self, settings: GenerationSettings, provider: str | None = None
    ) -> Settings:
        """A copy whose defaults are ``settings`` ("use as default" in a chat's panel).

        An empty model leaves the provider's default model as it was.
        """
        name = provider or self.default_provider
        providers = dict(self.providers)
        if settings.model:
            providers[name] = replace(self.provider(name), default_model=settings.model)
        generation = GenerationDefaults(
            **{f.name: getattr(settings, f.name) for f in fields(GenerationDefaults)}
        )
        return replace(
            self,
            providers=providers,
            generation=generation,
            ui=replace(self.ui, stream=settings.stream),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document; tuples become lists and safety a category→threshold map."""
        data = asdict(self)
        data["generation"]["stop_sequences"] = list(self.generation.stop_sequences)
        data["generation"]["safety"] = dict(self.generation.safety)
        for entry in data["providers"].values():
            entry["model_paths"] = list(entry["model_paths"])
        data["tools"] = self.tools.to_dict()
        return data


@dataclass
class LoadResult:
    """What ``load_settings`` found: the settings and the warnings the UI should show."""

    settings: Settings
    path: Path
    warnings: list[str] = field(default_factory=list)
    moved_aside: Path | None = None  # where a corrupt file went


def settings_path() -> Path:
    """Where the settings file lives in the profile."""
    return config_dir() / FILE_NAME


def load_settings(path: Path | None = None) -> LoadResult:
    """Read the settings file; never raises for bad content (defaults and warnings instead).

    A missing file gives defaults silently. A file that cannot be read or parsed is
    renamed to ``settings.json.corrupt-<timestamp>`` so the next save does not destroy
    what the user may want to recover. A config folder that cannot be made (a file in
    its place) gives defaults and the sentence saying so.
    """
    try:
        path = path or settings_path()
    except ProfileError as error:  # nothing to read; the window still opens, and says so
        return LoadResult(Settings(), config_dir(create=False) / FILE_NAME, [str(error)])
    result = LoadResult(Settings(), path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return result
    except (OSError, UnicodeDecodeError) as exc:
        return _set_aside(result, f"could not be read ({exc.__class__.__name__}: {exc})")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return _set_aside(result, f"is not valid JSON ({exc})")
    if not isinstance(data, dict):
        return _set_aside(result, "does not hold a JSON object")
    result.settings = settings_from_dict(data, result.warnings)
    return result


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write atomically (temp file + ``os.replace``) so a crash never leaves half a file."""
    path = path or settings_path()
    text = json.dumps(settings.to_dict(), indent=2, ensure_ascii=False) + "\n"
    atomic_write_text(path, text)
    return path


def use_as_default(
    generation: GenerationSettings, provider: str | None = None, path: Path | None = None
) -> Settings:
    """Make ``generation`` the app-wide defaults on disk and return the new settings."""
    current = load_settings(path).settings
    updated = current.with_generation_defaults(generation, provider)
    save_settings(updated, path)
    return updated


def migrate(data: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """Bring a document up to SCHEMA_VERSION through MIGRATIONS, one version at a time."""
    version = data.get("schema_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        warnings.append(f"schema_version {version!r} is not a version number; read as 1")
        version = 1
    if version > SCHEMA_VERSION:
        warnings.append(
            f"the settings file is from a newer Rill (schema {version}, this one reads "
            f"{SCHEMA_VERSION}); settings this version does not know are ignored"
        )
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            warnings.append(f"no migration from schema {version}; unknown settings ignored")
            break
        data = step(dict(data))
        version += 1
    return data


def settings_from_dict(data: Mapping[str, Any], warnings: list[str]) -> Settings:
    """Build Settings from a JSON document, replacing each bad value by its default."""
    data = migrate(dict(data), warnings)
    v = _Validator(warnings)
    providers = v.providers(data.get("providers"))
    default_provider = v.string(data, "", "default_provider", "gemini")
    if default_provider not in providers:
        fallback = "gemini" if "gemini" in providers else next(iter(providers))
        warnings.append(
            f"default_provider {default_provider!r} is not in the provider table; "
            f"using {fallback!r}"
        )
        default_provider = fallback
    return Settings(
        schema_version=SCHEMA_VERSION,
        default_provider=default_provider,
        providers=providers,
        generation=v.generation_defaults(v.section(data, "generation")),
        ui=v.ui(v.section(data, "ui")),
        network=v.network(v.section(data, "network")),
        tools=read_tool_settings(v, data.get("tools")),
    )


def _set_aside(result: LoadResult, reason: str) -> LoadResult:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = result.path.with_name(f"{result.path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = result.path.with_name(f"{result.path.name}.corrupt-{stamp}-{n}")
    try:
        os.replace(result.path, target)
        result.moved_aside = target
        where = f"it was moved to {target}"
    except OSError as exc:
        where = f"it could not be moved aside ({exc})"
    result.warnings.append(f"The settings file {result.path} {reason}; {where}. Using defaults.")
    return result


class _Validator(Checker):
    """The settings file's own sections on top of the shared checks."""

    def paths(self, data: Mapping[str, Any], where: str, key: str) -> tuple[str, ...]:
        value = data.get(key, [])
        if isinstance(value, list) and all(
            isinstance(v, str) and v.strip() and savable(v) for v in value
        ):
            return tuple(dict.fromkeys(value))  # once each, in the order added
        self.bad(where, key, "a list of file paths", value, [])
        return ()

    def providers(self, value: object) -> dict[str, ProviderConfig]:
        if value is None:
            return _default_providers()
        if not isinstance(value, Mapping) or not value:
            self.bad("", "providers", "a non-empty object", value, "gemini only")
            return _default_providers()
        table: dict[str, ProviderConfig] = {}
        for name, entry in value.items():
            plain = savable(name) and name.isprintable() and len(name) <= 60
            where = f"providers.{name if plain else shown(name)}"
            if not name or not savable(name) or not isinstance(entry, Mapping):
                self.warnings.append(f"setting {where}: expected an object; entry ignored")
                continue
            if any("key" in k.lower() for k in entry):
                self.warnings.append(
                    f"setting {where}: API keys are never kept in the settings file; ignored"
                )
            base_url = self.string(entry, where, "base_url", "")
            if base_url and not base_url.startswith(("http://", "https://")):
                self.bad(where, "base_url", "an http:// or https:// URL", base_url, "")
                base_url = ""
            table[str(name)] = ProviderConfig(
                kind=self.choice(entry, where, "kind", PROVIDER_KINDS),
                base_url=base_url,
                default_model=self.string(entry, where, "default_model", ""),
                project=self.string(entry, where, "project", ""),
                location=self.string(entry, where, "location", ""),
                model_paths=self.paths(entry, where, "model_paths"),
            )
        return table or _default_providers()

    def generation_defaults(self, d: Mapping[str, Any]) -> GenerationDefaults:
        return GenerationDefaults(**self.generation(d, "generation"))

    def ui(self, d: Mapping[str, Any]) -> UIPrefs:
        return UIPrefs(
            theme=self.choice(d, "ui", "theme", THEMES),
            stream=self.boolean(d, "ui", "stream", True),
            show_thoughts=self.boolean(d, "ui", "show_thoughts", True),
            settings_panel_visible=self.boolean(d, "ui", "settings_panel_visible", False),
            settings_advanced_open=self.boolean(d, "ui", "settings_advanced_open", False),
            open_conversation=self.number(d, "ui", "open_conversation", STORE_ID, default=0),
        )

    def network(self, d: Mapping[str, Any]) -> NetworkSettings:
        proxy = self.string(d, "network", "proxy", "")
        if proxy and "://" not in proxy:
            self.bad("network", "proxy", "a URL such as http://host:3128", proxy, "")
            proxy = ""
        return NetworkSettings(
            read_timeout=self.number(d, "network", "read_timeout", READ_TIMEOUT, default=60.0),
            proxy=proxy,
        )
