"""One window per user and profile: hand-over, bring-to-front, stale sockets, two processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from rill.gui import single_instance
from rill.gui.single_instance import SingleInstance, bring_to_front, claim, hand_over, server_name

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private, short XDG_RUNTIME_DIR so sockets of parallel tests never meet."""
    folder = Path(tempfile.mkdtemp(prefix="rill-si-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    monkeypatch.delenv(single_instance.DISABLE_ENV_VAR, raising=False)
    return folder


def socket_path(name: str) -> Path:
    """Where the socket for ``name`` is on Unix (where QLocalServer puts it)."""
    return Path(single_instance.socket_path(name))


def serves_the_next_launch(qtbot: QtBot, guard: SingleInstance, name: str) -> None:
    """Serve ``guard``'s name, check a later launch's word brings it forward, close it."""
    guard.serve()
    try:
        with qtbot.waitSignal(guard.activation_requested, timeout=5000):
            assert hand_over(name)
    finally:
        guard.close()


def test_name_depends_on_profile(
    runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RILL_HOME", str(tmp_path / "a"))
    first = server_name()
    assert server_name() == first
    monkeypatch.setenv("RILL_HOME", str(tmp_path / "b"))
    assert server_name() != first
    assert first.startswith(str(runtime))


def test_hand_over_brings_a_minimized_window_back(qtbot: QtBot, runtime: Path) -> None:
    guard = claim()
    assert guard is not None
    guard.serve()
    window = QWidget()
    qtbot.addWidget(window)
    window.showMinimized()
    guard.activation_requested.connect(lambda: bring_to_front(window))
    try:
        with qtbot.waitSignal(guard.activation_requested, timeout=5000):
            assert hand_over(guard.name)
        assert window.isVisible()
        assert not window.isMinimized()
    finally:
        guard.close()
    assert not socket_path(guard.name).exists()  # close removes it for the next launch


def test_second_claim_hands_over_instead(qtbot: QtBot, runtime: Path) -> None:
    first = claim()
    assert first is not None
    try:
        # Before it serves (the window's first paint), the second launch's word waits
        # in the socket's queue; the first hears it once it serves.
        assert claim() is None
        with qtbot.waitSignal(first.activation_requested, timeout=5000):
            first.serve()
    finally:
        first.close()


def test_stale_socket_after_a_crash_is_replaced(qtbot: QtBot, runtime: Path) -> None:
    name = server_name()
    # A crashed instance leaves its socket file behind with nobody listening on it.
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(socket_path(name)))
    dead.close()
    assert socket_path(name).exists()
    assert not hand_over(name)
    guard = claim()
    assert guard is not None
    serves_the_next_launch(qtbot, guard, name)


def test_no_guard_between_profiles(qtbot: QtBot, runtime: Path, tmp_path: Path) -> None:
    other = SingleInstance(server_name() + "-other")
    assert other.listen()
    try:
        guard = claim()
        assert guard is not None  # another profile's instance does not take the launch
        guard.close()
    finally:
        other.close()


def wait_until(condition: object, timeout: float, what: str) -> None:
    """Poll another process's trace (a file) until ``condition()``; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def window_env(home: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of a window launched on ``home``'s profile; this process uses
    that profile too, so the name it looks up is the windows'."""
    monkeypatch.setenv("RILL_HOME", str(home))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "RILL_HOME": str(home)}
    env.pop("GEMINI_API_KEY", None)
    return env


def test_two_processes_second_exits_and_first_comes_forward(
    runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    env = window_env(home, monkeypatch)
    command = [sys.executable, "-m", "rill.gui.launch"]
    first = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        wait_until(lambda: socket_path(server_name()).exists(), 30, "the first instance")
        started = time.monotonic()
        second = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, timeout=30)
        elapsed = time.monotonic() - started
        assert second.returncode == 0, second.stderr
        assert elapsed < 10, f"the second launch took {elapsed:.1f} s to hand over"
        log = home / "logs" / "rill.log"
        wait_until(
            lambda: log.exists() and "bringing it to the front" in log.read_text("utf-8"),
            10,
            "the first window to be brought forward",
        )
        assert first.poll() is None  # the first instance keeps running
    finally:
        first.terminate()
        first.wait(timeout=20)


def test_the_name_is_the_one_earlier_versions_used(runtime: Path) -> None:
    # A launch of this version still finds a running older one (and the reverse).
    import hashlib

    profile = str(single_instance.rill_home() or "default")
    digest = hashlib.sha256(f"{os.getuid()}\0{profile}".encode()).hexdigest()[:16]
    assert server_name() == str(runtime / f"rill-{os.getuid()}-{digest}")


def test_a_crashed_copys_lock_file_and_socket_do_not_stop_a_launch(
    qtbot: QtBot, runtime: Path
) -> None:
    name = server_name()
    Path(single_instance.socket_path(name) + single_instance.LOCK_SUFFIX).write_bytes(b"")
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(socket_path(name)))
    dead.close()
    guard = claim()
    assert guard is not None and guard.owned
    serves_the_next_launch(qtbot, guard, name)
    assert not socket_path(name).exists()


def test_a_copy_that_holds_the_name_but_never_answers_does_not_stop_a_launch(
    runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(single_instance, "OWNER_WAIT_S", 0.2)
    hung = SingleInstance()
    assert hung.try_lock()  # a live process holds the lock, with no socket at all
    try:
        started = time.monotonic()
        guard = claim()
        assert guard is not None and not guard.owned  # runs, without the name
        assert time.monotonic() - started < 5
        guard.close()
    finally:
        hung.close()


def test_launches_in_the_same_instant_make_one_owner(runtime: Path, tmp_path: Path) -> None:
    count = 5
    go = tmp_path / "go"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "RILL_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "tests.gui.support.claim_driver", str(go), str(count - 1)]
    children = [
        subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    for child in children:  # each has imported Qt and waits for the word
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    go.write_text("")
    outputs = [child.communicate(timeout=60)[0].strip() for child in children]
    owners = [line for line in outputs if line.startswith("owner")]
    assert len(owners) == 1, outputs
    assert outputs.count("handed") == count - 1, outputs
    # The owner heard every other launch (their words queued until it served), and
    # owning the name did not need Qt's network module.
    assert owners[0] == f"owner {count - 1} qtnetwork-before-serve=False", owners


def test_two_windows_launched_at_once_make_one(
    runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    env = window_env(home, monkeypatch)
    command = [sys.executable, "-m", "rill.gui.launch"]
    launches = [
        subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for _ in range(2)
    ]
    try:
        wait_until(lambda: any(p.poll() is not None for p in launches), 60, "one to hand over")
        ended = [p for p in launches if p.poll() is not None]
        assert len(ended) == 1 and ended[0].returncode == 0
        log = home / "logs" / "rill.log"
        wait_until(
            lambda: log.exists() and "bringing it to the front" in log.read_text("utf-8"),
            30,
            "the window to be brought forward",
        )
        assert all(p.poll() is None for p in launches if p is not ended[0])  # one window
    finally:
        for p in launches:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=20)
