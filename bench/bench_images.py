"""Attaching ten 12-megapixel photos: thumbnails, preparation, and what it costs a UI thread.

Generates N (default 10) 4000×3000 JPEGs that do not compress to nothing (noise over
a gradient, quality 92), then times, per image and in total:

1. ``make_thumbnail`` (what the attachment strip shows first), one thread;
2. ``prepare_image`` (verify, orient, downscale to 3072, re-encode), one thread;
3. ``prepare_image`` on a small thread pool, as the GUI runs it.

While 3 runs, the main thread plays the UI thread: a 1 ms heartbeat whose longest
gap is how long it was kept from running. A second heartbeat in another process (no
GIL shared) runs at the same time: its gaps are the machine's CPU scheduling alone, so
the difference between the two is what the workers' hold on the GIL costs the UI
thread (Pillow releases the GIL while it decodes, resamples and encodes).

    .venv/bin/python bench/bench_images.py [--count 10] [--workers 4] [--size 4000x3000]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import shlex
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image

from rill.core.attachments.prepare import DEFAULT_LIMITS, make_thumbnail, prepare_image


def photo(size: tuple[int, int], seed: int, grain: Image.Image) -> bytes:
    """A photo-like JPEG: coloured grain over a gradient, about 0.6 byte per pixel."""
    ramp = Image.linear_gradient("L").rotate(seed * 37).resize(size)
    shifted = grain.rotate(180 * (seed % 2)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    colour = Image.merge("RGB", (ramp, shifted, ramp.transpose(Image.Transpose.FLIP_TOP_BOTTOM)))
    image = Image.blend(colour, Image.merge("RGB", (grain, shifted, grain)), 0.25 + seed / 100)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def timed(paths: list[Path], work: object) -> tuple[list[float], float]:
    assert callable(work)
    times = []
    start = time.perf_counter()
    for path in paths:
        t0 = time.perf_counter()
        work(path)
        times.append(time.perf_counter() - t0)
    return times, time.perf_counter() - start


class Heartbeat:
    """A thread-free stand-in for the UI loop: wakes every 1 ms, records the gaps."""

    def __init__(self) -> None:
        self.gaps: list[float] = []

    def run_until(self, done: threading.Event) -> None:
        last = time.perf_counter()
        while not done.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            self.gaps.append(now - last)
            last = now


def _heartbeat_process(done: Any, result: Any) -> None:
    beat = Heartbeat()
    beat.run_until(done)
    result.put(sorted(beat.gaps))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--size", default="4000x3000")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    with tempfile.TemporaryDirectory(prefix="rill-bench-images-") as folder:
        t0 = time.perf_counter()
        paths = []
        grain = Image.effect_noise((width, height), 40)
        for i in range(args.count):
            path = Path(folder) / f"photo {i:02d}.jpg"
            path.write_bytes(photo((width, height), i, grain))
            paths.append(path)
        sizes = [p.stat().st_size for p in paths]
        print(f"command: {shlex.join([sys.executable, *sys.argv])}")
        print(
            f"{args.count} JPEGs of {width}×{height} ({width * height / 1e6:.0f} MP), "
            f"{statistics.mean(sizes) / 1e6:.1f} MB each on average, "
            f"generated in {time.perf_counter() - t0:.1f} s; limits: max side "
            f"{DEFAULT_LIMITS.max_side}, {DEFAULT_LIMITS.max_image_bytes / 2**20:.0f} MiB/image"
        )

        thumbs, thumbs_total = timed(paths, make_thumbnail)
        print(
            f"thumbnail (256 px PNG), 1 thread:  median {ms(statistics.median(thumbs))}, "
            f"max {ms(max(thumbs))}, total {ms(thumbs_total)}"
        )

        results = []
        single, single_total = timed(paths, lambda p: results.append(prepare_image(p)))
        out = results[0]
        print(
            f"prepare_image, 1 thread:           median {ms(statistics.median(single))}, "
            f"max {ms(max(single))}, total {ms(single_total)}"
        )
        print(
            f"  → {out.width}×{out.height} {out.mime_type}, "
            f"{statistics.mean(r.byte_size for r in results) / 1e6:.2f} MB average, "
            f"inline: {sum(not r.needs_upload for r in results)}/{len(results)}"
        )

        beat = Heartbeat()
        done = threading.Event()
        context = multiprocessing.get_context("spawn")
        other_done, other_result = context.Event(), context.Queue()
        other = context.Process(target=_heartbeat_process, args=(other_done, other_result))
        other.start()
        time.sleep(1.0)  # let the child interpreter start before the clock runs
        start = time.perf_counter()
        with ThreadPoolExecutor(args.workers) as pool:
            futures = [pool.submit(make_thumbnail, p) for p in paths]
            futures += [pool.submit(prepare_image, p) for p in paths]
            threading.Thread(
                target=lambda: ([f.result() for f in futures], done.set()), daemon=True
            ).start()
            beat.run_until(done)
        pool_total = time.perf_counter() - start
        other_done.set()
        other_gaps: list[float] = other_result.get(timeout=30)
        other.join()
        gaps = sorted(beat.gaps)
        print(
            f"thumbnails + prepare_image, {args.workers} threads: total {ms(pool_total)} "
            f"({single_total / pool_total:.1f}× one thread's prepare alone)"
        )
        print(
            f"  main-thread heartbeat (1 ms sleep) during it: longest gap {ms(gaps[-1])}, "
            f"p99 {ms(gaps[int(len(gaps) * 0.99)])}, median {ms(statistics.median(gaps))}"
        )
        print(
            f"  same heartbeat in another process (CPU scheduling only): longest gap "
            f"{ms(other_gaps[-1])}, p99 {ms(other_gaps[int(len(other_gaps) * 0.99)])}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
