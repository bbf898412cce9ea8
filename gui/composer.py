"""The composer: where a turn is written, images are attached, and an answer is stopped.

Enter sends, Shift+Enter breaks the line, Esc stops a streaming answer. The text is
never lost: the input clears only when the controller says the turn was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rill.core.types import Part

THUMB_PX = 56
MAX_LINES = 8
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.heic *.heif);;All files (*)"


@dataclass(frozen=True, eq=False)
class Attachment:
    """An image waiting to be sent: where it came from and the part it becomes."""

    source: str
    part: Part


class PromptEdit(QPlainTextEdit):
    """Plain-text input where Enter submits and Shift+Enter inserts a line break.

    Signals:
        submitted(): Enter was pressed (without Shift); the owner decides what to send.
        escape_pressed(): Esc was pressed.
    """

    submitted = Signal()
    escape_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            mods = event.modifiers()
            if mods & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")  # Shift+Return would add a U+2028 separator
                return
            self.submitted.emit()  # Ctrl+Enter too, as many chat apps accept
            return
        if key == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            return
        super().keyPressEvent(event)


class AttachmentChip(QFrame):
    """One thumbnail with a remove button.

    Signals:
        remove_requested(object attachment): the × was clicked.
    """

    remove_requested = Signal(object)

    def __init__(self, attachment: Attachment, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attachment = attachment
        self.setObjectName("attachmentChip")
        name = Path(attachment.source).name or attachment.source
        self.setToolTip(name)
        thumb = QLabel(self)
        thumb.setFixedSize(THUMB_PX, THUMB_PX)
        thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pixmap = QPixmap()
        if attachment.part.data is not None and pixmap.loadFromData(attachment.part.data):
            dpr = self.devicePixelRatioF()
            size = int(THUMB_PX * dpr)
            pixmap = pixmap.scaled(
                size,
                size,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            pixmap.setDevicePixelRatio(dpr)
            thumb.setPixmap(pixmap)
        else:
            thumb.setText(Path(name).suffix.lstrip(".").upper() or "IMG")
        remove = QToolButton(self)
        remove.setObjectName("chipRemove")
        remove.setText("×")
        remove.setAccessibleName(f"Remove {name}")
        remove.setToolTip(f"Remove {name}")
        remove.clicked.connect(self._on_remove_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        layout.addWidget(thumb)
        layout.addWidget(remove, 0, Qt.AlignmentFlag.AlignTop)

    def _on_remove_clicked(self) -> None:
        self.remove_requested.emit(self.attachment)


class Composer(QWidget):
    """Input, attachment strip and Send/Stop.

    Signals:
        send_requested(str text, object attachments): the user asked to send;
            ``attachments`` is a list[Part]. Nothing is cleared until
            :meth:`clear_sent` is called.
        stop_requested(): Stop (or Esc) while an answer streams.
        attachment_failed(str message): a chosen file cannot be attached.
    """

    send_requested = Signal(str, object)
    stop_requested = Signal()
    attachment_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self._streaming = False
        self._attachments: list[Attachment] = []
        self.edit = PromptEdit(self)
        self.edit.setObjectName("promptEdit")
        self.edit.setPlaceholderText("Message Rill")
        self.edit.setAccessibleDescription(
            "Enter sends, Shift+Enter starts a new line, Escape stops an answer"
        )
        self.edit.setAccessibleName("Message")
        self.edit.setTabChangesFocus(True)
        self.edit.submitted.connect(self._on_edit_submitted)
        self.edit.escape_pressed.connect(self._on_edit_escape_pressed)
        self.edit.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self.attach_button = QToolButton(self)
        self.attach_button.setObjectName("attachButton")
        self.attach_button.setText("+")
        self.attach_button.setToolTip("Attach images")
        self.attach_button.setAccessibleName("Attach images")
        self.attach_button.clicked.connect(self._on_attach_clicked)
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolTip("Send (Enter) · Shift+Enter starts a new line")
        self.send_button.setDefault(False)
        self.send_button.setAutoDefault(False)
        self.send_button.clicked.connect(self._on_send_button_clicked)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("composerError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self._build_strip()
        self._layout()
        self.edit.textChanged.connect(self._update_send_enabled)
        self._update_send_enabled()
        self._fit_height()

    def _build_strip(self) -> None:
        self.strip = QScrollArea(self)
        self.strip.setObjectName("attachmentStrip")
        self.strip.setWidgetResizable(True)
        self.strip.setFrameShape(QFrame.Shape.NoFrame)
        self.strip.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget(self.strip)
        self._strip_inner = inner
        self._strip_layout = QHBoxLayout(inner)
        self._strip_layout.setContentsMargins(0, 0, 0, 0)
        self._strip_layout.setSpacing(6)
        self._strip_layout.addStretch(1)
        self.strip.setWidget(inner)
        self.strip.setFixedHeight(THUMB_PX + 14)
        self.strip.hide()

    def _layout(self) -> None:
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.edit, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 8, 12, 12)
        outer.setSpacing(6)
        outer.addWidget(self.strip)
        outer.addWidget(self.error_label)
        outer.addLayout(row)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    # ------------------------------------------------------------ public

    @property
    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    @property
    def attachments(self) -> list[Part]:
        return [a.part for a in self._attachments]

    def focus_input(self) -> None:
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def set_streaming(self, streaming: bool) -> None:
        """Turn Send into Stop (and back) while an answer is coming."""
        self._streaming = streaming
        self.send_button.setText("Stop" if streaming else "Send")
        self.send_button.setProperty("stop", streaming)
        self.send_button.setAccessibleName("Stop the answer" if streaming else "Send")
        self.send_button.setToolTip(
            "Stop the answer (Esc)" if streaming else "Send (Enter) · Shift+Enter starts a new line"
        )
        self.send_button.style().unpolish(self.send_button)
        self.send_button.style().polish(self.send_button)
        self._update_send_enabled()

    def clear_sent(self) -> None:
        """The turn was recorded: empty the input and the strip."""
        self.edit.clear()
        for chip in self._strip_inner.findChildren(AttachmentChip):
            chip.deleteLater()
        self._attachments.clear()
        self.strip.hide()
        self.show_error("")

    def show_error(self, message: str) -> None:
        """A one-line reason under the strip (empty hides it)."""
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

    def add_files(self, paths: list[str]) -> None:
        """Attach local image files; each failure is reported, the rest are kept."""
        from rill.core.attachments import AttachmentError, load_attachment

        problems = []
        for path in paths:
            try:
                part = load_attachment(path)
            except AttachmentError as error:
                problems.append(str(error))
                continue
            self.add_attachment(Attachment(path, part))
        self.show_error(" ".join(problems))
        for problem in problems:
            self.attachment_failed.emit(problem)

    def add_attachment(self, attachment: Attachment) -> None:
        self._attachments.append(attachment)
        chip = AttachmentChip(attachment, self._strip_inner)
        chip.remove_requested.connect(self._on_chip_remove_requested)
        self._strip_layout.insertWidget(self._strip_layout.count() - 1, chip)
        self.strip.show()
        self._update_send_enabled()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit_height()

    # ------------------------------------------------------------ handlers

    def _on_edit_submitted(self) -> None:
        if self._streaming:
            return  # Enter never stops an answer by accident; Esc or Stop does
        self._request_send()

    def _on_edit_escape_pressed(self) -> None:
        if self._streaming:
            self.stop_requested.emit()

    def _on_send_button_clicked(self) -> None:
        if self._streaming:
            self.stop_requested.emit()
        else:
            self._request_send()

    def _request_send(self) -> None:
        if not self.text.strip() and not self._attachments:
            return
        self.send_requested.emit(self.text, self.attachments)

    def _on_attach_clicked(self) -> None:
        dialog = QFileDialog(self, "Attach images")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(IMAGE_FILTER)
        # open(), not exec(): no nested event loop while asyncio tasks are running.
        dialog.filesSelected.connect(self.add_files)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _on_chip_remove_requested(self, attachment: object) -> None:
        self._attachments = [a for a in self._attachments if a is not attachment]
        for chip in self._strip_inner.findChildren(AttachmentChip):
            if chip.attachment is attachment:
                chip.deleteLater()
        self.strip.setVisible(bool(self._attachments))
        self._update_send_enabled()

    def _update_send_enabled(self) -> None:
        has_content = bool(self.text.strip()) or bool(self._attachments)
        self.send_button.setEnabled(self._streaming or has_content)

    def _fit_height(self) -> None:
        """Grow with the text from one line up to eight, then scroll."""
        self.edit.ensurePolished()
        wanted = max(1, int(self.edit.document().size().height()))
        lines = min(MAX_LINES, wanted)
        # Frame, border and the style sheet's padding: measurable once laid out.
        chrome = self.edit.height() - self.edit.viewport().height()
        if not self.edit.isVisible() or chrome <= 0:
            chrome = self.edit.frameWidth() * 2 + 12
        margin = int(self.edit.document().documentMargin() * 2)
        # A scroll bar only once the text outgrows the box; QPlainTextEdit would
        # otherwise show one even for a single line that fits.
        policy = Qt.ScrollBarPolicy
        scroll = policy.ScrollBarAsNeeded if wanted > MAX_LINES else policy.ScrollBarAlwaysOff
        self.edit.setVerticalScrollBarPolicy(scroll)
        self.edit.setFixedHeight(lines * self.edit.fontMetrics().lineSpacing() + margin + chrome)
