"""Where Rill keeps its profile (config, data, cache, logs) and how files there are written.

The locations come from platformdirs (app name "Rill"), unless ``RILL_HOME`` is set:
then all four live under it, so tests and portable installs never touch a real profile.
A folder Rill cannot use (a file in its place, one it may not create, a read-only one)
raises :class:`ProfileError`, whose message names the folder and what is wrong.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Literal

APP_NAME = "Rill"
HOME_ENV_VAR = "RILL_HOME"

Kind = Literal["config", "data", "cache", "logs"]
KINDS: tuple[Kind, ...] = ("config", "data", "cache", "logs")

# Settings and the key fallback file live here; nobody else on the machine should
# be able to list or read them.
_DIR_MODE = 0o700


_KIND_NAMES = {"config": "settings", "data": "data", "cache": "cache", "logs": "log"}


class ProfileError(OSError):
    """A profile folder Rill cannot use; ``str()`` is one sentence for the user.

    ``folder`` is the folder concerned, ``readable`` whether what it holds can still
    be read (a read-only folder) or nothing can (a file in its place, say).
    """

    def __init__(self, folder: Path, message: str, *, readable: bool = False) -> None:
        super().__init__(message)
        self.folder = folder
        self.readable = readable

    def __str__(self) -> str:
        return str(self.args[0])


def unusable(path: Path, error: OSError, kind: str = "profile") -> ProfileError:
    """The ProfileError for ``error``, raised while making or writing in ``path``."""
    home = rill_home()
    blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        if home is not None and (blocker == home or blocker in home.parents):
            # The same sentence whichever folder was asked for: one notice, not four.
            where, fix = f"Rill's profile folder {home} (RILL_HOME)", "set RILL_HOME to a folder"
        else:
            where, fix = f"{_label(kind)} {path}", "move that file away"
        what = "is a file" if blocker in (home, path) else f"cannot be used: {blocker} is a file"
        return ProfileError(
            blocker,
            f"{where} {what}, not a folder. Nothing can be read from or saved there; {fix}.",
        )
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM) and path.is_dir():
        return read_only(path, kind)
    reason = error.strerror or type(error).__name__
    return ProfileError(
        path, f"{_label(kind)} {path} cannot be created ({reason}). Nothing can be saved there."
    )


def _label(kind: str) -> str:
    return f"Rill's {_KIND_NAMES.get(kind, kind)} folder"


def read_only(path: Path, kind: str = "profile") -> ProfileError:
    """The ProfileError for a folder whose contents can be read but not changed."""
    return ProfileError(
        path,
        f"{_label(kind)} {path} is read-only: what it holds can be read, but nothing new can be "
        "saved there.",
        readable=True,
    )


def writable(folder: Path) -> bool:
    """Whether a file can be created in ``folder`` (tried for real: permissions say
    nothing for root, an immutable folder or a read-only file system)."""
    import tempfile

    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".rill-probe-")
    except OSError:
        return False
    os.close(fd)
    try:
        os.unlink(name)
    except OSError:
        return False
    return True


def rill_home() -> Path | None:
    """The ``RILL_HOME`` override as an absolute path, or None when unset or empty."""
    value = os.environ.get(HOME_ENV_VAR, "").strip()
    if not value:
        return None
    return Path(value).expanduser().resolve()


def profile_dir(kind: Kind, *, create: bool = True) -> Path:
    """The directory for ``kind``; created (user-only) on first use unless ``create`` is False.

    Raises ValueError for an unknown kind and ProfileError (an OSError) when the
    directory cannot be made.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown profile directory kind {kind!r}; expected one of {KINDS}")
    home = rill_home()
    path = home / kind if home is not None else _platform_dir(kind)
    if create:
        try:
            ensure_private_dir(path)
        except OSError as error:
            raise unusable(path, error, kind) from error
    return path


def config_dir(*, create: bool = True) -> Path:
    """Settings and, without a system keychain, the API key file."""
    return profile_dir("config", create=create)


def data_dir(*, create: bool = True) -> Path:
    """The chat database and stored images."""
    return profile_dir("data", create=create)


def cache_dir(*, create: bool = True) -> Path:
    """Things that can be rebuilt: thumbnails, model lists."""
    return profile_dir("cache", create=create)


def logs_dir(*, create: bool = True) -> Path:
    """Log files (which never contain an API key)."""
    return profile_dir("logs", create=create)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) if needed; a directory we create is user-only.

    An existing directory keeps its permissions: it may be one the user chose
    (``RILL_HOME=~/Documents/rill``) and is theirs to manage.
    """
    if path.is_dir():
        return path
    home = rill_home()
    # Tighten only what is Rill's own: the directory itself, a "Rill" folder above it
    # (platformdirs' log dir is .../Rill/log) and RILL_HOME - never a shared ~/.config.
    ours = [
        p
        for p in (path, *path.parents)
        if not p.exists() and (p in (path, home) or p.name == APP_NAME)
    ]
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        for created in ours:
            # mkdir's mode is filtered by the umask; chmod makes the intent exact.
            os.chmod(created, _DIR_MODE)
    return path


def atomic_write_text(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace ``path`` with ``text`` in one step; the file is created with ``mode``.

    A folder that cannot hold the file (read-only, a file in its way) raises
    ProfileError naming it; other failures (a full disk) raise their OSError.
    """
    import tempfile  # only writers need it; readers (every CLI run) do not

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except (NotADirectoryError, FileExistsError, PermissionError) as error:
        raise unusable(path.parent, error) from error
    except OSError as error:
        if error.errno != errno.EROFS:
            raise
        raise unusable(path.parent, error) from error
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _platform_dir(kind: Kind) -> Path:
    # Imported here: platformdirs costs startup time and is unused under RILL_HOME.
    import platformdirs

    if kind == "config":
        return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    if kind == "data":
        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    if kind == "cache":
        return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
