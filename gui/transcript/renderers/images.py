"""Images in a card: a model's generated images inline, the user's attachments as
thumbnails. Pictures are decoded off the UI thread (:class:`ImageDecoder`); until one
lands, a quiet box of the right size stands in, so nothing below it moves. Only bytes
the message holds are shown: an image by address (https://, gs://, a Files API URI)
is named, never fetched.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    QRect,
    QRectF,
    QSize,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter, QPen
from PySide6.QtWidgets import QApplication

from rill.core.types import Part
from rill.gui.common import thumbnail_for
from rill.gui.transcript.renderers.base import Block, Context, Hit, PartView

GAP_PX = 8
RADIUS_PX = 8
THUMB = QSize(120, 90)
MAX_HEIGHT_PX = 640  # a tall image is scaled down to this at most in the column


def header_size(data: bytes) -> QSize:
    """The image's size from its header only (no decoding); empty when unreadable."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    size = reader.size()
    if reader.transformation().value & 4:  # rotated a quarter turn by its EXIF
        size = size.transposed()
    return size if size.isValid() else QSize()


def decode(data: bytes, longest: int) -> QImage:
    """The image decoded (EXIF orientation applied), scaled to ``longest`` px at most."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > longest:
        reader.setScaledSize(size.scaled(longest, longest, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    return image


class ImageDecoder(QObject):
    """Decodes pictures on the thread pool; ``decoded`` comes back on the UI thread.

    One lives for the whole process (a worker's signal must never reach a deleted
    object); each result goes to the context that asked, while it lives.

    Signals:
        decoded(int request, QImage image): the picture for request number ``request``
            (null when the bytes were not a readable image).
    """

    decoded = Signal(int, QImage)
    _shared: ImageDecoder | None = None

    def __init__(self) -> None:
        super().__init__()
        self._waiting: dict[int, tuple[weakref.ref[Context], int]] = {}
        self._next = 0
        self.decoded.connect(self._on_decoded)

    @classmethod
    def shared(cls) -> ImageDecoder:
        """The process's decoder (made on first use, on the UI thread)."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def request(self, context: Context, block: Block) -> None:
        """Decode ``block``'s picture (an :class:`ImageBlock`) in the background."""
        assert isinstance(block, ImageBlock)
        self._next += 1
        number = self._next
        self._waiting[number] = (weakref.ref(context), block.block_id)
        data, longest, emit = block.data, block.decode_size(), self.decoded.emit
        QThreadPool.globalInstance().start(lambda: emit(number, decode(data, longest)))

    def _on_decoded(self, number: int, image: QImage) -> None:
        context_ref, block_id = self._waiting.pop(number, (None, 0))
        context = context_ref() if context_ref is not None else None
        block = context.lookup(block_id) if context is not None else None
        if context is not None and isinstance(block, ImageBlock):
            block.picture = image if not image.isNull() else None
            block.failed = image.isNull()
            context.changed()


class ImageBlock(Block):
    """One picture: a model's image at column width (at most its own), or a thumbnail."""

    def __init__(self, context: Context, part: Part, *, thumbnail: bool = False) -> None:
        super().__init__()
        self.context = context
        self.part = part
        self.data = thumbnail_for(part) or part.data or b"" if thumbnail else part.data or b""
        self.mime = part.mime_type or "image/png"
        self.thumbnail = thumbnail
        self.natural = header_size(self.data) if self.data else QSize()
        self.picture: QImage | None = None
        self.requested = False
        self.failed = not self.natural.isValid()
        self.block_id = context.register(self)
        self.shown = QSize()

    def decode_size(self) -> int:
        """The longest side worth decoding: what is shown, at twice the pixels."""
        if self.thumbnail:
            return 2 * max(THUMB.width(), THUMB.height())
        return max(256, 2 * max(self.shown.width(), self.shown.height()))

    def _shown_size(self, column: int) -> QSize:
        if not self.natural.isValid():
            return QSize(min(column, 240), 48)
        box = THUMB if self.thumbnail else QSize(column, MAX_HEIGHT_PX)
        if self.natural.width() <= box.width() and self.natural.height() <= box.height():
            return QSize(self.natural)
        return self.natural.scaled(box, Qt.AspectRatioMode.KeepAspectRatio)

    def estimate(self, column: int) -> int:
        """Exact from the header."""
        return self._shown_size(column).height() + 2 * GAP_PX

    def layout(self, column: int) -> int:
        """The picture's box in the column."""
        self.shown = self._shown_size(column)
        self.width = column
        self.height = self.shown.height() + 2 * GAP_PX
        self.laid_at, self.dirty = column, False
        return self.height

    def _rect(self) -> QRect:
        x = self.width - self.shown.width() if self.align_right else 0
        return QRect(x, GAP_PX, self.shown.width(), self.shown.height())

    def paint(self, painter: QPainter, clip: QRect) -> None:
        """The picture, or a box while it decodes (or a note when it cannot)."""
        del clip
        rect = self._rect()
        palette = self.context.palette
        if self.picture is None and not self.requested and not self.failed:
            self.requested = True
            self.context.decode(self)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self.picture is not None:
            painter.drawImage(QRectF(rect), self.picture)
        else:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(QPen(QColor(palette.rule), 1))
            painter.setBrush(QColor(palette.user_bubble))
            painter.drawRoundedRect(
                QRectF(rect).adjusted(0.5, 0.5, -0.5, -0.5), RADIUS_PX, RADIUS_PX
            )
            if self.failed:
                painter.setPen(QColor(palette.muted))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, "Image could not be shown")
        painter.restore()

    def hits(self) -> list[Hit]:
        """A click opens the image at full size."""
        if self.failed or self.thumbnail:
            return []
        return [Hit(f"rill:image/{self.block_id}", self._rect(), "Click to view at full size", "")]

    def menu_actions(self, pos: object) -> list[tuple[str, str]]:
        """Save as… and Copy image."""
        del pos
        if self.failed:
            return []
        return [
            ("Save image as…", f"rill:save-image/{self.block_id}"),
            ("Copy image", f"rill:copy-image/{self.block_id}"),
        ]

    def full_image(self) -> QImage:
        """The picture at its own size (decoded now, for the viewer and the clipboard)."""
        return decode(self.data, 1 << 15)

    def text(self) -> str:
        """What copying the card's text gives for the image."""
        return "[image]"


class ImageView(PartView):
    """A model's image part."""

    kind = "image"

    def __init__(self, context: Context, part: Part) -> None:
        super().__init__()
        self.part = part
        self.blocks = [ImageBlock(context, part)]


def copy_image(block: ImageBlock) -> None:
    """Put the picture on the clipboard."""
    QApplication.clipboard().setImage(block.full_image())
