"""A streamed frame's work on the card surface does not grow with the answer, its
finished Markdown goes into each block's document as one piece of HTML, and a backlog
(a burst of text) is written in slices without the frames adding their own parse or a
paint per slice.

Counted, not timed: how many block heights a frame estimates (it recomputed every
block's top, each frame, in a card of thousands), how many HTML inserts a frame makes
(one per Markdown block, 20-30 per frame at 1,000 chunks/s, where the old pane made
one), whether a frame behind parses, and how close together a backlog's paints come
(a lower bound on wall time, which a busy machine can only lengthen), and that a
paint is a turn of its own.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject
from pytestqt.qtbot import QtBot

from rill.gui.transcript.cards import Card
from rill.gui.transcript.keyboard import FOLLOW_S
from rill.gui.transcript.renderers.base import Context
from rill.gui.transcript.renderers.code import CodeBlock
from rill.gui.transcript.renderers.doc_block import DocBlock
from rill.gui.transcript.renderers.markdown import MIN_SLICE_CHARS, MarkdownView
from rill.gui.transcript.surface import SurfaceGeometry
from rill.gui.transcript.view import BACKLOG_CHARS, FRAME_S, PAINT_WAIT_MS, ChatView
from tests.fakes.gemini_scenarios import huge_text
from tests.gui.support.chat_view_support import finished, frame, make_view, streaming, user

FRAME = 3_333  # a 60 Hz frame's worth at 1,000 chunks/s of 200 characters


def _counting(monkeypatch: pytest.MonkeyPatch, cls: type, name: str, calls: list[Any]) -> None:
    original: Callable[..., Any] = getattr(cls, name)

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, name, counted)


def test_a_frame_estimates_only_the_blocks_it_changed(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = make_view(qtbot)
    view.set_messages([user("Tell me."), finished("Sure."), user("At length.")])
    view.begin_answer(streaming())
    text = huge_text(120_000 + 4 * FRAME)
    frame(view, text[:120_000], "")
    qtbot.waitUntil(lambda: not view.busy, timeout=20_000)
    card = view.cards[-1]
    assert len(card.blocks) > 250
    estimated: list[Any] = []
    _counting(monkeypatch, DocBlock, "estimate", estimated)
    _counting(monkeypatch, CodeBlock, "estimate", estimated)
    for at in range(120_000, len(text), FRAME):
        before = len(card.blocks)
        estimated.clear()
        frame(view, text[at : at + FRAME], "")
        qtbot.waitUntil(lambda: not view.busy)
        added = len(card.blocks) - before
        assert added > 0
        # The new blocks and the few before them, a few times each (the paint, the
        # restack, the surface's height): not every block of the card.
        count = len(estimated)
        assert count < 6 * (added + 10), f"{count} for {added} new blocks"


def test_a_frame_inserts_one_piece_of_html_per_block(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = make_view(qtbot)
    view.begin_answer(streaming())
    prose = "".join(f"Paragraph {n} with **bold** and `code`.\n\n" for n in range(400))
    frame(view, prose[:1_000], "")
    qtbot.waitUntil(lambda: not view.busy)
    writes: list[list[Any]] = []  # the blocks each write into the documents added to
    apply = MarkdownView._apply

    def counted_apply(self: MarkdownView, update: Any) -> None:
        writes.append([])
        apply(self, update)

    add = DocBlock.add

    def counted_add(self: DocBlock, *args: Any, **kwargs: Any) -> None:
        writes[-1].append(self)
        add(self, *args, **kwargs)

    monkeypatch.setattr(MarkdownView, "_apply", counted_apply)
    monkeypatch.setattr(DocBlock, "add", counted_add)
    for at in range(1_000, len(prose), FRAME):
        writes.clear()
        frame(view, prose[at : at + FRAME], "")
        qtbot.waitUntil(lambda: not view.busy)
        # ~80 paragraphs a frame: one insert per block they filled (24 Markdown
        # blocks a block at most) in each write, not one per paragraph; a frame's text
        # is written in one or a few writes (each bounded by its turn's time).
        inserts = sum(map(len, writes))
        assert 0 < inserts <= 10, f"{inserts} inserts in one frame"
        for added in writes:
            blocks = len({id(block) for block in added})
            assert len(added) == blocks, f"{len(added)} inserts into {blocks} blocks"
    assert view.cards[-1].text == prose[: len(view.cards[-1].text)]


class PaintTimes(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.times.append(time.perf_counter())
        return False


def test_a_frame_far_behind_only_queues_its_text(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = make_view(qtbot)
    view.begin_answer(streaming())
    text = huge_text(60_000)
    frame(view, text[:50_000], "")  # a burst: far more than a frame parses
    card = view.cards[-1]
    assert card.queued > BACKLOG_CHARS
    sliced: list[Any] = []
    _counting(monkeypatch, MarkdownView, "_step_slice", sliced)
    frame(view, text[50_000:53_333], "")
    assert not sliced, "a frame behind parsed in its own turn"
    qtbot.waitUntil(lambda: not view.busy, timeout=20_000)
    assert view.cards[-1].text == text[:53_333]


def test_a_backlog_is_painted_once_per_display_frame(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    turns: list[Any] = []
    _counting(monkeypatch, ChatView, "_on_work_timer_timeout", turns)
    view = make_view(qtbot)
    view.begin_answer(streaming())
    frame(view, "Start.\n\n", "")
    qtbot.waitUntil(lambda: not view.busy)
    paints = PaintTimes()
    view.surface.viewport().installEventFilter(paints)
    turns.clear()
    started = time.perf_counter()
    frame(view, huge_text(150_000), "")  # written in slices of a few ms
    qtbot.waitUntil(lambda: not view.busy, timeout=30_000)
    took = time.perf_counter() - started
    gaps = [b - a for a, b in itertools.pairwise(paints.times)]
    assert len(gaps) >= 5
    # Not after every slice (each paint is a turn of its own, and there are several
    # slices between two): the slices' paints come FRAME_S apart; the last one, the
    # stand-ins' moves (FOLLOW_S apart, each a paint of the stand-in's place and
    # maybe one of the whole view after it) may come sooner.
    painted, turned = len(paints.times), len(turns)
    assert painted * 2 < turned, f"{painted} paints, {turned} turns"  # (fewer than slices)
    close = sum(1 for gap in gaps if gap < FRAME_S * 0.9)
    allowed = 3 + 2 * int(took / FOLLOW_S)
    assert close <= allowed, f"{close} of {len(gaps)} paints sooner than due"


def test_a_render_out_of_time_does_one_step(qtbot: QtBot) -> None:
    # A turn's time goes to parsing only while the writing of what is parsed still
    # fits: with none left, a render parses the least piece, or writes one update,
    # never both (a 6 ms slice parsed 6 ms, then wrote for as long again).
    del qtbot
    view = MarkdownView(Context())
    text = huge_text(40_000)
    view.push(text)
    parsed, writes = 0, 0
    for _ in range(40):
        queued, updates = view.queued, len(view._updates)
        view.render(0.0)  # a deadline long past
        step = queued - view.queued
        wrote = updates - len(view._updates) if step == 0 else 0
        assert (step == MIN_SLICE_CHARS) != (wrote == 1), f"parsed {step}, wrote {wrote}"
        parsed, writes = parsed + step, writes + wrote
    assert parsed == 20 * MIN_SLICE_CHARS and writes == 20
    while view.pending:
        view.render(math.inf)
    assert view.text() == text


def test_a_paint_is_a_turn_of_its_own(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    # Qt runs a posted paint right after the turn that asked for it: a turn that
    # wrote text and asked for a paint was one stall of both.
    turns: list[list[str]] = []  # what each work turn did
    inside = [False]
    work = ChatView._on_work_timer_timeout

    def counted_work(self: ChatView) -> None:
        turns.append([])
        inside[0] = True
        try:
            work(self)
        finally:
            inside[0] = False

    render = Card.render

    def counted_render(self: Card, deadline: float) -> bool:
        if inside[0]:
            turns[-1].append("render")
        return render(self, deadline)

    request = SurfaceGeometry.request_paint

    def counted_request(self: SurfaceGeometry) -> None:
        if inside[0]:
            turns[-1].append("paint")
        request(self)

    monkeypatch.setattr(ChatView, "_on_work_timer_timeout", counted_work)
    monkeypatch.setattr(Card, "render", counted_render)
    monkeypatch.setattr(SurfaceGeometry, "request_paint", counted_request)
    view = make_view(qtbot)
    view.begin_answer(streaming())
    text = huge_text(100_000)
    for at in range(0, len(text), 5 * FRAME):  # a burst, frame after frame
        frame(view, text[at : at + 5 * FRAME], "")
        qtbot.wait(16)
    qtbot.waitUntil(lambda: not view.busy, timeout=30_000)
    # (A short slice, its backlog written, may leave room for the paint in its turn.)
    both = sum(1 for turn in turns if "render" in turn and "paint" in turn)
    painting = sum(1 for turn in turns if turn == ["paint"])
    assert painting >= 5
    assert both * 5 <= painting, f"{both} turns wrote and asked for a paint, {painting} painted"
    assert view.cards[-1].text == text


def test_a_hidden_pane_writes_its_backlog_without_waiting_for_paints(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A work turn that asks for a paint lets the paint start the next slice; a pane
    # out of sight paints nothing, so its slices must not wait for one.
    waits: list[int] = []
    work = ChatView._on_work_timer_timeout

    def counted_work(self: ChatView) -> None:
        work(self)
        if self._work_timer.isActive() and self._work_timer.interval() == PAINT_WAIT_MS:
            waits.append(1)

    monkeypatch.setattr(ChatView, "_on_work_timer_timeout", counted_work)
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(800, 600)  # never shown
    view.begin_answer(streaming())
    text = huge_text(60_000)
    frame(view, text, "")
    qtbot.waitUntil(lambda: not view.busy, timeout=20_000)
    count = len(waits)
    assert count == 0, f"{count} slices of a hidden pane waited for a paint"
    assert view.cards[-1].text == text
