"""A block of rich text: a small ``QTextDocument`` of its own, edited at its tail.

A Markdown answer is cut into many such blocks (a few dozen Markdown blocks each), so
laying one out never costs more than its own few kilobytes, however long the answer.
Its document loads no resource (a model's ``<img src="http://…">`` or ``file:`` paints
nothing and fetches nothing) except through the surface's ``resource`` hook, which is
where typeset math plugs in. Links are hits; the text can be selected.
"""

from __future__ import annotations

import bisect
import contextlib
import math
import re
import time
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QPoint, QPointF, QRect, QRectF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPainter,
    QPalette,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextDocumentFragment,
    QTextOption,
)
from PySide6.QtWidgets import QWidget

from rill.gui.transcript.link_guard import hover_text, is_external
from rill.gui.transcript.math import DocumentMath
from rill.gui.transcript.message_html import LIGHT
from rill.gui.transcript.renderers.base import Block, Context, Hit, join_lines

_IMAGE = QTextDocument.ResourceType.ImageResource.value
# An empty paragraph Qt's importer keeps (it drops a plain "<p></p>"): its own toHtml()
# writes empty paragraphs this way. See DocBlock._insert.
_EMPTY_FIRST_BLOCK = '<p style="-qt-paragraph-type:empty; margin:0px;"><br /></p>'


# Qt's word wrap rescans an unbreakable run for every line it makes (quadratic: a
# 100,000-character base64 line ~2 s, 1 MB ~2 min). In shown text, a run of at least
# SOFT_BREAK_MIN characters without a space (no word is that long; base64, hashes and
# hostile output are) gets an invisible break opportunity (U+200B) every
# SOFT_BREAK_EVERY characters; copying a selection takes them out.
SOFT_BREAK_MIN = 64
SOFT_BREAK_EVERY = 16  # short: such a run wraps at most this far short of the right edge
SOFT_BREAK = "\u200b"
_TEXT_TOKEN = r"(?:&#?\w+;|[^\s<>&\u200b])"
_TOKEN = re.compile(_TEXT_TOKEN)
_LONG_RUN = re.compile(f"{_TEXT_TOKEN}{{{SOFT_BREAK_MIN},}}")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
# Every run _LONG_RUN can find lies within a match of this (which may also be in a tag).
_ANY_LONG_RUN = re.compile(f"[^\\s<>\u200b]{{{SOFT_BREAK_MIN},}}")


# A paragraph that goes on with the previous paragraph's line: a piece of a line too
# long to lay out at once (markdown.prose_pieces). Qt's HTML importer makes this CSS
# property of a <p> the paragraph's QTextBlock.userState (and insertFragment keeps it);
# nothing else here sets a user state. The text of such a paragraph, or of a block that
# begins with one, joins the line before it without a newline (DocBlock.selected_text,
# join_lines).
CONTINUES_LINE = 1
CONTINUES_LINE_CSS = f"-qt-user-state:{CONTINUES_LINE};"
# Characters outside the Basic Multilingual Plane (emoji): one in a Python string, two
# UTF-16 units, so two positions, in a Qt document.
ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def soft_breaks(rich: str) -> str:
    """``rich`` (HTML) with a U+200B every SOFT_BREAK_EVERY characters in each run of
    text of SOFT_BREAK_MIN or more without a space; tags, attributes and entities stay
    whole, and shorter runs (words) are left alone."""
    if len(rich) < SOFT_BREAK_MIN or _ANY_LONG_RUN.search(rich) is None:
        return rich  # (most prose: one scan in C instead of a split and a loop)
    pieces = _TAG_OR_TEXT.split(rich)
    for i in range(0, len(pieces), 2):  # even pieces are text between tags
        if len(pieces[i]) >= SOFT_BREAK_MIN:
            pieces[i] = _LONG_RUN.sub(_add_break, pieces[i])
    return "".join(pieces)


def _add_break(match: re.Match[str]) -> str:
    run = match.group(0)
    tokens = _TOKEN.findall(run) if "&" in run else run
    every = SOFT_BREAK_EVERY
    return SOFT_BREAK.join("".join(tokens[i : i + every]) for i in range(0, len(tokens), every))


REAP_S = 0.003  # documents of blocks that went are deleted this long per turn at most


class _Reaper(QObject):
    """Deletes the documents of blocks that went, a few milliseconds' worth per turn
    of the event loop, on the UI thread.

    A chat left for another drops all its blocks at once: 9,000 documents for 1 MB of
    dense Markdown, and deleting them in one go (as ``deleteLater`` does: all posted
    deletions run together) held the UI thread for 130 ms. A block goes wherever its
    last reference goes, on any thread Python's collector runs on, so the documents
    are queued (``deque.append`` is atomic) and a queued signal wakes the reaper.
    """

    woken = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.doomed: deque[QTextDocument] = deque()
        self._timer = QTimer(self)
        self._timer.setInterval(1)  # (a 0 ms timer runs only when the loop is idle)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timer_timeout)
        self.woken.connect(self._timer.start)

    def doom(self, doc: QTextDocument) -> None:
        """Delete ``doc`` soon, on the UI thread (any thread may call this)."""
        doomed = self.doomed
        doomed.append(doc)
        if len(doomed) == 1:  # it was empty: the timer may be stopped (see below)
            self.woken.emit()

    def _on_timer_timeout(self) -> None:
        doomed = self.doomed
        deadline = time.perf_counter() + REAP_S
        # The timer stops only once the queue was seen empty; whatever comes after
        # makes it non-empty again and wakes it.
        while doomed:  # at least one per turn
            doc = doomed.popleft()
            if shiboken6.isValid(doc):  # (its view, and so the document, may be gone)
                shiboken6.delete(doc)
            if time.perf_counter() >= deadline:
                break
        if not doomed:
            self._timer.stop()


_reaper: _Reaper | None = None  # made on the UI thread with the first block


def _set_width(doc: QTextDocument, width: float) -> None:
    if doc.textWidth() != width:
        doc.setTextWidth(width)


# Prose reads at about 1.5 lines (issue 15's reading column); headings and code do not.
LINE_PX = 26  # a line of prose at that spacing (estimates before layout)
_PROSE_CSS: dict[str, str] = {}  # by font (QFont.key)


def prose_css(font: QFont) -> str:
    """The style sheet of prose in ``font``: half a line of the font's between lines.

    Added to each line rather than multiplying it (a "150%" line height): the two are
    the same for plain text, but a line holding a formula a few pixels taller than the
    text grew by one and a half times that (``transcript.math.fitting_size``)."""
    key = font.key()
    css = _PROSE_CSS.get(key)
    if css is None:
        metrics = QFontMetricsF(font)
        # As Qt counts a line: its ascent, descent and leading, up to a whole pixel.
        half = math.ceil(metrics.ascent() + metrics.descent() + metrics.leading()) / 2
        css = f"p, li, blockquote {{ line-height: {half}px; -qt-line-height-type: line-distance; }}"
        _PROSE_CSS[key] = css
    return css


class CardDocument(QTextDocument):
    """A document that loads nothing by itself (see the module docstring)."""

    def __init__(self, context: Context) -> None:
        super().__init__(context.owner)
        # Weakly: the block holds this document until the block goes, and
        # the context holds the view; a strong reference here made a root of the view
        # itself (a view dropped with cards built was never freed, nor its 5,000 cards).
        self._context = weakref.ref(context)
        self.setUndoRedoEnabled(False)  # undo would keep every replaced tail alive
        self.math: DocumentMath | None = None  # made with the first formula
        # The block to tell when a formula's picture lands, held weakly: the document
        # belongs to the view (Qt keeps it, and so its wrapper), and a strong reference
        # back would keep every block, and its document, alive for good.
        self.math_changed: weakref.WeakMethod[Callable[[], None]] | None = None

    def formulas(self) -> DocumentMath:
        """The typeset images of this document's formulas (made on first use: most
        blocks have none, and each costs two timers)."""
        if self.math is None:
            owner = self.parent()  # the context's owner
            widget = owner if isinstance(owner, QWidget) else None
            self.math = DocumentMath(
                self, widget.devicePixelRatioF if widget else lambda: 1.0, self
            )
            context = self._context()
            palette = context.palette if context is not None else LIGHT
            self.math.set_colours(palette.text, dark=palette.dark)
            self.math.changed = self._on_math_changed
        return self.math

    def formulas_inserted(self, start: int, end: int) -> None:
        """HTML with a formula went into ``[start, end)`` (see ``DocumentMath.inserted``)."""
        self.formulas().inserted(start, end)

    def _on_math_changed(self) -> None:
        tell = self.math_changed() if self.math_changed is not None else None
        if tell is not None:
            tell()

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        """Formulas (``rill-math:``) are drawn by :meth:`formulas`, then the surface's
        hook answers; otherwise an empty value, which Qt caches and paints as nothing
        (a null answer would make Qt read files and data: URLs)."""
        text = name.toString() if isinstance(name, QUrl) else name
        if type == _IMAGE and text.startswith("rill-math:"):
            image = self.formulas().image(text)
            # Kept as the document's own resource (an override of loadResource is not
            # cached by Qt): laying out a paragraph of 150 formulas again asked for
            # each of them. The typeset picture replaces it when it lands.
            self.addResource(type, QUrl(text), image)
            return image
        context = self._context()
        hook = context.resource if context is not None else None
        if hook is not None:
            found = hook(type, text)
            if found is not None:
                return found
        return QImage() if type == _IMAGE else ""


class DocBlock(Block):
    """Rich text laid out at the column width (or at most ``max_width``).

    ``done`` characters of finished HTML, then a ``tail`` region replaced as a streamed
    block grows (see :meth:`add` and :meth:`set_tail`).
    """

    def __init__(
        self,
        context: Context,
        *,
        muted: bool = False,
        wrap: bool = True,
        margin: int = 0,
        prose: bool = True,
    ) -> None:
        super().__init__()
        global _reaper
        if _reaper is None:
            _reaper = _Reaper()  # (lives as long as the process, on this, the UI thread)
        self.context = context
        self.doc = CardDocument(context)
        self.doc.setDefaultFont(context.font)
        self.doc.setDocumentMargin(margin)
        # Prose: lines half their height apart. Code keeps its lines tight, and so does
        # a bubble (Qt puts the extra under each line: a one-line bubble looked lopsided).
        if wrap and prose:
            self.doc.setDefaultStyleSheet(prose_css(context.font))
        if not wrap:
            self.doc.setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignLeft))
            option = self.doc.defaultTextOption()
            option.setWrapMode(QTextOption.WrapMode.NoWrap)
            self.doc.setDefaultTextOption(option)
        self.muted = muted
        self.wrap = wrap
        self.max_width: int | None = None  # a bubble is narrower than the column
        self.shrink = False  # as wide as the text needs (up to max_width)
        self.done = 0
        self.tail = 0
        self.chars = 0  # characters of HTML put in (for estimates before layout)
        self.markdown_blocks = 0
        self._selection: tuple[int, int] | None = None

    # ------------------------------------------------------------ content

    def add(self, html: str, blocks: int = 1) -> None:
        """Append finished HTML, ``blocks`` Markdown blocks of it (after what is
        finished, before the tail). A wrapping block puts break opportunities into
        long unbroken runs first (:func:`soft_breaks`)."""
        if not html:
            return
        if self.wrap:
            html = soft_breaks(html)
        tail = self._tail_html if self.tail else None
        if self.done == 0:
            # The first region has no block separator in front (it would be an empty
            # line at the top): the document is set whole, the tail goes back after.
            self._set_html(html)
            self.done, self.tail = self.doc.characterCount() - 1, 0
            if tail is not None:
                self.tail = self._edit(0, tail)[0]
        else:
            lengths = self._edit(self.tail, html, *([tail] if tail is not None else []))
            self.done += lengths[0]
            self.tail = lengths[1] if tail is not None else 0
        self.chars += len(html)
        self.markdown_blocks += blocks
        self.dirty = True

    def set_tail(self, html: str | None) -> None:
        """Replace the open tail (None or "": no tail), with break opportunities as
        :meth:`add` puts them."""
        if html and self.wrap:
            html = soft_breaks(html)
        self._tail_html = html or None
        self.dirty = True
        if self.done == 0:
            if html:
                self._set_html(html)
                self.tail = self.doc.characterCount() - 1
            else:
                self.doc.clear()
                self.tail = 0
            return
        self.tail = self._edit(self.tail, *([html] if html else []))[0]

    _tail_html: str | None = None

    def _edit(self, remove: int, *regions: str) -> list[int]:
        """At ``done`` (the tail's place): remove ``remove`` characters, then insert each
        piece of HTML as a region of whole blocks, one after the other, all as one edit
        (Qt lays the document out once, from the first changed position: appending
        costs what is appended, however long the block). The regions' lengths, or
        ``[0]`` when none was inserted."""
        cursor = QTextCursor(self.doc)
        cursor.beginEditBlock()
        try:
            if remove > 0:
                self._remove(cursor, self.done, remove)
            at, lengths = self.done, []
            for html in regions:
                length = self._insert(cursor, at, html)
                lengths.append(length)
                at += length
        finally:
            cursor.endEditBlock()
        return lengths or [0]

    def _insert(self, cursor: QTextCursor, position: int, html: str) -> int:
        """Insert ``html`` at ``position`` (a region boundary: the end of a block);
        its length.

        Inserting a fragment merges its first block into the block at the insertion
        point, which drops that first block's format (a heading would become a
        paragraph). So an empty paragraph goes first: inserted at the end of a block,
        it merges away, and every real block arrives behind a separator that carries
        its own format. Parsed for this document, the fragment takes the document's
        default style sheet.
        """
        if not html:
            return 0
        fragment = QTextDocumentFragment.fromHtml(_EMPTY_FIRST_BLOCK + html, self.doc)
        cursor.setPosition(position)
        cursor.insertFragment(fragment)
        if "rill-math:" in html:
            self._formulas_inserted(position, cursor.position())
        return cursor.position() - position

    @staticmethod
    def _remove(cursor: QTextCursor, position: int, length: int) -> None:
        """Remove the region ``[position, position + length)``."""
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

    def _set_html(self, html: str) -> None:
        self.doc.setHtml(html)
        if "rill-math:" in html:
            self._formulas_inserted(0, self.doc.characterCount())

    def _formulas_inserted(self, start: int, end: int) -> None:
        """HTML with a formula went into ``[start, end)``: the document typesets it, and
        tells this block when a picture lands (asked for only now: a 1 MB answer has
        ~9,000 blocks, few with a formula, and the weak method is six objects more for
        the cycle collector to walk in each)."""
        if self.doc.math_changed is None:
            self.doc.math_changed = weakref.WeakMethod(self._on_math_changed)
        self.doc.formulas_inserted(start, end)

    def __del__(self) -> None:
        # The document belongs to the view (so Qt never deletes it on the collector's
        # thread); when the block goes, it goes on the UI thread, in slices (_Reaper).
        # Not weakref.finalize: four objects more per block, all walked by every full
        # collection.
        if _reaper is not None:
            with contextlib.suppress(RuntimeError):  # (the app's end: Qt already gone)
                _reaper.doom(self.doc)

    def _on_math_changed(self) -> None:
        self.dirty = True  # a formula's picture replaced its source: another height
        self.context.changed()

    def commit_tail(self) -> None:
        """What the tail shows becomes finished (the block it rendered has closed)."""
        if self._tail_html:
            self.chars += len(self._tail_html)
            self.markdown_blocks += 1
        self.done += self.tail
        self.tail, self._tail_html = 0, None

    @property
    def empty(self) -> bool:
        """Whether nothing is in the block (an open tail, even of no text, counts)."""
        return self.done == 0 and self.tail == 0 and not self._tail_html

    # ------------------------------------------------------------ layout and paint

    def estimate(self, column: int) -> int:
        """Lines of about 8 px per character, LINE_PX each, plus block spacing."""
        if self.laid_at == column:  # exact, or (changed since) the last height: close
            return self.height
        if self.laid_at > 0 and not self.dirty:  # laid out at another width: scale
            return max(16, int(self.height * self.laid_at / max(1, column)))
        text = max(1, self.chars // 2)  # HTML is about twice its text
        return 12 * self.markdown_blocks + LINE_PX * math.ceil(text * 8 / max(80, column))

    def layout(self, column: int) -> int:
        """Lay the document out at the column (or its ``max_width``)."""
        width = min(column, self.max_width) if self.max_width else column
        doc = self.doc
        # setTextWidth lays the whole document out again, even at the same width; an
        # edit (a streamed tail, a formula's picture) has Qt lay out only what changed.
        if self.wrap:
            if self.shrink:
                _set_width(doc, width)
                ideal = math.ceil(doc.idealWidth()) + 2 * int(doc.documentMargin())
                if ideal < width:
                    width = max(ideal, 24)
                    _set_width(doc, width)
            else:
                _set_width(doc, width)
        else:
            _set_width(doc, -1)
        self.width = width
        self.height = math.ceil(doc.size().height())
        self.laid_at, self.dirty = column, False
        return self.height

    def paint(self, painter: QPainter, clip: QRect) -> None:
        """Draw the document's visible part, with the selection."""
        context = QAbstractTextDocumentLayout.PaintContext()
        context.clip = QRectF(clip)
        palette = QPalette()
        colours = self.context.palette
        palette.setColor(
            QPalette.ColorRole.Text, QColor(colours.muted if self.muted else colours.text)
        )
        palette.setColor(QPalette.ColorRole.Link, QColor(colours.link))
        context.palette = palette
        if self._selection is not None:
            start, end = self._selection
            cursor = QTextCursor(self.doc)
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection = QAbstractTextDocumentLayout.Selection()
            selection.cursor = cursor
            fmt = QTextCharFormat()
            highlight = QColor(colours.link)
            highlight.setAlpha(80)
            fmt.setBackground(highlight)
            selection.format = fmt
            context.selections = [selection]
        self.doc.documentLayout().draw(painter, context)

    # ------------------------------------------------------------ links

    def hit_at(self, pos: QPoint) -> Hit | None:
        """The link under ``pos``: its target, its text, its real address as the tip."""
        href = self.doc.documentLayout().anchorAt(QPointF(pos))
        if not href:
            return None
        position = self.doc.documentLayout().hitTest(QPointF(pos), Qt.HitTestAccuracy.FuzzyHit)
        text = self._link_text_at(position, href) or ""
        return Hit(href, QRect(pos, pos), hover_text(QUrl(href)), text)

    def hits(self) -> list[Hit]:
        """Every link, each with the rectangle of its first character."""
        out: list[Hit] = []
        block = self.doc.begin()
        layout = self.doc.documentLayout()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                fmt = fragment.charFormat()
                if fmt.isAnchor() and fmt.anchorHref():
                    line = block.layout().lineForTextPosition(
                        fragment.position() - block.position()
                    )
                    origin = layout.blockBoundingRect(block).topLeft()
                    if line.isValid():
                        at = fragment.position() - block.position()
                        x = float(line.cursorToX(at)[0])  # type: ignore[index]
                        x2 = float(line.cursorToX(at + 1)[0])  # type: ignore[index]
                        rect = QRectF(
                            origin.x() + x, origin.y() + line.y(), max(2.0, x2 - x), line.height()
                        )
                        href = fmt.anchorHref()
                        text = fragment.text().replace(SOFT_BREAK, "")
                        tip = hover_text(QUrl(href)) if is_external(QUrl(href)) else ""
                        out.append(Hit(href, rect.toRect(), tip, text))
                it += 1
            block = block.next()
        return out

    def _link_text_at(self, position: int, href: str) -> str | None:
        """The text of the run of fragments linking to ``href`` around ``position``."""
        block = self.doc.findBlock(position)
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

    # ------------------------------------------------------------ text and selection

    def text(self) -> str:
        """The plain text shown, less the invisible break opportunities (a formula
        as its TeX source, delimiters included)."""
        if self.doc.math is not None or self._line_joins(0, self.text_length):
            return self.selected_text(0, self.text_length)
        return self.doc.toPlainText().replace(SOFT_BREAK, "")

    @property
    def continues_line(self) -> bool:
        """Whether the first paragraph goes on with the previous block's last line."""
        return self.doc.firstBlock().userState() == CONTINUES_LINE

    def _line_joins(self, start: int, end: int) -> list[int]:
        """The paragraph ends in ``[start, end)`` that a paragraph going on with the
        same line follows (see CONTINUES_LINE). Walks the paragraphs, and only when
        text is asked for: nothing is kept up to date as the document is edited."""
        joins: list[int] = []
        block = self.doc.findBlock(max(0, start))
        # (Counted, not tested for validity and position: half the calls into Qt.)
        for _ in range(self.doc.findBlock(end).blockNumber() - block.blockNumber()):
            block = block.next()
            if block.userState() == CONTINUES_LINE:
                joins.append(block.position() - 1)
        return joins

    @property
    def text_length(self) -> int:
        """Positions in the document (its character count less the final separator)."""
        return self.doc.characterCount() - 1

    def search_text(self) -> str:
        """The document's raw text: one character per position (paragraph and table
        marks included), so a match's offsets are cursor positions. Where a paragraph
        goes on with the same line, its mark is a break opportunity instead, which a
        search matches through as it does inside a long word."""
        text = self.doc.toRawText()
        joins = self._line_joins(0, self.text_length)
        if not joins:
            return text
        # Positions count UTF-16 units, the string one character per code point.
        astral = [m.start() + n for n, m in enumerate(ASTRAL.finditer(text))]
        at = 0
        out: list[str] = []
        for join in joins:
            index = join - bisect.bisect_left(astral, join)
            out += [text[at:index], SOFT_BREAK]
            at = index + 1
        out.append(text[at:])
        return "".join(out)

    def position_y(self, position: int) -> int:
        """The top of the line that holds ``position``."""
        block = self.doc.findBlock(max(0, position))
        if not block.isValid():
            return 0
        top = self.doc.documentLayout().blockBoundingRect(block).top()
        layout = block.layout()
        if layout is not None and layout.lineCount():
            line = layout.lineForTextPosition(position - block.position())
            if line.isValid():
                top += line.y()
        return int(top)

    def position_at(self, pos: QPoint) -> int | None:
        """The document position nearest ``pos``."""
        return self.doc.documentLayout().hitTest(QPointF(pos), Qt.HitTestAccuracy.FuzzyHit)

    def set_selection(self, start: int, end: int) -> None:
        """Select ``[start, end)`` (equal: nothing)."""
        self._selection = (start, end) if start != end else None

    def selected_text(self, start: int, end: int) -> str:
        """The plain text of ``[start, end)``, paragraphs separated by newlines, except
        where a paragraph goes on with the previous one's line (see CONTINUES_LINE)."""
        start, end = max(0, start), min(end, self.text_length)
        joins = self._line_joins(start, end)
        if not joins:
            return self._plain_text(start, end)
        # (Each run's own text, then joined: a formula's TeX is read per run.)
        bounds = [start, *(at for join in joins for at in (join, join + 1)), end]
        runs = (self._plain_text(a, b) for a, b in zip(bounds[::2], bounds[1::2], strict=True))
        return join_lines((run, True) for run in runs)

    def _plain_text(self, start: int, end: int) -> str:
        cursor = QTextCursor(self.doc)
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        with_tex = self.doc.math.selection_text(cursor) if self.doc.math is not None else None
        text = with_tex[0] if with_tex is not None else cursor.selection().toPlainText()
        return text.replace(SOFT_BREAK, "")
