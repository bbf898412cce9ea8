"""A message card: its parts' views and its chrome, as blocks stacked in the column.

A card from history builds its views only when it first comes into view; a long
answer renders in slices (``render``), so opening it never holds the UI thread. The
streaming answer's card takes deltas: its text goes to the current Markdown view, and
a part of another kind (an image, a code run, a tool call) is placed exactly where it
came (the answer's parts say after how many characters of text); the deltas carry
such a part's Markdown (``Message.text``), which its card stands for, so the card
skips those characters. What grounded the answer (markers, Sources) and the pages it
read are shown once it ends, or when it is opened from history.
"""

from __future__ import annotations

import bisect
import operator
import time
from collections.abc import Callable
from typing import Any, cast

from rill.core.answer_text import part_markdown
from rill.core.types import Message, MessageStatus, Part, Role
from rill.gui.transcript.chrome import (
    BubbleBlock,
    FooterBlock,
    answer_actions,
    file_tiles,
    user_actions,
    user_chunks,
)
from rill.gui.transcript.message_html import SINGLE, TurnInfo, footer_facts
from rill.gui.transcript.renderers import (
    AS_TEXT,
    answer_extras,
    cited_parts,
    pair_calls,
    part_kind,
    render_part,
)
from rill.gui.transcript.renderers.base import Block, Context, PartView, blocks_text
from rill.gui.transcript.renderers.doc_block import LINE_PX, DocBlock
from rill.gui.transcript.renderers.images import ImageBlock
from rill.gui.transcript.renderers.lines import LineBlock, WaitingBlock
from rill.gui.transcript.renderers.markdown import MarkdownView
from rill.gui.transcript.renderers.notices import ErrorCard, countdown, marker
from rill.gui.transcript.renderers.thoughts import ThoughtsView

USER_TOP_PX = 16
ANSWER_TOP_PX = 4
BOTTOM_PX = 4
# What an unbuilt card reads as its views, images and blocks: immutable, so an edit
# that forgot to build the card first fails at once instead of sharing the edit.
_NONE = cast("list[Any]", ())
RECHECK_BLOCKS = 8  # a restack computes again the tops of this many blocks before a change


def _same_prefix(old: list[Block], new: list[Block]) -> int:
    """How many blocks at the start of ``new`` are those of ``old``."""
    same = list(map(operator.is_, old, new))  # (C-level: a card may hold thousands)
    try:
        return same.index(False)
    except ValueError:
        return len(same)


class Card:
    """One message of the surface."""

    # A chat of thousands of messages makes as many cards at once: only what every card
    # needs is set per instance; the rest starts as these class defaults, and the lists
    # come with build().
    final: Message | None = None
    hovered = False
    notice = ""  # a retry countdown under the answer
    waiting_phase = 0
    received = False
    thoughts: ThoughtsView | None = None
    _footer: Block | None = None
    _header: Block | None = None  # an answer's model name, above it
    _built = False
    _column = -1
    _shown_text = 0  # streaming: answer text taken from the message so far ...
    _shown_thought = 0  # ... its thoughts ...
    _parts_seen = 0  # ... and the parts looked at for images and cards
    _skip = 0  # characters of a placed part's Markdown still to come in the deltas
    _cited = False  # markers were placed in the text (it is not the message's own)
    # Made by build(): a chat of 5,000 messages made 25,000 empty lists at once, and
    # every one was work for Python's collector (a full collection inside the open).
    views: list[PartView] = _NONE
    _status: list[Block] = _NONE
    _blocks: list[Block] = _NONE
    _tops: list[int] = cast("list[int]", (0,))
    _valid = 0  # how many of _tops hold (the rest are computed on the next layout)
    # Parts with views of their own (images, code runs, tool calls), each with the
    # length of the answer text before it, waiting for their place.
    _images: list[tuple[int, Part]] = _NONE

    def __init__(
        self,
        card_id: int,
        message: Message,
        context: Context,
        *,
        live: bool = False,
        info: TurnInfo | Callable[[Message], TurnInfo] = SINGLE,
        show_thoughts: bool = True,
    ) -> None:
        self.id = card_id
        self.message = message
        self.context = context
        self.live = live  # streaming now (until finish)
        # Versions and actions: a lookup (in a store, for a chat of thousands of
        # messages) is asked only when the card is built.
        self._info = info
        self.show_thoughts = show_thoughts
        self.index = 0  # its place in the surface (the surface keeps it)
        self.height = 0  # an estimate until laid out at the column

    @property
    def info(self) -> TurnInfo:
        """The message's versions and actions."""
        if not isinstance(self._info, TurnInfo):
            self._info = self._info(self.shown)
        return self._info

    @info.setter
    def info(self, value: TurnInfo) -> None:
        self._info = value

    # ------------------------------------------------------------ building

    @property
    def shown(self) -> Message:
        """The message as it stands (the final one once the answer settled)."""
        return self.final or self.message

    @property
    def built(self) -> bool:
        """Whether the views exist (the card was in view, or streams)."""
        return self._built

    def build(self) -> None:
        """Make the views of the message's parts and the chrome."""
        if self._built:
            return
        self._built = True
        if self.views is _NONE:  # (a live card's rebuild may have made them)
            self.views, self._images = [], []
        message = self.shown
        if self.live:
            self._scan_parts()
        elif message.role is Role.USER:
            self._build_user(message)
        else:
            self._build_answer(message)
        self._build_chrome()

    def release(self) -> None:
        """Forget the views (memory); the height stays as the estimate until rebuilt."""
        if self.live or not self._built:
            return
        self._built = False
        self.views, self.thoughts, self._status, self._footer = _NONE, None, _NONE, None
        self._header = None
        self._blocks, self._tops, self._images = _NONE, Card._tops, _NONE

    def _build_user(self, message: Message) -> None:
        view = PartView()
        for part in message.images:
            if part.data is not None:
                block = ImageBlock(self.context, part, thumbnail=True)
                block.align_right = True
                view.blocks.append(block)
        if message.files:  # documents, audio and video: a tile each
            tiles = DocBlock(self.context)
            tiles.add(file_tiles(message.files, self.context.palette))
            tiles.align_right = tiles.shrink = True
            view.blocks.append(tiles)
        uris = [p.file_uri for p in message.images if p.data is None and p.file_uri]
        if uris:
            chips = "   ".join(f"Image: {_short(uri)}" for uri in uris)
            view.blocks.append(LineBlock(self.context, chips, align_right=True))
        chunks = user_chunks(message.text)
        for n, chunk in enumerate(chunks):
            view.blocks.append(
                BubbleBlock(self.context, chunk, first=n == 0, last=n == len(chunks) - 1)
            )
        self.views = [view]

    def _build_answer(self, message: Message) -> None:
        thoughts = message.thought_text
        if thoughts:
            self.thoughts = ThoughtsView(self.context, thoughts, card_id=self.id, live=False)
        self._build_views(message)

    def _build_views(self, message: Message) -> None:
        """The views of a settled answer's parts (markers placed), then its extras."""
        parts, placed = cited_parts(message.parts, message.grounding)
        self._cited = placed > 0
        self.views = []
        text: list[str] = []
        for part in parts:
            kind = part_kind(part)
            if kind == "thought":
                continue
            if kind == "text" or kind in AS_TEXT:
                text.append(part_markdown(part))
                continue
            self._flush_text(text)
            self.views.append(render_part(self.context, part, self.id, kind=kind))
        self._flush_text(text)
        pair_calls(self.views)
        self.views += answer_extras(self.context, message)

    def _flush_text(self, text: list[str]) -> None:
        if text:
            view = MarkdownView(self.context, "".join(text))
            view.close()
            self.views.append(view)
            text.clear()

    def _build_chrome(self) -> None:
        message = self.shown
        if message.role is Role.USER:
            self._status = []
            self._footer = FooterBlock(
                self.context, self.id, self.info, user_actions(self.info), [], align_right=True
            )
            self._restack()
            return
        self._status = self._status_blocks(message)
        model = message.model_version or message.model
        # The model's name heads its answer (the footer keeps the numbers).
        self._header = LineBlock(self.context, model, bold=True, top=0) if model else None
        if self.live:
            self._footer = None
        else:
            failed = message.status in (MessageStatus.FAILED, MessageStatus.BLOCKED)
            interrupted = message.status is MessageStatus.INTERRUPTED
            actions = answer_actions(
                message, self.info, regenerate=not failed and not interrupted, retry=False
            )
            self._footer = FooterBlock(
                self.context, self.id, self.info, actions, footer_facts(message)
            )
        self._restack()

    def _status_blocks(self, message: Message) -> list[Block]:
        out: list[Block] = []
        if self.live:
            if self.notice:
                out.append(countdown(self.context, self.notice))
            else:  # the dots: waiting for the first word, then "still writing"
                waiting = WaitingBlock(self.context)
                waiting.phase = self.waiting_phase
                waiting.streaming = self.received
                out.append(waiting)
            return out
        if message.status in (MessageStatus.FAILED, MessageStatus.BLOCKED):
            card = ErrorCard(self.context, message, self.id, retry=self.info.actions)
            card.countdown = self.notice
            out.append(card)
            return out
        out += marker(self.context, message, self.id, actions=self.info.actions)
        if self.notice:
            out.append(countdown(self.context, self.notice))
        return out

    def refresh_chrome(self) -> None:
        """Rebuild the status and footer (versions, notices, the end of a stream)."""
        if self._built:
            self._build_chrome()

    def _restack(self) -> None:
        """The card's blocks in order, after its views or chrome changed."""
        blocks: list[Block] = [self._header] if self._header is not None else []
        if self.thoughts is not None and self.show_thoughts:
            blocks += self.thoughts.blocks
        for view in self.views:
            blocks += view.blocks
        blocks += self._status
        if self._footer is not None:
            blocks.append(self._footer)
        if self._footer is not None and isinstance(self._footer, FooterBlock):
            self._footer.shown = self.hovered
        # Only the tops after the blocks still in place are computed again (and those
        # of the last few of them, whose text a stream may have changed): a streamed
        # frame appends blocks to a card of thousands, and recomputing every top cost
        # each frame in proportion to the answer's length.
        kept = _same_prefix(self._blocks, blocks) + 1
        self._valid = max(1, min(self._valid, kept - RECHECK_BLOCKS))
        self._blocks = blocks

    @property
    def blocks(self) -> list[Block]:
        """The blocks, top to bottom (builds the card)."""
        self.build()
        return self._blocks

    # ------------------------------------------------------------ streaming

    def unseen(self) -> tuple[str, str]:
        """What the live answer gained since the card last took its text: its text and
        its thoughts (``Message.text_after``, which costs what it returns)."""
        message = self.message
        return (
            message.text_after(self._shown_text),
            message.text_after(self._shown_thought, thought=True),
        )

    def push(self, text: str, thought: str, deadline: float, *, parse: bool = True) -> bool:
        """One frame's deltas of the live answer, parsed until ``deadline`` (unless not
        ``parse``: queued only); True when what the card shows changed (thoughts, the
        first text, a new part). Otherwise the text waits for :meth:`render` (the next
        turn) to reach the documents."""
        self.build()
        shown = (len(self.views), self.received)
        if thought:
            if self.thoughts is None:
                self.thoughts = ThoughtsView(self.context, card_id=self.id, live=True)
            self.thoughts.push(thought)
            self._shown_thought += len(thought)
        if text:
            if self.thoughts is not None:
                self.thoughts.end()
            self._scan_parts()
            self._push_text(text)
        if (text or thought) and not self.received:
            self.received = True
            self._build_chrome()
        if thought or shown != (len(self.views), self.received):
            self._restack()
            self.render(deadline)
            return True
        for view in self.views if parse else ():
            if isinstance(view, MarkdownView) and view.streaming:
                view.parse(deadline)
        return False

    def _scan_parts(self) -> None:
        """Note the parts with views of their own, each with the length of the answer
        text before it (text parts before a later part no longer grow)."""
        parts = self.message.parts
        while self._parts_seen < len(parts):
            part = parts[self._parts_seen]
            kind = part_kind(part)
            if kind not in ("text", "thought") and kind not in AS_TEXT:
                before = parts[: self._parts_seen]
                # As ``unseen`` counts the answer's text (``Message.text_after``).
                offset = sum(len(part_markdown(p)) for p in before)
                self._images.append((offset, part))
            self._parts_seen += 1
        self._place_images()

    def _place_images(self) -> None:
        """Place the parts whose text has been reached; their Markdown is to be skipped."""
        while not self._skip and self._images and self._images[0][0] <= self._shown_text:
            _at, part = self._images.pop(0)
            if self.views and isinstance(self.views[-1], MarkdownView):
                self.views[-1].close()
            self.views.append(render_part(self.context, part, self.id))
            self._skip = len(part_markdown(part))
            if part.function_response is not None:
                pair_calls(self.views)

    def _push_text(self, text: str) -> None:
        while True:
            if self._skip:  # a placed part's Markdown: its card shows it
                eaten = min(self._skip, len(text))
                text = text[eaten:]
                self._skip -= eaten
                self._shown_text += eaten
                if self._skip:
                    return
            self._place_images()
            if self._skip:
                continue
            if not text:
                return
            upto = self._images[0][0] - self._shown_text if self._images else len(text)
            piece, text = text[: max(1, upto)], text[max(1, upto) :]
            view = self.views[-1] if self.views else None
            if not isinstance(view, MarkdownView) or not view.streaming:
                view = MarkdownView(self.context)
                self.views.append(view)
            view.push(piece)
            self._shown_text += len(piece)

    def render(self, deadline: float) -> bool:
        """Render queued text (thoughts, then the views) until ``deadline``; True when done."""
        self.build()
        before = self._shape()
        views: list[PartView] = [v for v in (self.thoughts, *self.views) if v is not None]
        done = True
        for view in views:
            if view.pending:
                done = view.render(deadline) and done
                if time.perf_counter() >= deadline and view.pending:
                    done = False
                    break
        if self._shape() != before or (self.thoughts is not None and self.thoughts.open):
            self._restack()
        return done and not self.pending

    def _shape(self) -> list[tuple[int, int]]:
        # Each view's block count and last block: a view that replaced its blocks (the
        # plain-text fallback) changed the card as much as one that added some.
        return [(len(v.blocks), id(v.blocks[-1]) if v.blocks else 0) for v in self.views]

    @property
    def has_content(self) -> bool:
        """Whether some part already shows something."""
        return any(view.blocks for view in self.views)

    @property
    def pending(self) -> bool:
        """Whether any view has work queued."""
        if not self._built:
            return False
        return any(v.pending for v in (self.thoughts, *self.views) if v is not None)

    @property
    def queued(self) -> int:
        """Characters of answer text queued and not parsed yet (a backlog)."""
        return sum(v.queued for v in self.views if isinstance(v, MarkdownView))

    def finish(self, message: Message) -> None:
        """The answer ended as ``message``: the rest of its text, then the chrome."""
        self.build()
        shown = self.text
        self._scan_parts()
        if message.text.startswith(shown):
            self._push_text(message.text[self._shown_text :])
        else:  # the final text is not what streamed: show the final text
            self.views = []
            self._shown_text = self._skip = 0
            self._images = []
            self._parts_seen = 0
            self.message = message
            self._scan_parts()
            self._push_text(message.text)
        self._images_at_end(message)
        if cited_parts(message.parts, message.grounding)[1]:
            self._build_views(message)  # the markers go into the text: render it again
        else:
            self.views += answer_extras(self.context, message)
        if self.thoughts is not None:
            streamed = self.thoughts.text()
            if message.thought_text.startswith(streamed):
                self.thoughts.push(message.thought_text[len(streamed) :])
            self.thoughts.close()
        for view in self.views:
            view.close()
        self.final = message
        self.live = False
        self.received = True
        self._build_chrome()

    def rebuild_live(self) -> None:
        """Render the live answer afresh from its text so far (new colours)."""
        text = self.message.text[: self._shown_text]  # as much as was taken, no more
        old = self.thoughts
        self.views, self._images, self._shown_text, self._parts_seen = [], [], 0, 0
        self._skip = 0
        if old is not None:
            self.thoughts = ThoughtsView(self.context, card_id=self.id, live=True)
            self.thoughts.push(old.text())
            self.thoughts.open, self.thoughts.started = old.open, old.started
            self.thoughts.seconds = old.seconds
            self.thoughts.toggle()
            self.thoughts.toggle()  # the label again, as it was
        self._scan_parts()
        self._push_text(text)
        self._build_chrome()

    def _images_at_end(self, message: Message) -> None:
        self.message = message
        self._scan_parts()
        for _at, part in self._images:
            self.views.append(render_part(self.context, part, self.id))
        self._images = []

    # ------------------------------------------------------------ queries

    @property
    def text(self) -> str:
        """The Markdown source shown (what Copy copies): the text, each part with a
        card of its own as its Markdown (the message's own text once markers are in)."""
        if (self.live or self.final is not None) and not self._cited and self.views:
            return "".join(v.text() for v in self.views)
        return self.shown.text

    def body_text(self) -> str:
        """What the parts show (not thoughts, notices or the footer), as plain text."""
        self.build()
        return "\n".join(t for t in (v.plain_text() for v in self.views) if t)

    def status_text(self) -> str:
        """What the notices and the footer under the message say."""
        self.build()
        return blocks_text([*self._status, *([self._footer] if self._footer is not None else [])])

    def plain_text(self) -> str:
        """Everything the card shows, as plain text (blocks on lines of their own,
        except a piece of the line before: see ``join_lines``)."""
        return blocks_text(self.blocks)

    # ------------------------------------------------------------ geometry

    @property
    def top_margin(self) -> int:
        """Space above the card."""
        return USER_TOP_PX if self.message.role is Role.USER else ANSWER_TOP_PX

    def estimate(self, column: int) -> int:
        """The card's height without laying out (exact for what is laid out)."""
        if not self._built:
            chars = images = 0
            for part in self.message.parts:  # (Message.text would join them: slower)
                if part.text is not None:
                    chars += len(part.text) // 8 if part.thought else len(part.text)
                elif part.data is not None:
                    images += 200
            lines = 1 + chars * 8 // max(80, column)
            return self.top_margin + LINE_PX * lines + images + 32 + BOTTOM_PX
        return self.top_margin + sum(b.estimate(column) for b in self._blocks) + BOTTOM_PX

    def block_tops(self, column: int) -> list[int]:
        """Where each block starts in the card (estimates for blocks not laid out)."""
        self.build()
        if self._column != column or self._tops is Card._tops:
            self._tops, self._column, self._valid = [self.top_margin], column, 1
        tops = self._tops
        if self._valid < len(self._blocks) + 1:
            del tops[self._valid :]
            for block in self._blocks[self._valid - 1 :]:
                tops.append(tops[-1] + block.estimate(column))
            self._valid = len(tops)
        return tops

    def layout_between(self, column: int, y0: int, y1: int) -> bool:
        """Lay out the blocks overlapping ``[y0, y1)`` (card coordinates) at ``column``;
        True when a height changed (the tops after it moved)."""
        tops = self.block_tops(column)
        changed = False
        first = max(0, bisect.bisect_right(tops, y0) - 1)
        i = first
        while i < len(self._blocks) and tops[i] < y1:
            block = self._blocks[i]
            if block.needs_layout(column):
                old = tops[i + 1] - tops[i]
                new = block.layout(column)
                if new != old:
                    changed = True
                    delta = new - old
                    for j in range(i + 1, len(tops)):
                        tops[j] += delta
            i += 1
        self.height = tops[-1] + BOTTOM_PX
        return changed

    def block_at(self, column: int, y: int) -> int:
        """The index of the block at card height ``y`` (-1: none)."""
        tops = self.block_tops(column)
        i = bisect.bisect_right(tops, y) - 1
        return i if 0 <= i < len(self._blocks) else -1

    def set_hovered(self, hovered: bool) -> None:
        """Show or hide the footer's actions."""
        self.hovered = hovered
        if self._footer is not None and isinstance(self._footer, FooterBlock):
            self._footer.shown = hovered


def _short(uri: str, limit: int = 60) -> str:
    return uri if len(uri) <= limit else "…" + uri[-(limit - 1) :]
