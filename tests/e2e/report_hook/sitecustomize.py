"""Test-only hook the end-to-end tests load into the installed ``rill`` (never shipped).

The e2e tests put this folder on ``PYTHONPATH``, so Python imports this module at
start-up. When the main window's module loads, every MainWindow built afterwards
writes what its chat pane shows to ``$RILL_E2E_REPORT`` after each answer, which is
how a test outside the process reads the window's text.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

WINDOW_MODULE = "rill.gui.window.main_window"


def _install(module: ModuleType, report: Path) -> None:
    window_class: Any = module.MainWindow
    build = window_class.__init__

    def build_and_report(self: Any, *args: Any, **kwargs: Any) -> None:
        build(self, *args, **kwargs)

        def write(*_args: object) -> None:
            with contextlib.suppress(RuntimeError):  # the window is already gone
                report.write_text(self.view.plain_text(), encoding="utf-8")

        # Connected after the window's own handler, which has updated the pane.
        self.controller.answer_finished.connect(write)

    window_class.__init__ = build_and_report


class _AfterWindowImport(importlib.abc.MetaPathFinder):
    """Finds the window module as usual, then installs the report on it."""

    def __init__(self, report: Path) -> None:
        self.report = report

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname != WINDOW_MODULE:
            return None
        others = [f for f in sys.meta_path if f is not self and hasattr(f, "find_spec")]
        spec = next(
            (s for f in others if (s := f.find_spec(fullname, path, target)) is not None), None
        )
        if spec is None or spec.loader is None:
            return None
        load, report = spec.loader.exec_module, self.report

        def exec_module(module: ModuleType) -> None:
            load(module)
            _install(module, report)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_report = os.environ.get("RILL_E2E_REPORT")
if _report:
    sys.meta_path.insert(0, _AfterWindowImport(Path(_report)))
