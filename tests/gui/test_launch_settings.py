"""Settings no widget can show, launched for real: the window opens with a notice
naming the key, and answers still arrive (see tests.gui.support.launch_probe)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from rill.core.store.db import Store
from rill.core.types import GenerationSettings, Message, Part, Role
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.launch_support import launch, launch_env

OVERFLOWING = 2_147_483_648


def write_settings(home: Path, document: object) -> None:
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.json").write_text(json.dumps(document), encoding="utf-8")


def test_a_top_k_past_a_spin_box_opens_the_window_with_a_notice(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_settings(home, {"generation": {"top_k": OVERFLOWING, "temperature": 0.4}})
    shown = launch(launch_env(home), tmp_path / "report.json")
    assert shown.code == 0 and shown.stderr == "", shown.stderr
    assert shown.report is not None, "the window never opened"
    assert "generation.top_k" in shown.report["notice"]
    assert shown.report["settings"]["top_k"] is None
    assert shown.report["settings"]["temperature"] == 0.4


def test_a_read_timeout_of_months_still_lets_answers_arrive(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    home = tmp_path / "home"
    write_settings(home, {"network": {"read_timeout": 1e7}})
    fake_gemini.push(stream(["All ", "fine."]))
    shown = launch(launch_env(home, fake_gemini), tmp_path / "report.json", "Hello there")
    assert shown.code == 0 and shown.stderr == "", shown.stderr
    assert shown.report is not None and shown.report["answered"]
    assert "All fine." in shown.report["transcript"]
    assert "network.read_timeout" in shown.report["notice"]


def test_a_stored_chat_with_values_out_of_range_opens_with_defaults(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    path = home / "data" / "rill.sqlite"
    with Store(path) as store:
        cid = store.create_conversation(settings=GenerationSettings(model="m", temperature=0.7))
        store.append_message(cid, Message(Role.USER, [Part.from_text("an old chat")]))
    conn = sqlite3.connect(path)
    bad = {"model": "m", "temperature": 0.7, "max_output_tokens": OVERFLOWING}
    conn.execute("UPDATE conversations SET settings = ?", (json.dumps(bad),))
    conn.commit()
    conn.close()
    shown = launch(launch_env(home), tmp_path / "report.json")
    assert shown.code == 0 and shown.stderr == "", shown.stderr
    assert shown.report is not None
    assert "an old chat" in shown.report["transcript"]
    assert "max_output_tokens" in shown.report["notice"]
    assert shown.report["settings"]["max_output_tokens"] is None
    assert shown.report["settings"]["temperature"] == 0.7
