"""The composer: where a turn is written, images are attached, and an answer is stopped.

Enter sends, Shift+Enter breaks the line, Esc stops a streaming answer. Images come
in through the + button, Ctrl+V (image data or copied files) and the window's drop
target, and wait in the strip above the input while worker threads prepare them.
Nothing is lost: the input and the strip clear only when the controller says the
turn was recorded, and a refused image is reported without touching the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rill.core.attachments import ImageUri
from rill.gui.attachment_preview import ImagePreview, preview_side
from rill.gui.attachment_queue import AttachmentQueue, QueuedImage, State
from rill.gui.attachment_strip import AttachmentStrip
from rill.gui.image_drop import ImagePayload, has_files_or_image_data, payload_from_mime
from rill.gui.uri_dialog import UriDialog

MAX_LINES = 8
# Longer pastes are refused: laying out a few MB of text in the input stalls the UI
# (4 MB of 80-column lines: 0.26 s; 50 MB: 5.5 s), and no model takes that much.
MAX_PROMPT_CHARS = 2_000_000
IMAGE_FILTER = (
    "Images (*.png *.jpg *.jpeg *.webp *.heic *.heif *.gif *.bmp *.tif *.tiff);;All files (*)"
)
ATTACH_TIP = "Attach images (or drop them on the window, or paste with Ctrl+V)"


class PromptEdit(QPlainTextEdit):
    """Plain-text input where Enter submits and Shift+Enter inserts a line break.

    Pasting image data or copied files attaches them instead of inserting text.

    Signals:
        submitted(): Enter was pressed (without Shift); the owner decides what to send.
        escape_pressed(): Esc was pressed.
        images_pasted(object payload): an ImagePayload from Ctrl+V (or a drop here).
    """

    submitted = Signal()
    escape_pressed = Signal()
    images_pasted = Signal(object)
    paste_refused = Signal(str)

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

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        return has_files_or_image_data(source) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if has_files_or_image_data(source):
            self.images_pasted.emit(payload_from_mime(source, paste=True))
        else:
            total = len(source.text()) + len(self.toPlainText())
            if total > MAX_PROMPT_CHARS:
                self.paste_refused.emit(
                    f"Not pasted: the message would be {total:,} characters long; "
                    f"the limit is {MAX_PROMPT_CHARS:,}."
                )
                return
            super().insertFromMimeData(source)  # text (a copied link too) stays text


class Composer(QWidget):
    """Input, attachment strip and Send/Stop.

    Signals:
        send_requested(str text, object attachments): the user asked to send;
            ``attachments`` is a list[QueuedImage] (some may still be preparing).
            Nothing is cleared until :meth:`clear_sent` is called.
        stop_requested(): Stop (or Esc) while an answer streams.
        attachment_failed(str message): an image was refused; names file and reason.
    """

    send_requested = Signal(str, object)
    stop_requested = Signal()
    attachment_failed = Signal(str)

    def __init__(self, parent: QWidget | None = None, queue: AttachmentQueue | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self._streaming = False
        # Unparented: running preparations keep it alive even after this widget is gone.
        self.queue = queue if queue is not None else AttachmentQueue()
        self.preview: ImagePreview | None = None
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
        self.edit.images_pasted.connect(self.add_payload)
        self.edit.paste_refused.connect(self.show_error)
        self.edit.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._build_buttons()
        self._build_notice()
        self.strip = AttachmentStrip(self)
        self.strip.preview_requested.connect(self.show_preview)
        self.strip.remove_requested.connect(self._on_strip_remove_requested)
        self._connect_queue()
        self._layout()
        self.edit.textChanged.connect(self._update_send_enabled)
        self._update_send_enabled()
        self._fit_height()

    def _build_buttons(self) -> None:
        self.attach_button = QToolButton(self)
        self.attach_button.setObjectName("attachButton")
        self.attach_button.setText("+")
        self.attach_button.setToolTip(ATTACH_TIP)
        self.attach_button.setAccessibleName("Attach images")
        self.attach_button.clicked.connect(self.open_file_dialog)
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolTip("Send (Enter) · Shift+Enter starts a new line")
        self.send_button.setDefault(False)
        self.send_button.setAutoDefault(False)
        self.send_button.clicked.connect(self._on_send_button_clicked)

    def _build_notice(self) -> None:
        """Refusals above the input, in the window notice's look (plain text on the
        surface, a red edge): readable in both themes, dismissible, never modal."""
        self.notice = QFrame(self)
        self.notice.setObjectName("noticeBar")
        self.error_label = QLabel(self.notice)
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self.notice)
        close.setText("×")
        close.setAccessibleName("Dismiss")
        close.setToolTip("Dismiss")
        close.clicked.connect(self._on_notice_close_clicked)
        row = QHBoxLayout(self.notice)
        row.setContentsMargins(10, 4, 4, 4)
        row.addWidget(self.error_label, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.notice.hide()

    def _connect_queue(self) -> None:
        queue = self.queue
        queue.item_added.connect(self._on_queue_item_added)
        queue.item_changed.connect(self._on_queue_item_changed)
        queue.item_removed.connect(self._on_queue_item_removed)
        queue.problems_reported.connect(self._on_queue_problems_reported)
        queue.preview_loaded.connect(self._on_queue_preview_loaded)

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
        outer.addWidget(self.notice)
        outer.addLayout(row)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    # ------------------------------------------------------------ public

    @property
    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)

    @property
    def attachments(self) -> list[QueuedImage]:
        return self.queue.items

    def focus_input(self) -> None:
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def set_streaming(self, streaming: bool) -> None:
        """Turn Send into Stop (and back) while an answer (or its images) is going."""
        self._streaming = streaming
        self.send_button.setText("Stop" if streaming else "Send")
        self.send_button.setProperty("stop", streaming)
        self.send_button.setAccessibleName("Stop the answer" if streaming else "Send")
        self.send_button.setToolTip(
            "Stop the answer (Esc)" if streaming else "Send (Enter) · Shift+Enter starts a new line"
        )
        self.send_button.style().unpolish(self.send_button)
        self.send_button.style().polish(self.send_button)
        if not streaming:
            self.queue.end_uploads()
        self._update_send_enabled()

    def set_images_refused(self, reason: str | None) -> None:
        """Grey out attaching with ``reason`` as the tooltip (None: images welcome)."""
        self.queue.refusal = reason
        self.attach_button.setEnabled(reason is None)
        self.attach_button.setToolTip(ATTACH_TIP if reason is None else f"{reason}.")

    def clear_sent(self) -> None:
        """The turn was recorded: empty the input and the strip."""
        self.edit.clear()
        self.queue.clear()
        self.show_error("")

    def show_error(self, message: str) -> None:
        """A reason above the input (empty hides it); the text and images stay."""
        self.error_label.setText(message)
        self.notice.setVisible(bool(message))

    def show_upload_progress(self, attachment: object, sent: int, total: int) -> None:
        self.queue.set_upload_progress(attachment, sent, total)

    def add_files(self, paths: Sequence[str | Path]) -> list[QueuedImage]:
        """Attach local image files; they are prepared off the UI thread."""
        return self.add_payload(ImagePayload(paths=[Path(p) for p in paths]))

    def add_uri(self, uri: ImageUri) -> list[QueuedImage]:
        return self.add_payload(ImagePayload(uris=[uri]))

    def add_payload(self, payload: object) -> list[QueuedImage]:
        """Attach what a drop or a paste brought (an ImagePayload)."""
        if not isinstance(payload, ImagePayload) or not payload:
            return []
        self.show_error("")
        return self.queue.add_payload(payload)

    def open_file_dialog(self) -> None:
        """The picker: the platform's own dialog, images only, several at once."""
        dialog = QFileDialog(self, "Attach images")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(IMAGE_FILTER)
        # open(), not exec(): no nested event loop while asyncio tasks are running.
        dialog.filesSelected.connect(self.add_files)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def open_uri_dialog(self) -> UriDialog:
        """ "Add image by URI…": validated in the dialog, attached on Add."""
        dialog = UriDialog(self)
        dialog.uri_chosen.connect(self.add_uri)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def show_preview(self, item: object) -> None:
        """Open (or reuse) the non-modal preview window for ``item``."""
        if not isinstance(item, QueuedImage):
            return
        if self.preview is None:
            self.preview = ImagePreview(self)
        self.preview.show_item(item)
        self.queue.request_preview(item, preview_side(self.preview))

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
        items = self.queue.items
        if not self.text.strip() and not items:
            return
        if items and self.queue.refusal is not None:
            self.show_error(f"{self.queue.refusal}; remove the images or choose another model.")
            return
        self.send_requested.emit(self.text, items)

    def _on_notice_close_clicked(self) -> None:
        self.show_error("")

    def _on_strip_remove_requested(self, item: object) -> None:
        if isinstance(item, QueuedImage):
            self.queue.remove(item)

    def _on_queue_item_added(self, item: QueuedImage) -> None:
        self.strip.add_item(item)
        self._update_send_enabled()

    def _on_queue_item_changed(self, item: QueuedImage) -> None:
        self.strip.update_item(item)
        preview = self.preview
        showing = preview is not None and preview.isVisible() and preview.item is item
        if showing and item.state is State.READY and not (preview and preview.sharp):
            self.show_preview(item)

    def _on_queue_item_removed(self, item: QueuedImage) -> None:
        self.strip.remove_item(item)
        if self.preview is not None and self.preview.item is item:
            self.preview.close()
        self._update_send_enabled()

    def _on_queue_problems_reported(self, messages: list[str]) -> None:
        text = "\n".join(messages)
        shown = self.error_label.text() if self.notice.isVisibleTo(self) else ""
        self.show_error(f"{shown}\n{text}" if shown else text)
        for message in messages:
            self.attachment_failed.emit(message)

    def _on_queue_preview_loaded(self, item: object, image: object) -> None:
        if self.preview is not None and isinstance(image, QImage):
            self.preview.set_image(item, image)

    def _update_send_enabled(self) -> None:
        has_content = bool(self.text.strip()) or len(self.queue) > 0
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
