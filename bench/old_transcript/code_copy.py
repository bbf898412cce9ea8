"""A code block's Copy link says "Copied ✓" for a moment after it was clicked.

The transcript is one document whose regions the chat view tracks by length, so the
label is swapped in place for text exactly as long: the header writes "Copy" and four
no-break spaces (see ``COPY_LABEL``), the confirmation is "Copied ✓" — eight characters
either way, and nothing after it moves. The link keeps its address, so it is found
again (and can be clicked again) while it confirms.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, QTimer
from PySide6.QtGui import QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextBrowser

PAD = "\u00a0" * 4
COPY_LABEL = "Copy"  # followed by PAD in the header (bench.old_transcript.live_markdown)
COPIED_LABEL = "Copied ✓"  # as long as COPY_LABEL + PAD
CONFIRM_MS = 1500


class CopyConfirmation(QObject):
    """Swaps a Copy link's label for "Copied ✓" and back after CONFIRM_MS."""

    def __init__(self, browser: QTextBrowser) -> None:
        super().__init__(browser)
        self._browser = browser
        # href → (where it is, the link's format, the padding's format, its timer); a
        # QTextCursor moves with the text when something above it is edited.
        self._shown: dict[str, tuple[QTextCursor, QTextCharFormat, QTextCharFormat, QTimer]] = {}

    def confirm(self, href: str) -> bool:
        """Show "Copied ✓" on the link ``href`` (on screen); False if it is not there."""
        found = self._find(href)
        if found is None:
            return False
        position, text = found
        if href in self._shown:
            self._shown[href][3].start()  # clicked again: the moment starts over
            return True
        if text != COPY_LABEL + PAD:
            return False  # a header from before PAD (or a different label): leave it
        cursor = QTextCursor(self._browser.document())
        cursor.setPosition(position + 1)
        link = cursor.charFormat()
        cursor.setPosition(position + len(COPY_LABEL) + 1)
        pad = cursor.charFormat()
        self._write(position, [(COPIED_LABEL, link)])
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(CONFIRM_MS)
        timer.timeout.connect(lambda: self._restore(href))
        timer.start()
        self._shown[href] = (cursor, link, pad, timer)
        cursor.setPosition(position)
        return True

    def showing(self, href: str) -> bool:
        """Whether the link ``href`` says "Copied ✓" now."""
        return href in self._shown

    @property
    def pending(self) -> bool:
        """Whether some link still waits to read Copy again."""
        return bool(self._shown)

    def _restore(self, href: str) -> None:
        cursor, link, pad, timer = self._shown.pop(href)
        timer.deleteLater()
        position = cursor.position()
        end = position + len(COPIED_LABEL)
        if end >= cursor.document().characterCount():
            return  # the chat was cleared or cut meanwhile: nothing of the label is left
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        # Re-rendered meanwhile (a theme switch, a streamed tail): it already says Copy.
        if cursor.selectedText() == COPIED_LABEL and _href_at(cursor, position) == href:
            self._write(position, [(COPY_LABEL, link), (PAD, pad)])

    def _write(self, position: int, pieces: list[tuple[str, QTextCharFormat]]) -> None:
        length = sum(len(text) for text, _ in pieces)
        cursor = QTextCursor(self._browser.document())
        cursor.beginEditBlock()
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        for text, char_format in pieces:
            cursor.insertText(text, char_format)
        cursor.endEditBlock()

    def _find(self, href: str) -> tuple[int, str] | None:
        """(position, the link's text and what follows, 8 characters) of link ``href``,
        searched on screen only: a click is on screen, and the document may be long."""
        document = self._browser.document()
        viewport = self._browser.viewport().rect()
        top = self._browser.cursorForPosition(QPoint(0, 0)).position()
        bottom = self._browser.cursorForPosition(viewport.bottomRight()).position()
        block, last = document.findBlock(top), document.findBlock(bottom)
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                if fragment.charFormat().anchorHref() == href:
                    start = fragment.position()
                    cursor = QTextCursor(document)
                    cursor.setPosition(start)
                    cursor.setPosition(
                        min(start + len(COPIED_LABEL), document.characterCount() - 1),
                        QTextCursor.MoveMode.KeepAnchor,
                    )
                    return start, cursor.selectedText()
                it += 1
            if block == last:
                break
            block = block.next()
        return None


def _href_at(cursor: QTextCursor, position: int) -> str:
    probe = QTextCursor(cursor.document())
    probe.setPosition(position + 1)  # the format of the character after ``position``
    return probe.charFormat().anchorHref()
