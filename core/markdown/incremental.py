"""Incremental Markdown → Qt rich-text HTML for answers that stream in chunk by chunk.

The source is kept as a list of top-level blocks. A block that later text can no longer
change is rendered once ("finished"); only the open tail is re-rendered per flush, so a
flush costs what the tail costs, not what the answer costs. Qt-free by design.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from rill.core.markdown.highlight import (
    Theme,
    language_of,
    piece_ends,
    split_lines,
)
from rill.core.markdown.highlight_budget import render_step
from rill.core.markdown.html import (
    Seg,
    Window,
    code_html,
    fence_closes,
    list_open_html,
    loose_before_next,
    make_parser,
    maybe_definition,
    open_window,
    render_source,
    segment,
    window_continues,
)
from rill.core.markdown.math import COUNTER_KEY, FormulaCounter

__all__ = [
    "IncrementalMarkdown",
    "RenderUpdate",
    "RenderedBlock",
    "Theme",
    "render_all",
    "render_html",
]

# An open tail whose last render took longer than TAIL_BUDGET seconds (a huge paragraph,
# table or line: nothing that can be cut without changing its meaning) is re-rendered
# only each time it has grown by TAIL_GROWTH, so streaming it costs O(n) in total
# instead of O(n) per flush. Tails under TAIL_ALWAYS chars are always re-rendered.
TAIL_BUDGET = 0.004
TAIL_GROWTH = 1.25
TAIL_ALWAYS = 2_048
# An open paragraph, quote or table at least this big checks its new lines on their own
# instead of re-parsing the whole block to see whether it ended (see Window).
WINDOW_MIN = 4_096
_MD = make_parser()


@dataclass(frozen=True, slots=True)
class RenderedBlock:
    """One rendered piece of a message, ready to insert into a QTextDocument.

    `index` numbers the top-level Markdown blocks of the message; the items of one list
    and the pieces of one long code block share it and count up in `part`. Code pieces
    carry their `code` and `language`: join the `code` of the pieces with one index to
    copy the whole block.
    """

    html: str
    kind: str  # paragraph, heading, code, list_item, blockquote, table, rule, other
    index: int
    part: int = 0
    code: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class RenderUpdate:
    """What changed since the previous call: append `finished`, then replace the tail.

    `tail_changed` is False when the tail is the same as last time. `tail_exact` is False
    while a slow open block is re-rendered only at growth checkpoints (see TAIL_BUDGET)
    and its HTML lags the source; finish() is always exact.
    """

    finished: list[RenderedBlock]
    tail: RenderedBlock | None
    tail_changed: bool = True
    tail_exact: bool = True


@dataclass(frozen=True, slots=True)
class _Items:
    """A top-level list whose earlier items are already finished."""

    ordered: bool
    number: int
    loose: bool
    part: int


@dataclass(slots=True)
class _Ctx:
    """What rendering the open region depends on besides its source."""

    index: int = 0
    refs: dict[str, Any] = field(default_factory=dict)
    items: _Items | None = None
    pieces_done: int = 0  # pieces of the region's first (code) block already finished
    lines_done: int = 0
    formulas: FormulaCounter = field(default_factory=FormulaCounter)

    def copy(self) -> _Ctx:
        return replace(self, refs=dict(self.refs), formulas=self.formulas.copy())

    def env(self) -> dict[str, Any]:
        """The parser's env for one block: the message's references and formula count."""
        return {"references": self.refs, COUNTER_KEY: self.formulas}


@dataclass(slots=True)
class _Fence:
    """An unindented fence still open at the end of the region (fast path)."""

    marker: str
    length: int
    language: str | None
    pending: list[str]  # complete code lines not yet in a finished piece


def _normalize(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd")


class IncrementalMarkdown:
    """Markdown fed in deltas and rendered block by block (see the module docstring).

    ``update = md.append(delta)`` per flush, ``md.finish()`` at the end of the stream.
    For every way of splitting a text, the finished blocks plus the tail after the last
    append (when `tail_exact`), and the finished blocks after finish(), equal
    ``render_all(text, theme)``.
    """

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self._done_src: list[str] = []
        self._open = ""  # source of the open region; it always starts at a block start
        self._scanned = 0  # chars of _open already checked by a fast path
        self._held_cr = False  # a trailing "\r" that may be half of "\r\n"
        self._ctx = _Ctx()
        self._fence: _Fence | None = None
        self._window: Window | None = None
        self._tail: RenderedBlock | None = None
        self._tail_mark = 0
        self._tail_cost = 0.0
        self._closed = False

    @property
    def text(self) -> str:
        """The normalised source received so far."""
        return "".join(self._done_src) + self._open

    def append(self, delta: str) -> RenderUpdate:
        """Add a delta; return the newly finished blocks and the re-rendered tail.

        Raises RuntimeError after finish().
        """
        if self._closed:
            raise RuntimeError("append() after finish()")
        with render_step():  # its code blocks share one highlighting budget
            return self._append(delta)

    def _append(self, delta: str) -> RenderUpdate:
        if self._held_cr:
            delta = "\r" + delta
        self._held_cr = delta.endswith("\r")
        delta = _normalize(delta[:-1] if self._held_cr else delta)
        self._open += delta
        finished: list[RenderedBlock] = []
        if "\n" in delta:
            if self._fence:
                finished = self._scan_fence()
            elif self._window is None or not self._window_continues(self._window):
                finished = self._scan()
        size = self._tail_size()
        slow = self._tail_cost > TAIL_BUDGET and size > TAIL_ALWAYS
        if slow and not finished and size < self._tail_mark:
            return RenderUpdate(finished, self._tail, tail_changed=False, tail_exact=False)
        started = time.perf_counter()
        tail, self._tail = self._tail, self._render_tail()
        self._tail_cost = time.perf_counter() - started
        self._tail_mark = int(size * TAIL_GROWTH)
        return RenderUpdate(finished, self._tail, tail_changed=tail != self._tail)

    def finish(self) -> RenderUpdate:
        """Close the stream: everything left is finished and there is no tail."""
        if self._closed:
            return RenderUpdate([], None, tail_changed=False)
        with render_step():  # its code blocks share one highlighting budget
            return self._finish()

    def _finish(self) -> RenderUpdate:
        self._closed = True
        if self._held_cr:
            self._open += "\n"
        segs, offsets = segment(_MD, self._open)
        done = self._render_segs(self._open, segs, offsets, self._ctx, len(segs))
        self._done_src.append(self._open)
        had_tail, self._tail = self._tail is not None, None
        self._open, self._fence, self._window = "", None, None
        return RenderUpdate(done, None, tail_changed=had_tail)

    def _scan(self) -> list[RenderedBlock]:
        """Parse the open region's complete lines; finish what a later block has closed."""
        self._fence, self._window = None, None
        text = self._open[: self._open.rfind("\n") + 1]
        segs, offsets = segment(_MD, text)
        if not segs:
            return []
        # A paragraph starting with "[" may still become a reference definition, which
        # would belong to (and may be used by) the block before it: keep that one open.
        keep = 2 if len(segs) > 1 and maybe_definition(text, offsets, segs[-1]) else 1
        done = self._render_segs(text, segs, offsets, self._ctx, len(segs) - keep)
        last = segs[-keep]
        if len(segs) == 1 and len(text) >= WINDOW_MIN:
            self._window = open_window(text, offsets, last)
        cut = offsets[last.line] if len(segs) > keep else 0
        self._done_src.append(self._open[:cut])
        self._open, text = self._open[cut:], text[cut:]
        self._scanned = len(text)
        if last.kind == "code":  # finish the pieces of a long code block as they fill up
            tok = _MD.parse(text)[0]
            lines = split_lines(tok.content)
            language = language_of(tok.info) if tok.type == "fence" else None
            done += self._code_pieces(
                lines[self._ctx.lines_done :], language, self._ctx, complete=False
            )
            region, (first, end) = split_lines(text), tok.map or (0, 0)
            if tok.type == "fence" and region[first][0] in "`~":  # unindented: fast path
                marker, length = tok.markup[0], len(tok.markup)
                if end - first == 1 or not fence_closes(region[end - 1], marker, length):
                    pending = lines[self._ctx.lines_done :]  # after the pieces just finished
                    self._fence = _Fence(marker, length, language, pending)
        return done

    def _scan_fence(self) -> list[RenderedBlock]:
        """Fast path for an open fence: look for the closing line without parsing."""
        assert self._fence is not None
        fence = self._fence
        end = self._open.rfind("\n") + 1
        new_lines = split_lines(self._open[self._scanned : end])
        self._scanned = end
        for line in new_lines:
            if fence_closes(line, fence.marker, fence.length):
                return self._scan()
            fence.pending.append(line)
        before = self._ctx.lines_done
        done = self._code_pieces(fence.pending, fence.language, self._ctx, complete=False)
        del fence.pending[: self._ctx.lines_done - before]
        return done

    def _window_continues(self, window: Window) -> bool:
        end = self._open.rfind("\n") + 1
        if not window_continues(_MD, window, self._open[self._scanned : end]):
            return False
        self._scanned = end
        return True

    def _tail_size(self) -> int:
        if self._fence is None:
            return len(self._open)
        return sum(map(len, self._fence.pending)) + len(self._open) - self._scanned

    def _render_tail(self) -> RenderedBlock | None:
        ctx = self._ctx.copy()
        if self._fence is not None:
            lines = list(self._fence.pending)
            partial = self._open[self._scanned :]
            if partial and not fence_closes(partial, self._fence.marker, self._fence.length):
                lines.append(partial)
            blocks = self._code_pieces(lines, self._fence.language, ctx, complete=True)
        else:
            segs, offsets = segment(_MD, self._open)
            blocks = self._render_segs(self._open, segs, offsets, ctx, len(segs))
        if len(blocks) <= 1:
            return blocks[0] if blocks else None
        head = blocks[0]
        return RenderedBlock("".join(b.html for b in blocks), head.kind, head.index, head.part)

    def _render_segs(
        self, text: str, segs: list[Seg], offsets: list[int], ctx: _Ctx, count: int
    ) -> list[RenderedBlock]:
        """Render segs[:count] of `text` as finished blocks, advancing `ctx` past them."""
        out: list[RenderedBlock] = []
        for i in range(count):
            seg, nxt = segs[i], segs[i + 1] if i + 1 < len(segs) else None
            begin = offsets[seg.line] if i else 0  # the first absorbs leading blank lines
            src = text[begin : offsets[nxt.line] if nxt else len(text)]
            if seg.kind == "list_item":
                out.append(self._render_item(src, seg, nxt, ctx))
            elif seg.kind == "code":
                tok = _MD.parse(src, {"references": ctx.refs})[0]  # defs after it count
                lines = split_lines(tok.content)[ctx.lines_done :]
                language = language_of(tok.info) if tok.type == "fence" else None
                out += self._code_pieces(lines, language, ctx, complete=True)
            else:
                html = render_source(_MD, src, ctx.env(), self.theme)
                out.append(RenderedBlock(html, seg.kind, ctx.index))
                ctx.index += 1
        return out

    def _render_item(self, src: str, seg: Seg, nxt: Seg | None, ctx: _Ctx) -> RenderedBlock:
        """Render one top-level list item as a one-item list that continues its list."""
        last = nxt is None or nxt.kind != "list_item" or nxt.group != seg.group
        items = ctx.items
        if items is None:
            loose = not last and loose_before_next(_MD, src, seg)
            items = _Items(seg.ordered, seg.start, loose, 0)
        outer = list_open_html(items.ordered, items.number, first=items.part == 0, last=last)
        env = ctx.env()
        html = render_source(_MD, src, env, self.theme, outer, loose=items.loose)
        block = RenderedBlock(html, "list_item", ctx.index, items.part)
        if last:
            ctx.items, ctx.index = None, ctx.index + 1
        else:
            ctx.items = replace(items, number=items.number + 1, part=items.part + 1)
        return block

    def _code_pieces(
        self, lines: list[str], language: str | None, ctx: _Ctx, *, complete: bool
    ) -> list[RenderedBlock]:
        """Render code lines after the finished pieces; an open block keeps its last."""
        ends = piece_ends(lines)
        if not complete:
            ends = ends[:-1]
        out: list[RenderedBlock] = []
        begin = 0
        for j, end in enumerate(ends):
            code = "".join(lines[begin:end])
            last = complete and j == len(ends) - 1
            html = code_html(code, language, self.theme, first=ctx.pieces_done == 0, last=last)
            out.append(RenderedBlock(html, "code", ctx.index, ctx.pieces_done, code, language))
            ctx.pieces_done += 1
            ctx.lines_done += end - begin
            begin = end
        if complete:
            ctx.index, ctx.pieces_done, ctx.lines_done = ctx.index + 1, 0, 0
        return out


def render_all(text: str, theme: Theme) -> list[RenderedBlock]:
    """Render a complete message (history) into the blocks streaming it would give."""
    md = IncrementalMarkdown(theme)
    md._open = _normalize(text)  # one segmentation pass, straight to finish()
    return md.finish().finished


def render_html(text: str, theme: Theme) -> str:
    """Render a complete message to one HTML string."""
    return "".join(block.html for block in render_all(text, theme))
