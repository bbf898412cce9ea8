"""The child process of ``bench_startup.py``: one launch, reporting its first paint.

    python bench/startup_probe.py bare|rill [SOURCE_DIR]

``bare`` shows an empty ``QMainWindow``; ``rill`` runs the ``rill`` command's entry
point (``rill.gui.launch.main``) as the installed script does, from ``SOURCE_DIR`` when
given (a checkout whose ``core/``, ``gui/`` and ``resources/`` stand in for this venv's
editable install). Both report the same way, so both pay the same for it: an import
hook makes ``QWidget.show`` put an event filter on the window it shows, and after that
window's first paint has been handled it prints one line,
``painted <CLOCK_MONOTONIC ns> <process CPU ns>``, on stdout. The parent reads that
line, measures the idle RSS later, and ends the process. With STARTUP_PROBE_MODULES=PATH
it also writes the names in ``sys.modules`` at the paint (PATH.paint) and two seconds
later (PATH.idle); with STARTUP_PROBE_COLLECT=SECONDS it times full collections that
long after the paint (``bench_collector.py``).

Only modules the interpreter has already loaded are imported here before the launch.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import time
from types import ModuleType
from typing import Any

MARK = "painted"


def _write_modules(path: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(sorted(sys.modules)) + "\n")


def _report_painted() -> None:
    os.write(1, f"{MARK} {time.monotonic_ns()} {time.process_time_ns()}\n".encode())
    listing = os.environ.get("STARTUP_PROBE_MODULES")
    if listing:  # the modules loaded at the first paint, and two seconds later
        from PySide6.QtCore import QTimer

        _write_modules(listing + ".paint")
        QTimer.singleShot(2000, lambda: _write_modules(listing + ".idle"))
    collect_after = os.environ.get("STARTUP_PROBE_COLLECT")
    if collect_after:  # the cost of a full collection once idle (bench_collector.py)
        from PySide6.QtCore import QTimer

        QTimer.singleShot(round(float(collect_after) * 1000), _report_collections)


def _report_collections() -> None:
    """Print ``collected <tracked> <frozen> <ms> <ms> <ms>``: the objects the cycle
    collector tracks (frozen ones apart) and three full collections' time, on the
    UI thread as the collector would run them."""
    import gc

    tracked, frozen = len(gc.get_objects()), gc.get_freeze_count()
    times = []
    for _ in range(3):
        started = time.perf_counter_ns()
        gc.collect()
        times.append(f"{(time.perf_counter_ns() - started) / 1e6:.2f}")
    os.write(1, f"collected {tracked} {frozen} {' '.join(times)}\n".encode())


def _instrument(widgets: ModuleType) -> None:
    """Make ``widgets.QWidget.show`` watch a window it shows for that window's first paint.

    The filter sits on the shown window alone, not on the application: an application
    filter is a Python call for every event of every object (thousands before the
    first paint), which would cost the one with more widgets more.
    """
    from PySide6.QtCore import QEvent, QObject, QTimer

    paint = QEvent.Type.Paint
    show = widgets.QWidget.show

    class FirstPaint(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.seen = False

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if not self.seen and event.type() == paint:
                self.seen = True
                watched.removeEventFilter(self)
                # The paint pass this event starts (the children, the flush to the
                # screen) runs before a zero timer fires.
                QTimer.singleShot(0, _report_painted)
            return False

    first_paint = FirstPaint()

    def show_and_watch(widget: Any) -> None:
        if not first_paint.seen and widget.isWindow():
            widget.installEventFilter(first_paint)
        show(widget)

    widgets.QWidget.show = show_and_watch


class _QtWidgetsHook:
    """A meta path finder that instruments ``PySide6.QtWidgets`` as it loads."""

    @classmethod
    def find_spec(cls, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "PySide6.QtWidgets":
            return None
        sys.meta_path.remove(cls)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        original = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            original(module)
            _instrument(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


class _SourceFinder:
    """Maps ``rill.core``/``rill.gui``/``rill.resources`` to another checkout's folders."""

    def __init__(self, root: str) -> None:
        self.dirs = {
            f"rill.{name}": os.path.join(root, name) for name in ("core", "gui", "resources")
        }

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        folder = self.dirs.get(fullname)
        if folder is None:
            return None
        init = os.path.join(folder, "__init__.py")
        return importlib.util.spec_from_file_location(
            fullname, init, submodule_search_locations=[folder]
        )


def _bare() -> int:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv)
    window = QMainWindow()
    window.resize(900, 700)
    window.show()
    return app.exec()


def main() -> int:
    """Launch what ``sys.argv[1]`` names; its exit status."""
    mode = sys.argv[1]
    sys.meta_path.insert(0, _QtWidgetsHook)  # type: ignore[arg-type]
    if mode == "bare":
        return _bare()
    if len(sys.argv) > 2:
        sys.meta_path.insert(0, _SourceFinder(sys.argv[2]))  # type: ignore[arg-type]
    del sys.argv[1:]
    from rill.gui.launch import main as rill_main

    return int(rill_main([]))


if __name__ == "__main__":
    raise SystemExit(main())
