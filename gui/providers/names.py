"""What the window calls the providers a chat can use: their names and labels.

Apart from the manager so the window can say what answers in its first paint
(the chat bar's picker) without importing the manager, its asyncio and the chat
controller (issue 14, item 7).
"""

from __future__ import annotations

from rill.core.providers import registry
from rill.core.settings import Settings

LOCAL = "local"


def provider_names(settings: Settings) -> list[str]:
    """The providers a chat can use: the settings' table, and the built-in offline model."""
    names = list(settings.providers)
    if LOCAL not in names:
        names.append(LOCAL)
    return names


def provider_label(name: str, settings: Settings) -> str:
    """What the combo shows: the preset's label for a preset's own name, else the name."""
    if name == LOCAL and name not in settings.providers:
        return "Offline model"  # the preset's "(built in)" does not fit the panel
    found = registry.preset(name)
    config = settings.providers.get(name)
    if found is not None and (config is None or config.kind == found.kind):
        return found.label
    return name
