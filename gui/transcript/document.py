"""The transcript as one QTextDocument edited in regions, never rebuilt per chunk.

A *region* is a run of whole blocks that begins with its own block separator and
ends just before the next region's separator (or at the end of the document). Such a
run can be removed or replaced without touching a neighbour's text or formats, and
inserting one costs only its own size: layout of a QTextDocument is incremental from
the first changed position, so editing the last region is cheap however long the
document above it has grown.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QTextBlockFormat, QTextCursor, QTextDocument, QTextDocumentFragment

# An empty paragraph Qt's importer keeps (it drops a plain "<p></p>"): its own toHtml()
# writes empty paragraphs this way.
_EMPTY_FIRST_BLOCK = '<p style="-qt-paragraph-type:empty; margin:0px;"><br /></p>'


def html_fragment(html: str, document: QTextDocument | None = None) -> QTextDocumentFragment:
    """Parse ``html`` into a fragment that keeps every block's format when inserted.

    Inserting a fragment merges its first block into the block at the insertion point,
    which drops that first block's format (a heading would become a paragraph). So an
    empty paragraph goes first: inserted at the end of a block, it merges away, and
    every real block arrives behind a separator that carries its own format. Parsed
    for ``document``, the fragment takes that document's default style sheet (a
    ``<style>`` element in the fragment would keep the empty paragraph as a line).
    """
    if document is None:
        return QTextDocumentFragment.fromHtml(_EMPTY_FIRST_BLOCK + html)
    return QTextDocumentFragment.fromHtml(_EMPTY_FIRST_BLOCK + html, document)


class TranscriptDocument:
    """Region edits on a QTextDocument: insert, replace and remove runs of whole blocks.

    Positions are plain ints owned by the caller (``entries.Transcript`` keeps them per
    message, as region lengths): only the caller edits the document, so it always knows
    how far a change shifted what follows. Every edit returns the new length of the
    region it touched.
    """

    def __init__(self, document: QTextDocument) -> None:
        self.document = document
        # Undo history would keep every replaced tail alive: memory grows with the
        # answer, and the document is read-only anyway.
        document.setUndoRedoEnabled(False)
        self._cursor = QTextCursor(document)
        self._edit_depth = 0
        # Told (start, end) after HTML with a formula went in (see transcript.math).
        self.math_inserted: Callable[[int, int], None] | None = None

    @property
    def end(self) -> int:
        """The position after the last character: where a new region is appended."""
        return self.document.characterCount() - 1

    def begin_edit(self) -> None:
        """Group the following edits so the layout runs once for all of them."""
        if self._edit_depth == 0:
            self._cursor.beginEditBlock()
        self._edit_depth += 1

    def end_edit(self) -> None:
        """Close a group opened by :meth:`begin_edit`; layout and repaint follow."""
        self._edit_depth -= 1
        if self._edit_depth == 0:
            self._cursor.endEditBlock()

    def insert(self, position: int, html: str) -> int:
        """Insert ``html`` as a region starting at ``position``; return its length.

        ``position`` must be a region boundary: the end of the block before it.
        """
        if not html:
            return 0
        fragment = html_fragment(html, self.document)
        cursor = self._cursor
        cursor.setPosition(position)
        cursor.insertFragment(fragment)
        if self.math_inserted is not None and "rill-math:" in html:
            self.math_inserted(position, cursor.position())
        return cursor.position() - position

    def remove(self, position: int, length: int) -> None:
        """Remove the region ``[position, position + length)``."""
        if length <= 0:
            return
        cursor = self._cursor
        cursor.setPosition(position)
        # When the block the region hangs off is empty, Qt gives it the format of the
        # first removed block (an empty line would turn into a heading): put it back.
        block_format, char_format = cursor.blockFormat(), cursor.blockCharFormat()
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        if cursor.blockFormat() != block_format:
            cursor.setBlockFormat(block_format)
        if cursor.blockCharFormat() != char_format:
            cursor.setBlockCharFormat(char_format)

    def replace(self, position: int, length: int, html: str) -> int:
        """Replace ``[position, position + length)`` with ``html``; return the new length."""
        self.begin_edit()
        try:
            self.remove(position, length)
            return self.insert(position, html)
        finally:
            self.end_edit()

    def text(self, position: int, length: int) -> str:
        """The plain text of a region (for tests and for "copy")."""
        cursor = QTextCursor(self.document)
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        return cursor.selection().toPlainText()

    def clear(self) -> None:
        """Empty the document, keeping its settings (default font, stylesheet, margins)."""
        self.remove(0, self.end)
        # The first block survives removal with the format of whatever was there.
        cursor = QTextCursor(self.document)
        cursor.setBlockFormat(QTextBlockFormat())
