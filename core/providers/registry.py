"""Making a Provider from the settings' provider table, the presets and the stored keys.

One place knows every kind ("gemini", "openai", "local", "vertex") and the well-known
servers, so the CLI, the window and the providers screen build providers the same
way. Provider modules are imported only when their kind is built: the Gemini path of
``rill ask`` never loads llama.cpp.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rill.core.errors import ConfigurationError, NotFoundError, RillError
from rill.core.settings import ProviderConfig, Settings
from rill.core.types import GenerateRequest, GenerationSettings, Message, ModelInfo, Part, Role

if TYPE_CHECKING:
    from rill.core.providers.base import Provider

KINDS = ("gemini", "openai", "local", "vertex")
GEMINI_DEFAULT_MODEL = "gemini-2.5-flash"  # = providers.gemini.DEFAULT_MODEL, without the import
LOCAL_DEFAULT_MODEL = "smollm2-135m-instruct"  # = local_models.BUILTIN_ID
GEMINI_KEY_ENV = ("GEMINI_API_KEY", "GOOGLE_API_KEY")  # the official SDK's, in its order

# Looks a key up by provider name (blocking: the keychain may be slow); None if none.
KeyLookup = Callable[[str], "str | None"]


@dataclass(frozen=True, slots=True)
class Preset:
    """A well-known provider: what the providers screen offers and ``--provider`` takes."""

    id: str
    label: str
    kind: str
    base_url: str
    needs_key: bool
    default_model: str  # "" = the first model the server lists
    key_env: tuple[str, ...] = ()  # environment variables holding its key
    key_url: str = ""  # where a user gets a key
    send_top_k: bool = True  # False where the API rejects the non-standard top_k


PRESETS: tuple[Preset, ...] = (
    Preset("local", "Offline model (built in)", "local", "", False, LOCAL_DEFAULT_MODEL),
    Preset(
        "gemini", "Google Gemini", "gemini", "https://generativelanguage.googleapis.com",
        True, GEMINI_DEFAULT_MODEL, GEMINI_KEY_ENV,
        "https://aistudio.google.com/apikey",
    ),
    Preset("vertex", "Gemini on Vertex AI", "vertex", "", False, GEMINI_DEFAULT_MODEL),
    Preset("ollama", "Ollama", "openai", "http://localhost:11434/v1", False, ""),
    Preset("lmstudio", "LM Studio", "openai", "http://localhost:1234/v1", False, ""),
    Preset("llamacpp", "llama.cpp server", "openai", "http://localhost:8080/v1", False, ""),
    Preset("vllm", "vLLM", "openai", "http://localhost:8000/v1", False, ""),
    Preset(
        "openrouter", "OpenRouter", "openai", "https://openrouter.ai/api/v1", True,
        "openrouter/auto", ("OPENROUTER_API_KEY",), "https://openrouter.ai/keys",
    ),
    Preset(
        "openai", "OpenAI", "openai", "https://api.openai.com/v1", True, "gpt-4.1-mini",
        ("OPENAI_API_KEY",), "https://platform.openai.com/api-keys", send_top_k=False,
    ),
    Preset(
        "gemini-openai", "Gemini (OpenAI-compatible endpoint)", "openai",
        "https://generativelanguage.googleapis.com/v1beta/openai", True, GEMINI_DEFAULT_MODEL,
        GEMINI_KEY_ENV, "https://aistudio.google.com/apikey",
        send_top_k=False,
    ),
)  # fmt: skip


def preset(preset_id: str) -> Preset | None:
    """The preset called ``preset_id``, or None."""
    return next((p for p in PRESETS if p.id == preset_id), None)


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """A provider entry with the gaps filled in from its preset."""

    name: str
    kind: str
    base_url: str
    default_model: str
    preset: Preset | None
    config: ProviderConfig | None  # the settings' entry, when there is one


def resolve(name: str, settings: Settings) -> ProviderSpec:
    """The settings' entry called ``name``, else the preset of that id.

    Raises ConfigurationError for a name that is neither.
    """
    config = settings.providers.get(name)
    found = preset(name)
    if config is None:
        if found is None:
            known = ", ".join(dict.fromkeys([*settings.providers, *(p.id for p in PRESETS)]))
            raise ConfigurationError(f"Unknown provider {name!r}; known: {known}.")
        return ProviderSpec(name, found.kind, found.base_url, found.default_model, found, None)
    kind = getattr(config, "kind", "gemini")
    if found is None or found.kind != kind:
        # A user's own entry: the preset of the same kind and address, if any, lends defaults.
        found = next(
            (p for p in PRESETS if p.kind == kind and p.base_url == config.base_url), None
        ) or next((p for p in PRESETS if p.id == kind), None)
    base_url = config.base_url or (found.base_url if found else "")
    # A preset's model means nothing to an OpenAI-compatible server at another address
    # (an "openai" entry pointing at Ollama must not default to gpt-4.1-mini). A Gemini
    # entry at another address (a proxy, a gateway) still speaks Gemini's API and
    # serves its models: it keeps gemini-2.5-flash, and saving a URL never blanks it.
    same_server = found is not None and base_url.rstrip("/") == found.base_url.rstrip("/")
    inherits = found is not None and (same_server or kind != "openai")
    model = config.default_model or (found.default_model if found and inherits else "")
    return ProviderSpec(name, kind, base_url, model, found, config)


def default_model(name: str, settings: Settings, base_url: str | None = None) -> str:
    """The model a new chat on ``name`` starts with ("" = the server's first).

    A preset's model means nothing to another server: with ``base_url`` pointing an
    OpenAI-compatible preset elsewhere, only a model from the settings counts.
    """
    try:
        spec = resolve(name, settings)
    except ConfigurationError:
        return ""
    if (
        base_url is not None
        and spec.preset is not None
        and spec.kind == "openai"
        and base_url.rstrip("/") != spec.preset.base_url
    ):
        return spec.config.default_model if spec.config is not None else ""
    return spec.default_model


def generation_settings(
    name: str, settings: Settings, base_url: str | None = None
) -> GenerationSettings:
    """The app-wide generation defaults for ``name``, with its default model filled in."""
    from dataclasses import replace

    generation = settings.generation_settings(name)
    if generation.model:
        return generation
    return replace(generation, model=default_model(name, settings, base_url))


def _stored_key(name: str) -> str | None:
    from rill.core.secrets import get_api_key  # keyring loads only when a key is needed

    return get_api_key(name, use_env=False)


@dataclass(frozen=True, slots=True)
class EnvValue:
    """A value an environment variable supplies, which wins over the saved one."""

    variable: str
    value: str


def _env(variables: tuple[str, ...]) -> EnvValue | None:
    from rill.core.secrets import env_value  # the window holds keys out of os.environ

    for variable in variables:
        value = env_value(variable)
        if value:
            return EnvValue(variable, value)
    return None


def env_base_url(spec: ProviderSpec) -> EnvValue | None:
    """GOOGLE_GEMINI_BASE_URL (the SDK's variable) for a Gemini entry: it redirects a
    run (a proxy, a test server) without editing the profile, over the saved URL."""
    return _env(("GOOGLE_GEMINI_BASE_URL",)) if spec.kind == "gemini" else None


def env_key(spec: ProviderSpec, base_url: str) -> EnvValue | None:
    """The key an environment variable gives ``spec`` at ``base_url``; it wins over a
    stored one. Gemini's (GEMINI_API_KEY, GOOGLE_API_KEY) count for the provider called
    "gemini" only: a second account uses its own key. A preset's variable counts at
    the preset's own address only: OPENAI_API_KEY never goes to a server typed in
    place of OpenAI's.
    """
    if spec.kind == "gemini":
        return _env(GEMINI_KEY_ENV) if spec.name == "gemini" else None
    if spec.preset is not None and base_url.rstrip("/") == spec.preset.base_url:
        return _env(spec.preset.key_env)
    return None


def find_key(spec: ProviderSpec, base_url: str, secrets: KeyLookup | None) -> str | None:
    """The environment's key (:func:`env_key`), then the stored one."""
    found = env_key(spec, base_url)
    return found.value if found is not None else (secrets or _stored_key)(spec.name)


def proxy_for(settings: Settings) -> str | None:
    """The settings' proxy (None: the environment's). Whether it applies to a server is
    the client factory's decision (``http_client.make_client``): never on this machine."""
    return settings.network.proxy or None


def _missing_key(spec: ProviderSpec) -> ConfigurationError:
    if spec.kind == "gemini" and spec.name == "gemini":
        return ConfigurationError(
            "No Gemini API key: set GEMINI_API_KEY (or GOOGLE_API_KEY), or save a key in "
            "Rill's settings. The built-in offline model (provider 'local') needs none."
        )
    where = f" (get one at {spec.preset.key_url})" if spec.preset and spec.preset.key_url else ""
    env = spec.preset.key_env if spec.preset else ()
    hint = f"set {env[0]} or " if env else ""
    return ConfigurationError(
        f"No API key for provider {spec.name!r}: {hint}save one in Rill's settings{where}."
    )


def build_provider(
    name: str,
    settings: Settings,
    secrets: KeyLookup | None = None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    transport: Any = None,
) -> Provider:
    """A ready Provider for the entry or preset ``name``.

    ``secrets`` looks up stored keys (default: the keychain; it blocks, so a UI calls
    this off its thread or passes keys it already has). ``base_url`` and ``api_key``
    override the configured ones (``--base-url``, the providers screen's unsaved
    form). Raises ConfigurationError when the provider cannot be used yet.
    """
    spec = resolve(name, settings)
    timeout = settings.network.read_timeout
    if spec.kind == "local":
        from rill.core.providers.local import LocalProvider

        config = spec.config
        return LocalProvider(name=name, model_paths=tuple(getattr(config, "model_paths", ())))
    if spec.kind == "vertex":
        from rill.core.providers.vertex import VertexProvider

        url = base_url or (spec.config.base_url if spec.config else "") or None
        return VertexProvider(
            getattr(spec.config, "project", None) or None,
            getattr(spec.config, "location", None) or None,
            base_url=url,
            read_timeout=timeout,
            proxy=proxy_for(settings),
            transport=transport,
        )
    if spec.kind == "gemini":
        return _gemini(spec, settings, secrets, base_url, api_key, transport)
    if spec.kind == "openai":
        return _openai(spec, settings, secrets, base_url, api_key, transport)
    raise ConfigurationError(f"Provider {name!r} has an unknown kind {spec.kind!r}.")


def _gemini(
    spec: ProviderSpec,
    settings: Settings,
    secrets: KeyLookup | None,
    base_url: str | None,
    api_key: str | None,
    transport: Any,
) -> Provider:
    from rill.core.providers.gemini import GeminiProvider

    key = api_key or find_key(spec, spec.base_url, secrets)
    if not key:
        raise _missing_key(spec)
    env_url = env_base_url(spec)
    url = (
        base_url
        or (env_url.value if env_url is not None else "")
        or (spec.config.base_url if spec.config else "")
        or None
    )
    return GeminiProvider(
        key,
        url,
        default_model=spec.default_model or GEMINI_DEFAULT_MODEL,
        read_timeout=settings.network.read_timeout,
        proxy=proxy_for(settings),
        transport=transport,
    )


def _openai(
    spec: ProviderSpec,
    settings: Settings,
    secrets: KeyLookup | None,
    base_url: str | None,
    api_key: str | None,
    transport: Any,
) -> Provider:
    from rill.core.providers.openai_compat import OpenAICompatProvider

    url = (base_url or spec.base_url).rstrip("/")
    if not url:
        raise ConfigurationError(f"Provider {spec.name!r} needs a base URL (…/v1).")
    key = api_key or find_key(spec, url, secrets)
    own_address = spec.preset is not None and url == spec.preset.base_url
    if not key and spec.preset is not None and spec.preset.needs_key and own_address:
        raise _missing_key(spec)
    label = spec.preset.label if spec.preset is not None and own_address else None
    return OpenAICompatProvider(
        url,
        key,
        name=spec.name,
        label=label,
        default_model=spec.default_model if base_url is None else "",
        read_timeout=settings.network.read_timeout,
        proxy=proxy_for(settings),
        send_top_k=spec.preset.send_top_k if spec.preset is not None else True,
        transport=transport,
    )


def gemini_key_configured(secrets: KeyLookup | None = None) -> bool:
    """Whether a Gemini key is in the environment or stored (blocking: keychain)."""
    return bool(_env(GEMINI_KEY_ENV) or (secrets or _stored_key)("gemini"))


def default_provider_name(settings: Settings, secrets: KeyLookup | None = None) -> str:
    """The provider a new chat uses: the settings' choice, except that Gemini without a
    key gives way to the built-in offline model, so a fresh install answers at once."""
    name = settings.default_provider
    if resolve(name, settings).kind == "gemini" and not gemini_key_configured(secrets):
        return "local"
    return name


# ---------------------------------------------------------------- test connection


@dataclass(frozen=True, slots=True)
class ConnectionResult:
    """What "Test connection" found: ``line`` is the one sentence to show."""

    ok: bool
    line: str
    seconds: float
    models: list[ModelInfo] = field(default_factory=list)
    error: RillError | None = None


def _probe_request(model: str) -> GenerateRequest:
    user = Message(role=Role.USER, parts=[Part.from_text("Hi")])
    return GenerateRequest((user,), GenerationSettings(model=model, max_output_tokens=1))


async def _probe(provider: Provider, model: str) -> tuple[str, list[ModelInfo]]:
    from rill.core.providers.local import LocalProvider
    from rill.core.providers.vertex import VertexProvider

    label = getattr(provider, "label", None) or provider.name
    if isinstance(provider, LocalProvider):
        models = await provider.list_models()
        seconds = await provider.warm_up(model)
        loaded = f"loaded in {seconds:.1f} s" if seconds else "already loaded"
        return f"The offline model is ready ({loaded}; {len(models)} model(s) found).", models
    if isinstance(provider, VertexProvider):
        await provider.count_tokens(_probe_request(model or GEMINI_DEFAULT_MODEL))
        where = f"{provider.project} in {provider.location}"
        return f"Connected to Vertex AI ({where}); credentials accepted.", []
    try:
        models = await provider.list_models()
    except NotFoundError:  # a server without a models list: ask for one token instead
        model = model or str(getattr(provider, "default_model", "") or "")
        if not model:
            raise ConfigurationError(
                f"{label} lists no models; fill in a default model to test it."
            ) from None
        async for _ in provider.stream(_probe_request(model)):
            pass
        return f"Connected to {label}; it answered a one-token request.", []
    return f"Connected to {label}: {model_summary(models)}.", models


def model_summary(models: list[ModelInfo]) -> str:
    """ "2 models: a, b", "12 models: a, b, c and 9 more", "no models listed"."""
    if not models:
        return "no models listed"
    names = ", ".join(m.id for m in models[:3])
    if len(models) > 3:
        names += f" and {len(models) - 3} more"
    return f"{len(models)} model{'s' if len(models) > 1 else ''}: {names}"


async def test_connection(
    provider: Provider, model: str = "", time_limit: float = 20.0
) -> ConnectionResult:
    """List the provider's models (or send a one-token request); never raises a RillError.

    The local provider loads its model instead, which is its real test.
    """
    import asyncio  # here: the window names the presets before its first paint

    started = time.monotonic()
    try:
        async with asyncio.timeout(time_limit):
            line, models = await _probe(provider, model)
    except TimeoutError:
        spent = time.monotonic() - started
        return ConnectionResult(False, f"No answer within {time_limit:g} s.", spent)
    except RillError as error:
        return ConnectionResult(False, str(error), time.monotonic() - started, error=error)
    return ConnectionResult(True, line, time.monotonic() - started, models)


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


__all__ = [
    "KINDS",
    "PRESETS",
    "ConnectionResult",
    "EnvValue",
    "KeyLookup",
    "Preset",
    "ProviderSpec",
    "build_provider",
    "default_model",
    "default_provider_name",
    "env_base_url",
    "env_key",
    "find_key",
    "gemini_key_configured",
    "generation_settings",
    "preset",
    "proxy_for",
    "resolve",
    "test_connection",
]
