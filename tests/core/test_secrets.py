"""API keys: environment first, then the keychain, then a user-only file; never logged.

No test touches the real keychain: each installs its own backend with
``keyring.set_keyring`` and the original is put back afterwards.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import KeyringError, PasswordDeleteError

from rill.core import secrets

KEY = "AIzaTEST-not-a-real-key-123"


class MemoryKeyring(KeyringBackend):
    """A keychain in a dict, so tests see exactly what was stored."""

    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.store:
            raise PasswordDeleteError("not found")
        del self.store[(service, username)]


class BrokenKeyring(MemoryKeyring):
    """Looks usable but fails every call, like a locked or unreachable keychain."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError(f"locked while reading {service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringError("locked")


@pytest.fixture(autouse=True)
def hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RILL_HOME", str(tmp_path))
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    # Restores whatever backend was there (or none) when the test ends.
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)
    # What begin_key_index noted about a test's profile stays with that test.
    monkeypatch.setattr(secrets, "_fresh_profile", [False])
    yield


@pytest.fixture
def use_backend() -> Callable[[KeyringBackend], KeyringBackend]:
    def install(backend: KeyringBackend) -> KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    return install


@pytest.fixture
def memory(use_backend: Callable[[KeyringBackend], KeyringBackend]) -> MemoryKeyring:
    backend = MemoryKeyring()
    use_backend(backend)
    return backend


def test_keychain_set_get_delete(memory: MemoryKeyring, tmp_path: Path) -> None:
    assert secrets.get_api_key("gemini") is None
    status = secrets.set_api_key("gemini", f"  {KEY}\n")
    assert status.uses_keychain and status.warning is None
    assert memory.store == {("rill", "gemini"): KEY}
    assert secrets.find_api_key("gemini") == secrets.KeyLookup(KEY, "keychain")
    assert not secrets.key_file_path().exists()
    secrets.delete_api_key("gemini")
    assert memory.store == {}
    assert secrets.get_api_key("gemini") is None
    secrets.delete_api_key("gemini")  # deleting nothing is fine


def test_environment_wins_for_gemini(
    memory: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets.set_api_key("gemini", "stored-key")
    monkeypatch.setenv("GOOGLE_API_KEY", "google-key")
    assert secrets.find_api_key("gemini") == secrets.KeyLookup("google-key", "GOOGLE_API_KEY")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-key")
    assert secrets.find_api_key("gemini") == secrets.KeyLookup("gemini-key", "GEMINI_API_KEY")
    assert secrets.get_api_key("gemini", use_env=False) == "stored-key"
    monkeypatch.setenv("GEMINI_API_KEY", "   ")  # blank counts as unset
    assert secrets.get_api_key("gemini") == "google-key"
    # Other providers do not read Gemini's variables.
    assert secrets.get_api_key("openrouter") is None


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_without_a_keychain_keys_go_to_a_private_file(
    use_backend: Callable[[KeyringBackend], KeyringBackend],
    backend: KeyringBackend,
    tmp_path: Path,
) -> None:
    use_backend(backend)
    status = secrets.set_api_key("gemini", KEY)
    path = tmp_path / "config" / "api-keys.json"
    assert not status.uses_keychain
    assert status.file_path == path
    assert status.warning == (
        f"No system keychain found; the key is stored in {path}, readable only by you."
    )
    assert secrets.storage_status() == status
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secrets.find_api_key("gemini") == secrets.KeyLookup(KEY, str(path))
    secrets.set_api_key("openai", "other")
    secrets.delete_api_key("gemini")
    assert secrets.get_api_key("gemini") is None
    assert secrets.get_api_key("openai") == "other"
    secrets.delete_api_key("openai")
    assert not path.exists()


def test_a_failing_keychain_falls_back_to_the_file(
    use_backend: Callable[[KeyringBackend], KeyringBackend], tmp_path: Path
) -> None:
    use_backend(BrokenKeyring())
    status = secrets.set_api_key("gemini", KEY)
    assert not status.uses_keychain
    assert status.warning is not None and str(tmp_path) in status.warning
    assert secrets.get_api_key("gemini") == KEY
    secrets.delete_api_key("gemini")
    assert secrets.get_api_key("gemini") is None


def test_saving_to_a_keychain_removes_an_older_file_copy(
    use_backend: Callable[[KeyringBackend], KeyringBackend],
) -> None:
    use_backend(fail.Keyring())
    secrets.set_api_key("gemini", "old-file-key")
    memory = MemoryKeyring()
    use_backend(memory)
    assert secrets.get_api_key("gemini") == "old-file-key"  # still found after a keychain appears
    secrets.set_api_key("gemini", "new-key")
    assert secrets.get_api_key("gemini") == "new-key"
    assert not secrets.key_file_path().exists()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_loosened_key_file_is_tightened(
    use_backend: Callable[[KeyringBackend], KeyringBackend],
) -> None:
    use_backend(null.Keyring())
    secrets.set_api_key("gemini", KEY)
    path = secrets.key_file_path()
    os.chmod(path, 0o644)
    assert secrets.get_api_key("gemini") == KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_empty_key_is_refused(memory: MemoryKeyring) -> None:
    with pytest.raises(ValueError, match="empty"):
        secrets.set_api_key("gemini", "  ")


def test_keys_are_never_logged(
    use_backend: Callable[[KeyringBackend], KeyringBackend], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for backend in (BrokenKeyring(), MemoryKeyring(), fail.Keyring()):
        use_backend(backend)
        secrets.set_api_key("gemini", KEY)
        assert secrets.get_api_key("gemini") == KEY
        secrets.delete_api_key("gemini")
    assert caplog.records  # the failures were logged...
    assert KEY not in caplog.text  # ...without the key


def test_a_corrupt_key_file_reads_as_empty(
    use_backend: Callable[[KeyringBackend], KeyringBackend],
) -> None:
    use_backend(null.Keyring())
    path = secrets.key_file_path()
    path.write_text("{oops", encoding="utf-8")
    assert secrets.get_api_key("gemini") is None
    secrets.set_api_key("gemini", KEY)  # and a save repairs it
    assert secrets.get_api_key("gemini") == KEY


# ------------------------------------------------- the keychain at the window's start


class CountingKeyring(MemoryKeyring):
    """Counts the questions: a locked keychain would answer each with a password prompt."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.asked += 1
        return super().get_password(service, username)


@pytest.fixture
def counting(use_backend: Callable[[KeyringBackend], KeyringBackend]) -> CountingKeyring:
    backend = CountingKeyring()
    use_backend(backend)
    return backend


def listed(tmp_path: Path) -> object:
    path = tmp_path / "config" / secrets.INDEX_FILE_NAME
    return json.loads(path.read_text(encoding="utf-8"))["keychain"] if path.exists() else None


def test_a_new_profile_does_not_ask_the_keychain_at_start(
    counting: CountingKeyring, tmp_path: Path
) -> None:
    counting.store[("rill", "gemini")] = KEY  # put there by another profile, or by hand
    secrets.begin_key_index()
    assert listed(tmp_path) is None  # nothing is written before the window's paint
    assert secrets.stored_key_at_start("gemini") is None
    assert counting.asked == 0 and listed(tmp_path) == []
    # Asked on purpose (choosing Gemini, the Providers screen), the keychain answers
    # as ever, and the list remembers what it said for the next start.
    assert secrets.get_api_key("gemini") == KEY
    assert listed(tmp_path) == ["gemini"]
    assert secrets.stored_key_at_start("gemini") == KEY


def test_a_key_saved_in_the_app_is_found_at_the_next_start(
    counting: CountingKeyring, tmp_path: Path
) -> None:
    secrets.begin_key_index()
    secrets.set_api_key("gemini", KEY)
    assert listed(tmp_path) == ["gemini"]
    assert secrets.stored_key_at_start("gemini") == KEY
    secrets.delete_api_key("gemini")
    assert listed(tmp_path) == []
    asked = counting.asked
    assert secrets.stored_key_at_start("gemini") is None
    assert counting.asked == asked


def test_a_profile_from_before_the_list_asks_once_and_starts_its_list(
    counting: CountingKeyring, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rill.sqlite").write_bytes(b"")  # chats from an older version
    counting.store[("rill", "gemini")] = KEY
    secrets.begin_key_index()
    assert listed(tmp_path) is None  # not a new profile: no list is made up for it
    assert secrets.stored_key_at_start("gemini") == KEY
    assert counting.asked == 1 and listed(tmp_path) == ["gemini"]


def test_an_older_profile_without_a_key_stops_asking_after_one_answer(
    counting: CountingKeyring, tmp_path: Path
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.json").write_text("{}", encoding="utf-8")
    secrets.begin_key_index()
    assert secrets.stored_key_at_start("gemini") is None
    assert secrets.stored_key_at_start("gemini") is None
    assert counting.asked == 1 and listed(tmp_path) == []


@pytest.mark.parametrize("text", ["{not json", '["gemini"]', '{"keychain": "gemini"}', "\xff"])
def test_a_broken_list_means_ask(counting: CountingKeyring, tmp_path: Path, text: str) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / secrets.INDEX_FILE_NAME).write_text(text, encoding="latin-1")
    counting.store[("rill", "gemini")] = KEY
    assert secrets.stored_key_at_start("gemini") == KEY
    assert listed(tmp_path) == ["gemini"]  # and the answer mends it


def test_a_failing_keychain_changes_nothing_in_the_list(
    use_backend: Callable[[KeyringBackend], KeyringBackend], tmp_path: Path
) -> None:
    use_backend(MemoryKeyring())
    secrets.begin_key_index()
    secrets.set_api_key("gemini", KEY)
    use_backend(BrokenKeyring())
    assert secrets.stored_key_at_start("gemini") is None
    assert listed(tmp_path) == ["gemini"]


def test_the_list_holds_names_only(counting: CountingKeyring, tmp_path: Path) -> None:
    secrets.begin_key_index()
    secrets.set_api_key("gemini", KEY)
    path = tmp_path / "config" / secrets.INDEX_FILE_NAME
    assert KEY not in path.read_text(encoding="utf-8")
    if os.name == "posix":
        assert stat.S_IMODE((tmp_path / "config").stat().st_mode) == 0o700
