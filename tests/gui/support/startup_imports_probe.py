"""Launches Rill as the ``rill`` command does and reports which heavy modules were
loaded when its window was shown, and which arrived once they were needed.

Usage: ``python -m tests.gui.support.startup_imports_probe REPORT``. Imports nothing
heavy itself before the launch (this package's ``__init__`` files are empty). The
window is shown by ``rill.gui.app.present``; right after it, before its first paint
(``rill.gui.app.paint_first``) and before the asyncio loop exists, the probe notes
which of :data:`HEAVY` and of :data:`BUILT_LATER` are in ``sys.modules``. Then it
uses each deferred thing the way the app does (the window finishes building, the
store opens, a Markdown answer with code is shown, an image is made a thumbnail, the
Gemini provider is connected) and notes
``sys.modules`` again, writes REPORT (JSON) and quits as Ctrl+Q would.
"""

from __future__ import annotations

import enum
import gc
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rill.gui import app, launch

if TYPE_CHECKING:  # asyncio too: the probe must not import it before the app does
    import asyncio

    from rill.gui.common.tasks import TaskLauncher
    from rill.gui.window.main_window import MainWindow

# What a file dropped or pasted, or sent, needs (the prepared files' modules): after the
# first paint, but loaded before any input reaches the window (app.finish_after_paint).
NEEDED_AT_INPUT = (
    "rill.core.attachments.documents",
    "rill.core.attachments.pdf",
    "rill.core.attachments.media",
    "rill.core.attachments.prepare",
    "rill.core.attachments.request_parts",
    "rill.gui.composer.image_drop",  # the drop and paste helpers (the window's image drop)
)
# What the first paint does not need (docs/ARCHITECTURE.md, "Startup").
HEAVY = (
    "httpx",
    "markdown_it",
    "pygments",
    "rill.core.markdown",
    "PIL",
    "sqlite3",
    "rill.core.store",
    "keyring",
    "qasync",  # the asyncio loop is made after the paint (rill.gui.app.paint_first)
    "asyncio",  # … and asyncio with it (ssl comes with asyncio)
    "ssl",
    "rill.core.chat",  # the chat controller is made after the paint, with the session,
    "rill.core.tool_loop",  # the tool loop and the provider manager
    "rill.core.tools",
    "multiprocessing",  # the image workers' pool: imported right after the paint
    "concurrent.futures.process",
    "PySide6.QtNetwork",  # the single-instance check claims with a Unix socket; Qt serves it later
    "hashlib",  # … and names it with CPython's own SHA-256, not OpenSSL's
    # The message, part and answer dataclasses: the settings and the chat bar use
    # rill.core.generation's types (GenerationSettings, ModelInfo, Role) without them.
    "rill.core.types",
    "rill.core.answer_types",
    "rill.core.providers",  # the default provider's label: gui/providers/names.py
    *NEEDED_AT_INPUT,
)
# The modules of the window's parts made after its first paint (MainWindow.finish_building):
# a part cannot be made before its module is loaded.
BUILT_LATER = (
    "rill.gui.settings.panel",
    "rill.gui.conversations.history",
    "rill.gui.conversations.export_actions",
    "rill.gui.conversations.delegate",  # the sidebar's rows (the list is empty at the paint)
    "rill.gui.conversations.search_panel",  # … and its search results
    "rill.gui.conversations.action_bar",  # Undo a deletion: hidden until offered
    "rill.gui.transcript.view",  # the chat pane: the empty state stands in for it
    "rill.gui.transcript.surface",
    # The window's chat half: the controller and what works on it (MainWindow.controller).
    "rill.gui.chat.controller",
    "rill.gui.chat.consent_bar",
    "rill.gui.chat.tool_host",
    "rill.gui.composer.edit_banner",
    "rill.gui.providers.manager",
    "rill.gui.providers.wiring",
)
# Not loaded by the end of the first paint, nor necessarily later: the icons the paint
# shows are drawn by Qt's SVG image plugin, not through PySide's QtSvg module.
NOT_AT_PAINT = ("PySide6.QtSvg",)
_painted: list[str] = []  # which of NOT_AT_PAINT were loaded when the paint was done
# Made on the user's first call for them (the composer's link dialog and preview): not
# at the paint, and not required later.
ON_FIRST_USE = ("rill.gui.composer.uri_dialog", "rill.gui.composer.attachment_preview")
CONNECT_LIMIT_S = 30.0
_shown: list[str] = []
_collecting: list[bool] = []  # whether the cycle collector ran at the paint
_original_present = app.present
_original_run = app.run
_original_connect = app.connect_provider
_original_finish = app.finish_after_paint
_before_input: list[str] = []  # of NEEDED_AT_INPUT, loaded when the paint's work is done
_frozen: list[int] = []  # objects the collector leaves out once the window is built
_events: dict[str, asyncio.Event] = {}  # "connected", "opened" (the history's store)
_enum_types = [0]  # Python enum types made so far (PySide makes Qt's as they are touched)
_enum_names: list[str] = []  # … and their qualified names
_enums_at_paint: list[int] = []


def _loaded() -> list[str]:
    return [name for name in (*HEAVY, *BUILT_LATER, *ON_FIRST_USE) if name in sys.modules]


def _finish_after_paint(window: MainWindow) -> None:
    _original_finish(window)
    _before_input.extend(name for name in NEEDED_AT_INPUT if name in sys.modules)
    _frozen.append(gc.get_freeze_count())


def _present(window: MainWindow) -> None:
    _original_present(window)
    _shown.extend(_loaded())
    _collecting.append(gc.isenabled())
    finish = window.finish_building

    def finish_and_watch() -> None:
        _enums_at_paint.append(_enum_types[0])  # the window has painted, nothing more
        if len(_enums_at_paint) == 1:  # the first call (connect_provider calls it again)
            _painted.extend(name for name in NOT_AT_PAINT if name in sys.modules)
        # The history exists from here on (not before: that would load it early).
        finish()
        start = window.history.start
        if getattr(start, "watched", False):
            return

        async def start_and_tell() -> object:
            try:
                return await start()
            finally:
                _events["opened"].set()

        start_and_tell.watched = True  # type: ignore[attr-defined]
        window.history.start = start_and_tell  # type: ignore[method-assign]

    window.finish_building = finish_and_watch  # type: ignore[method-assign]


async def _use_everything(window: MainWindow, opened: asyncio.Event, report: Path) -> None:
    try:
        await _use_and_report(window, opened, report)
    finally:  # a failure is logged in the profile; the test then finds no report
        window.menus.quit_action.trigger()


async def _use_and_report(window: MainWindow, opened: asyncio.Event, report: Path) -> None:
    import asyncio

    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage

    from rill.core.attachments import make_thumbnail
    from rill.core.types import Message, Part, Role

    await opened.wait()
    answer = "Some **bold** text.\n\n```python\nprint('hi')\n```\n"
    window.view.set_messages([Message(Role.MODEL, [Part.from_text(answer)])])
    window.view.settle()
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    image.fill(QColor("teal"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    thumbnail = await asyncio.to_thread(make_thumbnail, bytes(data.data()), 4)
    await asyncio.wait_for(_events["connected"].wait(), CONNECT_LIMIT_S)
    shown: dict[str, Any] = {
        "shown": _shown,
        "later": _loaded(),
        "transcript": window.view.plain_text(),
        "thumbnail": len(thumbnail),
        "provider": type(window.controller.provider).__name__,
        "collecting": [*_collecting, gc.isenabled()],
        "enums_at_paint": _enums_at_paint[0],
        "enum_names_at_paint": _enum_names[: _enums_at_paint[0]],
        "painted": _painted,
        "before_input": _before_input,
        "frozen": _frozen,
    }
    await asyncio.to_thread(report.write_text, json.dumps(shown), encoding="utf-8")


async def _connect_and_tell(window: MainWindow) -> None:
    try:
        await _original_connect(window)
    finally:
        _events["connected"].set()


async def _probed_run(window: MainWindow, launcher: TaskLauncher) -> int:
    import asyncio

    _events.update(connected=asyncio.Event(), opened=asyncio.Event())
    launcher.run("probe", _use_everything(window, _events["opened"], Path(sys.argv[1])))
    return await _original_run(window, launcher)


def _count_enum_types() -> None:
    """Count the enum types made from here on (Qt's, mostly: PySide builds a class's
    enums the first time the class is touched)."""
    make = enum.EnumType._create_

    def counted(cls: Any, *args: Any, **kwargs: Any) -> Any:
        _enum_types[0] += 1
        made = make(cls, *args, **kwargs)
        _enum_names.append(made.__qualname__)
        return made

    enum.EnumType._create_ = counted  # type: ignore[method-assign]


if __name__ == "__main__":
    _count_enum_types()
    app.present = _present
    app.run = _probed_run
    app.connect_provider = _connect_and_tell
    app.finish_after_paint = _finish_after_paint
    sys.exit(launch.main([]))
