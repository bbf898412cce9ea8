"""The composer: where a turn is written, images are attached, and an answer is stopped.

Enter sends, Shift+Enter breaks the line, Esc stops a streaming answer. Images come
in through the + button, Ctrl+V (image data or copied files) and the window's drop
target, and wait in the strip above the input while worker threads prepare them.
Nothing is lost: the input and the strip clear only when the controller says the
turn was recorded, and a refused image is reported without touching the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QShowEvent, QTextCursor, QTextOption
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rill.core.attachments import PICKER_FILTERS, FileUri, provider_facts
from rill.gui.common import icons, keep_focus_on_click, plain_label, plain_tip
from rill.gui.composer.attachment_queue import AttachmentQueue, QueuedFile, State
from rill.gui.composer.attachment_strip import AttachmentStrip
from rill.gui.composer.long_text_card import LongTextCard

# Made on first use, after the window's first paint (issue 14, item 7). The drop and
# paste helpers (image_drop) load with the window's image drop, after the paint and
# before any input (MainWindow.finish_building).
if TYPE_CHECKING:
    from rill.gui.composer.attachment_preview import ImagePreview
    from rill.gui.composer.drafts import Draft
    from rill.gui.composer.uri_dialog import UriDialog

MAX_LINES = 8
# Longer pastes are refused: no model takes that much, and a message is held in memory
# several times over on its way out (input, store, request).
MAX_PROMPT_CHARS = 2_000_000
# What the input itself holds. Qt lays out a line (a block) whole whenever it changes
# or the width does: ~0.3 µs per character, so a 1 MB line costs ~0.35 s, while 1 MB
# in 80-column lines costs ~55 ms (only the lines in view are laid out). A message
# longer than EDIT_MAX_CHARS, or with a line longer than EDIT_MAX_LINE, is held by the
# long-message card above the input instead; it is sent exactly as it was.
EDIT_MAX_CHARS = 500_000
EDIT_MAX_LINE = 50_000
# A run this long without a space makes Qt's word wrap quadratic (50,000 characters:
# 150 ms; 100,000: 0.6 s); with one in the input it wraps anywhere (23 ms).
UNBROKEN_RUN = re.compile(r"\S{1000}")
PARAGRAPH_SEPARATOR = "\u2029"  # between the input's blocks in its raw text


def _filters() -> str:
    """The picker's filters: everything Rill reads first, then each kind, then any file
    (anything else that decodes as UTF-8 is text too)."""
    globs = [(name, " ".join(f"*{e}" for e in exts)) for name, exts in PICKER_FILTERS]
    every = " ".join(g for _, g in globs)
    kinds = ";;".join(f"{name} ({g})" for name, g in globs)
    return f"Images, documents, audio and video ({every});;{kinds};;All files (*)"


FILE_FILTER = _filters()
ATTACH_TIP = (
    "Attach images, PDFs, text and code, audio or video (or drop them on the window, or "
    "paste copied files with Ctrl+V)"
)


class PromptEdit(QPlainTextEdit):
    """Plain-text input where Enter submits and Shift+Enter inserts a line break.

    Pasting image data or copied files attaches them instead of inserting text.

    Signals:
        submitted(): Enter was pressed (without Shift); the owner decides what to send.
        escape_pressed(): Esc was pressed.
        images_pasted(object payload): an FilePayload from Ctrl+V (or a drop here).
    """

    submitted = Signal()
    escape_pressed = Signal()
    images_pasted = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Sees pasted (or dropped) text first; True: it took care of it.
        self.text_filter: Callable[[QMimeData], bool] | None = None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Qt: Enter (and Ctrl+Enter) sends, Shift+Enter breaks the line, Esc asks to stop."""
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
        """Qt: images and files can be pasted too."""
        from rill.gui.composer.image_drop import has_files_or_image_data

        return has_files_or_image_data(source) or super().canInsertFromMimeData(source)

    def insertFromMimeData(self, source: QMimeData) -> None:
        """Qt: pasted images are attached, long text may become a card; other text is typed."""
        from rill.gui.composer.image_drop import has_files_or_image_data, payload_from_mime

        if has_files_or_image_data(source):
            self.images_pasted.emit(payload_from_mime(source, paste=True))
        elif self.text_filter is None or not self.text_filter(source):
            super().insertFromMimeData(source)  # text (a copied link too) stays text


class Composer(QWidget):
    """Input, attachment strip and Send/Stop.

    Signals:
        send_requested(str text, object attachments): the user asked to send;
            ``attachments`` is a list[QueuedFile] (some may still be preparing).
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
        self.edit.text_filter = self._on_text_pasted
        self.edit.document().documentLayout().documentSizeChanged.connect(self._fit_height)
        self._build_buttons()
        self._build_notice()
        self._build_long_card()
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
        self.attach_button.setIcon(icons.icon("attach"))
        self.attach_button.setIconSize(QSize(20, 20))
        self.attach_button.setToolTip(ATTACH_TIP)
        self.attach_button.setAccessibleName("Attach files")
        self.attach_button.clicked.connect(self.open_file_dialog)
        # A round icon button; its text ("Send", "Stop") is its name, not drawn.
        self.send_button = QToolButton(self)
        self.send_button.setObjectName("sendButton")
        self.send_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.send_button.setText("Send")
        self.send_button.setIcon(icons.icon("send", "on_accent"))
        self.send_button.setIconSize(QSize(20, 20))
        self.send_button.setAccessibleName("Send")
        self.send_button.setToolTip("Send (Enter) · Shift+Enter starts a new line")
        self.send_button.clicked.connect(self._on_send_button_clicked)
        # Tab reaches Send; a click leaves the keyboard in the input (Stop turning
        # into a disabled Send would otherwise pass it down the chain).
        keep_focus_on_click(self.send_button)

    def _build_notice(self) -> None:
        """Refusals above the input, in the window notice's look (plain text on the
        surface, a red edge): readable in both themes, dismissible, never modal."""
        self.notice = QFrame(self)
        self.notice.setObjectName("noticeBar")
        self.error_label = plain_label(QLabel(self.notice))
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self.notice)
        close.setObjectName("panelClose")
        close.setIcon(icons.icon("close"))
        close.setAccessibleName("Dismiss")
        close.setToolTip("Dismiss")
        close.clicked.connect(self._on_notice_close_clicked)
        keep_focus_on_click(close)
        row = QHBoxLayout(self.notice)
        row.setContentsMargins(10, 4, 4, 4)
        row.addWidget(self.error_label, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.notice.hide()

    def _build_long_card(self) -> None:
        self.long_card = LongTextCard(self)
        self.long_card.changed.connect(self._on_long_card_changed)
        self.long_card.save_failed.connect(self.show_error)
        self.long_card.remove_button.clicked.connect(self.edit.setFocus)
        # Kept as the composer's own names: tests and the stylesheet use them.
        self.long_label = self.long_card.label
        self.long_remove_button = self.long_card.remove_button

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
        outer.addWidget(self.long_card)
        outer.addLayout(row)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

    # ------------------------------------------------------------ public

    @property
    def text(self) -> str:
        """The whole message: the long-message card's text, then the input's."""
        return self.long_text + self.typed_text()

    def typed_text(self) -> str:
        """What the input holds, exactly: toPlainText() would turn a no-break space
        into a space and U+2028 into a line break."""
        return self.edit.document().toRawText().replace(PARAGRAPH_SEPARATOR, "\n")

    def set_text(self, text: str) -> None:
        """Put ``text`` in the input, or on the long-message card when it is too long
        for the input (see EDIT_MAX_CHARS)."""
        if fits_input(text):
            self._set_long("")
            self._wrap_for(text, reset=True)
            self.edit.setPlainText(text)
        else:
            self.edit.clear()
            self._set_long(text)

    def suggest(self, text: str) -> None:
        """Put ``text`` in the input for the user to edit and send (nothing is sent).

        What was typed is replaced in one edit that Ctrl+Z takes back.
        """
        cursor = self.edit.textCursor()
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(text)
        self.edit.setTextCursor(cursor)
        self.focus_input()

    def take_draft(self) -> Draft:
        """Empty the composer into a draft; images keep preparing (see drafts.py)."""
        from rill.gui.composer.drafts import Draft

        shown = self.error_label.text() if self.notice.isVisibleTo(self) else ""
        draft = Draft(
            self.long_text,
            self.typed_text(),
            self.edit.textCursor().position(),
            self.queue.detach(),
            shown,
        )
        self._set_long("")
        self.edit.clear()
        self._wrap_for("", reset=True)
        self.show_error("")
        return draft

    def put_draft(self, draft: Draft) -> None:
        """Fill the (empty) composer from ``draft``, as it was taken."""
        self._set_long(draft.long_text)
        self._wrap_for(draft.typed, reset=True)
        self.edit.setPlainText(draft.typed)
        cursor = self.edit.textCursor()
        # Positions count UTF-16 units, as Qt's do; the document ends one past its text.
        cursor.setPosition(min(draft.cursor, self.edit.document().characterCount() - 1))
        self.edit.setTextCursor(cursor)
        self.queue.restore(draft.attachments)
        self.show_error(draft.notice)

    @property
    def attachments(self) -> list[QueuedFile]:
        """The images attached to the next turn."""
        return self.queue.items

    def focus_input(self) -> None:
        """Give the keyboard to the input."""
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def set_streaming(self, streaming: bool) -> None:
        """Turn Send into Stop (and back) while an answer (or its images) is going."""
        self._streaming = streaming
        self.send_button.setText("Stop" if streaming else "Send")
        self.send_button.setIcon(icons.icon("stop" if streaming else "send", "on_accent"))
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
        """Refuse images with ``reason`` (None: images welcome); documents and text can
        still be attached, and the button's tooltip says both."""
        self.queue.refusal = reason
        tip = ATTACH_TIP if reason is None else f"{reason}; PDFs, text and code can still go."
        self.attach_button.setToolTip(plain_tip(tip))

    def set_target(self, provider: object) -> None:
        """The provider files go to: each document's tile says how it will be sent."""
        self.queue.set_target(*provider_facts(provider))

    def clear_sent(self) -> None:
        """The turn was recorded: empty the input and the strip."""
        self._set_long("")
        self.edit.clear()
        self._wrap_for("", reset=True)
        self.queue.clear()
        self.show_error("")

    def show_error(self, message: str) -> None:
        """A reason above the input (empty hides it); the text and images stay."""
        self.error_label.setText(message)
        self.notice.setVisible(bool(message))

    def show_upload_progress(self, attachment: object, sent: int, total: int) -> None:
        """Show an upload's progress on the tile of ``attachment``."""
        self.queue.set_upload_progress(attachment, sent, total)

    def add_files(self, paths: Sequence[str | Path]) -> list[QueuedFile]:
        """Attach local image files; they are prepared off the UI thread."""
        from rill.gui.composer.image_drop import FilePayload

        return self.add_payload(FilePayload(paths=[Path(p) for p in paths]))

    def add_uri(self, uri: FileUri) -> list[QueuedFile]:
        """Attach an image by URI."""
        from rill.gui.composer.image_drop import FilePayload

        return self.add_payload(FilePayload(uris=[uri]))

    def add_payload(self, payload: object) -> list[QueuedFile]:
        """Attach what a drop or a paste brought (an FilePayload)."""
        from rill.gui.composer.image_drop import FilePayload

        if not isinstance(payload, FilePayload) or not payload:
            return []
        self.show_error("")
        return self.queue.add_payload(payload)

    def open_file_dialog(self) -> None:
        """The picker: the platform's own dialog, with a filter per kind, several at once."""
        dialog = QFileDialog(self, "Attach files")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(FILE_FILTER)
        # open(), not exec(): no nested event loop while asyncio tasks are running.
        dialog.filesSelected.connect(self.add_files)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def open_uri_dialog(self) -> UriDialog:
        """ "Add file by URI…": validated in the dialog, attached on Add."""
        from rill.gui.composer.uri_dialog import UriDialog

        dialog = UriDialog(self)
        dialog.uri_chosen.connect(self.add_uri)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def show_preview(self, item: object) -> None:
        """Open (or reuse) the non-modal preview window for ``item``."""
        if not isinstance(item, QueuedFile):
            return
        from rill.gui.composer.attachment_preview import ImagePreview, preview_side

        if self.preview is None:
            self.preview = ImagePreview(self)
        self.preview.show_item(item)
        self.queue.request_preview(item, preview_side(self.preview))

    def showEvent(self, event: QShowEvent) -> None:
        """Qt: fit the input's height once shown."""
        super().showEvent(event)
        self._fit_height()

    # ------------------------------------------------------------ long text

    def _on_text_pasted(self, source: QMimeData) -> bool:
        """Refuse a paste over the limit; move a message the input cannot hold to the
        long-message card (spliced exactly where the paste went). True: handled."""
        size = source.data("text/plain").size()  # UTF-8: 1 to 4 bytes a character
        if size > 4 * MAX_PROMPT_CHARS:
            # Far over the limit: refused without making a str of it (50 MB: 70 ms).
            self.show_error(
                f"Not pasted: the text is {size / 1e6:,.1f} MB, more than the limit "
                f"of {MAX_PROMPT_CHARS:,} characters for a message."
            )
            return True
        pasted = source.text()
        cursor = self.edit.textCursor()
        typed = self.typed_text()
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        before, selected, after = split_utf16(typed, start, end)
        total = len(self.long_text) + len(typed) - len(selected) + len(pasted)
        if total > MAX_PROMPT_CHARS:
            self.show_error(
                f"Not pasted: the message would be {total:,} characters long; "
                f"the limit is {MAX_PROMPT_CHARS:,}."
            )
            return True
        line = len(before) - before.rfind("\n") + len(after.split("\n", 1)[0])
        if len(typed) - len(selected) + len(pasted) <= EDIT_MAX_CHARS and fits_input(pasted, line):
            self._wrap_for(pasted)
            return False
        self.edit.clear()
        self._set_long(self.long_text + before + pasted + after)
        return True

    @property
    def long_text(self) -> str:
        """The start of the message, when too long for the input (the card's text)."""
        return self.long_card.text

    def _set_long(self, text: str) -> None:
        self.long_card.set_text(text)

    def _on_long_card_changed(self) -> None:
        self.edit.setPlaceholderText("Add to the message" if self.long_text else "Message Rill")
        self._update_send_enabled()

    def _wrap_for(self, text: str, *, reset: bool = False) -> None:
        """Wrap anywhere while the input holds a long unbroken run (see UNBROKEN_RUN)."""
        mode = QTextOption.WrapMode
        if UNBROKEN_RUN.search(text):
            self.edit.setWordWrapMode(mode.WrapAnywhere)
        elif reset:
            self.edit.setWordWrapMode(mode.WrapAtWordBoundaryOrAnywhere)

    # ------------------------------------------------------------ handlers

    def _on_edit_submitted(self) -> None:
        if self._streaming:
            return  # Enter never stops an answer by accident; Esc or Stop does
        self._request_send()

    def _on_edit_escape_pressed(self) -> None:
        if self._streaming:
            self.stop_requested.emit()

    def _on_send_button_clicked(self) -> None:
        self.focus_input()  # pressed from the keyboard: what comes next is typed
        if self._streaming:
            self.stop_requested.emit()
        else:
            self._request_send()

    def _request_send(self) -> None:
        items = self.queue.items
        if not self.text.strip() and not items:
            return
        if self.queue.refusal is not None and any(i.looks_like_image for i in items):
            self.show_error(f"{self.queue.refusal}; remove the images or choose another model.")
            return
        self.send_requested.emit(self.text, items)

    def _on_notice_close_clicked(self) -> None:
        self.show_error("")

    def _on_strip_remove_requested(self, item: object) -> None:
        if isinstance(item, QueuedFile):
            self.queue.remove(item)

    def _on_queue_item_added(self, item: QueuedFile) -> None:
        self.strip.add_item(item)
        self._update_send_enabled()

    def _on_queue_item_changed(self, item: QueuedFile) -> None:
        self.strip.update_item(item)
        preview = self.preview
        showing = preview is not None and preview.isVisible() and preview.item is item
        if showing and item.state is State.READY and not (preview and preview.sharp):
            self.show_preview(item)

    def _on_queue_item_removed(self, item: QueuedFile) -> None:
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
        typed = self.edit.toPlainText().strip()
        has_content = bool(self.long_text or typed) or len(self.queue) > 0
        self.send_button.setEnabled(self._streaming or has_content)

    def _fit_height(self) -> None:
        """Grow with the text from one line up to eight, then scroll."""
        self.edit.ensurePolished()
        wanted = max(1, int(self.edit.document().size().height()))
        lines = min(MAX_LINES, wanted)
        # Frame, border and the style sheet's padding: measurable once laid out. The
        # contents rectangle is the viewport's (no viewport margins, no horizontal
        # bar: lines wrap); asking for viewport() instead made PySide resolve ~80
        # lazy Qt types the first time, 15 ms before the window's first paint.
        chrome = self.edit.height() - self.edit.contentsRect().height()
        if not self.edit.isVisible() or chrome <= 0:
            chrome = self.edit.frameWidth() * 2 + 12
        margin = int(self.edit.document().documentMargin() * 2)
        # A scroll bar only once the text outgrows the box; QPlainTextEdit would
        # otherwise show one even for a single line that fits.
        policy = Qt.ScrollBarPolicy
        scroll = policy.ScrollBarAsNeeded if wanted > MAX_LINES else policy.ScrollBarAlwaysOff
        self.edit.setVerticalScrollBarPolicy(scroll)
        self.edit.setFixedHeight(lines * self.edit.fontMetrics().lineSpacing() + margin + chrome)


def fits_input(text: str, line: int = 0) -> bool:
    """Whether the input can hold ``text`` (pasted into a line already ``line`` long)
    without a long stall (EDIT_MAX_CHARS, EDIT_MAX_LINE)."""
    if len(text) > EDIT_MAX_CHARS:
        return False
    if len(text) + line <= EDIT_MAX_LINE:
        return True
    lines = text.split("\n")
    if len(lines) == 1:
        return len(text) + line <= EDIT_MAX_LINE
    longest = max(map(len, lines))
    edges = max(len(lines[0]), len(lines[-1])) + line
    return max(longest, edges) <= EDIT_MAX_LINE


def split_utf16(text: str, start: int, end: int) -> tuple[str, str, str]:
    """``text`` cut at Qt positions ``start`` and ``end`` (UTF-16 code units, as a
    QTextCursor counts them): before, between, after."""
    if text.isascii():
        return text[:start], text[start:end], text[end:]
    units = text.encode("utf-16-le")
    return (
        units[: 2 * start].decode("utf-16-le"),
        units[2 * start : 2 * end].decode("utf-16-le"),
        units[2 * end :].decode("utf-16-le"),
    )
