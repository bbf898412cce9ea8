"""The image worker processes start in the background once the window is up.

A cold ``spawn`` pool made the first dropped image wait 0.6-1.6 s for its thumbnail;
``ImageWorkers.warm_up`` starts the processes without blocking the caller, the app
calls it once its start-up work is done, and quitting while they still boot does
not wait for them.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from rill.gui import app
from rill.gui.composer.image_workers import ImageWorkers, thumbnail_job
from tests.sched import queued_s

ROOT = Path(__file__).resolve().parents[3]
# The caller's cost of warm_up(): two process spawns (measured 3-12 ms); the UI's
# frame budget is 16 ms, so anything near it would be a visible hitch.
WARM_UP_CALL_LIMIT_S = 0.05
# A thumbnail of a small photo on warm workers: a few ms of Pillow plus two pickles
# through pipes (measured 5-30 ms at load 3 on 2 CPUs); a cold pool needs 0.6-1.6 s.
WARM_THUMBNAIL_LIMIT_S = 0.3  # or half a cold pool's time, measured then
# Exit with workers still booting: without stopping them the interpreter waited for
# each to load Python and Pillow (0.3-1 s) before it could read its stop sentinel. The
# test checks the cause (the booting workers were terminated, not waited for) rather
# than a wall-clock bound, which a loaded machine breaks (0.69 s at load 11). This
# bound only catches a hang.
EXIT_HANG_S = 20.0


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.effect_noise((640, 480), 40).convert("RGB").save(out, "JPEG")
    return out.getvalue()


async def wait_until(condition: object, limit: float = 30.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_warm_up_starts_the_workers_without_blocking_and_the_first_thumbnail_is_fast() -> (
    None
):
    workers = ImageWorkers()
    try:
        started, queued = time.perf_counter(), queued_s()
        workers.warm_up()
        # Less the time the caller sat waiting for a CPU: the machine's load, not the call's.
        spent = time.perf_counter() - started - (queued_s() - queued)
        assert spent < WARM_UP_CALL_LIMIT_S, f"warm_up() kept the caller {spent:.3f} s"
        assert workers.uses_processes and workers.warming
        await wait_until(lambda: not workers.warming)
        workers.warm_up()  # a second call does nothing
        assert not workers.warming
        data = small_jpeg()
        started = time.perf_counter()
        thumb = await workers.run_isolated(thumbnail_job, data, 128, "photo.jpg")
        latency = time.perf_counter() - started
        assert thumb.startswith(b"\x89PNG")
        with Image.open(io.BytesIO(thumb)) as image:
            assert max(image.size) == 128
        assert latency < WARM_THUMBNAIL_LIMIT_S or latency < (await cold_latency(data)) / 2, (
            f"first thumbnail took {latency:.3f} s"
        )
    finally:
        workers.shutdown()


async def cold_latency(data: bytes) -> float:
    """The same thumbnail from a pool that was not warmed, measured now: on a loaded
    machine a fixed bound says more about the load than about warming up."""
    cold = ImageWorkers()
    try:
        started = time.perf_counter()
        await cold.run_isolated(thumbnail_job, data, 128, "photo.jpg")
        return time.perf_counter() - started
    finally:
        cold.shutdown()


# Makes every spawned worker boot for BOOT_DELAY_S (imported by each new interpreter
# through PYTHONPATH): the workers are then surely still booting when shutdown() runs,
# however fast the machine. Without it a worker could finish booting first, and CI
# once saw one exit 0 that way (it had read its stop sentinel).
SLOW_BOOT = """\
import sys, time
if "--multiprocessing-fork" in sys.orig_argv:
    time.sleep(float({delay!r}))
"""
BOOT_DELAY_S = 5.0


def test_quitting_while_the_workers_boot_does_not_wait_for_them(tmp_path: Path) -> None:
    # The workers' exit codes tell what shutdown did: -SIGTERM when it stopped them
    # while they booted, 0 when it waited for them to read their stop sentinel.
    (tmp_path / "sitecustomize.py").write_text(SLOW_BOOT.format(delay=BOOT_DELAY_S))
    script = (
        "import signal, time\n"
        "from rill.gui.composer import image_workers\n"
        "w = image_workers.ImageWorkers()\n"
        "w.warm_up()\n"
        "assert w.warming\n"
        "procs = image_workers._workers_of(w._processes)\n"
        "assert procs, 'no worker processes'\n"
        "started = time.monotonic()\n"
        "w.shutdown()\n"
        "for p in procs:\n"
        "    p.join(timeout=15)\n"
        "waited = time.monotonic() - started\n"
        # The pool's own thread reaps the workers too: a join can return before the
        # exit code is recorded (None for a moment), so it is read once it is there.
        "deadline = time.monotonic() + 15\n"
        "while any(p.exitcode is None for p in procs) and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
        "print(sorted(p.exitcode == -signal.SIGTERM for p in procs), flush=True)\n"
        "print(f'{waited:.2f}', flush=True)\n"
    )
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    child = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=EXIT_HANG_S,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert "Traceback" not in child.stderr, child.stderr[-2000:]
    verdict, waited = child.stdout.splitlines()[-2:]
    assert verdict == "[True, True]", "a booting worker was waited for"
    # Not a timing bound: a worker waited for would have taken the whole boot delay.
    assert float(waited) < BOOT_DELAY_S, f"shutdown waited {waited} s for booting workers"


class _Workers:
    def __init__(self) -> None:
        self.warmed_at: float | None = None

    def warm_up(self) -> None:
        self.warmed_at = time.monotonic()


class _Queue:
    def __init__(self) -> None:
        self.workers = _Workers()
        self.refusal: str | None = None


class _Window:
    def __init__(self) -> None:
        self.attachments = _Queue()


async def test_the_app_warms_the_workers_after_its_start_up_work() -> None:
    window = _Window()
    gate = asyncio.Event()

    async def start_up_work() -> None:
        await gate.wait()

    work = asyncio.create_task(start_up_work())
    warming = asyncio.create_task(app.warm_image_workers(window, {work}, limit=30))  # type: ignore[arg-type]
    for _ in range(10):  # let both tasks run a few steps
        await asyncio.sleep(0)
    assert window.attachments.workers.warmed_at is None  # not while start-up runs
    released = time.monotonic()
    gate.set()
    await asyncio.wait_for(warming, 5)
    assert window.attachments.workers.warmed_at is not None
    assert window.attachments.workers.warmed_at >= released


async def test_no_warm_up_while_the_provider_cannot_read_images() -> None:
    window = _Window()
    window.attachments.refusal = "The offline model cannot read images"
    done = asyncio.create_task(asyncio.sleep(0))
    await app.warm_image_workers(window, {done}, limit=5)  # type: ignore[arg-type]
    assert window.attachments.workers.warmed_at is None
