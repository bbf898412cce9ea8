"""Helpers for the secret-hygiene tests: a unique planted key, and scanners for every
file under a folder, captured output and recorded requests."""

from __future__ import annotations

import os
import stat
import sys
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

CLI = [sys.executable, "-m", "rill.core.cli"]
KEY_HEADERS = ("x-goog-api-key", "authorization")


def planted_key() -> str:
    return f"rill-test-key-{uuid.uuid4().hex}"


def files_holding(root: Path, key: str) -> list[Path]:
    """Every file under ``root`` whose bytes hold ``key`` (raw, or UTF-16 as a DB might)."""
    needles = [key.encode(), key.encode("utf-16-le")]
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if any(n in data for n in needles):
                found.append(path)
    return found


def assert_only_key_file(root: Path, key: str, allowed: Iterable[Path] = ()) -> int:
    """No file under ``root`` holds ``key`` except ``allowed`` ones (mode 0600).

    Returns how many files were scanned, so a test can tell it scanned something.
    """
    allowed = {p.resolve() for p in allowed}
    holders = {p.resolve() for p in files_holding(root, key)}
    assert holders <= allowed, f"the key leaked into {sorted(holders - allowed)}"
    for path in holders:
        if os.name == "posix":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    return sum(1 for p in root.rglob("*") if p.is_file())


def assert_request_clean(
    target: str, headers: Mapping[str, str], body: bytes, key: str, header: str
) -> None:
    """The key is in ``header`` (as itself or a Bearer token) and nowhere else."""
    assert key not in target, target
    assert key.encode() not in body
    for name, value in headers.items():
        if name.lower() == header:
            assert value in (key, f"Bearer {key}"), (name, value)
        else:
            assert key not in value, name
