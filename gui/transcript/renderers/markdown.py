"""Markdown text (an answer's text, its thoughts) as prose blocks and code cards.

``rill.core.markdown.IncrementalMarkdown`` renders finished blocks once and re-renders
only the open tail; this view appends each finished block to the last prose block (a
new one every few dozen Markdown blocks, so no single document grows large) or to its
code card, and replaces only the tail. Text is rendered in slices until a deadline, so
a streamed frame or a long answer opened from history never holds the UI thread long.
Nothing is cut: a 1,000,000-character answer is all there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING

from rill.gui.common import markdown_theme
from rill.gui.transcript.renderers.base import Block, Context, PartView
from rill.gui.transcript.renderers.code import CodeBlock
from rill.gui.transcript.renderers.doc_block import CONTINUES_LINE_CSS, DocBlock

# The Markdown stack (markdown-it, Pygments) is imported where text is first rendered,
# not with this module: the window's first paint needs none of it (see "Startup" in
# docs/ARCHITECTURE.md).
if TYPE_CHECKING:
    from rill.core.markdown import RenderedBlock, RenderUpdate

log = logging.getLogger(__name__)

PROSE_BLOCKS = 24  # Markdown blocks per prose block at most ...
PROSE_CHARS = 6_000  # ... and about this much HTML
SLICE_CHARS = 8_192  # text handed to the renderer per step at most ...
MIN_SLICE_CHARS = 512  # ... and at least
MEASURED_CHARS = 1_024  # a piece of at least this much measures the parse's cost
WHOLE_CHARS = 2_048  # a closed text this short is parsed in one pass (_render_whole)
# Until measured: parsing a character of text, the HTML it makes, writing that.
PARSE_S_PER_CHAR = 1.5e-6
HTML_PER_CHAR = 2.0
WRITE_S_PER_CHAR = 0.5e-6
RATE_DECAY = 0.8  # a slow step's cost is forgotten this fast
MEASURED_HTML = 512  # a write of at least this much HTML measures the rate
TAIL_PIECES_PER_STEP = 2  # pieces of a huge tail shown per step
SPLIT_CHARS = 8_192  # a huge plain block is cut into prose blocks of about this much HTML
_PLAIN = '<p style="white-space:pre-wrap">'
# Languages whose lexers are loaded ahead of need (see warm_up_in_background).
COMMON_LANGUAGES = (
    "python", "javascript", "typescript", "bash", "json", "rust", "go", "c", "cpp",
    "java", "html", "css", "sql", "yaml", "diff",
)  # fmt: skip
_warm_up_started = threading.Event()
# Code nested in a list or quote stays in the prose; it wraps rather than widening it.
_PRE = '<pre style="'
_PRE_WRAP = '<pre style="white-space:pre-wrap;'


def prose_pieces(html: str) -> list[str]:
    """``html`` of one rendered block as one or more prose blocks' worth (nested code
    wraps instead of widening the column).

    A block too big to render (``core.markdown``'s plain-text fallback, e.g. a
    1,000,000-character line) is cut into pieces of about SPLIT_CHARS, each its own
    paragraph, so no document ever lays out more than that at once; an entity is never
    cut. Each piece after the first is marked as going on with the line before it
    (``CONTINUES_LINE_CSS``), so its text is copied and searched without a newline
    there. Anything else stays whole. The pieces are raw: a block puts break
    opportunities into each as it goes in (only the pieces that changed, for a growing
    tail).
    """
    html = html.replace(_PRE, _PRE_WRAP)
    if len(html) <= SPLIT_CHARS or not html.startswith(_PLAIN) or not html.endswith("</p>"):
        return [html]
    inner = html[len(_PLAIN) : -len("</p>")]
    pieces: list[str] = []
    at = 0
    while at < len(inner):
        end = min(len(inner), at + SPLIT_CHARS)
        amp = inner.rfind("&", max(at, end - 10), end)
        if amp > at and ";" not in inner[amp:end]:
            end = amp  # not inside "&amp;"
        goes_on = CONTINUES_LINE_CSS if pieces else ""
        pieces.append(f'<p style="white-space:pre-wrap; margin:0px;{goes_on}">{inner[at:end]}</p>')
        at = end
    return pieces


def _html_size(update: RenderUpdate) -> int:
    """How much HTML writing ``update`` edits into the blocks (a huge tail is shown
    a few pieces per step: that much of it)."""
    size = sum(len(block.html) for block in update.finished)
    if update.tail is not None and update.tail_changed:
        size += min(len(update.tail.html), SPLIT_CHARS * TAIL_PIECES_PER_STEP)
    return size


def merged(updates: list[RenderUpdate]) -> RenderUpdate:
    """Several renderer updates as one: every finished block in order, then the last
    tail (an earlier tail is either finished in a later update or replaced by it)."""
    if len(updates) == 1:
        return updates[0]
    last = updates[-1]
    return replace(
        last,
        finished=[block for update in updates for block in update.finished],
        tail_changed=any(update.tail_changed for update in updates),
    )


class MarkdownView(PartView):
    """One Markdown part: streamed with :meth:`push`, or whole (push, then close)."""

    kind = "text"

    def __init__(self, context: Context, text: str = "", *, muted: bool = False) -> None:
        super().__init__()
        self.context = context
        self.muted = muted
        from rill.core.markdown import IncrementalMarkdown

        self._markdown = IncrementalMarkdown(context.theme)
        self._source: list[str] = []
        self._queue: deque[str] = deque()
        self._head_at = 0  # how much of the queue's first delta was rendered already
        self._closing = False
        self._closed = False
        self._begun = False  # some of the text was parsed
        self._plain = False
        self._tail_block: Block | None = None
        self._tail_pieces: list[str] = []  # a prose tail's pieces (see prose_pieces) ...
        self._tail_extra: list[DocBlock] = []  # ... and the blocks of pieces after the first
        self._tail_todo: list[str] | None = None  # the pieces the tail is to show next
        self._pieces_for: str | None = None
        self._pieces: list[str] = []
        self._updates: list[RenderUpdate] = []  # rendered, not shown yet (behind a tail)
        # What a character of text likely costs to parse, how much HTML it makes and
        # what a character of HTML costs to write (measured as it goes; see _room).
        self._parse_rate = PARSE_S_PER_CHAR
        self._html_ratio = HTML_PER_CHAR
        self._write_rate = WRITE_S_PER_CHAR
        if text:
            self.push(text)

    # ------------------------------------------------------------ feeding

    def push(self, delta: str) -> None:
        """Queue streamed text (cheap; :meth:`render` does the work)."""
        if delta and not self._closing:
            self._source.append(delta)
            self._queue.append(delta)

    def close(self) -> None:
        """No more text: once rendered, the tail is finished too."""
        self._closing = True

    def text(self) -> str:
        """The Markdown source so far."""
        if len(self._source) > 1:
            self._source[:] = ["".join(self._source)]
        return self._source[0] if self._source else ""

    @property
    def pending(self) -> bool:
        """Whether text or the close is still to be rendered."""
        backlog = self._tail_todo is not None or bool(self._updates)
        return backlog or bool(self._queue) or (self._closing and not self._closed)

    @property
    def queued(self) -> int:
        """Characters of text queued and not parsed yet."""
        return sum(map(len, self._queue)) - self._head_at

    @property
    def streaming(self) -> bool:
        """Whether more text may come."""
        return not self._closing

    # ------------------------------------------------------------ rendering

    def render(self, deadline: float) -> bool:
        """Render queued text in slices until ``deadline``; True when nothing is left.

        At least one step runs per call, so the work always advances. Another slice is
        parsed only while it and the writing of everything parsed (each step's cost
        measured as it goes) are likely to end before ``deadline``; what was parsed is
        then written, as much of it as is likely to fit: a frame's parse, or a burst's,
        no longer wrote for as long again in the same turn.
        """
        self._render_whole()  # (and written below: a short message shows whole)
        progressed = False
        while self.pending:
            if self._plain:
                self._queue.clear()
                self._head_at = 0
                self._updates.clear()
                self._tail_todo = None
                self._closed = self._closing
                self._show_plain()
                break
            if progressed and time.perf_counter() >= deadline:
                break
            if self._tail_todo is not None:  # a huge tail, a few pieces at a time
                self._guarded(self._advance_tail)
            elif self._queue and (
                self._room(deadline, write=True) or not (progressed or self._updates)
            ):
                # More text first, while the turn's time lasts: the documents are then
                # edited once for all of it (a tail replaced per slice cost a relayout
                # each, and only the last one is ever seen).
                self._step_slice(deadline, write=True)
            elif self._updates:
                if not self._write(deadline, at_least_one=not progressed):
                    break
            elif self._queue or (progressed and not self._room(deadline, write=True)):
                break  # no room for another slice (or for the close's last render)
            else:
                self._step(None)
                self._closed = True
            progressed = True
        return not self.pending

    def _render_whole(self) -> None:
        """A short text already closed and not begun (a message from history) is
        parsed in one pass, as ``render_all`` does: fed as a stream and then closed,
        it was segmented and its last block rendered twice more, and cards coming
        into view by a wheel flick are a screenful of these."""
        if not self._closing or self._begun or not self._queue or self.queued > WHOLE_CHARS:
            return
        self._begun = True
        text = "".join(self._queue)
        self._queue.clear()

        def whole() -> None:
            from rill.core.markdown import RenderUpdate, render_all

            blocks = render_all(text, self._markdown.theme)
            self._updates.append(RenderUpdate(blocks, None, tail_changed=False))
            self._closed = True

        self._guarded(whole)

    def parse(self, deadline: float) -> None:
        """Render queued text to HTML until ``deadline`` without editing the documents
        (at least one slice). A streamed frame parses in its own turn of the event loop
        and :meth:`render` edits the documents in the next, before the paint: the two
        halves of a frame's work are then two short turns instead of one long one."""
        while self._queue and not self._plain and self._tail_todo is None:
            self._step_slice(deadline, write=False)
            if not self._room(deadline):
                break

    def _room(self, deadline: float, *, write: bool = False) -> bool:
        """Whether a slice of text (MIN_SLICE_CHARS at least) is likely to be parsed,
        and with ``write`` everything parsed written, before ``deadline``."""
        cost = MIN_SLICE_CHARS * self._char_cost(write=write)
        if write:
            cost += sum(map(_html_size, self._updates)) * self._write_rate
        return time.perf_counter() + cost < deadline

    def _char_cost(self, *, write: bool) -> float:
        """What a character of text likely costs to parse (and to write: its HTML)."""
        return self._parse_rate + (self._html_ratio * self._write_rate if write else 0.0)

    def _write(self, deadline: float, *, at_least_one: bool) -> bool:
        """Write the parsed updates into the blocks, merged into one edit: as many as
        are likely to fit before ``deadline`` (at least one if ``at_least_one``);
        False when none was."""
        room = (deadline - time.perf_counter()) / max(self._write_rate, 1e-9)
        take, size = 0, 0
        for update in self._updates:
            html = _html_size(update)
            if size + html > room and (take or not at_least_one):
                break
            take, size = take + 1, size + html
        if not take:
            return False
        batch, self._updates = self._updates[:take], self._updates[take:]
        started = time.thread_time()
        self._guarded(partial(self._apply, merged(batch)))
        # (A small edit's cost is mostly its fixed part: not a cost per character.)
        rate = (time.thread_time() - started) / size if size >= MEASURED_HTML else 0.0
        self._write_rate = max(rate, RATE_DECAY * self._write_rate)
        return True

    def _step_slice(self, deadline: float, *, write: bool) -> None:
        """Parse the next piece of the queue: as much as is likely to be parsed (and
        with ``write`` written) before ``deadline``, within MIN_SLICE_CHARS and
        SLICE_CHARS. A fixed piece of 2 KB (2-3 ms) left a 5 ms slice a third idle
        or overran it."""
        self._begun = True
        room = deadline - time.perf_counter()
        if write:
            room -= sum(map(_html_size, self._updates)) * self._write_rate
        chars = room / max(self._char_cost(write=write), 1e-9)  # (inf: settling)
        size = SLICE_CHARS if chars >= SLICE_CHARS else max(MIN_SLICE_CHARS, int(chars))
        # An offset into the delta, not a copy of its rest: a 10 MB delta cut into
        # 2 KB steps would otherwise be copied 5,000 times.
        head, at = self._queue[0], self._head_at
        piece = head[at : at + size]
        self._head_at = at + size
        if self._head_at >= len(head):
            self._queue.popleft()
            self._head_at = 0
        started = time.thread_time()
        self._step(piece)
        # What the next piece will likely cost: the last one's, decaying, so a slow
        # one (a big table, a collection) does not shrink the pieces for long. The
        # UI thread's own time: measured on the clock, a busy machine's waits made
        # every piece and write smaller, and the stream fell behind. A small
        # piece's cost is mostly fixed (the open block rendered again), not per
        # character: measured, it made the next piece smaller still.
        rate = ratio = 0.0
        if len(piece) >= MEASURED_CHARS:
            rate = (time.thread_time() - started) / len(piece)
            if self._updates:
                ratio = _html_size(self._updates[-1]) / len(piece)
        self._parse_rate = max(rate, RATE_DECAY * self._parse_rate)
        self._html_ratio = max(ratio, RATE_DECAY * self._html_ratio)

    def _step(self, piece: str | None) -> None:
        def step() -> None:
            update = self._markdown.finish() if piece is None else self._markdown.append(piece)
            self._updates.append(update)

        self._guarded(step)

    def _guarded(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:
            log.exception("rendering Markdown failed; showing it as plain text")
            self._plain = True

    def _apply(self, update: RenderUpdate) -> None:
        if not update.finished and not update.tail_changed:
            return
        tail = update.tail
        if not update.finished and tail is not None and tail.kind != "code" and self._tail_pieces:
            self._update_prose_tail(self._pieces_of(tail.html))  # the usual frame: it grew
            return
        finished = list(update.finished)
        if finished and finished[0].kind != "code" and self._tail_pieces:
            # The open block closed: what is shown of it stays, only its end is redone.
            self._update_prose_tail(self._pieces_of(finished[0].html))
            if self._tail_todo is not None:  # not all of it shown yet: this update again
                self._updates.insert(0, update)
                return
            finished.pop(0)
            self._commit_tail()
        self._drop_tail()
        self._add_finished(finished)
        if tail is not None:
            self._put_tail(tail)
        # A block that held only the old tail and was not reused goes.
        while self.blocks and getattr(self.blocks[-1], "empty", False):
            self.blocks.pop()

    def _drop_tail(self) -> None:
        block = self._tail_block
        if block is None:
            return
        self._tail_block, self._tail_todo = None, None
        for extra in reversed(self._tail_extra):
            if self.blocks and self.blocks[-1] is extra:
                self.blocks.pop()
        self._tail_extra, self._tail_pieces = [], []
        if isinstance(block, CodeBlock):
            block.set_open_piece(None, "")
        else:
            assert isinstance(block, DocBlock)
            block.set_tail(None)

    def _commit_tail(self) -> None:
        """The tail's blocks keep what they show, as finished text."""
        first = self._tail_block
        assert isinstance(first, DocBlock)
        for block in (first, *self._tail_extra):
            block.commit_tail()
        self._tail_block, self._tail_pieces, self._tail_extra = None, [], []

    def _add_finished(self, finished: list[RenderedBlock]) -> None:
        """Append finished blocks: the prose going into one block as one piece of HTML
        (a frame's 20-30 Markdown blocks were as many parses and inserts), up to the
        block's share (PROSE_BLOCKS, PROSE_CHARS), code to its card."""
        batch: list[str] = []
        size = 0
        target: DocBlock | None = None
        for rendered in finished:
            if rendered.kind == "code":
                if target is not None:
                    target.add("".join(batch), blocks=len(batch))
                    target, batch, size = None, [], 0
                self._code_card(rendered).add_piece(rendered.html, rendered.code or "")
                continue
            for piece in prose_pieces(rendered.html):
                if target is not None and (
                    target.markdown_blocks + len(batch) >= PROSE_BLOCKS
                    or target.chars + size >= PROSE_CHARS
                ):
                    target.add("".join(batch), blocks=len(batch))
                    target, batch, size = None, [], 0
                if target is None:
                    target = self._prose_block(room=True)
                batch.append(piece)
                size += len(piece)
        if target is not None:
            target.add("".join(batch), blocks=len(batch))

    def _put_tail(self, rendered: RenderedBlock) -> None:
        if rendered.kind == "code":
            card = self._code_card(rendered)
            card.set_open_piece(rendered.html, rendered.code or "")
            self._tail_block = card
            return
        block = self._prose_block(room=False)
        self._tail_block = block
        self._update_prose_tail(prose_pieces(rendered.html))

    def _pieces_of(self, html: str) -> list[str]:
        """:func:`prose_pieces`, remembered for the last HTML (an update waiting for a
        huge tail to be shown asks again, step after step)."""
        if self._pieces_for is not html:
            self._pieces_for, self._pieces = html, prose_pieces(html)
        return self._pieces

    def _update_prose_tail(self, pieces: list[str]) -> None:
        """Show ``pieces`` as the tail: the ones that changed, a few per step (a huge
        open paragraph grows at its end; its earlier pieces stay as they are)."""
        self._tail_todo = pieces
        self._advance_tail()

    def _advance_tail(self) -> None:
        target = self._tail_todo
        first = self._tail_block
        assert target is not None and isinstance(first, DocBlock)
        shown, extra = self._tail_pieces, self._tail_extra
        done = 0
        i = 0
        while i < len(target) and done < TAIL_PIECES_PER_STEP:
            if i < len(shown) and shown[i] == target[i]:
                i += 1
                continue
            html = target[i]
            if i == 0:
                first.set_tail(html)
            elif i - 1 < len(extra):
                extra[i - 1].set_tail(html)
            else:
                block = DocBlock(self.context, muted=self.muted)
                block.set_tail(html)
                extra.append(block)
                self.blocks.append(block)
            if i < len(shown):
                shown[i] = target[i]
            else:
                shown.append(target[i])
            done += 1
            i += 1
        if i >= len(target):  # all shown: blocks of pieces no longer there go
            for gone in reversed(extra[len(target) - 1 :]):
                if self.blocks and self.blocks[-1] is gone:
                    self.blocks.pop()
            del extra[max(0, len(target) - 1) :]
            del shown[len(target) :]
            self._tail_todo = None

    def _code_card(self, rendered: RenderedBlock) -> CodeBlock:
        # The Markdown block index names the code block: its pieces, finished or open,
        # go to one card (and its Copy keeps one id).
        last = self.blocks[-1] if self.blocks else None
        if isinstance(last, CodeBlock) and last.index == rendered.index:
            return last
        card = CodeBlock(self.context, rendered.language, rendered.index)
        self.blocks.append(card)
        return card

    def _prose_block(self, *, room: bool) -> DocBlock:
        last = self.blocks[-1] if self.blocks else None
        if isinstance(last, DocBlock):
            full = last.markdown_blocks >= PROSE_BLOCKS or last.chars >= PROSE_CHARS
            if not (room and full):
                return last
        block = DocBlock(self.context, muted=self.muted)
        self.blocks.append(block)
        return block

    def _show_plain(self) -> None:
        """After a renderer failure: the whole source as plain text, nothing lost."""
        self._tail_block, self._tail_pieces, self._tail_extra = None, [], []
        self._tail_todo = None
        self.blocks[:] = []
        from rill.core.markdown import escape

        for piece in prose_pieces(f"{_PLAIN}{escape(self.text())}</p>"):
            block = DocBlock(self.context, muted=self.muted)
            block.add(piece)
            self.blocks.append(block)


def warm_up_in_background() -> None:
    """Load the Markdown parser, both Pygments styles and the common lexers on a thread.

    The first code block of a language otherwise stalls the UI thread while Pygments
    imports its lexer (about 40 ms for Python). Imports are I/O and one-off, so a
    daemon thread is enough; it runs once per process.
    """
    if _warm_up_started.is_set():
        return
    _warm_up_started.set()

    def warm() -> None:
        from rill.core.markdown import render_all

        for language in COMMON_LANGUAGES:
            for dark in (False, True):
                try:
                    render_all(f"```{language}\nx = 'y'  # z\n```\n", markdown_theme(dark))
                except Exception:  # best effort: a real message shows (and logs) it
                    log.debug("warming up the %s lexer failed", language, exc_info=True)

    threading.Thread(target=warm, name="rill-markdown-warm-up", daemon=True).start()
