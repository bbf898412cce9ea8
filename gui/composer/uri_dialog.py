""" "Add file by URI…": an address the model fetches itself, checked before it is taken.

Accepted: ``https://host/path``, ``gs://bucket/object`` and Gemini Files API URIs (also
written short as ``files/abc123``). Anything else gets a message naming the problem,
inside the dialog, which stays open so the address can be fixed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from rill.core.attachments import FILES_API_PREFIX, AttachmentError, FileUri, parse_file_uri
from rill.gui.common import plain_label

HINT = "https://…, gs://bucket/object or a Files API URI (files/…)"


def validate_file_uri(text: str) -> FileUri:
    """``text`` as an FileUri. Raises AttachmentError (code ``uri``) saying what is wrong."""
    address = text.strip()
    if not address:
        raise AttachmentError("the address", "it is empty; paste " + HINT, code="uri")
    if any(ch.isspace() for ch in address):
        raise AttachmentError(address, "an address cannot contain spaces", code="uri")
    if address.startswith("files/"):
        address = FILES_API_PREFIX + address.removeprefix("files/")
    uri = parse_file_uri(address)  # raises for http:// and unknown schemes
    if uri is None:
        raise AttachmentError(
            address,
            f"not an address; use {HINT} (local files go through the + button)",
            code="uri",
        )
    parts = urlsplit(address)
    if not parts.netloc:
        what = "bucket" if parts.scheme.lower() == "gs" else "host"
        raise AttachmentError(address, f"the address has no {what}", code="uri")
    if not parts.path.strip("/"):
        raise AttachmentError(address, "the address names no file", code="uri")
    if address.startswith(FILES_API_PREFIX) and "/" in address[len(FILES_API_PREFIX) :]:
        raise AttachmentError(address, "a Files API URI ends in files/<id>", code="uri")
    return uri


class UriDialog(QDialog):
    """Asks for one file's address; opened with ``open()``, never ``exec()``.

    Signals:
        uri_chosen(object uri): a valid FileUri was entered and OK pressed.
    """

    uri_chosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add file by URI")
        self.setObjectName("uriDialog")
        prompt = QLabel(f"File address (an image, PDF, audio or video) — {HINT}", self)
        prompt.setWordWrap(True)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("https://example.com/photo.jpg")
        self.edit.setAccessibleName("File address")
        self.edit.setMinimumWidth(420)
        prompt.setBuddy(self.edit)
        self.error_label = plain_label(QLabel(self))
        self.error_label.setObjectName("uriError")  # plain text colour: legible in both themes
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Add")
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        self.edit.textEdited.connect(self._on_edit_text_edited)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(16, 16, 16, 12)
        self._layout.setSpacing(8)
        self._layout.addWidget(prompt)
        self._layout.addWidget(self.edit)
        self._layout.addWidget(self.error_label)
        self._layout.addWidget(buttons)

    def showEvent(self, event: QShowEvent) -> None:
        """Qt: fit the height once shown."""
        super().showEvent(event)
        self._fit_height()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Qt: refit the height when the width changed."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._fit_height()  # narrower: the wrapped lines need more height

    def _fit_height(self, *, shrink: bool = False) -> None:
        """As tall as the wrapped prompt and error need at this width: a window's
        layout gives word-wrapped labels the height of one line, and the error was cut
        with the address above it squeezed."""
        self._layout.activate()
        needed = max(
            self._layout.totalHeightForWidth(self.width()),
            self._layout.totalMinimumSize().height(),
        )
        self.setMinimumHeight(needed)
        if self.height() < needed or shrink:
            self.resize(self.width(), needed)

    def _on_buttons_accepted(self) -> None:
        try:
            uri = validate_file_uri(self.edit.text())
        except AttachmentError as error:
            self.error_label.setText(f"⚠ {error}")
            self.error_label.show()
            self._fit_height()
            self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.uri_chosen.emit(uri)
        self.accept()

    def _on_edit_text_edited(self, _text: str) -> None:
        if self.error_label.isVisible():
            self.error_label.hide()
            self._fit_height(shrink=True)
