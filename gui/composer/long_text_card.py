"""The long-message card above the input: a message too long to edit comfortably.

The input (a QPlainTextEdit) lays a huge paste out on the UI thread; past the
composer's limits the text is held here instead, shown by its size and first words,
with Copy, Save as… and Remove, and sent exactly as it is.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


class ElidedLines(QLabel):
    """Plain lines, each cut with "…" to the label's width instead of wrapping: a
    wrapped label inside the composer's layout got the height of its unwrapped
    text and was clipped at narrow widths."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._lines: list[str] = []

    def set_lines(self, lines: list[str]) -> None:
        """Show ``lines``, each cut to the width."""
        self._lines = lines
        self._elide()

    def full_text(self) -> str:
        """The lines joined back together."""
        return "\n".join(self._lines)

    def minimumSizeHint(self) -> QSize:
        """Qt: narrow enough to shrink with the window."""
        hint = super().minimumSizeHint()
        return QSize(self.fontMetrics().horizontalAdvance("Long message…"), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Qt: cut the lines to the new width."""
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        metrics, width = self.fontMetrics(), max(1, self.width())
        mode = Qt.TextElideMode.ElideRight
        self.setText("\n".join(metrics.elidedText(line, mode, width) for line in self._lines))


class LongTextCard(QFrame):
    """Signals:
    changed(): the text was set or taken out (Remove).
    save_failed(str message): Save as… could not write the file.
    """

    changed = Signal()
    save_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("longTextCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._text = ""
        self.label = ElidedLines(self)
        self.label.setObjectName("longTextLabel")
        self.label.setToolTip(
            "Too long to edit here without freezing the window. The message is sent"
            " exactly as it is, then what you type below."
        )
        self.copy_button = self._button("Copy", "Copy the whole long text")
        self.copy_button.clicked.connect(self._on_copy_clicked)
        self.save_button = self._button("Save as…", "Save the long text to a file")
        self.save_button.clicked.connect(self._on_save_clicked)
        self.remove_button = self._button("Remove", "Take the long text out")
        self.remove_button.clicked.connect(self._on_remove_clicked)
        row = QHBoxLayout()
        row.addStretch(1)
        for button in (self.copy_button, self.save_button, self.remove_button):
            row.addWidget(button)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 6, 6, 6)
        outer.setSpacing(4)
        outer.addWidget(self.label)
        outer.addLayout(row)
        self.hide()

    @property
    def text(self) -> str:
        """The text the card holds."""
        return self._text

    def set_text(self, text: str) -> None:
        """Hold ``text`` (empty: none, and the card hides); emits ``changed``."""
        if not text and not self._text:
            return
        self._text = text
        self.setVisible(bool(text))
        if text:
            lines = text.count("\n") + 1
            start = " ".join(text[:200].split())
            start = start[:32] + "…" if len(start) > 32 else start
            self.label.set_lines(
                [
                    f"Long message: {len(text):,} characters, {lines:,} "
                    f"{'line' if lines == 1 else 'lines'}: “{start}”",
                    "Too long to edit here; sent as it is, then what you type below.",
                ]
            )
        self.changed.emit()

    def _button(self, label: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(label)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        return button

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self._text)

    def _on_save_clicked(self) -> None:
        text = self._text
        dialog = QFileDialog(self, "Save the long text as")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["Text (*.txt)", "Markdown (*.md)", "All files (*)"])
        dialog.setDefaultSuffix("txt")
        dialog.fileSelected.connect(lambda path: self._write(path, text))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _write(self, path: str, text: str) -> None:
        try:
            Path(path).write_text(text, encoding="utf-8", newline="")
        except OSError as error:
            self.save_failed.emit(f"Not saved: {error}")

    def _on_remove_clicked(self) -> None:
        self.set_text("")
