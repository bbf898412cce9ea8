"""What the window's first paint does not need is not imported before it (issue 14,
item 7), nor the parts it does not show made (the settings panel, the history: their
modules are not loaded), and each still arrives when it is needed; the timing is
bench/bench_startup.py's.

The app runs for real in a child process (a pytest process has imported everything
already), launched as the ``rill`` command does; see
``tests.gui.support.startup_imports_probe``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.launch_support import launch_env, run_driver
from tests.gui.support.startup_imports_probe import BUILT_LATER, HEAVY, NEEDED_AT_INPUT

MAX_ENUM_TYPES_AT_PAINT = 85


def test_heavy_modules_wait_for_the_first_paint_and_arrive_when_needed(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    report = tmp_path / "report.json"
    # With the single-instance check on (launch_env turns it off), as a user's launch,
    # its socket and lock file in a private (short) runtime folder.
    runtime = tempfile.mkdtemp(prefix="rill-si-")
    env = launch_env(
        tmp_path / "home", fake_gemini, RILL_MULTI_INSTANCE="0", XDG_RUNTIME_DIR=runtime
    )
    try:
        run = run_driver("startup_imports_probe", env, report, timeout=120)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    assert run.code == 0 and not run.stderr, "\n".join(run.stderr.splitlines()[-20:])
    assert run.report is not None, "the probe failed: see logs/rill.log in its profile"
    shown = run.report
    assert shown["shown"] == [], f"imported before the first paint: {shown['shown']}"
    # Each arrived with its first use: the store opening, the answer's Markdown and
    # code, the thumbnail, the Gemini provider. (Not keyring: the
    # key came from the environment, so the keychain was never asked.)
    expected = [*HEAVY, *BUILT_LATER]
    missing = [name for name in expected if name not in shown["later"] and name != "keyring"]
    assert missing == [], f"never imported: {missing}"
    # What a dropped, pasted or sent file needs is loaded after the paint but before
    # the window gets any input, so the first drop does not pay for it.
    assert shown["before_input"] == list(NEEDED_AT_INPUT), shown["before_input"]
    assert "bold text." in shown["transcript"] and "print('hi')" in shown["transcript"]
    assert shown["thumbnail"] > 0 and shown["provider"] == "GeminiProvider"
    # The cycle collector waits for the paint (rill.gui.launch), then runs again, and
    # what is alive once the window is built is left out of later collections
    # (bench/bench_collector.py: ~47,000 objects).
    assert shown["collecting"] == [False, True]
    assert shown["frozen"] and shown["frozen"][0] > 20_000, shown["frozen"]
    # Qt's enum types PySide built from the launch (rill.gui.app already imported) to
    # the end of the first paint, ~0.2 ms each: 79 with PySide 6.11 (101 before the
    # style, the sidebar's rows, its search and QtSvg waited). The first time PySide wraps a
    # widget or paint device Python did not make (viewport(), the focus chain,
    # QPainter.device()) it builds ~50 more: none of that before the paint
    # (docs/ARCHITECTURE.md, "Startup").
    assert shown["enums_at_paint"] <= MAX_ENUM_TYPES_AT_PAINT, shown["enums_at_paint"]
    # Nothing wrapped the application's style (QApplication.setStyle returns it):
    # QStyle's 11 enum types are large (~5 ms); the theme names Fusion in Qt's
    # arguments instead, and the sidebar's delegate, which paints with the style,
    # is made after the paint.
    names = shown["enum_names_at_paint"]
    assert not {"QStyle.PixelMetric", "QStyle.StandardPixmap"} & set(names), "QStyle built"
    # The paint drew its icons without PySide's QtSvg module (Qt's image plugin).
    assert shown["painted"] == [], f"loaded by the end of the paint: {shown['painted']}"
