"""Choosing and setting up providers: the provider manager (build, switch, keys), the
Providers dialog, the user's model files, the welcome card, and their wiring.

Every name loads on first use (PEP 562): the window paints with the welcome card
before it installs the providers, which work on the chat controller (issue 14,
item 7), so naming ``WelcomeCard`` must not import the manager or the registry.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rill.gui.providers.welcome import WelcomeCard
    from rill.gui.providers.wiring import install_providers

__all__ = ["WelcomeCard", "install_providers"]

_HOMES = {"WelcomeCard": "welcome", "install_providers": "wiring"}


def __getattr__(name: str) -> object:
    """Import the module that holds ``name`` when it is first named."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
