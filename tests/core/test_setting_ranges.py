"""One table of setting ranges: the settings file, a stored chat's settings, the JSON
import and the command line all refuse what the widgets and the APIs cannot take."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from rill.core import setting_ranges as ranges
from rill.core import settings as s
from rill.core.store.codec import settings_from_json
from rill.core.store.db import Store
from rill.core.store.export import export_json, import_json
from rill.core.types import GenerationSettings, Message, Part, Role
from tests.core.cli.test_cli import cli_env, run_cli

OVERFLOWING = 2_147_483_648  # one past a Qt spin box's (and a C int's) maximum


@pytest.fixture(autouse=True)
def profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RILL_HOME", str(tmp_path))
    return tmp_path / "config" / "settings.json"


def load(profile: Path, text: str) -> s.LoadResult:
    profile.parent.mkdir(parents=True, exist_ok=True)
    profile.write_text(text, encoding="utf-8")
    return s.load_settings()


@pytest.mark.parametrize("key", ["top_k", "max_output_tokens", "thinking_budget", "seed"])
def test_a_number_past_what_a_widget_holds_becomes_the_default(profile: Path, key: str) -> None:
    result = load(profile, json.dumps({"generation": {key: OVERFLOWING, "temperature": 0.5}}))
    assert getattr(result.settings.generation, key) is None
    assert result.settings.generation.temperature == 0.5  # the rest of the file stays
    (line,) = result.warnings
    assert f"generation.{key}" in line and "\n" not in line
    assert result.moved_aside is None and profile.exists()  # a bad value is not a bad file


@pytest.mark.parametrize("value", ["1e7", "Infinity", "NaN", "0.5", "true"])
def test_a_read_timeout_outside_one_second_to_an_hour_becomes_60(profile: Path, value: str) -> None:
    result = load(profile, f'{{"network": {{"read_timeout": {value}}}}}')
    assert result.settings.network.read_timeout == 60.0
    (line,) = result.warnings
    assert "network.read_timeout" in line and "1 to 3600" in line


def test_values_at_the_edges_of_the_table_are_kept(profile: Path) -> None:
    edges = {
        key: allowed.hi if key != "seed" else int(allowed.lo)
        for key, allowed in ranges.GENERATION_RANGES.items()
    }
    result = load(profile, json.dumps({"generation": edges, "network": {"read_timeout": 3600}}))
    assert result.warnings == []
    for key, value in edges.items():
        assert getattr(result.settings.generation, key) == value
    assert result.settings.network.read_timeout == 3600.0


def test_text_that_cannot_be_saved_is_refused_so_saving_still_works(profile: Path) -> None:
    # JSON's "\ud800" is a lone surrogate: it loads, but UTF-8 cannot write it back.
    result = load(profile, '{"generation": {"system_instruction": "be \\ud800 brief"}}')
    assert result.settings.generation.system_instruction is None
    assert any("generation.system_instruction" in w for w in result.warnings)
    s.save_settings(result.settings)
    assert s.load_settings().warnings == []


def test_a_notice_quotes_a_huge_value_only_in_part(profile: Path) -> None:
    result = load(profile, json.dumps({"generation": {"top_k": "x" * 100_000}}))
    (line,) = result.warnings
    assert len(line) < 300


def test_a_stored_chat_with_values_out_of_range_opens_with_defaults(tmp_path: Path) -> None:
    with Store(tmp_path / "rill.sqlite") as store:
        cid = store.create_conversation(settings=GenerationSettings(model="m", temperature=0.3))
        store.append_message(cid, Message(Role.USER, [Part.from_text("hi")]))
    # An older Rill (or a hand edit) left numbers no widget can show.
    conn = sqlite3.connect(tmp_path / "rill.sqlite")
    stored = {"model": "m", "temperature": 0.3, "top_k": OVERFLOWING, "seed": 2**70}
    conn.execute("UPDATE conversations SET settings = ?", (json.dumps(stored),))
    conn.commit()
    conn.close()
    with Store(tmp_path / "rill.sqlite") as store:
        conversation = store.get_conversation(cid)
    assert conversation.settings.top_k is None and conversation.settings.seed is None
    assert conversation.settings.temperature == 0.3 and conversation.settings.model == "m"
    assert len(conversation.notes) == 2
    assert "top_k" in conversation.notes[0] and "seed" in conversation.notes[1]


def test_a_stored_settings_column_that_is_not_an_object_gives_defaults() -> None:
    notes: list[str] = []
    assert settings_from_json([1, 2], notes) == GenerationSettings()
    assert len(notes) == 1


def test_an_import_takes_defaults_for_values_out_of_range(tmp_path: Path) -> None:
    with Store(tmp_path / "a.sqlite") as store:
        cid = store.create_conversation(settings=GenerationSettings(model="m"))
        store.append_message(cid, Message(Role.USER, [Part.from_text("hi")]))
        document = export_json(store, cid)
    document["conversation"]["settings"].update(max_output_tokens=OVERFLOWING, temperature=9)
    warnings: list[str] = []
    with Store(tmp_path / "b.sqlite") as store:
        new_id = import_json(store, document, warnings)
        imported = store.get_conversation(new_id)
    assert imported.settings.max_output_tokens is None and imported.settings.temperature is None
    assert imported.notes == ()  # stored clean
    assert [w.split(":")[0] for w in warnings] == [
        "imported chat setting temperature",
        "imported chat setting max_output_tokens",
    ]


def test_rill_import_names_the_values_it_replaced(tmp_path: Path) -> None:
    with Store(tmp_path / "a.sqlite") as store:
        cid = store.create_conversation(settings=GenerationSettings(model="m"))
        store.append_message(cid, Message(Role.USER, [Part.from_text("hi")]))
        document = export_json(store, cid)
    document["conversation"]["settings"]["thinking_budget"] = OVERFLOWING
    exported = tmp_path / "chat.json"
    exported.write_text(json.dumps(document), encoding="utf-8")
    result = run_cli(["import", str(exported)], cli_env(tmp_path / "home"))
    assert result.returncode == 0, result.stderr
    assert "thinking_budget" in result.stderr and result.stdout.startswith("Imported as")


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--top-k", str(OVERFLOWING)),
        ("--max-output-tokens", str(OVERFLOWING)),
        ("--seed", str(2**40)),
        ("--temperature", "nan"),
        ("--top-p", "inf"),
    ],
)
def test_the_command_line_refuses_what_the_table_refuses(
    tmp_path: Path, flag: str, value: str
) -> None:
    result = run_cli(["ask", flag, value, "hi"], cli_env(tmp_path / "home"))
    assert result.returncode == 2
    assert "out of range" in result.stderr and len(result.stderr.splitlines()) == 1
