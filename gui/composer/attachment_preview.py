"""A non-modal window showing one attachment as large as fits, before it is sent.

It opens at once with the thumbnail blown up, then swaps in the image decoded to the
screen's size on a worker thread (the queue does that; this widget never awaits).
Esc or the window's close button closes it; the composer stays usable meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QRect, QSize, Qt
from PySide6.QtGui import (
    QGuiApplication,
    QImage,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QWidget

from rill.core.attachments import PreparedImage
from rill.gui.common import plain_tip
from rill.gui.composer.attachment_queue import QueuedFile

MARGIN_PX = 12
MAX_DECODE_SIDE = 2560


def preview_side(widget: QWidget) -> int:
    """The longest side worth decoding for a preview on ``widget``'s screen."""
    screen = widget.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return 1600
    size = screen.availableSize() * screen.devicePixelRatio()
    return min(MAX_DECODE_SIDE, max(size.width(), size.height()))


class ImagePreview(QWidget):
    """One image, scaled to fit the window, on the window's own background."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("imagePreview")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.item: QueuedFile | None = None
        self._source = QPixmap()
        self._scaled = QPixmap()
        self._sharp = False  # the decoded image, not the thumbnail
        self.setMinimumSize(240, 180)

    @property
    def sharp(self) -> bool:
        """Whether the full image (not just its thumbnail) is shown."""
        return self._sharp

    @property
    def source_size(self) -> QSize:
        """Pixel size of the image shown."""
        return self._source.size()

    def show_item(self, item: QueuedFile) -> None:
        """Show ``item`` now (its thumbnail until :meth:`set_image` brings the real one)."""
        self.item = item
        self._sharp = False
        self._source = QPixmap()
        if item.thumbnail is not None:
            self._source.loadFromData(item.thumbnail)
        self.setWindowTitle(f"{item.name} — Rill")
        self.setToolTip(plain_tip(item.describe()))
        self.setAccessibleName(f"Preview of {item.name}")
        self._rescale()
        if not self.isVisible():
            self.resize(self._initial_size(item))
            owner = self.parentWidget()
            if owner is not None:  # centred over the main window, where the eye is
                frame = self.frameGeometry()
                frame.moveCenter(owner.window().frameGeometry().center())
                self.move(frame.topLeft())
            self.show()
        self.raise_()
        self.activateWindow()

    def set_image(self, item: object, image: QImage) -> None:
        """The decoded image for ``item`` (ignored if another item is shown by now)."""
        if item is not self.item or image.isNull():
            return
        self._source = QPixmap.fromImage(image)
        self._sharp = True
        self._rescale()

    def _initial_size(self, item: QueuedFile) -> QSize:
        """The image at 1:1 when it fits in 80% of the screen, else scaled to fit it."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        limit = screen.availableSize() * 0.8 if screen is not None else QSize(1024, 768)
        prepared = item.prepared
        natural = QSize(800, 600)
        if isinstance(prepared, PreparedImage) and prepared.width and prepared.height:
            natural = QSize(prepared.width, prepared.height)
        if natural.width() > limit.width() or natural.height() > limit.height():
            natural = natural.scaled(limit, Qt.AspectRatioMode.KeepAspectRatio)
        return natural.grownBy(QMargins(MARGIN_PX, MARGIN_PX, MARGIN_PX, MARGIN_PX)).expandedTo(
            self.minimumSize()
        )

    def _rescale(self) -> None:
        """Fit the image to the window; the decoded image is never enlarged past 1:1."""
        if self._source.isNull():
            self._scaled = QPixmap()
            self.update()
            return
        dpr = self.devicePixelRatioF()
        room = self.rect().adjusted(MARGIN_PX, MARGIN_PX, -MARGIN_PX, -MARGIN_PX).size() * dpr
        target = self._source.size().scaled(room, Qt.AspectRatioMode.KeepAspectRatio)
        if self._sharp and target.width() > self._source.width():
            target = self._source.size()
        self._scaled = self._source.scaled(
            target, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self._scaled.setDevicePixelRatio(dpr)
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Qt: rescale the image to the new size."""
        super().resizeEvent(event)
        self._rescale()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Qt: the image centred on the window colour, or "No preview"."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        if self._scaled.isNull():
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No preview")
        else:
            size = self._scaled.deviceIndependentSize().toSize()
            box = QRect(0, 0, size.width(), size.height())
            box.moveCenter(self.rect().center())
            painter.drawPixmap(box.topLeft(), self._scaled)
        painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Qt: Esc closes the preview."""
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)
