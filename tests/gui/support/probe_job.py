"""A job for an image worker process (imports nothing but ``os``, as a worker should)."""

from __future__ import annotations

import os


def environment() -> tuple[int, list[str]]:
    """This process's id and the names in its ``os.environ``."""
    return os.getpid(), sorted(os.environ)
