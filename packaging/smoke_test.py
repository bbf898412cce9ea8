"""Smoke-test the standalone build (dist/rill) under a private Xvfb, as a user would use it.

Installs the desktop entry into a temporary XDG_DATA_HOME, validates it, starts the app
through the entry's Exec line with an empty profile and no API key, checks the window
and its WM_CLASS, types a prompt with xdotool and waits for the offline model's answer,
quits with Ctrl+Q, asks the CLI the same way, and removes the entry again. Prints the
build size and the time to the first window. Exit status 0 when every check passed.

Needs Xvfb, xdotool, xprop (x11-utils); desktop-file-validate is used when present.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROMPT = "What is the capital of France"


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """A private X server on a free display (Xvfb reports it through -displayfd)."""
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        number = reader.readline().strip()
    if not number:
        server.kill()
        raise SystemExit("Xvfb did not start")
    return server, f":{number}"


class Smoke:
    """Runs the checks in order, printing each result; ``failed`` counts the failures."""

    def __init__(self, app: Path, env: dict[str, str]) -> None:
        self.app = app
        self.env = env
        self.failed = 0

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        """Print and count one check; returns ``ok``."""
        print(f"[{'PASS' if ok else 'FAIL'}] {what}" + (f": {detail}" if detail else ""))
        self.failed += not ok
        return ok

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run a command with the smoke test's environment."""
        return subprocess.run(
            list(args), env=self.env, capture_output=True, text=True, timeout=timeout
        )


def wait_for(condition: object, timeout: float) -> bool:
    """Poll ``condition()`` (another process's file) for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def desktop_entry(smoke: Smoke, data_home: Path) -> tuple[list[str], str]:
    """Install and validate the entry; returns its Exec arguments and StartupWMClass."""
    done = smoke.run(str(smoke.app), "--install-desktop-entry")
    smoke.check(done.returncode == 0, "rill --install-desktop-entry", done.stdout.strip())
    entry = data_home / "applications" / "rill.desktop"
    if shutil.which("desktop-file-validate"):
        valid = smoke.run("desktop-file-validate", str(entry))
        smoke.check(valid.returncode == 0 and not valid.stdout.strip(), "desktop-file-validate")
    else:
        print("[SKIP] desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(entry, encoding="utf-8")
    section = parser["Desktop Entry"]
    icon = data_home / "icons" / "hicolor" / "48x48" / "apps" / "rill.png"
    smoke.check(icon.is_file(), "hicolor icons installed", str(icon))
    return [a.replace("%%", "%") for a in shlex.split(section["Exec"])], section["StartupWMClass"]


def saved_answer(store: Path) -> str:
    """The text of the newest finished answer in the profile's store ("" until there is one).

    Read from outside the app, read-only: the frozen build runs no test code, so what it
    saved stands for what it showed.
    """
    try:
        with contextlib.closing(sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True)) as db:
            row = db.execute(
                "SELECT text FROM messages WHERE role = 'model' AND status = 'complete' "
                "ORDER BY id DESC LIMIT 1"
            ).fetchone()
    except sqlite3.Error:  # not created yet, or busy: ask again
        return ""
    return str(row[0]) if row else ""


def gui(smoke: Smoke, exec_args: list[str], wm_class: str, store: Path, timeout: float) -> float:
    """Start through Exec, check the window, get an offline answer; returns start seconds."""
    started = time.monotonic()
    app = subprocess.Popen(exec_args, env=smoke.env, stderr=subprocess.PIPE, text=True)
    try:
        found = smoke.run(
            "xdotool", "search", "--sync", "--onlyvisible", "--name", "^Rill$", timeout=60
        )
        start_seconds = time.monotonic() - started
        window = found.stdout.split()[0] if found.stdout.split() else ""
        smoke.check(bool(window), "window appears", f"{start_seconds:.2f} s after launch")
        if not window:
            return start_seconds
        props = smoke.run("xprop", "-id", window, "WM_CLASS").stdout.strip()
        smoke.check(f'"{wm_class}"' in props, "StartupWMClass matches WM_CLASS", props)
        second = smoke.run(*exec_args, timeout=30)
        smoke.check(second.returncode == 0, "a second launch hands over and exits 0")
        smoke.run("xdotool", "type", "--delay", "20", PROMPT)
        smoke.run("xdotool", "key", "Return")
        answered = wait_for(lambda: len(saved_answer(store).strip()) > 5, timeout)
        shown = saved_answer(store).strip()
        smoke.check(answered, "the offline model answers in the window (saved)", shown[-200:])
        shot = ROOT / "build" / "smoke" / "smoke.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        if shutil.which("import"):
            smoke.run("import", "-window", "root", str(shot))
            print(f"       screenshot: {shot}")
        smoke.run("xdotool", "key", "ctrl+q")
        code = app.wait(timeout=30)
        smoke.check(code == 0, "Ctrl+Q exits 0", f"exit {code}")
    finally:
        if app.poll() is None:
            app.kill()
        _out, err = app.communicate(timeout=10)
        if err.strip():
            print("       stderr:", err.strip()[-500:])
    return start_seconds


def main(argv: list[str] | None = None) -> int:
    """Run every check against ``--app`` (default dist/rill/rill); 0 when all passed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--app", type=Path, default=ROOT / "dist" / "rill" / "rill")
    parser.add_argument("--answer-timeout", type=float, default=120)
    args = parser.parse_args(argv)
    app = args.app.resolve()
    if not app.is_file():
        raise SystemExit(f"no build at {app}: run packaging/build.sh first")
    missing = [t for t in ("Xvfb", "xdotool", "xprop") if shutil.which(t) is None]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)} (apt-get install xvfb xdotool x11-utils)")
    server, display = start_xvfb()
    with tempfile.TemporaryDirectory(prefix="rill-smoke-") as scratch:
        tmp = Path(scratch)
        (tmp / "runtime").mkdir(mode=0o700)
        env = {k: v for k, v in os.environ.items() if "API_KEY" not in k}
        env.update(
            DISPLAY=display,
            QT_QPA_PLATFORM="xcb",
            RILL_HOME=str(tmp / "home"),  # an empty profile
            XDG_DATA_HOME=str(tmp / "share"),
            XDG_RUNTIME_DIR=str(tmp / "runtime"),
        )
        smoke = Smoke(app, env)
        try:
            exec_args, wm_class = desktop_entry(smoke, tmp / "share")
            store = tmp / "home" / "data" / "rill.sqlite"
            seconds = gui(smoke, exec_args, wm_class, store, args.answer_timeout)
            cli = smoke.run(str(app), "ask", "--provider", "local", PROMPT + "?", timeout=180)
            smoke.check(
                cli.returncode == 0 and bool(cli.stdout.strip()),
                "rill ask --provider local answers",
                cli.stdout.strip()[:200] or cli.stderr.strip()[-300:],
            )
            gone = smoke.run(str(app), "--uninstall-desktop-entry")
            left = [p for p in (tmp / "share").rglob("rill*") if p.is_file()]
            smoke.check(gone.returncode == 0 and not left, "uninstall removes the files", str(left))
        finally:
            server.terminate()
            server.wait(timeout=10)
    size = subprocess.run(["du", "-sh", str(app.parent)], capture_output=True, text=True).stdout
    print(f"size: {size.split()[0] if size else '?'}   start to window: {seconds:.2f} s")
    print("smoke test:", "PASSED" if not smoke.failed else f"{smoke.failed} check(s) FAILED")
    return 0 if not smoke.failed else 1


if __name__ == "__main__":
    sys.exit(main())
