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
    """Where Qt puts the socket for ``name`` on Unix."""
    return Path(name) if os.path.isabs(name) else Path(tempfile.gettempdir()) / name


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
        with qtbot.waitSignal(first.activation_requested, timeout=5000):
            assert claim() is None
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
    try:
        with qtbot.waitSignal(guard.activation_requested, timeout=5000):
            assert hand_over(name)
    finally:
        guard.close()


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


def test_two_processes_second_exits_and_first_comes_forward(
    runtime: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("RILL_HOME", str(home))
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "RILL_HOME": str(home)}
    env.pop("GEMINI_API_KEY", None)
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
