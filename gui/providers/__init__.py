"""Choosing and setting up providers: the provider manager (build, switch, keys), the
Providers dialog, the user's model files, the welcome card, and their wiring.
"""

from rill.gui.providers.welcome import WelcomeCard
from rill.gui.providers.wiring import install_providers

__all__ = ["WelcomeCard", "install_providers"]
