"""API keys: environment first (Gemini), then the system keychain, then a private file.

Keys are stored with ``keyring`` (service "rill", username = provider name). Where the
machine has no usable keychain, they go to ``api-keys.json`` in the config dir, mode
0600, and ``storage_status().warning`` says so for the UI. No key is ever logged, and
none reaches a process Rill starts: the window takes key variables out of its own
environment at start (:func:`hold_environment_keys`) and reads them with
:func:`env_value`.

Asking a keychain is not free for the user: a locked one (an automatic login leaves
GNOME's login keyring locked) asks for its password in a dialog of its own. So the
window's start asks it only for a key this profile knows is there
(:func:`stored_key_at_start`): ``stored-keys.json`` in the config dir lists the names
whose keys Rill put in, or found in, the keychain (names only, never a key). A new
profile starts that list empty (:func:`begin_key_index`); a profile from before the
list asks as it always did, once, and the answer starts its list.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rill.core.paths import atomic_write_text, config_dir, data_dir

SERVICE = "rill"
KEY_FILE_NAME = "api-keys.json"
INDEX_FILE_NAME = "stored-keys.json"  # the names whose keys are in the keychain
# The official SDK's names, in its order of precedence.
ENV_VARS: dict[str, tuple[str, ...]] = {"gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
# Every variable Rill reads a key from (the presets' too); any other *_API_KEY counts
# as a key as well when children's environments are cleaned.
KEY_VARIABLES = ("GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY")
_held: dict[str, str] = {}  # key variables taken out of os.environ, by name
_index_lock = threading.Lock()  # lookups run on worker threads; one writer at a time
_fresh_profile = [False]  # begin_key_index found the profile empty (set at start only)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StorageStatus:
    """Where stored keys go on this machine."""

    uses_keychain: bool
    backend: str  # the keyring backend's name, for a diagnostics line
    file_path: Path

    @property
    def warning(self) -> str | None:
        """The line the UI shows when keys cannot go into a keychain, else None."""
        if self.uses_keychain:
            return None
        return (
            f"No system keychain found; the key is stored in {self.file_path}, "
            "readable only by you."
        )


@dataclass(frozen=True)
class KeyLookup:
    """A key and where it came from ("GEMINI_API_KEY", "keychain", or the file path)."""

    key: str
    source: str


def is_key_variable(name: str) -> bool:
    """Whether environment variable ``name`` holds an API key."""
    return name in KEY_VARIABLES or name.upper().endswith("_API_KEY")


def hold_environment_keys() -> None:
    """Take every key variable out of ``os.environ``; :func:`env_value` still finds it.

    Every process Rill starts inherits its environment: the image workers (Pillow on
    files from anywhere), the browser a link opens, the desktop tools. None needs a
    key. Call it first thing, before any thread runs: changing the environment while
    another thread reads it is not safe in C.
    """
    for name in [n for n in os.environ if is_key_variable(n)]:
        _held[name] = os.environ[name]  # held before it goes: a reader never finds neither
        del os.environ[name]


def env_value(name: str) -> str:
    """Environment variable ``name`` (a held key included), stripped; "" when unset."""
    return (os.environ.get(name) or _held.get(name) or "").strip()


def child_environment() -> dict[str, str]:
    """This process's environment without any key variable, for a process it starts."""
    return {k: v for k, v in os.environ.items() if not is_key_variable(k)}


def env_api_key(provider: str) -> KeyLookup | None:
    """The key from the provider's environment variables, if one is set and non-empty."""
    for name in ENV_VARS.get(provider, ()):
        value = env_value(name)
        if value:
            return KeyLookup(value, name)
    return None


def find_api_key(provider: str, *, use_env: bool = True, keychain: bool = True) -> KeyLookup | None:
    """The key for ``provider`` and its source: env (if ``use_env``), the keychain
    (if ``keychain``), the private file. What the keychain answers keeps the profile's
    list of stored keys true."""
    if use_env and (found := env_api_key(provider)):
        return found
    backend = _usable_keyring() if keychain else None
    if backend is not None:
        try:
            value = backend.get_password(SERVICE, provider)
        except Exception as exc:  # any backend failure: locked, D-Bus gone, denied
            log.warning("keychain lookup for %s failed: %s", provider, type(exc).__name__)
        else:
            _note_in_keychain(provider, bool(value))
            if value:
                return KeyLookup(value, "keychain")
    path = key_file_path(create=False)
    value = _read_key_file(path).get(provider)
    if isinstance(value, str) and value:
        return KeyLookup(value, str(path))
    return None


def get_api_key(provider: str, *, use_env: bool = True) -> str | None:
    """The key for ``provider``, or None when none is set anywhere."""
    found = find_api_key(provider, use_env=use_env)
    return found.key if found else None


def stored_key_at_start(provider: str) -> str | None:
    """The stored key for ``provider`` (no environment), asking the keychain only when
    this profile's list says it holds one, or the profile has no list yet.

    For the window's start, which nobody asked to open a keychain: a new profile
    does not load a keychain backend or make a locked keychain ask for its password.
    Choosing a provider, saving a key or opening the Providers screen asks it as ever.
    """
    found = find_api_key(provider, use_env=False, keychain=_may_be_in_keychain(provider))
    return found.key if found else None


def begin_key_index() -> None:
    """Note whether the profile holds nothing yet: then the start's lookup begins its
    list of stored keys empty instead of asking. Call it at start, before anything
    writes to the profile (it only looks: the paint waits for nothing here)."""
    try:
        fresh = not _holds_anything(config_dir(create=False), data_dir(create=False))
    except OSError:  # an unusable profile: the window says so elsewhere; ask as ever
        fresh = False
    _fresh_profile[:] = [fresh]


def set_api_key(provider: str, key: str) -> StorageStatus:
    """Store ``key`` in the keychain, or in the private file without one; says where.

    Raises ValueError for an empty key and OSError when the file cannot be written.
    """
    key = key.strip()
    if not key:
        raise ValueError("an API key cannot be empty")
    keychain = _usable_keyring()
    if keychain is not None:
        try:
            keychain.set_password(SERVICE, provider, key)
        except Exception as exc:
            log.warning("keychain refused the %s key: %s", provider, type(exc).__name__)
        else:
            _remove_from_file(provider)  # an older copy in the file must not win later
            _note_in_keychain(provider, True)
            return storage_status()
    path = key_file_path()
    keys = _read_key_file(path)
    keys[provider] = key
    _write_key_file(path, keys)
    return StorageStatus(False, _backend_name(keychain), path)


def delete_api_key(provider: str) -> None:
    """Forget the stored key everywhere Rill keeps one (environment variables stay)."""
    keychain = _usable_keyring()
    if keychain is not None:
        try:
            keychain.delete_password(SERVICE, provider)
        except Exception as exc:  # PasswordDeleteError when absent, or a backend failure
            log.debug("keychain delete for %s: %s", provider, type(exc).__name__)
        _note_in_keychain(provider, False)
    _remove_from_file(provider)


def storage_status() -> StorageStatus:
    """Whether a usable keychain exists and where the fallback file is."""
    keychain = _usable_keyring()
    return StorageStatus(keychain is not None, _backend_name(keychain), key_file_path(create=False))


def key_file_path(*, create: bool = True) -> Path:
    """Where keys go without a keychain; its folder is made (user-only) unless
    ``create`` is False, which looking for a key uses: an unusable profile folder
    then holds no key instead of failing the lookup."""
    return config_dir(create=create) / KEY_FILE_NAME


def _usable_keyring() -> Any | None:
    """The active keyring backend, or None when it is the fail/null kind or broken."""
    try:
        # Imported here: keyring scans entry points on import, which a CLI run with
        # GEMINI_API_KEY set should never pay for.
        import keyring

        backend = keyring.get_keyring()
        priority = float(backend.priority)
    except Exception as exc:
        log.warning("no keychain backend: %s", type(exc).__name__)
        return None
    # fail.Keyring has priority 0, null.Keyring and an empty chainer are below it.
    return backend if priority > 0 else None


def _backend_name(backend: Any | None) -> str:
    if backend is None:
        return "none"
    cls = type(backend)
    return f"{cls.__module__}.{cls.__name__}"


def _read_key_file(path: Path) -> dict[str, Any]:
    try:
        if os.name == "posix" and path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)  # someone loosened it; a key file is never shared
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("key file %s unreadable: %s", path, type(exc).__name__)
        return {}
    return data if isinstance(data, dict) else {}


def _write_key_file(path: Path, keys: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(keys, indent=2) + "\n", mode=0o600)


def _remove_from_file(provider: str) -> None:
    path = key_file_path(create=False)
    keys = _read_key_file(path)
    if provider in keys:
        del keys[provider]
        if keys:
            _write_key_file(path, keys)
        else:
            path.unlink(missing_ok=True)


def _holds_anything(*folders: Path) -> bool:
    for folder in folders:
        try:
            if any(folder.iterdir()):
                return True
        except FileNotFoundError:
            continue
    return False


def _read_index(path: Path) -> set[str] | None:
    """The names the list holds; None when there is no list or it is not one (it is
    ours, but a file on disk: a broken one means "ask", never a crash)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("key list %s unreadable: %s", path.name, type(exc).__name__)
        return None
    names = data.get("keychain") if isinstance(data, dict) else None
    if not isinstance(names, list):
        return None
    return {name for name in names if isinstance(name, str)}


def _write_index(names: list[str]) -> None:
    # config_dir() makes the folder user-only, as for the key file.
    path = config_dir() / INDEX_FILE_NAME
    atomic_write_text(path, json.dumps({"keychain": names}, indent=2) + "\n")


def _may_be_in_keychain(provider: str) -> bool:
    with _index_lock:
        try:
            names = _read_index(config_dir(create=False) / INDEX_FILE_NAME)
            if names is None and _fresh_profile[0]:
                _write_index([])  # a new profile: nothing of its own is in the keychain
                names = set()
        except OSError as exc:  # a read-only profile: ask, as without a list
            log.debug("key list not started: %s", type(exc).__name__)
            return True
    return names is None or provider in names


def _note_in_keychain(provider: str, present: bool) -> None:
    """Keep the list true to what the keychain just said about ``provider``."""
    with _index_lock:
        try:
            path = config_dir(create=False) / INDEX_FILE_NAME
            names = _read_index(path)
            if names is not None and (provider in names) == present:
                return
            names = set(names or ())
            if present:
                names.add(provider)
            else:
                names.discard(provider)
            _write_index(sorted(names))
        except OSError as exc:  # a read-only profile: the next start asks again
            log.debug("key list not updated: %s", type(exc).__name__)
