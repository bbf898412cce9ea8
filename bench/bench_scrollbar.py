"""What painting a scroll bar costs the UI thread, with and without Rill's scroll bar rules.

The chat pane's scroll bar moves on every streamed frame (the answer grows, so its range
and position change), and Qt repaints it each time. ``resources/rill.qss`` draws scroll
bars itself (a slim rounded handle, no arrow buttons); without those rules the same
style sheet leaves them to the Fusion style, which draws a groove, arrows and a shaded
handle. Both are measured here in one process, alternately: the app's style sheet as it
ships, and the same sheet with its ``QScrollBar`` rules taken out. A scroll area of the
chat pane's size gets a growing range and its bar is repainted, as a stream does.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_scrollbar.py [--paints 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QAbstractScrollArea, QApplication

from rill.gui.common.theme import make_application, stylesheet

SIZE = (800, 700)
# A long answer's height in pixels (1 MB of prose: ~12,500 lines of 26 px), growing by a
# frame's text (3,333 characters: ~42 lines) per paint.
START_PX = 325_000
FRAME_PX = 1_100
_SCROLLBAR_RULE = re.compile(r"QScrollBar[^{]*\{[^}]*\}\s*")


def paint_ms(app: QApplication, sheet: str, paints: int) -> float:
    """The median time (ms, UI thread's own CPU) of one repaint of a growing scroll bar."""
    app.setStyleSheet(sheet)
    area = QAbstractScrollArea()
    area.resize(*SIZE)
    bar = area.verticalScrollBar()
    bar.setRange(0, START_PX)
    area.show()
    for _ in range(5):
        app.processEvents()
    times = []
    for i in range(paints):
        bar.setPageStep(SIZE[1])
        bar.setRange(0, START_PX + FRAME_PX * i)
        bar.setValue(bar.maximum())
        started = time.thread_time()
        bar.repaint()
        times.append((time.thread_time() - started) * 1000)
    area.close()
    area.deleteLater()
    app.processEvents()
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Measure both sheets, alternately, and print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paints", type=int, default=200, help="repaints per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    app = QApplication.instance() or make_application(sys.argv[:1])
    assert isinstance(app, QApplication)
    shipped = stylesheet(dark=False)
    without = _SCROLLBAR_RULE.sub("", shipped)
    assert without != shipped, "the style sheet has no QScrollBar rules"
    got: dict[str, list[float]] = {"rill.qss": [], "without its QScrollBar rules": []}
    for _ in range(args.rounds):
        got["rill.qss"].append(paint_ms(app, shipped, args.paints))
        got["without its QScrollBar rules"].append(paint_ms(app, without, args.paints))
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    print(
        f"platform: {platform.platform()}, Python {platform.python_version()},"
        f" {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{args.rounds} rounds of {args.paints} repaints, UI thread CPU, medians")
    base = statistics.median(got["rill.qss"])
    for label, values in got.items():
        ms = statistics.median(values)
        print(f"  {label:<30} {ms:7.3f} ms a paint  {ms / base:6.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
