"""Images coming in through drag-and-drop and the clipboard: what a QMimeData holds.

File managers offer ``text/uri-list`` with ``file:`` URLs; browsers offer image bytes
(``image/png``…), an in-process ``application/x-qt-image``, or the image's address.
:func:`payload_from_mime` turns any of those into one :class:`FilePayload`.
:class:`WindowImageDrop` makes a whole window a drop target with a visible highlight:
it listens on the window's QWindow, ahead of any child widget (the input would
otherwise take a dropped file as its path in text).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_to_bytes

from PySide6.QtCore import QEvent, QMimeData, QObject, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QImage,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QWindow,
)
from PySide6.QtWidgets import QWidget

from rill.core.attachments import AttachmentError, FileUri, parse_file_uri
from rill.gui.common import tokens

QT_IMAGE = "application/x-qt-image"
# Raw encoded bytes are taken as they are (no decoding on the UI thread), best first.
IMAGE_FORMATS = (
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/heic",
    "image/heif",
    "image/gif",
    "image/bmp",
    "image/tiff",
)
# Addresses a drop may carry; http:// is taken only to say why it cannot be used.
DROP_SCHEMES = ("https", "gs", "data", "http")
_EXTENSIONS = {"image/jpeg": "jpg", "image/svg+xml": "svg"}
_DRAG_EVENTS = {
    QEvent.Type.DragEnter,
    QEvent.Type.DragMove,
    QEvent.Type.DragLeave,
    QEvent.Type.Drop,
}


@dataclass
class FilePayload:
    """What one drop or paste brought: files, encoded bytes, a QImage, addresses."""

    paths: list[Path] = field(default_factory=list)
    blobs: list[tuple[bytes, str]] = field(default_factory=list)  # (data, display name)
    images: list[tuple[QImage, str]] = field(default_factory=list)
    uris: list[FileUri] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # refused parts, with reasons

    def __bool__(self) -> bool:
        return bool(self.paths or self.blobs or self.images or self.uris or self.problems)


def _image_format(mime: QMimeData) -> str | None:
    formats = mime.formats()
    for wanted in IMAGE_FORMATS:
        if wanted in formats:
            return wanted
    return next((f for f in formats if f.startswith("image/")), None)


def has_images(mime: QMimeData) -> bool:
    """Whether ``mime`` holds something to attach (files, image data, image addresses)."""
    if _image_format(mime) is not None or QT_IMAGE in mime.formats():
        return True
    return any(url.isLocalFile() or url.scheme() in DROP_SCHEMES for url in mime.urls())


def has_files_or_image_data(mime: QMimeData) -> bool:
    """Like :func:`has_images`, minus addresses: a pasted link stays text."""
    if _image_format(mime) is not None or QT_IMAGE in mime.formats():
        return True
    return any(url.isLocalFile() for url in mime.urls())


def payload_from_mime(mime: QMimeData, *, paste: bool = False, label: str = "") -> FilePayload:
    """The attachments in ``mime``: local files first, else image bytes, else addresses.

    A browser drag often carries both the image and its address; the bytes win (the
    model then sees exactly what the user saw). With ``paste``, addresses are left to
    be pasted as text. ``label`` names unnamed image data ("pasted image").
    """
    payload = FilePayload()
    remote: list[str] = []
    for url in mime.urls():
        if url.isLocalFile():
            payload.paths.append(Path(url.toLocalFile()))
        elif not paste and url.scheme():
            remote.append(url.toString())
    if payload.paths:
        return payload
    label = label or ("pasted image" if paste else "dropped image")
    fmt = _image_format(mime)
    if fmt is not None:
        data = bytes(mime.data(fmt).data())
        extension = _EXTENSIONS.get(fmt, fmt.split("/", 1)[1])
        payload.blobs.append((data, f"{label}.{extension}"))
        return payload
    if QT_IMAGE in mime.formats():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            payload.images.append((image, f"{label}.png"))
            return payload
    for text in remote:
        _add_address(payload, text)
    return payload


def _add_address(payload: FilePayload, text: str) -> None:
    if text.startswith("data:"):
        try:
            payload.blobs.append((data_uri_bytes(text), "dropped image"))
        except ValueError as error:
            payload.problems.append(f"Cannot attach the dropped data: URI: {error}")
        return
    try:
        uri = parse_file_uri(text)
    except AttachmentError as error:
        payload.problems.append(str(error))
        return
    if uri is not None:
        payload.uris.append(uri)


def data_uri_bytes(uri: str) -> bytes:
    """The payload of a ``data:…;base64,`` URI. Raises ValueError when it is not valid."""
    header, _, body = uri.partition(",")
    try:
        if header.endswith(";base64"):
            return base64.b64decode(body, validate=True)
        return unquote_to_bytes(body)
    except binascii.Error:
        raise ValueError("its base64 is invalid") from None


class DropOverlay(QWidget):
    """The highlight over the window while images are dragged over it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("dropOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.refusal: str | None = None
        self.hide()

    def show_over(self, refusal: str | None) -> None:
        """Cover the window, saying why a drop is refused when ``refusal`` is set."""
        self.refusal = refusal
        parent = self.parentWidget()
        assert parent is not None
        self.setGeometry(parent.rect())
        self.raise_()
        self.show()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Qt: a dashed frame in the accent colour (or a refusal in the error colour)."""
        palette = self.palette()
        accent = QColor(palette.color(QPalette.ColorRole.Highlight))
        if self.refusal is not None:
            dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
            accent = QColor(tokens(dark)["danger"])
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        veil = QColor(palette.color(QPalette.ColorRole.Window))
        veil.setAlphaF(0.82)
        painter.fillRect(self.rect(), veil)
        box = QRectF(self.rect()).adjusted(12, 12, -12, -12)
        tint = QColor(accent)
        tint.setAlphaF(0.08)
        pen = QPen(accent, 2, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(tint)
        painter.drawRoundedRect(box, 14, 14)
        title = "Drop files to attach"
        detail = (
            "Images, PDFs, text and code, audio or video, image data or a link"
            if self.refusal is None
            else f"{self.refusal}; PDFs, text and code can still be attached"
        )
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        middle = box.center().y()
        title_box = QRectF(box.left(), middle - 40, box.width(), 36)
        painter.drawText(title_box, Qt.AlignmentFlag.AlignCenter, title)
        painter.setFont(self.font())
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        detail_box = QRectF(box.left() + 24, middle + 2, box.width() - 48, 48)
        flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
        painter.drawText(detail_box, int(flags) | int(Qt.TextFlag.TextWordWrap), detail)
        painter.end()


class WindowImageDrop(QObject):
    """Makes ``window`` (and everything in it) a drop target for images.

    Drag events are caught on the window's QWindow before Qt picks a child widget,
    and on the window widget itself (where tests and some platforms deliver them).
    Text drags that carry no image are left to the widgets.

    Signals:
        payload_dropped(object payload): an FilePayload was dropped.
    """

    payload_dropped = Signal(object)

    def __init__(self, window: QWidget, refusal: Callable[[], str | None]) -> None:
        super().__init__(window)
        self._window = window
        self._refusal = refusal
        self._handle: QWindow | None = None
        self.overlay = DropOverlay(window)
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        self._watch_handle()

    def _watch_handle(self) -> None:
        handle = self._window.windowHandle()
        if handle is not None and handle is not self._handle:
            if self._handle is not None:
                self._handle.removeEventFilter(self)
            self._handle = handle
            handle.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Qt: follow drags and drops over the window and its native handle."""
        kind = event.type()
        if watched is self._window:
            if kind in (QEvent.Type.Show, QEvent.Type.WinIdChange):
                self._watch_handle()
            elif kind == QEvent.Type.Resize and self.overlay.isVisible():
                self.overlay.setGeometry(self._window.rect())
        if kind in _DRAG_EVENTS:
            return self._on_drag_event(event)
        return False

    def _on_drag_event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.DragLeave:
            shown = self.overlay.isVisible()
            self.overlay.hide()
            return shown
        assert isinstance(event, QDragMoveEvent | QDropEvent)
        mime = event.mimeData()
        if mime is None or not has_images(mime):
            return False
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        if kind == QEvent.Type.Drop:
            self.overlay.hide()
            self.payload_dropped.emit(payload_from_mime(mime))
        elif not self.overlay.isVisible():
            self.overlay.show_over(self._refusal())
        return True
