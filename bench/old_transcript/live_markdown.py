"""A Markdown region of the transcript that grows at its end while an answer streams.

``rill.core.markdown.incremental`` renders finished blocks once and re-renders only the open tail;
this module inserts the finished blocks into the document once and replaces only the
tail's region on each flush. Its bookkeeping is two lengths, so the work per flush is
the size of the delta and the tail, never the size of the answer. Code blocks get a
header line with their language and a Copy link.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from bench.old_transcript.code_copy import COPY_LABEL, PAD
from bench.old_transcript.document import TranscriptDocument
from bench.old_transcript.message_html import PREVIEW_CHARS, soft_breaks
from rill.gui.common import markdown_theme

# The Markdown stack (markdown-it, Pygments) is imported where text is first rendered,
# not with this module: the window's first paint needs none of it (see "Startup" in
# docs/ARCHITECTURE.md).
if TYPE_CHECKING:
    from rill.core.markdown import RenderedBlock, RenderUpdate, Theme

# Languages whose lexers are loaded ahead of need (see warm_up_in_background).
COMMON_LANGUAGES = (
    "python", "javascript", "typescript", "bash", "json", "rust", "go", "c", "cpp",
    "java", "html", "css", "sql", "yaml", "diff",
)  # fmt: skip
_warm_up_started = threading.Event()
log = logging.getLogger(__name__)

# The first piece of a code block keeps its top margin on the header line instead, so
# the header and the code read as one box.
_FIRST_PIECE_MARGIN = re.compile(r"(<pre style=\"[^\"]*?)margin-top:\d+px")
# Code wraps instead of widening the whole transcript: one document cannot scroll a
# single block sideways, and a 480 px window must not scroll horizontally.
_PRE = '<pre style="'
_PRE_WRAP = '<pre style="white-space:pre-wrap;'


class CodeRegistry:
    """The text behind every code block's Copy link, keyed by view-wide ids.

    A streamed code block arrives in pieces (and an open last piece that changes);
    Copy gives the finished pieces joined plus the open one.
    """

    def __init__(self) -> None:
        self._pieces: dict[int, list[str]] = {}
        self._open: dict[int, str] = {}

    def new(self) -> int:
        """Reserve an id for a new code block."""
        code_id = len(self._pieces)
        self._pieces[code_id] = []
        return code_id

    def add_piece(self, code_id: int, code: str) -> None:
        """Add a finished piece of code block ``code_id``."""
        self._pieces[code_id].append(code)
        self._open.pop(code_id, None)

    def set_open_piece(self, code_id: int, code: str) -> None:
        """Set the still-open last piece of code block ``code_id``."""
        self._open[code_id] = code

    def text(self, code_id: int) -> str | None:
        """The code of block ``code_id`` (None for an unknown id)."""
        if code_id not in self._pieces:
            return None
        return "".join(self._pieces[code_id]) + self._open.get(code_id, "")

    def clear(self) -> None:
        """Forget every code block."""
        self._pieces.clear()
        self._open.clear()


class BlockHtml:
    """Turns one message's rendered blocks into the HTML the document gets.

    Adds the code header (language and Copy) in front of a code block's first piece
    and records the code for Copy; the same block index always maps to the same id,
    so a tail rendered many times and then finished keeps one Copy target.
    """

    def __init__(self, codes: CodeRegistry, theme: Theme) -> None:
        self._codes = codes
        self._theme = theme
        self._ids: dict[int, int] = {}

    def html(self, blocks: Iterable[RenderedBlock | None], *, finished: bool) -> str:
        """The HTML of ``blocks`` (None: not rendered yet, skipped); ``finished`` closes them."""
        out: list[str] = []
        for block in blocks:
            if block is None:
                continue
            if block.kind != "code":
                out.append(block.html)
                continue
            code_id = self._ids.get(block.index)
            if code_id is None:
                code_id = self._ids[block.index] = self._codes.new()
            if block.code is not None:
                if finished:
                    self._codes.add_piece(code_id, block.code)
                else:
                    self._codes.set_open_piece(code_id, block.code)
            html = block.html.replace(_PRE, _PRE_WRAP)
            if block.part == 0:
                out.append(self._header(code_id, block.language))
                html = _FIRST_PIECE_MARGIN.sub(r"\1margin-top:0px", html, count=1)
            out.append(html)
        return soft_breaks("".join(out))

    def _header(self, code_id: int, language: str | None) -> str:
        from rill.core.markdown import escape

        theme = self._theme
        label = escape(language) if language else "code"
        return (
            f'<p style="margin-top:10px; margin-bottom:0px; '
            f"background-color:{theme.code_background}; color:{theme.muted}; "
            f'font-size:small;">&nbsp;{label} &nbsp;·&nbsp; '
            f'<a href="rill:copy/{code_id}" style="color:{theme.link}; '
            f'text-decoration:none;">{COPY_LABEL}</a>{PAD}</p>'  # room for "Copied ✓"
        )


class LiveMarkdown:
    """One streamed Markdown region: ``done`` characters of finished blocks, then the tail.

    Work is split in two so neither half holds the UI thread for long: :meth:`render`
    runs the Markdown renderer over queued text in slices until a deadline, and
    :meth:`apply` writes what it produced into the document in one edit. The caller
    passes the region's start on every apply, because text above it (the thoughts of
    the same answer) may have grown since the last one.
    """

    def __init__(
        self,
        document: TranscriptDocument,
        codes: CodeRegistry,
        *,
        dark: bool,
        wrap: Callable[[str], str] | None = None,
        limit: int = PREVIEW_CHARS,
    ) -> None:
        from rill.core.markdown import IncrementalMarkdown

        theme = markdown_theme(dark)
        self._document = document
        self._markdown = IncrementalMarkdown(theme)
        self._blocks = BlockHtml(codes, theme)
        self._wrap = wrap
        self.done = 0  # document length of the finished blocks
        self.tail = 0  # document length of the open tail
        self._queue: list[str] = []  # text pushed, not rendered yet
        self._source: list[str] = []  # every delta, for text and the plain fallback
        self._finished_html: list[str] = []  # rendered, not applied yet
        self._tail_html: str | None = None  # None: the tail in the document is current
        self._closing = False
        self._closed = False  # the renderer has finished: everything is a finished block
        self._plain = False  # rendering failed once: the region shows plain text
        self._plain_dirty = False  # ... and the document does not show all of it yet
        self._room = limit  # characters the renderer may still take (see ``cut``)
        self.shown = 0  # characters handed to the renderer
        self.total = 0  # characters pushed

    @property
    def length(self) -> int:
        """The region's current length in the document."""
        return self.done + self.tail

    @property
    def text(self) -> str:
        """Everything pushed so far."""
        if len(self._source) > 1:
            self._source[:] = ["".join(self._source)]
        return self._source[0] if self._source else ""

    @property
    def pending(self) -> bool:
        """Whether pushed text or a close still has to reach the document."""
        return bool(
            self._queue
            or self._plain_dirty
            or self._finished_html
            or self._tail_html is not None
            or (self._closing and not self._closed)
        )

    def push(self, delta: str) -> None:
        """Queue ``delta`` (cheap; :meth:`render` and :meth:`apply` do the work).

        Beyond the region's limit text is kept (``text``) but not rendered.
        """
        if delta and not self._closing:
            self._source.append(delta)
            self.total += len(delta)
            shown = delta[: self._room]
            if shown:
                self._queue.append(shown)
                self._room -= len(shown)
                self.shown += len(shown)

    @property
    def cut(self) -> bool:
        """Whether more text was pushed than the region shows."""
        return self.total > self.shown

    def close(self) -> None:
        """No more text: once the queue is rendered, the tail becomes a finished block."""
        self._closing = True

    def render(self, deadline: float, slice_chars: int = 2048) -> bool:
        """Run the renderer over queued text until ``deadline``; True when the queue is empty.

        At least one slice is rendered per call, so work always advances.
        """
        while self._queue or (self._closing and not self._closed):
            if self._plain:
                self._queue.clear()
                self._closed = self._closing
                self._plain_dirty = True
                break
            if self._queue:
                head = self._queue[0]
                piece, rest = head[:slice_chars], head[slice_chars:]
                if rest:
                    self._queue[0] = rest
                else:
                    self._queue.pop(0)
                self._run(self._markdown.append, piece)
            else:
                self._run(self._markdown.finish, None)
                self._closed = True
            if time.perf_counter() >= deadline:
                break
        return not self._queue and (self._closed or not self._closing)

    def _run(self, step: Callable[..., RenderUpdate], piece: str | None) -> None:
        """One renderer call: ``append(piece)``, or ``finish()`` when piece is None."""
        try:
            update = step() if piece is None else step(piece)
            self._finished_html.append(self._html(update.finished, finished=True))
            if piece is None:
                self._tail_html = ""
            elif update.tail_changed:
                self._tail_html = self._html([update.tail], finished=False)
        except Exception:
            log.exception("rendering streamed Markdown failed; showing it as plain text")
            self._plain = self._plain_dirty = True
            self._finished_html.clear()
            self._tail_html = None

    def apply(self, position: int) -> int:
        """Write the rendered output into the region at ``position``; return the length change."""
        before = self.length
        doc = self._document
        if self._plain:
            if not self._plain_dirty:
                return 0
            self._plain_dirty = False
            self.done = doc.replace(position, self.length, plain_html(self.text[: self.shown]))
            self.tail = 0
            return self.length - before
        finished_html = "".join(self._finished_html)
        tail_html = self._tail_html
        self._finished_html.clear()
        self._tail_html = None
        if not finished_html and tail_html is None:
            return 0
        doc.begin_edit()
        try:
            if tail_html is not None:
                doc.remove(position + self.done, self.tail)
                self.tail = 0
            self.done += doc.insert(position + self.done, finished_html)
            if tail_html is not None:
                self.tail = doc.insert(position + self.done, tail_html)
        finally:
            doc.end_edit()
        return self.length - before

    def _html(self, blocks: Iterable[RenderedBlock | None], *, finished: bool) -> str:
        html = self._blocks.html(blocks, finished=finished)
        return self._wrap(html) if self._wrap is not None and html else html


def render_markdown(text: str, codes: CodeRegistry, *, dark: bool) -> str:
    """The HTML of a whole Markdown text at once (history, re-themes, thoughts).

    A renderer failure shows the text as plain text rather than losing the message.
    The caller cuts a long text to its preview first (``message_html.preview``).
    """
    from rill.core.markdown import render_all

    theme = markdown_theme(dark)
    try:
        return BlockHtml(codes, theme).html(render_all(text, theme), finished=True)
    except Exception:
        log.exception("rendering Markdown failed; showing it as plain text")
        return plain_html(text)


def plain_html(text: str) -> str:
    """``text`` as one paragraph of plain text that keeps its line breaks."""
    from rill.core.markdown import escape

    return f'<p style="white-space:pre-wrap;">{soft_breaks(escape(text))}</p>'


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
