"""A package face whose names load on first use (PEP 562's module ``__getattr__``).

A face re-exports the names other packages use; importing each module behind it at
once would load what the window's first paint never needs (issue 14, item 7). Such a
face lists where each name lives and sets ``__getattr__ = name_loader(__name__, homes)``
(its ``TYPE_CHECKING`` imports still tell the type checker what each name is).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def name_loader(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``homes`` maps a name to the module
    (relative to ``package``) that defines it, imported when the name is first read."""

    def load(name: str) -> object:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{home}"), name)

    return load
