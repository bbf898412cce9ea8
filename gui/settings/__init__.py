"""The settings panel: generation settings, the fields that edit them, the provider
picker, and what each provider's capabilities allow.
"""

from rill.gui.settings.panel import SettingsPanel

__all__ = ["SettingsPanel"]
