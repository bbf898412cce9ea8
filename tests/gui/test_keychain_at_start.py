"""The window's start asks the keychain only for a key its profile knows is there.

Launched for real in a child process (``tests.gui.support.startup_imports_probe``)
with a keychain that holds a Gemini key and notes every question
(``tests.gui.support.held_keychain``): on a desktop whose keychain is locked (an
automatic login leaves GNOME's locked), each question is a password prompt the user
did not ask for. A new profile answers offline without asking, nor loading a keychain
backend at all; a profile that saved its key, or one from before the list, starts
on Gemini with it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rill.core import secrets
from tests.gui.support.held_keychain import LOG_VARIABLE
from tests.gui.support.launch_support import launch_env, run_driver

HELD = "tests.gui.support.held_keychain.Keyring"


def start(tmp_path: Path, home: Path) -> tuple[str, list[str], list[str]]:
    """Launch once; the provider the chats got, the heavy modules loaded by then, and
    the questions the keychain was asked."""
    questions = tmp_path / "asked.txt"
    env = launch_env(home, PYTHON_KEYRING_BACKEND=HELD, **{LOG_VARIABLE: str(questions)})
    run = run_driver("startup_imports_probe", env, tmp_path / "report.json", timeout=120)
    assert run.code == 0 and not run.stderr, "\n".join(run.stderr.splitlines()[-20:])
    assert run.report is not None, "the probe failed: see logs/rill.log in its profile"
    asked = questions.read_text(encoding="utf-8").split() if questions.exists() else []
    return run.report["provider"], run.report["later"], asked


def test_a_new_profile_starts_offline_without_asking_the_keychain(tmp_path: Path) -> None:
    home = tmp_path / "home"
    provider, loaded, asked = start(tmp_path, home)
    assert (provider, asked) == ("LocalProvider", [])
    assert "keyring" not in loaded
    index = home / "config" / secrets.INDEX_FILE_NAME
    assert json.loads(index.read_text(encoding="utf-8")) == {"keychain": []}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (secrets.INDEX_FILE_NAME, {"keychain": ["gemini"]}),  # the key was saved in Rill
        ("settings.json", {}),  # a profile from before the list: asked as it always was
    ],
    ids=["saved-key", "older-profile"],
)
def test_a_profile_with_a_key_starts_on_gemini(tmp_path: Path, name: str, content: object) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / name).write_text(json.dumps(content), encoding="utf-8")
    provider, _, asked = start(tmp_path, home)
    # Asked for the default provider's key, then again as the provider is built.
    assert (provider, set(asked)) == ("GeminiProvider", {"rill/gemini"})
    index = home / "config" / secrets.INDEX_FILE_NAME
    assert json.loads(index.read_text(encoding="utf-8")) == {"keychain": ["gemini"]}
