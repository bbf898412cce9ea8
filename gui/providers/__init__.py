"""Choosing and setting up providers: the provider manager (build, switch, keys), the
Providers dialog, the user's model files, the welcome card, and their wiring.

Every name loads on first use (PEP 562): the window paints with the welcome card
before it installs the providers, which work on the chat controller (issue 14,
item 7), so naming ``WelcomeCard`` must not import the manager or the registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rill.core.lazy_names import name_loader

if TYPE_CHECKING:
    from rill.gui.providers.welcome import WelcomeCard
    from rill.gui.providers.wiring import install_providers

__all__ = ["WelcomeCard", "install_providers"]

_HOMES = {"WelcomeCard": "welcome", "install_providers": "wiring"}


__getattr__ = name_loader(__name__, _HOMES)
