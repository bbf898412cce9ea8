"""The read-only text widget under the chat pane: link policy, no fetching, auto-scroll.

Nothing in a model's output may make the app fetch anything: ``loadResource`` answers
only for images the view itself registered, so a hostile ``<img src="http://…">`` or
``file:`` reference resolves to nothing. Links never open by themselves; a click is
reported and the chat view decides, told the link's text too (:meth:`activated_link_text`);
hovering a link shows its real target as a tooltip.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, QRect, QRectF, Qt, QUrl, Signal
from PySide6.QtGui import (
    QFocusEvent,
    QHelpEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QFrame, QTextBrowser, QTextEdit, QToolTip, QWidget

from bench.old_transcript.message_html import SOFT_BREAK
from rill.gui.common import plain_tip
from rill.gui.transcript.link_guard import hover_text
from rill.gui.transcript.math import DocumentMath

# How close to the bottom (in pixels) still counts as "at the bottom": a wheel notch
# or a fractional layout size must not turn following off.
BOTTOM_SLACK_PX = 8
LINK_RING_PX = 2  # the focused link's ring, in the link colour (≥ 3:1 in both themes)


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
        # False while newer messages are out of the document (see ``window``):
        # the bottom of the view is then not the end of the chat, nothing to follow.
        self.bottom_is_end = True
        self._scrolling = False  # set while we move the scroll bar ourselves
        self._anchor: QTextCursor | None = None  # see keep_in_place
        self._anchor_y = 0
        self._released_at: QPoint | None = None  # where the last click ended (viewport)
        # The images of the document's formulas.
        self.math = DocumentMath(self.document(), self.devicePixelRatioF, self)
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
        Formulas (``rill-math:`` names, written by the Markdown renderer) are drawn
        here, never fetched: see ``rill.gui.transcript.math``.
        """
        if type == QTextDocument.ResourceType.ImageResource.value:
            text = name.toString() if isinstance(name, QUrl) else name
            return self.math.image(text) if text.startswith("rill-math:") else QImage()
        return ""

    def createMimeDataFromSelection(self) -> QMimeData:
        """Copy a selection as plain text and HTML, less the invisible break
        opportunities the view put into long unbroken runs (``soft_breaks``), and with
        each formula as its TeX source."""
        data = super().createMimeDataFromSelection()
        with_tex = self.math.selection_text(self.textCursor())
        if with_tex is not None:
            data = QMimeData()
            data.setText(with_tex[0])
            data.setHtml(with_tex[1])
        if data.hasText() and SOFT_BREAK in data.text():
            clean = QMimeData()
            clean.setText(data.text().replace(SOFT_BREAK, ""))
            if data.hasHtml():
                clean.setHtml(data.html().replace(SOFT_BREAK, ""))
            return clean
        return data

    # ------------------------------------------------------------ links

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        """Remember where a click ended: a link it activates is the one there."""
        self._released_at = event.position().toPoint()
        try:
            super().mouseReleaseEvent(event)
        finally:
            self._released_at = None

    def activated_link_text(self, url: QUrl) -> str:
        """The text of the link to ``url`` being activated: the one under the click, or
        the one the keyboard selected; failing both, every link's to ``url`` joined (so a
        deceptive one among them still shows)."""
        href = url.toString()
        if self._released_at is not None:
            found = self._link_text_at(self.cursorForPosition(self._released_at).position(), href)
            if found is not None:
                return found
        cursor = self.textCursor()
        if cursor.hasSelection():
            found = self._link_text_at(cursor.selectionStart(), href)
            if found is not None:
                return found
        return " ".join(self._all_link_texts(href))

    def _link_text_at(self, position: int, href: str) -> str | None:
        """The text of the run of fragments linking to ``href`` that touches ``position``."""
        block = self.document().findBlock(position)
        run: list[str] = []
        hit = False
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            if fmt.isAnchor() and fmt.anchorHref() == href:
                run.append(fragment.text())
                start = fragment.position()
                hit = hit or start <= position <= start + fragment.length()
            elif hit:
                break
            else:
                run = []
            it += 1
        return "".join(run).replace(SOFT_BREAK, "") if hit else None

    def _all_link_texts(self, href: str) -> list[str]:
        texts: list[str] = []
        block = self.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fmt = it.fragment().charFormat()
                if fmt.isAnchor() and fmt.anchorHref() == href:
                    texts.append(it.fragment().text().replace(SOFT_BREAK, ""))
                it += 1
            block = block.next()
        return texts

    def viewportEvent(self, event: QEvent) -> bool:
        """A link's tooltip is its real target (Qt shows none for a link by itself);
        leaving the view ends a link's hover (Qt reports that only for moves inside)."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            target = hover_text(QUrl(self.anchorAt(event.pos())))
            if target:
                QToolTip.showText(event.globalPos(), plain_tip(target), self.viewport())
                return True
        handled = super().viewportEvent(event)
        if event.type() == QEvent.Type.Leave:
            # A move nowhere near a link: Qt clears its hovered link and says so.
            nowhere = QPointF(-1.0, -1.0)
            move = QMouseEvent(
                QEvent.Type.MouseMove,
                nowhere,
                self.viewport().mapToGlobal(nowhere),
                Qt.MouseButton.NoButton,
                Qt.MouseButton.NoButton,
                Qt.KeyboardModifier.NoModifier,
            )
            super().viewportEvent(move)
        return handled

    # ------------------------------------------------------------ following

    @property
    def following(self) -> bool:
        """Whether new content scrolls the view (the user is at the bottom)."""
        return self._following

    def scroll_to_bottom(self) -> None:
        """Jump to the end and follow the stream again."""
        self._following = True
        self._anchor = None
        self._move_to_bottom()

    def scroll_to_position(self, position: int, margin: int = 0) -> None:
        """Put document ``position`` near the top of the view and stop following the end.

        The place is then pinned like a reader's own (see :meth:`keep_in_place`), so
        history still arriving above does not move it.
        """
        self._following = False
        self._anchor = None
        cursor = QTextCursor(self.document())
        cursor.setPosition(position)
        bar = self.verticalScrollBar()
        self._scrolling = True
        try:
            bar.setValue(bar.value() + self.cursorRect(cursor).top() - margin)
        finally:
            self._scrolling = False
        bottom = bar.value() >= bar.maximum() - BOTTOM_SLACK_PX
        self._following = bottom and self.bottom_is_end

    def near_top(self) -> bool:
        """Whether the reader is within two screens of the top of what is rendered."""
        return self.verticalScrollBar().value() < 2 * self.viewport().height()

    def near_bottom(self) -> bool:
        """Whether the reader is within two screens of the bottom of what is rendered."""
        bar = self.verticalScrollBar()
        return bar.value() > bar.maximum() - 2 * self.viewport().height()

    def keep_in_place(self, below: int | None = None) -> None:
        """Pin what the reader sees: content arriving above must not move it.

        Some text is remembered with a QTextCursor (which the document moves along with
        its text) and brought back to the same height after every layout change, until
        the user scrolls or follows the end again. ``below``: a position that all the
        coming insertions are above (what is shown of a history loading newest first);
        everything after it moves by the same amount, so it serves as well as the text
        at the top of the view, and costs no hit test through a long document.
        """
        if self._following or self._anchor is not None:
            return
        if below is None:
            self._anchor = self.cursorForPosition(QPoint(0, 0))
        else:
            self._anchor = QTextCursor(self.document())
            self._anchor.setPosition(below)
        self._anchor_y = self.cursorRect(self._anchor).top()

    def restore_place(self) -> None:
        """Scroll so the pinned text is back where the reader left it."""
        if self._anchor is None:
            return
        drift = self.cursorRect(self._anchor).top() - self._anchor_y
        if drift:
            bar = self.verticalScrollBar()
            self._scrolling = True
            try:
                bar.setValue(bar.value() + drift)
            finally:
                self._scrolling = False

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
        else:
            self.restore_place()

    def _on_scroll_value_changed(self, value: int) -> None:
        if self._scrolling:
            return
        # Only the user moves the bar here (wheel, drag, keys): follow exactly when
        # they left it at the bottom; their new place is theirs, not a pinned one.
        self._anchor = None
        bottom = value >= self.verticalScrollBar().maximum() - BOTTOM_SLACK_PX
        self._following = bottom and self.bottom_is_end

    # ------------------------------------------------------------ painting

    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint, then announce it (the "last character painted" measurement hooks here)."""
        super().paintEvent(event)
        self._paint_link_focus()
        self.viewport_painted.emit()

    def focused_link_rects(self) -> list[QRect]:
        """Where the link that has the keyboard (Tab moves through the links) is drawn,
        one rectangle per line it spans; [] when no link has it."""
        cursor = self.textCursor()
        if not self.hasFocus() or not cursor.hasSelection():
            return []
        start, end = cursor.selectionStart(), cursor.selectionEnd()
        probe = QTextCursor(self.document())
        probe.setPosition(start + 1)
        if not probe.charFormat().isAnchor():
            return []  # a selection made with the mouse, not a link
        probe.setPosition(start)
        first = self.cursorRect(probe)
        probe.setPosition(end)
        last = self.cursorRect(probe)
        if first.top() == last.top():
            return [QRect(first.topLeft(), last.bottomRight())]
        right = self.viewport().width() - 1  # a link wrapped onto a second line
        return [
            QRect(first.topLeft(), QPoint(right, first.bottom())),
            QRect(QPoint(0, last.top()), last.bottomRight()),
        ]

    def focusNextPrevChild(self, next: bool) -> bool:
        """Qt: Tab moves between links; repaint their focus ring."""
        moved = super().focusNextPrevChild(next)
        self.viewport().update()  # the ring reaches past the area Qt repaints
        return moved

    def focusInEvent(self, event: QFocusEvent) -> None:
        """Qt: repaint for the link focus ring."""
        super().focusInEvent(event)
        self.viewport().update()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        """Qt: repaint without the link focus ring."""
        super().focusOutEvent(event)
        self.viewport().update()

    def _paint_link_focus(self) -> None:
        """A clear ring around the focused link: Qt's own is a faint dotted box."""
        rects = self.focused_link_rects()
        if not rects:
            return
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Link), LINK_RING_PX))
        for rect in rects:
            painter.drawRoundedRect(QRectF(rect).adjusted(-3, -1, 3, 1), 3, 3)
        painter.end()
