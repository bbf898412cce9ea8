"""Taking the reader to one message of a transcript: scroll it into view, flash it.

A search hit may point at a message thousands of turns up that is not in the document
yet (history renders newest first, in slices). The target is remembered, the chat
view keeps rendering older messages until it is in, and only then does the view move:
the reader never lands on a half-built page.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextEdit

from bench.old_transcript.browser import TranscriptBrowser
from bench.old_transcript.entries import Transcript

HIGHLIGHT_MS = 1600
TOP_MARGIN_PX = 12


class Revealer(QObject):
    """Scrolls a transcript's browser to an entry and highlights it briefly."""

    def __init__(self, browser: TranscriptBrowser, transcript: Transcript) -> None:
        super().__init__(browser)
        self._browser = browser
        self._transcript = transcript
        self.target: int | None = None  # an entry index waiting to be rendered
        self._fade = QTimer(self)
        self._fade.setSingleShot(True)
        self._fade.setInterval(HIGHLIGHT_MS)
        self._fade.timeout.connect(self.clear_highlight)

    @property
    def pending(self) -> bool:
        """Whether a target is waiting for older history to be rendered."""
        return self.target is not None

    def request(self, index: int) -> bool:
        """Go to entry ``index`` now if it is rendered, else as soon as it is.

        Returns True when the view moved at once.
        """
        if not 0 <= index < len(self._transcript.entries):
            self.target = None
            return False
        self.target = index
        return self.poll()

    def poll(self) -> bool:
        """Move to the target if it has been rendered meanwhile; True when it did."""
        index = self.target
        if index is None or not self._transcript.is_rendered(index):
            return False
        self.target = None
        entry = self._transcript.entries[index]
        start = self._first_text(entry.start, entry.end)
        cursor = QTextCursor(self._browser.document())
        cursor.setPosition(start)
        self._browser.scroll_to_position(start, TOP_MARGIN_PX)
        table = cursor.currentTable()
        if table is not None:  # a user turn's box: its cell, not the frame around it
            cell = table.cellAt(cursor)
            cursor.setPosition(cell.firstCursorPosition().position())
            cursor.setPosition(
                cell.lastCursorPosition().position(), QTextCursor.MoveMode.KeepAnchor
            )
        else:
            cursor.setPosition(entry.end, QTextCursor.MoveMode.KeepAnchor)
        self._highlight(cursor)
        return True

    def _first_text(self, start: int, end: int) -> int:
        """Where the first visible text of a region is: a region opens with its block
        separator and, for a user turn, the empty block before its box."""
        block = self._browser.document().findBlock(start)
        while block.isValid() and block.position() < end:
            if block.length() > 1:
                return max(start, block.position())
            block = block.next()
        return start

    def cancel(self) -> None:
        """Stop going to a message, and drop its highlight."""
        self.target = None
        self.clear_highlight()

    def _highlight(self, cursor: QTextCursor) -> None:
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        fmt = QTextCharFormat()
        colour = QColor(self._transcript.palette.link)
        colour.setAlpha(56)
        fmt.setBackground(colour)
        selection.format = fmt
        self._browser.setExtraSelections([selection])
        self._fade.start()

    def clear_highlight(self) -> None:
        """Drop the highlight of the message gone to."""
        self._fade.stop()
        if self._browser.extraSelections():
            self._browser.setExtraSelections([])
