"""The read-only text widget under the chat pane: link policy, no fetching, auto-scroll.

Nothing in a model's output may make the app fetch anything: ``loadResource`` answers
only for images the view itself registered, so a hostile ``<img src="http://…">`` or
``file:`` reference resolves to nothing. Links never open by themselves; a click is
reported and the chat view decides.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QImage, QPaintEvent, QTextDocument
from PySide6.QtWidgets import QFrame, QTextBrowser, QTextEdit, QWidget

# How close to the bottom (in pixels) still counts as "at the bottom": a wheel notch
# or a fractional layout size must not turn following off.
BOTTOM_SLACK_PX = 8


class TranscriptBrowser(QTextBrowser):
    """A QTextBrowser that never loads a resource and follows the end while at the bottom.

    Signals:
        viewport_painted(): the viewport finished a paint (the benchmark's "painted" mark).
    """

    viewport_painted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self._following = True
        self._scrolling = False  # set while we move the scroll bar ourselves
        bar = self.verticalScrollBar()
        bar.rangeChanged.connect(self._on_scroll_range_changed)
        bar.valueChanged.connect(self._on_scroll_value_changed)

    # ------------------------------------------------------------ no fetching

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        """Refuse every resource: images the view registered come from the document's cache.

        The answer must be an *empty value*, not "nothing": when this returns null,
        QTextDocument falls back to reading ``file:``/relative URLs from disk and to
        decoding ``data:`` URLs itself. An empty image (or empty text) is cached for the
        name and paints nothing, so a model's ``<img src=…>`` costs no I/O at all.
        """
        del name
        if type == QTextDocument.ResourceType.ImageResource.value:
            return QImage()
        return ""

    # ------------------------------------------------------------ following

    @property
    def following(self) -> bool:
        """Whether new content scrolls the view (the user is at the bottom)."""
        return self._following

    def scroll_to_bottom(self) -> None:
        """Jump to the end and follow the stream again."""
        self._following = True
        self._move_to_bottom()

    def _move_to_bottom(self) -> None:
        bar = self.verticalScrollBar()
        self._scrolling = True
        try:
            bar.setValue(bar.maximum())
        finally:
            self._scrolling = False

    def _on_scroll_range_changed(self, _minimum: int, _maximum: int) -> None:
        if self._following:
            self._move_to_bottom()

    def _on_scroll_value_changed(self, value: int) -> None:
        if self._scrolling:
            return
        # Only the user moves the bar here (wheel, drag, keys): follow exactly when
        # they left it at the bottom.
        self._following = value >= self.verticalScrollBar().maximum() - BOTTOM_SLACK_PX

    # ------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint, then announce it (the "last character painted" measurement hooks here)."""
        super().paintEvent(event)
        self.viewport_painted.emit()
