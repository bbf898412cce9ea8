"""The image workers: Pillow jobs in worker processes, errors that survive pickling,
a thread fallback, and a shutdown that leaves no process behind."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import pickle
import re
import sys
import textwrap
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from rill.core.attachments.prepare import DEFAULT_LIMITS, AttachmentError, PreparedImage
from rill.gui.composer import image_workers
from rill.gui.composer.image_workers import ImageWorkers, prepare_job, thumbnail_job
from tests.gui.support.attachment_support import noisy_jpeg, png_bytes
from tests.gui.support.launch_support import run_snippet

T = TypeVar("T")
SLOW_STEP = re.compile(r"Executing <.*> took \d+\.\d+ seconds$")


def run(workers: ImageWorkers, job: Callable[[ImageWorkers], Awaitable[T]]) -> T:
    """``job(workers)`` on a fresh event loop, then the workers shut down and joined."""

    async def main() -> T:
        try:
            return await job(workers)
        finally:
            workers.shutdown(wait=True)

    return asyncio.run(main())


def test_an_image_error_pickles_with_its_message_naming_the_file() -> None:
    error = AttachmentError("Фото 1.jpg", "the file is not an image", code="not_image")
    error.detail = "extra"  # type: ignore[attr-defined]
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is AttachmentError
    assert str(copy) == "Cannot attach Фото 1.jpg: the file is not an image"
    assert (copy.source, copy.reason, copy.code) == ("Фото 1.jpg", error.reason, "not_image")
    assert copy.detail == "extra"


def test_prepare_and_thumbnail_run_in_another_process(tmp_path: Path) -> None:
    photo = noisy_jpeg(tmp_path / "photo é.jpg", (640, 480))

    async def job(workers: ImageWorkers) -> tuple[int, PreparedImage, bytes]:
        pid = await workers.run_isolated(os.getpid)
        prepared = await workers.run_isolated(prepare_job, photo, "photo é.jpg", DEFAULT_LIMITS)
        thumb = await workers.run_isolated(thumbnail_job, photo, 64, "photo é.jpg")
        return pid, prepared, thumb

    workers = ImageWorkers()
    pid, prepared, thumb = run(workers, job)
    assert workers.uses_processes and pid != os.getpid()
    assert prepared.data == photo.read_bytes() and prepared.path == photo
    assert (prepared.width, prepared.height, prepared.mime_type) == (640, 480, "image/jpeg")
    assert thumb.startswith(b"\x89PNG")


def test_a_bad_file_fails_in_the_worker_with_a_message_naming_it(tmp_path: Path) -> None:
    bad = tmp_path / "notes ü.jpg"
    bad.write_bytes(b"this is not a picture at all")

    async def job(workers: ImageWorkers) -> None:
        await workers.run_isolated(prepare_job, bad, bad.name, DEFAULT_LIMITS)

    workers = ImageWorkers()
    with pytest.raises(AttachmentError) as caught:
        run(workers, job)
    assert workers.uses_processes  # the pool survived the error
    assert str(caught.value).startswith("Cannot attach notes ü.jpg: ")
    assert caught.value.code == "not_image"


def _unpicklable_failure() -> None:
    class Local(Exception):  # a class pickle cannot find
        pass

    raise Local("deep inside Pillow")


def test_an_exception_that_cannot_pickle_arrives_as_its_text() -> None:
    async def job(workers: ImageWorkers) -> None:
        await workers.run_isolated(_unpicklable_failure)

    with pytest.raises(RuntimeError, match="Local: deep inside Pillow"):
        run(ImageWorkers(), job)


def test_threads_take_over_when_the_processes_cannot_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(image_workers, "START_METHOD", "no-such-start-method")
    data = png_bytes((40, 30))

    async def job(workers: ImageWorkers) -> tuple[int, PreparedImage]:
        pid = await workers.run_isolated(os.getpid)
        return pid, await workers.run_isolated(prepare_job, data, "pasted.png", DEFAULT_LIMITS)

    workers = ImageWorkers()
    pid, prepared = run(workers, job)
    assert not workers.uses_processes and pid == os.getpid()
    assert prepared.data == data and prepared.name == "pasted.png"


def test_the_pool_starts_only_when_needed_and_shutdown_leaves_no_process() -> None:
    workers = ImageWorkers()
    before = set(multiprocessing.active_children())

    async def job(workers: ImageWorkers) -> set[int]:
        assert set(multiprocessing.active_children()) == before  # lazily created
        await asyncio.gather(*(workers.run_isolated(os.getpid) for _ in range(4)))
        return {p.pid for p in multiprocessing.active_children() if p not in before} - {None}

    pids = run(workers, job)
    assert 1 <= len(pids) <= image_workers.WORKERS
    assert set(multiprocessing.active_children()) <= before
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


QUIT_WHILE_PREPARING = textwrap.dedent(
    """
    import asyncio, multiprocessing, sys
    import qasync
    from PySide6.QtWidgets import QApplication
    from rill.gui.composer.attachment_queue import AttachmentQueue, State
    from rill.gui.common.tasks import TaskLauncher

    async def main():
        queue = AttachmentQueue(TaskLauncher())
        items = queue.add_paths(sys.argv[1:])
        while not multiprocessing.active_children():
            await asyncio.sleep(0.01)
        # Quit as soon as the workers exist: four 6 MP photos on two workers are still
        # being prepared then, however busy the machine (a fixed wait here let one
        # finish on a loaded machine). Only state names are printed, never the items.
        states = [item.state.name for item in items]
        assert "PREPARING" in states, f"nothing left to quit on: {states}"
        children = multiprocessing.active_children()
        pids = [p.pid for p in children]
        queue.shutdown()
        queue.clear()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        while any(p.is_alive() for p in children) and loop.time() < deadline:
            await asyncio.sleep(0.01)  # polling a condition, with a deadline
        await asyncio.sleep(0)  # one more turn: late callbacks would complain now
        print("quit while preparing", *pids, flush=True)

    app = QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(main())
    """
)


def test_quitting_while_images_are_prepared_exits_cleanly(tmp_path: Path) -> None:
    photos = [str(noisy_jpeg(tmp_path / f"big {i}.jpg", (3000, 2000))) for i in range(4)]
    result = run_snippet(QUIT_WHILE_PREPARING, *photos, dev=True, PYTHONASYNCIODEBUG="1")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "quit while preparing" in result.stdout
    pids = [int(word) for word in result.stdout.split("quit while preparing")[1].split()]
    assert pids  # the workers were processes
    # asyncio's debug mode also reports "Executing <…> took 0.49 seconds" on a loaded
    # machine: timing, not a shutdown fault; Qt's offscreen plugin notes are noise too.
    complaints = [
        line
        for line in result.stderr.splitlines()
        if line.strip() and "This plugin does not support" not in line and not SLOW_STEP.match(line)
    ]
    assert complaints == [], "\n".join(complaints)[-2000:]
    for pid in pids:  # no worker outlived the app
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_frozen_app_uses_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)

    async def job(workers: ImageWorkers) -> int:
        return await workers.run_isolated(os.getpid)

    workers = ImageWorkers()
    assert run(workers, job) == os.getpid() and not workers.uses_processes
