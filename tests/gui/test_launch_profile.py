"""The window launched for real with a profile it cannot fully use: it opens, says
which folder is wrong and how, shows what it can read, and answers (see
tests.gui.support.launch_probe); only when no window can open does a message box say why."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rill.core.store.db import Store
from rill.core.types import GenerationSettings, Message, Part, Role
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.launch_support import ROOT, launch, launch_env
from tests.read_only import read_only_tree


def fill(home: Path, titles: list[str]) -> None:
    with Store(home / "data" / "rill.sqlite") as store:
        for title in titles:
            cid = store.create_conversation(settings=GenerationSettings(model="gemini-2.5-flash"))
            store.append_message(cid, Message(Role.USER, [Part.from_text(title)]))


def test_rill_home_pointing_at_a_file_opens_the_window_and_answers(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    home = tmp_path / "not-a-folder"
    home.write_text("a file")
    fake_gemini.push(stream(["Still ", "here."]))
    shown = launch(launch_env(home, fake_gemini), tmp_path / "report.json", "Are you there")
    assert shown.code == 0 and shown.stderr == "", shown.stderr
    assert shown.report is not None, "the window never opened"
    assert shown.report["answered"] and "Still here." in shown.report["transcript"]
    notice = shown.report["notice"]
    assert str(home) in notice and "is a file, not a folder" in notice
    assert "not being saved" in notice  # said when the message went out
    assert home.read_text() == "a file"


def test_a_file_where_the_data_folder_should_be_is_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "data").write_text("a file")
    shown = launch(launch_env(home), tmp_path / "report.json")
    assert shown.code == 0 and shown.stderr == "", shown.stderr
    assert shown.report is not None
    assert f"Rill's data folder {home / 'data'} is a file, not a folder" in shown.report["notice"]


def test_a_read_only_profile_shows_its_chats_and_says_a_new_one_is_not_saved(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    home = tmp_path / "home"
    fill(home, ["an older chat", "the newest chat"])
    fake_gemini.push(stream(["Answered ", "anyway."]))
    report = tmp_path / "report.json"
    with read_only_tree(home):
        shown = launch(launch_env(home, fake_gemini), report, "One more thing")
    assert shown.code == 0 and shown.stderr == "", shown.stderr
    assert shown.report is not None
    assert shown.report["chats"] == 2
    assert "the newest chat" in shown.report["transcript"]  # opened, read from the store
    assert shown.report["answered"] and "Answered anyway." in shown.report["transcript"]
    notice = shown.report["notice"]
    assert "This chat is not being saved" in notice and f"{home / 'data'} is read-only" in notice
    with Store(home / "data" / "rill.sqlite") as store:
        assert len(store.list_conversations()) == 2  # nothing was written


CANNOT_START = """
import sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from rill.core.paths import ProfileError
from rill.gui import app, launch

def refuse(*_args):
    raise ProfileError(Path("/nowhere"), "Rill's profile folder /nowhere is gone.")

def read_the_box():
    box = QApplication.activeModalWidget()
    if isinstance(box, QMessageBox):
        print("box:", box.text(), flush=True)
        box.done(0)
    else:
        QTimer.singleShot(20, read_the_box)

app.create_window = refuse
QTimer.singleShot(0, read_the_box)
sys.exit(launch.main([]))
"""


def test_when_no_window_can_open_a_message_box_says_why(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CANNOT_START],
        cwd=ROOT,
        env=launch_env(tmp_path / "home"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 9
    assert "box: Rill's profile folder /nowhere is gone." in done.stdout
    assert "Traceback" not in done.stderr
    assert "rill: Rill's profile folder /nowhere is gone." in done.stderr
