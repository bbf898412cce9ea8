"""``rill --install-desktop-entry``: the entry validates, its Exec line starts the window.

Everything is written under a temporary XDG_DATA_HOME; nothing touches ~/.local/share.
"""

from __future__ import annotations

import configparser
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from rill.gui.desktop_entry import ICON_SIZES, WM_CLASS, desktop_entry_text, planned_files
from tests.e2e.conftest import Display, rill_command

VALIDATOR = "desktop-file-validate"


def read_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def validate(path: Path) -> None:
    """Fail on any error or warning from desktop-file-validate; skip when it is missing."""
    if shutil.which(VALIDATOR) is None:
        pytest.skip(f"{VALIDATOR} is not installed (apt-get install desktop-file-utils)")
    done = subprocess.run([VALIDATOR, str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout + done.stderr


def rill_env(data_home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "XDG_DATA_HOME": str(data_home), "QT_QPA_PLATFORM": "offscreen", **extra}


def test_install_writes_a_valid_entry_and_icons_and_uninstall_removes_them(
    tmp_path: Path,
) -> None:
    if not rill_command().exists():
        pytest.skip(f"the rill command is not installed at {rill_command()} (pip install -e .)")
    data_home = tmp_path / "share"
    (data_home / "applications").mkdir(parents=True)
    neighbour = data_home / "applications" / "other.desktop"  # must survive uninstall
    neighbour.write_text("[Desktop Entry]\n", encoding="utf-8")
    env = rill_env(data_home)
    done = subprocess.run(
        [str(rill_command()), "--install-desktop-entry"], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    files = planned_files(data_home)
    assert all(path.is_file() for path in files)
    entry_path = data_home / "applications" / "rill.desktop"
    entry = read_entry(entry_path)
    assert entry["Exec"] == str(rill_command())
    assert entry["StartupWMClass"] == WM_CLASS
    assert entry["Icon"] == "rill"
    assert entry["Terminal"] == "false" and entry["StartupNotify"] == "true"
    assert entry["Categories"] and entry["Keywords"]
    for size in ICON_SIZES:
        png = data_home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "rill.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    validate(entry_path)

    done = subprocess.run(
        [str(rill_command()), "--uninstall-desktop-entry"], env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert not any(path.exists() for path in files)
    assert neighbour.is_file()


def test_exec_path_with_spaces_is_quoted_and_valid(tmp_path: Path) -> None:
    program = Path("/opt/My Apps/rill $beta/rill")
    entry_path = tmp_path / "rill.desktop"
    entry_path.write_text(desktop_entry_text(program), encoding="utf-8")
    exec_value = read_entry(entry_path)["Exec"]
    # A desktop-file string (backslashes doubled) holding one quoted argument, inside
    # which \", \`, \$ and \\ stand for the character (the spec's Exec rules).
    unescaped = exec_value.replace("\\\\", "\\")
    assert unescaped.startswith('"') and unescaped.endswith('"')
    assert re.sub(r'\\([`"$\\])', r"\1", unescaped[1:-1]) == str(program)
    assert read_entry(entry_path)["TryExec"] == str(program)  # a path, never quoted
    validate(entry_path)


@pytest.mark.e2e
def test_exec_line_starts_the_window_with_the_matching_wm_class(
    xvfb: Display, tmp_path: Path
) -> None:
    if shutil.which("xprop") is None:
        pytest.skip("xprop is needed to read WM_CLASS (apt-get install x11-utils)")
    data_home = tmp_path / "share"
    env = {**xvfb.env, "XDG_DATA_HOME": str(data_home), "RILL_HOME": str(tmp_path / "home")}
    env.pop("GEMINI_API_KEY", None)
    subprocess.run(
        [str(rill_command()), "--install-desktop-entry"], env=env, check=True, timeout=60
    )
    entry = read_entry(data_home / "applications" / "rill.desktop")
    app = subprocess.Popen(
        shlex.split(entry["Exec"]), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        window = xvfb.xdotool("search", "--sync", "--onlyvisible", "--name", "^Rill$").split()[0]
        wm_class = subprocess.run(
            ["xprop", "-id", window, "WM_CLASS"], env=env, capture_output=True, text=True
        ).stdout
        assert f'"{entry["StartupWMClass"]}"' in wm_class, wm_class
        xvfb.xdotool("key", "ctrl+q")
        code = app.wait(timeout=30)
    finally:
        if app.poll() is None:
            app.kill()
        app.communicate(timeout=10)
    assert code == 0
