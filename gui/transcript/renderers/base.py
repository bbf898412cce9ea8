"""The renderer interface: a part of a message in, a run of blocks of its card out.

A *block* is one rectangle of a card that the surface lays out and paints only while it
is in view; a *part view* is what a renderer makes of one part (text, thoughts, an
image, …): a list of blocks that may grow while the part streams (``push`` takes its
deltas, ``render`` does the work in slices, ``close`` ends it). Everything clickable in
a block is a :class:`Hit`: an external link, or a ``rill:<action>/<args>`` the chat view
acts on.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, QRect
from PySide6.QtGui import QFont, QPainter, QWheelEvent

from rill.gui.common import markdown_theme
from rill.gui.transcript.message_html import LIGHT, Palette

if TYPE_CHECKING:
    from rill.core.markdown import Theme


@dataclass(frozen=True, slots=True)
class Hit:
    """Something clickable in a block: where it is (block coordinates) and what it does.

    ``href``: an http/https/mailto link, or ``rill:<action>/<args>`` for the view's own
    buttons. ``text``: what the link shows (the deceptive-link check compares them).
    """

    href: str
    rect: QRect
    tip: str = ""
    text: str = ""


@dataclass(eq=False)
class Context:
    """What renderers share within one surface: colours, font, and a way to ask for
    a repaint or a relayout when something changes outside a render call.

    ``resource``: answers a document's request for a resource it was not given (the
    typeset-math hook: ``rill-math:`` names); None answers nothing, so nothing a model
    wrote is ever fetched.
    """

    palette: Palette = LIGHT
    font: QFont = field(default_factory=QFont)
    # The QObject the documents belong to: they are deleted on the UI thread, never
    # by Python's garbage collector on whatever thread it runs.
    owner: QObject | None = None
    # Something changed outside a render call (an image decoded): repaint.
    changed: Callable[[], None] = lambda: None
    resource: Callable[[int, str], object | None] | None = None
    # Decode an image block's picture off the UI thread (the surface sets it).
    decode: Callable[[Block], None] = lambda _block: None
    # Counts moves of what a block's hits are (a list scrolled by the wheel): the
    # keyboard's stand-ins are placed again when it changes.
    hits_moved: int = 0
    _objects: weakref.WeakValueDictionary[int, Block] = field(
        default_factory=weakref.WeakValueDictionary
    )
    _next_id: int = 0

    @property
    def theme(self) -> Theme:
        """The Markdown colours of the current palette."""
        return markdown_theme(self.palette.dark)

    def register(self, block: Block) -> int:
        """An id by which a ``rill:`` action names ``block`` (held weakly)."""
        self._next_id += 1
        self._objects[self._next_id] = block
        return self._next_id

    def lookup(self, object_id: int) -> Block | None:
        """The block registered as ``object_id``, while it lives."""
        return self._objects.get(object_id)


class Block:
    """One rectangle of a card. Subclasses lay out at a width and paint on request.

    ``height`` is an estimate until :meth:`layout` ran at the current width;
    ``dirty`` says the content changed since the last layout.
    """

    align_right = False  # a user bubble sits at the right of the column

    def __init__(self) -> None:
        self.height = 0
        self.width = 0  # the width used at the last layout (≤ the column)
        self.laid_at = -1  # the column width of the last layout (-1: never)
        self.dirty = True

    def needs_layout(self, column: int) -> bool:
        """Whether :meth:`layout` must run before the block is painted at ``column``."""
        return self.dirty or self.laid_at != column

    def estimate(self, column: int) -> int:
        """A guess at the height at ``column`` without laying out (cheap)."""
        return self.height if self.laid_at == column and not self.dirty else 24

    def layout(self, column: int) -> int:
        """Lay out at ``column`` pixels wide; set and return :attr:`height`."""
        self.laid_at, self.dirty, self.width = column, False, column
        return self.height

    def paint(self, painter: QPainter, clip: QRect) -> None:
        """Paint the block at the painter's origin; ``clip`` is the visible part."""

    def hit_at(self, pos: QPoint) -> Hit | None:
        """What is clickable at ``pos`` (block coordinates), if anything."""
        return next((hit for hit in self.hits() if hit.rect.contains(pos)), None)

    def hits(self) -> list[Hit]:
        """Everything clickable in the block (after layout)."""
        return []

    def text(self) -> str:
        """The block's plain text, as copying all of it would give."""
        return ""

    @property
    def continues_line(self) -> bool:
        """Whether the block's text goes on with the previous block's last line (a
        piece of a line too long to lay out at once): its text joins that line's
        without a newline (:func:`join_lines`)."""
        return False

    # ------------------------------------------------------------ selection

    def position_at(self, pos: QPoint) -> int | None:
        """The text position under ``pos`` (None: the block has no selectable text)."""
        del pos
        return None

    def set_selection(self, start: int, end: int) -> None:
        """Show ``[start, end)`` of the block's text as selected (start == end: none)."""

    def selected_text(self, start: int, end: int) -> str:
        """The plain text of ``[start, end)``."""
        return self.text()[start:end]

    @property
    def text_length(self) -> int:
        """The length of the block's selectable text (0: none)."""
        return 0

    def search_text(self) -> str:
        """The selectable text with one character per position (what Find searches):
        a match's offsets in it are selection positions. "" for no selectable text."""
        return ""

    def position_y(self, position: int) -> int:
        """How far below the block's top text ``position`` is (after layout)."""
        del position
        return 0

    # ------------------------------------------------------------ other input

    def wheel(self, event: QWheelEvent, pos: QPoint) -> bool:
        """Handle a wheel event at ``pos`` (e.g. a code block scrolling sideways)."""
        del event, pos
        return False

    def menu_actions(self, pos: QPoint) -> list[tuple[str, str]]:
        """Entries for a context menu at ``pos``: (label, ``rill:`` action)."""
        del pos
        return []


class PartView:
    """What a renderer made of one part: its blocks, growing while the part streams."""

    kind = "part"

    def __init__(self) -> None:
        self.blocks: list[Block] = []

    def push(self, delta: str) -> None:
        """Add streamed text (parts that stream override this)."""
        del delta

    def close(self) -> None:
        """No more deltas."""

    def render(self, deadline: float) -> bool:
        """Do queued work until ``deadline`` (``time.perf_counter``); True when done."""
        del deadline
        return True

    @property
    def pending(self) -> bool:
        """Whether queued work remains."""
        return False

    def text(self) -> str:
        """The part's source text for Copy and search ("" for none)."""
        return ""

    def plain_text(self) -> str:
        """What the part shows, as plain text."""
        return blocks_text(self.blocks)


def join_lines(texts: Iterable[tuple[str, bool]]) -> str:
    """The texts of blocks (or of runs of paragraphs) in reading order as one: each
    on lines of its own, except one marked as going on with the previous one's line
    (``(text, True)``), which joins it with nothing between. Empty texts are left out.

    The one place the pane decides where copied or searched text gets a newline
    between blocks: a huge line cut into pieces for layout must come back whole."""
    out: list[str] = []
    for text, continues in texts:
        if not text:
            continue
        if out and not continues:
            out.append("\n")
        out.append(text)
    return "".join(out)


def blocks_text(blocks: Iterable[Block]) -> str:
    """The plain text of ``blocks`` (each whole) as :func:`join_lines` joins it."""
    return join_lines((block.text(), block.continues_line) for block in blocks)


Renderer = Callable[..., PartView]
