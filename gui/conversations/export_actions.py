"""File → Export conversation… and File → Import conversation…, without blocking.

The file dialogs are opened with ``open()`` and answer through ``fileSelected``: no
nested event loop, nothing awaited inside a dialog. The export itself (reading every
version and image, writing Markdown or JSON and the images beside it) and the import
run on the store's writer thread, after any write still queued for that chat. The
documents come from ``rill.core.store.export``: the same text ``rill export`` writes, and
never an API key (the store has no column for one).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from rill.gui.common import TaskLauncher
from rill.gui.conversations.history import History
from rill.gui.conversations.persistence import summary_of

if TYPE_CHECKING:
    from rill.core.store import ConversationSummary, Store

MARKDOWN_FILTER = "Markdown (*.md)"
JSON_FILTER = "JSON: every version and image, can be imported again (*.json)"


def export_to_file(store: Store, conversation_id: int, path: Path, fmt: str) -> Path:
    """Write one conversation to ``path`` as "md" or "json"; returns the path written.

    Markdown puts its images in ``<name>_images/`` beside it, as ``rill export -o`` does.
    """
    from rill.core.store import export

    if fmt == "json":
        text = export.dumps(export.export_json(store, conversation_id))
    else:
        folder = path.with_name(path.stem + "_images")
        text = export.to_markdown(store, conversation_id, image_dir=folder)
    path.write_text(text, encoding="utf-8")
    return path


def import_from_file(store: Store, path: Path, warnings: list[str] | None = None) -> int:
    """Add the conversation of a JSON export; its new id. ExportFormatError, OSError.

    Settings out of range are imported as their defaults, one line each in ``warnings``.
    """
    from rill.core.store import export

    return export.import_json(store, path.read_bytes(), warnings)


def file_name(title: str, suffix: str) -> str:
    """A safe file name from a conversation title."""
    stem = re.sub(r"[^\w\- ]+", "", title).strip()[:60].strip() or "conversation"
    return f"{stem}{suffix}"


class ExportImport(QObject):
    """The two File-menu commands.

    Signals:
        finished(str message): one line for the status bar ("Exported to …").
    """

    finished = Signal(str)

    def __init__(
        self,
        history: History,
        launcher: TaskLauncher,
        window: QWidget,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.history = history
        self.launcher = launcher
        self.window = window

    # ------------------------------------------------------------ export

    def export_current(self) -> QFileDialog | None:
        """Ask where to export the conversation on screen (None: nothing saved yet)."""
        cid = self.history.persistence.current.conversation_id
        if cid is None:
            self.finished.emit("Nothing to export yet: this chat has no messages.")
            return None
        return self.export_conversation(cid)

    def export_conversation(self, conversation_id: int) -> QFileDialog:
        """Ask where to export a conversation (Markdown or JSON) and write it there."""
        summary = self.history.sidebar.model.summary(conversation_id)
        dialog = QFileDialog(self.window, "Export conversation")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters([MARKDOWN_FILTER, JSON_FILTER])
        dialog.setDefaultSuffix("md")
        dialog.selectFile(file_name(summary.title if summary else "", ".md"))
        dialog.filterSelected.connect(
            lambda chosen: dialog.setDefaultSuffix("json" if chosen == JSON_FILTER else "md")
        )

        def chosen(path: str) -> None:
            fmt = "json" if path.lower().endswith(".json") else "md"
            self.export_to(conversation_id, Path(path), fmt)

        dialog.fileSelected.connect(chosen)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()  # not exec(): no nested event loop
        return dialog

    def export_to(self, conversation_id: int, path: Path, fmt: str) -> None:
        """Export off the UI thread; ``finished`` says how it went."""
        self.launcher.run("export", self._export(conversation_id, path, fmt))

    async def _export(self, conversation_id: int, path: Path, fmt: str) -> None:
        try:
            written = await self.history.worker.write(
                lambda store: export_to_file(store, conversation_id, path, fmt), awaited=True
            )
        except (OSError, LookupError) as error:
            self.finished.emit(f"The conversation could not be exported: {error}")
            return
        self.finished.emit(f"Exported to {written}")

    # ------------------------------------------------------------ import

    def import_file(self) -> QFileDialog:
        """Ask for a JSON export to add as a new conversation."""
        dialog = QFileDialog(self.window, "Import conversation")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilters(["Rill conversation (*.json)", "All files (*)"])
        dialog.fileSelected.connect(lambda path: self.import_from(Path(path)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def import_from(self, path: Path) -> None:
        """Import the conversation in the JSON file at ``path``."""
        self.launcher.run("import", self._import(path))

    async def _import(self, path: Path) -> None:
        from rill.core.store import export

        warnings: list[str] = []

        def job(store: Store) -> ConversationSummary | None:
            return summary_of(store, import_from_file(store, path, warnings))

        try:
            summary = await self.history.worker.write(job, awaited=True)
        except (OSError, export.ExportFormatError) as error:
            self.finished.emit(f"{path.name} could not be imported: {error}")
            return
        if summary is None:
            return
        if warnings:
            self.history.notify(f"{path.name}: " + " ".join(warnings))
        self.history.persistence.conversation_saved.emit(summary)
        self.history.loader.show(summary.id)
        self.finished.emit(f"Imported “{summary.title or path.name}”.")
