"""A model's image at full size, and saving it: windows opened with ``open()``/``show()``,
never a nested event loop."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from rill.gui.transcript.renderers.images import ImageBlock

SUFFIXES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}


def show_full_size(parent: QWidget, block: ImageBlock) -> QDialog:
    """A window with the image at its own size (scrolling when larger than the screen)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle("Image")
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    label = QLabel()
    label.setPixmap(QPixmap.fromImage(block.full_image()))
    label.setAccessibleName("Image from the answer")
    area = QScrollArea()
    area.setWidget(label)
    area.setAlignment(Qt.AlignmentFlag.AlignCenter)
    layout = QVBoxLayout(dialog)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(area)
    size = label.sizeHint()
    dialog.resize(min(size.width() + 4, 1200), min(size.height() + 4, 900))
    dialog.show()
    return dialog


def save_image(parent: QWidget, block: ImageBlock) -> QFileDialog:
    """Ask where to save the image's bytes as they came; the dialog is returned open."""
    suffix = SUFFIXES.get(block.mime, "png")
    dialog = QFileDialog(parent, "Save image as")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setNameFilters([f"Image (*.{suffix})", "All files (*)"])
    dialog.setDefaultSuffix(suffix)
    dialog.selectFile(f"image.{suffix}")
    data = block.data
    dialog.fileSelected.connect(lambda path: write_file(parent, path, data))
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog


def write_file(parent: QWidget, path: str, data: bytes | str) -> None:
    """Write ``data``; a failure is said in a window-modal box (plain text)."""
    try:
        if isinstance(data, str):
            Path(path).write_text(data, encoding="utf-8", newline="")
        else:
            Path(path).write_bytes(data)
    except OSError as error:
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Not saved", f"Could not save {path}: {error}", parent=parent
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # a path and an OS error: text
        box.finished.connect(box.deleteLater)
        box.open()
