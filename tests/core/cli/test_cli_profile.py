"""The installed ``rill`` with a profile it cannot fully use: one sentence naming the
folder and what is wrong, exit status 9 where nothing can be done, and a read-only
profile still listed, searched and exported."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rill.core.store.db import Store
from rill.core.types import GenerationSettings, Message, Part, Role
from tests.core.cli.test_cli import cli_env
from tests.fakes.gemini_server import FakeGemini
from tests.read_only import read_only_tree

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX profile folders")
RILL = Path(sys.executable).with_name("rill")
EXIT_PROFILE = 9  # documented in `rill --help` (checked below)


def rill(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RILL), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def fill(home: Path, titles: list[str]) -> None:
    with Store(home / "data" / "rill.sqlite") as store:
        for title in titles:
            cid = store.create_conversation(settings=GenerationSettings(model="m"))
            store.append_message(cid, Message(Role.USER, [Part.from_text(title)]))


@pytest.mark.parametrize("command", [["history"], ["search", "x"], ["export", "--latest"]])
def test_rill_home_pointing_at_a_file_names_it_and_exits_9(
    tmp_path: Path, command: list[str]
) -> None:
    home = tmp_path / "not-a-folder"
    home.write_text("a file")
    done = rill(command, cli_env(home))
    assert done.returncode == EXIT_PROFILE
    (line,) = done.stderr.splitlines()
    assert str(home) in line and "is a file, not a folder" in line
    assert "internal error" not in line and "Traceback" not in done.stderr


def test_a_file_where_the_data_folder_should_be_is_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "data").write_text("a file")
    done = rill(["history"], cli_env(home))
    assert done.returncode == EXIT_PROFILE
    assert f"Rill's data folder {home / 'data'} is a file, not a folder" in done.stderr


def test_ask_still_answers_with_an_unusable_profile(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    home = tmp_path / "not-a-folder"
    home.write_text("a file")
    done = rill(["ask", "--base-url", fake_gemini.base_url, "hi"], cli_env(home))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Echo: hi\n"
    assert "not saved" in done.stderr and str(home) in done.stderr


def test_a_read_only_profile_is_listed_searched_and_exported(tmp_path: Path) -> None:
    home = tmp_path / "home"
    fill(home, ["first question", "second question"])
    env = cli_env(home)
    with read_only_tree(home):
        listed = rill(["history"], env)
        found = rill(["search", "second"], env)
        exported = rill(["export", "--latest"], env)
    assert listed.returncode == 0, listed.stderr
    assert "first question" in listed.stdout and "second question" in listed.stdout
    assert f"Rill's data folder {home / 'data'} is read-only" in listed.stderr
    assert found.returncode == 0 and "second" in found.stdout
    assert exported.returncode == 0 and "second question" in exported.stdout


def test_importing_into_a_read_only_profile_says_why_and_exits_9(tmp_path: Path) -> None:
    home = tmp_path / "home"
    fill(home, ["kept"])
    env = cli_env(home)
    exported = rill(["export", "--latest", "--format", "json"], env)
    (tmp_path / "chat.json").write_text(exported.stdout, encoding="utf-8")
    with read_only_tree(home):
        done = rill(["import", str(tmp_path / "chat.json")], env)
    assert done.returncode == EXIT_PROFILE
    assert "read-only" in done.stderr.splitlines()[-1]


def test_the_exit_status_is_documented(tmp_path: Path) -> None:
    done = rill(["--help"], cli_env(tmp_path))
    assert f"  {EXIT_PROFILE}    the profile folder cannot be used" in done.stdout
