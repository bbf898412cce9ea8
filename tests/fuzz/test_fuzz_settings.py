"""Arbitrary JSON under every settings key: loading never raises, every loaded value
is in ``setting_ranges``' table, saves and loads back unchanged, and the settings panel
shows every loaded value as it is (so no value can keep the window from opening)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from rill.core import setting_ranges as ranges
from rill.core import settings as s
from rill.core.store.codec import settings_from_json
from rill.core.types import GenerationSettings
from tests.fuzz.profile import FUZZ

GENERATION_KEYS = (
    *ranges.GENERATION_RANGES,
    "stop_sequences",
    "system_instruction",
    "include_thoughts",
    "safety",
)
CHAT_KEYS = (*GENERATION_KEYS, "model", "stream")
SECTIONS = {
    "generation": GENERATION_KEYS,
    "network": ("read_timeout", "proxy"),
    "ui": (
        "theme",
        "stream",
        "show_thoughts",
        "settings_panel_visible",
        "settings_advanced_open",
        "open_conversation",
    ),
}

# Numbers at and past every edge a widget or an API has, besides anything at all.
_EDGES = [2**31 - 1, 2**31, -(2**31) - 1, 2**63, 10**400, 65537, 32769, 1001, 3601, -2]
text = st.text(st.characters(codec=None, categories=None), max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(_EDGES),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def section(keys: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(keys) | text, json_values, max_size=len(keys))


documents = st.fixed_dictionaries(
    {},
    optional={
        **{name: section(keys) | json_values for name, keys in SECTIONS.items()},
        "providers": st.dictionaries(text, section(("kind", "base_url", "model_paths"))),
        "default_provider": json_values,
        "schema_version": json_values,
    },
)


def in_table(generation: object) -> None:
    for key, allowed in ranges.GENERATION_RANGES.items():
        value = getattr(generation, key)
        assert value is None or allowed.accepts(value), key


@FUZZ
@given(documents)
@example({"generation": {"top_k": 2**31, "max_output_tokens": 2**31, "thinking_budget": 2**31}})
@example({"network": {"read_timeout": 1e7}})
@example({"generation": {"system_instruction": "\ud800", "stop_sequences": ["\udfff"]}})
def test_loading_any_document_never_raises_and_keeps_only_values_in_range(
    tmp_path_factory: pytest.TempPathFactory, document: dict[str, Any]
) -> None:
    path = tmp_path_factory.mktemp("settings") / "settings.json"
    # allow_nan: Python's json writes (and reads) NaN and Infinity, so a file can hold them.
    path.write_text(json.dumps(document, allow_nan=True), encoding="utf-8")
    result = s.load_settings(path)
    settings = result.settings
    in_table(settings.generation)
    assert ranges.READ_TIMEOUT.accepts(settings.network.read_timeout)
    assert ranges.STORE_ID.accepts(settings.ui.open_conversation)
    assert all("\n" not in w for w in result.warnings)
    s.save_settings(settings, path)  # whatever loaded can be written back…
    again = s.load_settings(path)
    assert again.settings == settings and again.warnings == []  # …and reads the same


@FUZZ
@given(st.dictionaries(st.sampled_from(CHAT_KEYS) | text, json_values) | json_values)
def test_a_chats_stored_settings_never_raise_and_stay_in_range(stored: Any) -> None:
    notes: list[str] = []
    settings = settings_from_json(stored, notes)
    in_table(settings)
    assert all("\n" not in n for n in notes)


@pytest.fixture
def panel(qtbot: Any) -> Any:
    from rill.gui.settings.panel import SettingsPanel

    widget = SettingsPanel()
    qtbot.addWidget(widget)
    return widget


def test_the_panel_shows_every_value_the_loaders_let_through(panel: Any) -> None:
    @FUZZ
    @given(st.dictionaries(st.sampled_from(CHAT_KEYS), json_values))
    @example({key: allowed.hi for key, allowed in ranges.GENERATION_RANGES.items()})
    @example({key: allowed.lo for key, allowed in ranges.GENERATION_RANGES.items()})
    def check(stored: dict[str, Any]) -> None:
        loaded = settings_from_json(stored, [])
        panel.set_settings(loaded)  # raised OverflowError before the ranges were shared
        shown = panel.settings()
        for key in ("top_k", "max_output_tokens", "seed", "thinking_budget"):
            assert getattr(shown, key) == getattr(loaded, key), key
        for key in ("temperature", "top_p"):
            wanted, got = getattr(loaded, key), getattr(shown, key)
            assert (wanted is None) == (got is None), key
            assert wanted is None or math.isclose(wanted, got, abs_tol=0.005), key

    check()


def test_generation_settings_defaults_are_in_the_table() -> None:
    in_table(GenerationSettings())
    assert ranges.READ_TIMEOUT.accepts(s.NetworkSettings().read_timeout)
