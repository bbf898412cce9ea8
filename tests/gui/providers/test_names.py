"""The window's provider labels (gui/providers/names.py) are the provider registry's:
the first paint says them without importing the provider package (issue 14, item 7)."""

from __future__ import annotations

import pytest

from rill.core.providers import registry
from rill.core.settings import PROVIDER_KINDS, ProviderConfig, Settings
from rill.gui.providers.names import LOCAL, PRESET_LABELS, provider_label


def _registry_label(name: str, settings: Settings) -> str:
    """The label as the registry's presets give it (names.py's rule before its table)."""
    if name == LOCAL and name not in settings.providers:
        return "Offline model"
    found = registry.preset(name)
    config = settings.providers.get(name)
    if found is not None and (config is None or config.kind == found.kind):
        return found.label
    return name


def test_the_table_is_the_registrys_presets() -> None:
    assert {p.id: (p.kind, p.label) for p in registry.PRESETS} == PRESET_LABELS


def _tables(name: str) -> list[dict[str, ProviderConfig]]:
    """The settings' provider tables to ask about ``name`` in: absent, and as each kind."""
    tables: list[dict[str, ProviderConfig]] = [{}, {"gemini": ProviderConfig()}]
    tables += [{name: ProviderConfig(kind=kind)} for kind in PROVIDER_KINDS]
    return tables


@pytest.mark.parametrize("name", [p.id for p in registry.PRESETS] + ["my-server"])
def test_every_presets_label_is_the_registrys(name: str) -> None:
    for table in _tables(name):
        settings = Settings(providers=table)
        kinds = {n: c.kind for n, c in table.items()}
        assert provider_label(name, settings) == _registry_label(name, settings), kinds
