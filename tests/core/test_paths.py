"""Profile directories: platformdirs by default, everything under RILL_HOME when set."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from rill.core import paths


@pytest.fixture
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_rill_home_holds_every_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RILL_HOME", str(tmp_path / "portable"))
    assert paths.config_dir() == tmp_path / "portable" / "config"
    assert paths.data_dir() == tmp_path / "portable" / "data"
    assert paths.cache_dir() == tmp_path / "portable" / "cache"
    assert paths.logs_dir() == tmp_path / "portable" / "logs"
    assert all((tmp_path / "portable" / kind).is_dir() for kind in paths.KINDS)


def test_directories_are_created_lazily(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RILL_HOME", str(tmp_path / "home"))
    assert paths.config_dir(create=False) == tmp_path / "home" / "config"
    assert not (tmp_path / "home").exists()
    paths.data_dir()
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["data"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_created_directories_are_user_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, usual_umask: None
) -> None:
    monkeypatch.setenv("RILL_HOME", str(tmp_path / "home"))
    config = paths.config_dir()
    assert mode(config) == 0o700
    assert mode(tmp_path / "home") == 0o700


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_existing_directory_keeps_its_permissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config").mkdir(mode=0o755)
    os.chmod(tmp_path / "config", 0o755)
    monkeypatch.setenv("RILL_HOME", str(tmp_path))
    paths.config_dir()
    assert mode(tmp_path / "config") == 0o755


def test_relative_and_tilde_rill_home_become_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RILL_HOME", "rel")
    assert paths.config_dir(create=False) == tmp_path / "rel" / "config"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("RILL_HOME", "~/tilde")
    assert paths.cache_dir(create=False) == tmp_path / "tilde" / "cache"


@pytest.mark.skipif(os.name != "posix" or os.uname().sysname != "Linux", reason="XDG layout")
def test_without_rill_home_platformdirs_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, usual_umask: None
) -> None:
    monkeypatch.setenv("RILL_HOME", "")  # empty counts as unset
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    assert paths.rill_home() is None
    assert paths.config_dir() == tmp_path / "xdg-config" / "Rill"
    assert paths.data_dir(create=False) == tmp_path / "xdg-data" / "Rill"
    assert paths.cache_dir(create=False) == tmp_path / "xdg-cache" / "Rill"
    logs = paths.logs_dir()
    assert logs.is_relative_to(tmp_path / "xdg-state" / "Rill")
    # Only Rill's own folders are tightened, never the shared XDG folder above them.
    assert mode(tmp_path / "xdg-config" / "Rill") == 0o700
    assert mode(tmp_path / "xdg-config") == 0o755
    assert mode(tmp_path / "xdg-state" / "Rill") == 0o700


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown profile directory kind"):
        paths.profile_dir("secrets")  # type: ignore[arg-type]
