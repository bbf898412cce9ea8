"""A hundred images dropped on the window at once (issue 8.7): accepted, never a freeze.

The cap is MAX_ATTACHMENTS (100) files per message. A drop of 100 through the
window's real drop path is accepted whole: the first ANNOUNCE_BATCH tiles appear at
once, the rest on the next turns of the event loop, thumbnails as the worker
processes make them. A 1 ms heartbeat on the UI thread measures the longest stall
from the drop until every image is prepared. Past the cap, the surplus is refused
with a message naming the limit; what was attached and the typed text stay.
"""

from __future__ import annotations

import time
from pathlib import Path

from pytestqt.qtbot import QtBot

from rill.gui.composer.attachment_queue import ANNOUNCE_BATCH, MAX_ATTACHMENTS
from tests.gui.support.attachment_support import (
    MakeWindow,
    drop_on,
    file_mime,
    noisy_jpeg,
    png_file,
    wait_ready,
)
from tests.heartbeat import Heartbeat

pytest_plugins = ["tests.gui.support.attachment_window"]  # the make_window fixture

# Issue 8.7: "never a freeze over 100 ms", the bound. Measured here (2 shared CPUs,
# load 3-4): 18-19 ms in batches; 50-52 ms with all 100 tiles and jobs made in one
# go (bench_attach_ui: 31 vs 66 ms); the machine alone shows 10-20 ms gaps. A
# regression to decoding or building on the UI thread costs 100s of ms and fails
# here; the batching itself is asserted directly (at most ANNOUNCE_BATCH at once).
FREEZE_MS = 100.0


def test_a_hundred_images_dropped_at_once_are_accepted_without_a_freeze(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    window.attachments.workers.warm_up()  # as the app does once it has started
    qtbot.waitUntil(lambda: not window.attachments.workers.warming, timeout=30_000)
    paths = [noisy_jpeg(tmp_path / f"photo {i:03d}.jpg", (480, 360)) for i in range(100)]
    assert len(paths) == MAX_ATTACHMENTS
    window.composer.set_text("Which one is the sharpest?")
    strip = window.composer.strip
    beat = Heartbeat()
    beat.start()
    qtbot.waitUntil(lambda: len(beat.ticks) > 50)  # a running heartbeat before the drop
    dropped_at = time.perf_counter()
    drop_on(window, file_mime(*paths))
    # Every image is accepted at once; the tiles come in batches.
    assert [i.name for i in window.composer.attachments] == [p.name for p in paths]
    assert 0 < len(strip.tiles) <= ANNOUNCE_BATCH
    qtbot.waitUntil(lambda: len(strip.tiles) == len(paths), timeout=10_000)
    wait_ready(qtbot, window.composer, len(paths), timeout=120_000)
    qtbot.waitUntil(lambda: all(tile.has_thumbnail for tile in strip.tiles), timeout=10_000)
    beat.stop()
    # Less the time the UI thread was queued for a CPU: a 205 ms wall-clock gap was
    # seen at load 5 while Rill's own work stayed far below the bound.
    gaps = beat.stalls_since(dropped_at)
    worst = max(gaps)
    print(f"100 images: longest UI-thread stall {worst:.1f} ms over {len(gaps)} ticks")
    assert worst < FREEZE_MS, f"the UI thread stalled {worst:.1f} ms"
    assert window.composer.text == "Which one is the sharpest?"
    assert [tile.item.name for tile in strip.tiles] == [p.name for p in paths]


def test_past_the_cap_the_rest_is_refused_naming_the_limit_and_nothing_is_lost(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    window.composer.set_text("Keep this text")
    first = [png_file(tmp_path / f"first {i}.png", (8, 8)) for i in range(3)]
    drop_on(window, file_mime(*first))
    more = [png_file(tmp_path / f"more {i:03d}.png", (8, 8)) for i in range(100)]
    with qtbot.waitSignal(window.composer.attachment_failed, timeout=5000) as blocker:
        drop_on(window, file_mime(*more))
    message = blocker.args[0]
    assert f"at most {MAX_ATTACHMENTS} files per message" in message
    assert "Cannot attach 3 of the 100 files" in message
    assert "more 097.png, more 098.png, more 099.png" in message
    assert "the first 97 were attached" in message
    names = [item.name for item in window.composer.attachments]
    assert names == [p.name for p in first] + [p.name for p in more[:97]]
    assert window.composer.text == "Keep this text"
    wait_ready(qtbot, window.composer, MAX_ATTACHMENTS, timeout=60_000)
    assert len(window.composer.strip.tiles) == MAX_ATTACHMENTS
    # A full strip refuses the next one the same way; still nothing is lost.
    with qtbot.waitSignal(window.composer.attachment_failed, timeout=5000) as blocker:
        drop_on(window, file_mime(png_file(tmp_path / "one more.png", (8, 8))))
    assert "Cannot attach 1 of the 1 files (one more.png)" in blocker.args[0]
    assert "none were attached" in blocker.args[0]
    assert len(window.composer.attachments) == MAX_ATTACHMENTS
    assert window.composer.text == "Keep this text"


def test_an_image_removed_before_its_tile_appeared_is_never_shown(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    paths = [png_file(tmp_path / f"p {i:02d}.png", (8, 8)) for i in range(ANNOUNCE_BATCH + 4)]
    drop_on(window, file_mime(*paths))
    queue = window.attachments
    last = queue.items[-1]
    assert window.composer.strip.tile(last) is None  # not shown yet
    queue.remove(last)
    wait_ready(qtbot, window.composer, len(paths) - 1)
    assert [t.item.name for t in window.composer.strip.tiles] == [p.name for p in paths[:-1]]
    assert window.composer.strip.tile(last) is None
