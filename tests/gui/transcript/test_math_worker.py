"""The math worker process: results in order, a formula too slow or crashing is cut off."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from multiprocessing.process import BaseProcess

import pytest
from pytestqt.qtbot import QtBot

import rill.gui.transcript.math_worker as math_worker
from rill.core.markdown.typeset import Typeset
from rill.gui.transcript.math_worker import Key, MathWorker, Result
from tests.gui.support.launch_support import run_snippet

START_MS = 60_000


@pytest.fixture
def worker() -> Iterator[MathWorker]:
    made = MathWorker()
    yield made
    made.close()


def collect(worker: MathWorker) -> list[tuple[Key, Result]]:
    got: list[tuple[Key, Result]] = []
    worker.typeset_done.connect(lambda key, result: got.append((key, result)))
    return got


def first_formula(qtbot: QtBot, worker: MathWorker) -> BaseProcess:
    """The worker's process, once it has typeset a first formula."""
    worker.request(("a", False, 16.0))
    qtbot.waitUntil(lambda: worker.idle, timeout=START_MS)
    process = worker._process
    assert process is not None
    return process


def test_formulas_come_back_typeset_or_with_a_reason(qtbot: QtBot, worker: MathWorker) -> None:
    got = collect(worker)
    keys: list[Key] = [("x^2", False, 16.0), ("\\frac{", True, 16.0), ("x^2", False, 16.0)]
    for key in keys:
        worker.request(key)  # the repeat is not queued twice
    qtbot.waitUntil(lambda: worker.idle, timeout=START_MS)
    assert [key for key, _ in got] == keys[:2]
    assert isinstance(got[0][1], Typeset)
    assert got[1][1] == "unbalanced braces"
    assert worker.started_processes == 1


def test_a_formula_past_its_time_limit_is_cut_off_and_the_worker_restarts(
    qtbot: QtBot, worker: MathWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    got = collect(worker)
    worker.request(("a", False, 16.0))
    qtbot.waitUntil(lambda: worker.idle, timeout=START_MS)  # warm
    monkeypatch.setattr(math_worker, "JOB_TIMEOUT_MS", 0)  # every formula is now too slow
    worker.request(("b", False, 16.0))
    qtbot.waitUntil(lambda: worker.idle, timeout=10_000)
    assert got[-1] == (("b", False, 16.0), "took too long")
    monkeypatch.setattr(math_worker, "JOB_TIMEOUT_MS", 3_000)
    worker.request(("c", False, 16.0))
    qtbot.waitUntil(lambda: worker.idle, timeout=START_MS)
    assert isinstance(got[-1][1], Typeset)
    assert worker.started_processes == 2


def test_a_worker_that_dies_mid_formula_fails_only_that_formula(
    qtbot: QtBot, worker: MathWorker
) -> None:
    got = collect(worker)
    process = first_formula(qtbot, worker)
    worker.request(("b", False, 16.0))
    process.kill()  # as the kernel would for memory, or an engine crash
    qtbot.waitUntil(lambda: worker.idle, timeout=START_MS)
    worker.request(("c", False, 16.0))
    qtbot.waitUntil(lambda: worker.idle, timeout=START_MS)
    results = dict(got)
    b = results[("b", False, 16.0)]
    assert b == "crashed the typesetter" or isinstance(b, Typeset)  # done before the kill?
    assert isinstance(results[("c", False, 16.0)], Typeset)


def test_ctrl_c_in_the_terminal_leaves_the_worker_to_the_app(
    qtbot: QtBot, worker: MathWorker
) -> None:
    got = collect(worker)
    process = first_formula(qtbot, worker)
    assert process.pid is not None
    os.kill(process.pid, signal.SIGINT)  # a terminal sends it to the app's whole group
    worker.request(("b", False, 16.0))
    qtbot.waitUntil(lambda: worker.idle, timeout=START_MS)
    assert isinstance(got[-1][1], Typeset)
    assert process.is_alive() and worker.started_processes == 1


def test_without_processes_a_thread_typesets(qtbot: QtBot) -> None:
    worker = MathWorker(processes=False)
    got = collect(worker)
    worker.request(("y_1", False, 16.0))
    qtbot.waitUntil(lambda: worker.idle, timeout=START_MS)
    worker.close()
    assert isinstance(got[0][1], Typeset) and worker.started_processes == 0


# A worker made, closed and dropped at once, many times: each close wakes its reader
# thread, which emits while the UI thread destroys the worker. When the reader emitted
# on a QObject owned by the worker, this crashed within a hundred rounds (CI, stop 24).
DESTROYED_WHILE_EMITTING = """
import gc
from PySide6.QtWidgets import QApplication
app = QApplication([])
from rill.gui.transcript.math_worker import MathWorker
for _ in range(300):
    worker = MathWorker(processes=False)
    worker.request(("x", False, 16.0))
    worker.close()
    del worker
    gc.collect()
    app.processEvents()
print("survived")
"""


def test_a_worker_destroyed_while_its_reader_emits_does_not_crash_the_app() -> None:
    result = run_snippet(DESTROYED_WHILE_EMITTING, timeout=120)
    assert result.returncode == 0, result.stderr[-400:]
    assert "survived" in result.stdout
