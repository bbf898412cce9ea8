"""The offline provider's list of the user's own .gguf files, in the Providers screen.

Files are referenced where they are, not copied: models are gigabytes. The check
that a file really is GGUF happens here, when it is added, so a wrong file is named
at once instead of failing inside llama.cpp at the first question.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rill.core.providers import model_file_problem


class ModelFilesEditor(QWidget):
    """A list of model paths with Add… and Remove.

    Signals:
        problem(str line): a chosen file was refused; ``line`` names it and says why.
        changed(): the list of paths changed.
    """

    problem = Signal(str)
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAccessibleName("Model files")
        self.list.setMaximumHeight(96)
        self.list.itemSelectionChanged.connect(self._on_list_selection_changed)
        self.add_button = QPushButton("Add .gguf file…")
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self._dialog: QFileDialog | None = None

    def paths(self) -> tuple[str, ...]:
        """The model files listed."""
        return tuple(self.list.item(i).text() for i in range(self.list.count()))

    def set_paths(self, paths: tuple[str, ...]) -> None:
        """List ``paths``."""
        self.list.clear()
        self.list.addItems(list(paths))

    def add_path(self, path: str) -> bool:
        """Add ``path`` if it is a GGUF model not listed yet; refusals emit ``problem``."""
        resolved = str(Path(path).expanduser().absolute())
        problem = model_file_problem(resolved)
        if problem is not None:
            self.problem.emit(problem)
            return False
        if resolved not in self.paths():
            self.list.addItem(resolved)
            self.changed.emit()
        return True

    def _on_add_clicked(self) -> None:
        # open(), never exec(): the window (and a streaming answer) keeps running.
        dialog = QFileDialog(self, "Add a GGUF model file", str(Path.home()))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter("GGUF models (*.gguf)")
        dialog.filesSelected.connect(self._on_dialog_files_selected)
        self._dialog = dialog
        dialog.open()

    def _on_dialog_files_selected(self, files: list[str]) -> None:
        for file in files:
            self.add_path(file)

    def _on_remove_clicked(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self.changed.emit()

    def _on_list_selection_changed(self) -> None:
        self.remove_button.setEnabled(bool(self.list.selectedItems()))
