"""Making a profile read-only for real, root included (tests run as root in CI).

Permission bits do not stop root, so the folders and files are made immutable with
``chattr +i`` where the file system allows it (ext4, xfs, btrfs); a normal user gets
``chmod a-w``. Either way the test is skipped, with the reason, when the folder still
takes a new file afterwards (a tmpfs as root, say): that is the only honest check.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def takes_files(folder: Path) -> bool:
    """Whether a new file can be made in ``folder`` (tried; its own probe, not Rill's)."""
    probe = folder / ".read-only-probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return False
    probe.unlink()
    return True


def _everything(root: Path) -> list[Path]:
    return [root, *sorted(root.rglob("*"))]


def _chattr(flag: str, paths: list[Path]) -> bool:
    tool = shutil.which("chattr")
    if tool is None:
        return False
    done = subprocess.run([tool, flag, *map(str, paths)], capture_output=True, timeout=30)
    return done.returncode == 0


@contextlib.contextmanager
def read_only_tree(root: Path) -> Iterator[None]:
    """Everything under ``root`` (itself included) read-only for this process."""
    paths = _everything(root)
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in paths}
    immutable = _chattr("+i", paths)
    if not immutable:
        for path in paths:
            path.chmod(modes[path] & ~0o222)
    try:
        if takes_files(root):
            how = "chattr +i" if immutable else "chmod a-w"
            pytest.skip(
                f"{root} still takes new files after {how} (euid {os.geteuid()}); "
                "no read-only folder can be made here"
            )
        yield
    finally:
        _chattr("-i", paths)  # also after a partial success; harmless where none was set
        if not immutable:
            for path in paths:
                path.chmod(modes[path])
