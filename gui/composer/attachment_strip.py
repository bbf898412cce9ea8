"""The row of tiles above the input: one per attached image, document, text, audio or video.

An image's tile is its thumbnail. A document's is wider: an icon (or a PDF's first
page), the name, what it is ("PDF · 1.2 MB · 12 pages") and how it will be sent
("as text, 12 pages"), or why it cannot be, in the error colour.


A tile appears the moment an image is attached (a placeholder with a spinner), shows
the thumbnail as soon as a worker thread made one, and a progress bar while the image
uploads. Tiles are painted here rather than styled, so a busy strip costs one small
paint per tile per animation frame. Click or Enter previews, × or Delete removes.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractButton, QFrame, QHBoxLayout, QScrollArea, QWidget

from rill.core.attachments.kinds import by_extension
from rill.core.file_parts import FileKind
from rill.gui.common import FILE_BADGES, FILE_LINK_BADGE, plain_tip, tokens
from rill.gui.composer.attachment_queue import QueuedFile, State

TILE_PX = 64
FILE_TILE_PX = 240  # a document's tile: its icon or first page, then three lines of text
ICON_PX = 44  # a document's icon (or first page) in its tile, centred in TILE_PX
ICON_LEFT = (TILE_PX - ICON_PX) // 2
TEXT_LEFT = ICON_LEFT + ICON_PX + 10
# A file's icon: a rounded square in its kind's colour with its extension in white
# (as chat apps show attachments); each colour holds white text at 4.5:1 or more.
BADGE_COLOURS = {kind: FILE_BADGES[kind.value] for kind in FileKind}
LINK_COLOUR = FILE_LINK_BADGE
REMOVE_PX = 20
SPACING_PX = 8
FRAME_MS = 50  # spinner animation: smooth enough, and cheap


def _dark(widget: QWidget) -> bool:
    return widget.palette().color(QPalette.ColorRole.Window).lightness() < 128


def refusal_colour(dark: bool) -> str:
    """The red of a tile's "cannot be sent" line. The dark theme's ``danger`` is a
    fill under white text: as text on a dark tile it reads at 3:1, so a lighter red
    (5.3:1 on the dark tile) stands in; the light theme's holds 5.6:1 on white."""
    return "#f47067" if dark else tokens(False)["danger"]


def cover(pixmap: QPixmap, side: int) -> QPixmap:
    """``pixmap`` scaled to fill a ``side``-pixel square, centre-cropped."""
    scaled = pixmap.scaled(
        side,
        side,
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )
    x = (scaled.width() - side) // 2
    y = (scaled.height() - side) // 2
    return scaled.copy(x, y, side, side)


class RemoveButton(QAbstractButton):
    """The round × in a tile's corner; reachable with Tab, shows its focus."""

    def __init__(self, name: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("tileRemove")
        self.setFixedSize(REMOVE_PX, REMOVE_PX)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setToolTip(plain_tip(f"Remove {name}"))
        self.setAccessibleName(f"Remove {name}")

    def sizeHint(self) -> QSize:
        """Qt: the button's fixed size."""
        return QSize(REMOVE_PX, REMOVE_PX)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Qt: a dark disc with a white ×."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        disc = QColor(0, 0, 0, 200 if self.underMouse() or self.isDown() else 150)
        ring = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(disc)
        painter.drawEllipse(ring)
        if self.hasFocus():
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(ring)
        painter.setPen(QPen(QColor("white"), 1.6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        c, r = QPointF(ring.center()), 3.6
        painter.drawLine(c + QPointF(-r, -r), c + QPointF(r, r))
        painter.drawLine(c + QPointF(-r, r), c + QPointF(r, -r))
        painter.end()


class AttachmentTile(QWidget):
    """One attachment: thumbnail (or placeholder), spinner or progress, and ×.

    Signals:
        preview_requested(object item): clicked, or Enter/Space with focus.
        remove_requested(object item): × clicked, or Delete/Backspace with focus.
    """

    preview_requested = Signal(object)
    remove_requested = Signal(object)

    def __init__(self, item: QueuedFile, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.phase = 0
        self._pixmap: QPixmap | None = None
        self._thumb_source: bytes | None = None
        self.setObjectName("attachmentTile")
        self.setFixedSize(TILE_PX, TILE_PX)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.remove_button = RemoveButton(item.name, self)
        self.remove_button.move(TILE_PX - REMOVE_PX - 3, 3)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.refresh()

    @property
    def has_thumbnail(self) -> bool:
        """Whether the tile shows a thumbnail yet."""
        return self._pixmap is not None

    def refresh(self) -> None:
        """Follow the item: new thumbnail, state or progress."""
        item = self.item
        if item.thumbnail is not None and item.thumbnail is not self._thumb_source:
            self._thumb_source = item.thumbnail
            pixmap = QPixmap()
            if pixmap.loadFromData(item.thumbnail):
                dpr = self.devicePixelRatioF()
                side = round(ICON_PX * dpr)
                self._pixmap = (
                    pixmap.scaled(
                        side,
                        side,
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                    if item.is_file
                    else cover(pixmap, round(TILE_PX * dpr))
                )
                self._pixmap.setDevicePixelRatio(dpr)
        busy = " (preparing)" if item.state is State.PREPARING else ""
        if item.progress is not None:
            busy = f" (uploading, {item.progress:.0%})"
        width = FILE_TILE_PX if item.is_file else TILE_PX
        if self.width() != width:
            self.setFixedSize(width, TILE_PX)
            self.remove_button.move(width - REMOVE_PX - 3, 3)
        what = "Link" if item.uri is not None else "File" if item.is_file else "Image"
        lines = self.text_lines()
        said = f", {lines[1]}, {lines[2]}" if item.is_file and len(lines) == 3 else ""
        self.setToolTip(plain_tip(item.describe() + ("" if item.is_file else "\nClick to preview")))
        self.setAccessibleName(f"{what} {item.name}{busy}{said}")
        self.setAccessibleDescription(item.describe() + ". Enter previews, Delete removes.")
        self.update()

    # ------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        """Qt: the thumbnail in a rounded frame, with progress and focus."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        box = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        path = QPainterPath()
        path.addRoundedRect(box, 8, 8)
        palette = self.palette()
        painter.fillPath(path, palette.color(QPalette.ColorRole.Button))
        if self.item.is_file:
            self._paint_text(painter)
            box = QRectF(ICON_LEFT, ICON_LEFT, ICON_PX, ICON_PX)
            path = QPainterPath()
            path.addRoundedRect(box, 6, 6)
        painter.save()
        painter.setClipPath(path)
        if self._pixmap is not None and self.item.is_file:
            painter.restore()  # a page has square corners and its own edge
            self._paint_page(painter, box)
            painter.save()
        elif self._pixmap is not None:
            painter.drawPixmap(0, 0, self._pixmap)
        elif self.item.is_file and self.item.state is not State.PREPARING:
            self._paint_badge(painter, box)
        elif self.item.state is not State.PREPARING:  # a spinner says enough meanwhile
            self._paint_placeholder(painter, box)
        if self.item.state is State.PREPARING:
            self._paint_spinner(painter, box)
        if self.item.progress is not None:
            self._paint_progress(painter, box, self.item.progress)
        painter.restore()
        focus = self.hasFocus()
        colour = palette.color(QPalette.ColorRole.Highlight if focus else QPalette.ColorRole.Mid)
        painter.setPen(QPen(colour, 2 if focus else 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(1, 1, -1, -1), 8, 8)
        painter.end()

    def text_lines(self) -> list[str]:
        """A document tile's lines: name, facts, how it will be sent (or why not)."""
        # A tile means a file: the documents module has loaded by then (not at the
        # window's first paint, issue 14, item 7).
        from rill.core.attachments import PreparedFile

        item = self.item
        prepared = item.prepared
        if item.uri is not None:
            facts = item.uri.facts()
        elif isinstance(prepared, PreparedFile):
            facts = prepared.facts()
        else:
            return [item.name, "preparing…" if item.state is State.PREPARING else ""]
        how = item.delivery  # a refusal in a few words; the tooltip has all of it
        note = "" if how is None else (f"✕ {how.note}" if how.refusal else how.note)
        return [item.name, facts, note]

    def _paint_text(self, painter: QPainter) -> None:
        palette = self.palette()
        lines = self.text_lines()
        left = TEXT_LEFT
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        colours = [
            palette.color(QPalette.ColorRole.WindowText),
            palette.color(QPalette.ColorRole.PlaceholderText),
            QColor(refusal_colour(_dark(self)))
            if self.item.delivery is not None and self.item.delivery.refusal
            else palette.color(QPalette.ColorRole.PlaceholderText),
        ]
        for index, text in enumerate(lines):
            font.setBold(index == 0)
            painter.setFont(font)
            metrics = QFontMetrics(font)
            painter.setPen(colours[index])
            # The name keeps its extension; the lines below the × run to the edge.
            width = self.width() - left - (REMOVE_PX + 6 if index == 0 else 8)
            mode = Qt.TextElideMode.ElideMiddle if index == 0 else Qt.TextElideMode.ElideRight
            shown = metrics.elidedText(text, mode, width)
            top = 6 + index * (metrics.height() + 2)
            painter.drawText(QRectF(left, top, width, metrics.height()), shown)

    def _paint_page(self, painter: QPainter, box: QRectF) -> None:
        """A PDF's first page, whole, on white with a hairline edge, and a red "PDF"
        band along its foot: at this size the page alone reads as a blank square."""
        assert self._pixmap is not None
        size = self._pixmap.deviceIndependentSize()
        page = QRectF(0, 0, size.width(), size.height())
        page.moveCenter(box.center())
        painter.fillRect(page, QColor("white"))
        painter.drawPixmap(page.topLeft(), self._pixmap)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(page.adjusted(0.5, 0.5, -0.5, -0.5))
        band = QRectF(page.left(), page.bottom() - 13, page.width(), 13)
        painter.fillRect(band, QColor(BADGE_COLOURS[FileKind.PDF]))
        self._paint_label(painter, band, "PDF", 0.7)

    def _paint_badge(self, painter: QPainter, box: QRectF) -> None:
        """A rounded square in the file's kind's colour, its extension in white."""
        item = self.item
        kind = self._kind()
        colour = LINK_COLOUR if item.uri is not None else BADGE_COLOURS[kind]
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(box, 6, 6)
        if item.uri is not None:
            label = "LINK"
        else:
            suffix = item.name.rsplit(".", 1)[-1] if "." in item.name else kind.value
            label = suffix[:4].upper()
        self._paint_label(painter, box, label, 0.75)

    def _kind(self) -> FileKind:
        from rill.core.attachments import PreparedFile

        item = self.item
        if isinstance(item.prepared, PreparedFile):
            return item.prepared.kind
        if item.uri is not None:
            return item.uri.kind or FileKind.OTHER
        known = by_extension(item.name)
        return known.kind if known is not None else FileKind.OTHER

    def _paint_label(self, painter: QPainter, box: QRectF, text: str, scale: float) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() * scale))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_placeholder(self, painter: QPainter, box: QRectF) -> None:
        item = self.item
        if item.uri is not None:
            label = "LINK"
        else:
            suffix = item.name.rsplit(".", 1)[-1] if "." in item.name else "IMG"
            label = suffix[:4].upper()
        font = painter.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.8))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, label)

    def _paint_spinner(self, painter: QPainter, box: QRectF) -> None:
        veil = QColor(0, 0, 0, 70 if self._pixmap is not None else 0)
        painter.fillRect(box, veil)
        ring = QRectF(0, 0, 22, 22)
        ring.moveCenter(box.center())
        accent = QColor("white") if self._pixmap is not None else self._accent()
        track = QColor(accent)
        track.setAlpha(60)
        painter.setPen(QPen(track, 3))
        painter.drawEllipse(ring)
        painter.setPen(QPen(accent, 3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawArc(ring, -self.phase * 30 * 16, 100 * 16)

    def _paint_progress(self, painter: QPainter, box: QRectF, fraction: float) -> None:
        bar = QRectF(box.left() + 6, box.bottom() - 10, box.width() - 12, 5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 110))
        painter.drawRoundedRect(bar, 2.5, 2.5)
        done = QRectF(bar)
        done.setWidth(max(bar.height(), bar.width() * fraction))
        painter.setBrush(QColor("white"))
        painter.drawRoundedRect(done, 2.5, 2.5)

    def _accent(self) -> QColor:
        return self.palette().color(QPalette.ColorRole.Highlight)

    # ------------------------------------------------------------ input

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Qt: a click opens the preview."""
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(
            event.position().toPoint()
        ):
            self.preview_requested.emit(self.item)
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Qt: Enter or Space previews, Delete or Backspace removes."""
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.preview_requested.emit(self.item)
        elif key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.remove_requested.emit(self.item)
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Qt: repaint for the focus ring."""
        super().focusInEvent(event)
        self.update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        """Qt: repaint without the focus ring."""
        super().focusOutEvent(event)
        self.update()

    def _on_remove_clicked(self) -> None:
        self.remove_requested.emit(self.item)


class AttachmentStrip(QScrollArea):
    """Scrolls its tiles sideways; hidden while empty.

    Signals:
        preview_requested(object item), remove_requested(object item): from a tile.
    """

    preview_requested = Signal(object)
    remove_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachmentStrip")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self._inner = QWidget(self)
        self._inner.setObjectName("attachmentStripInner")
        self._row = QHBoxLayout(self._inner)
        self._row.setContentsMargins(0, 2, 0, 2)
        self._row.setSpacing(SPACING_PX)
        self._row.addStretch(1)
        self.setWidget(self._inner)
        self._tiles: dict[int, AttachmentTile] = {}
        self._animation = QTimer(self)
        self._animation.setInterval(FRAME_MS)
        self._animation.timeout.connect(self._on_animation_timeout)
        self._fit_height()
        self.hide()

    @property
    def tiles(self) -> list[AttachmentTile]:
        """The tiles in queue order."""
        return [self._tiles[k] for k in sorted(self._tiles)]

    def tile(self, item: QueuedFile) -> AttachmentTile | None:
        """The tile of ``item`` (None when it has none)."""
        return self._tiles.get(item.id)

    def add_item(self, item: QueuedFile) -> None:
        """Add a tile for ``item``."""
        tile = AttachmentTile(item, self._inner)
        tile.preview_requested.connect(self.preview_requested)
        tile.remove_requested.connect(self.remove_requested)
        self._tiles[item.id] = tile
        self._row.insertWidget(self._row.count() - 1, tile)
        self.show()
        self._sync()

    def update_item(self, item: QueuedFile) -> None:
        """Refresh the tile of ``item``."""
        tile = self._tiles.get(item.id)
        if tile is not None:
            tile.refresh()
            self._sync()

    def remove_item(self, item: QueuedFile) -> None:
        """Remove the tile of ``item``, keeping the keyboard in the strip."""
        tile = self._tiles.pop(item.id, None)
        if tile is None:
            return
        refocus = tile.isAncestorOf(self.focusWidget()) or tile.hasFocus()
        self._row.removeWidget(tile)
        tile.hide()
        tile.deleteLater()
        if refocus and self._tiles:
            self.tiles[-1].setFocus(Qt.FocusReason.OtherFocusReason)
        self.setVisible(bool(self._tiles))
        self._sync()

    def _sync(self) -> None:
        busy = any(tile.item.busy for tile in self._tiles.values())
        if busy and not self._animation.isActive():
            self._animation.start()
        elif not busy:
            self._animation.stop()
        self._fit_height()

    def _fit_height(self) -> None:
        """Room for the tiles, plus the scroll bar only when they overflow."""
        count = len(self._tiles)
        wanted = sum(t.width() for t in self._tiles.values()) + max(0, count - 1) * SPACING_PX
        # No tiles, no question (viewport() made PySide resolve ~50 lazy Qt types the
        # first time it was asked, before the window's first paint).
        overflow = count > 0 and wanted > self.viewport().width()
        bar = self.horizontalScrollBar().sizeHint().height() if overflow else 0
        self.setFixedHeight(TILE_PX + 4 + bar)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Qt: fit the strip's height to the new width."""
        super().resizeEvent(event)
        self._fit_height()

    def _on_animation_timeout(self) -> None:
        for tile in self._tiles.values():
            if tile.item.state is State.PREPARING:
                tile.phase += 1
                tile.update()
