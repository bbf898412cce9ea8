"""A streamed frame's work on the card surface does not grow with the answer, its
finished Markdown goes into each block's document as one piece of HTML, and a backlog
(a burst of text) is written in slices without the frames adding their own parse or a
paint per slice.

Counted, not timed: how many block heights a frame estimates (it recomputed every
block's top, each frame, in a card of thousands), how many HTML inserts a frame makes
(one per Markdown block, 20-30 per frame at 1,000 chunks/s, where the old pane made
one), whether a frame behind parses, and how close together a backlog's paints come
(a lower bound on wall time, which a busy machine can only lengthen).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject
from pytestqt.qtbot import QtBot

from rill.gui.transcript.renderers.code import CodeBlock
from rill.gui.transcript.renderers.doc_block import DocBlock
from rill.gui.transcript.renderers.markdown import MarkdownView
from rill.gui.transcript.view import BACKLOG_CHARS
from tests.fakes.gemini_scenarios import huge_text
from tests.gui.support.chat_view_support import finished, make_view, streaming, user

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
    view.append_to_answer(text[:120_000], "")
    qtbot.waitUntil(lambda: not view.busy, timeout=20_000)
    card = view.cards[-1]
    assert len(card.blocks) > 250
    estimated: list[Any] = []
    _counting(monkeypatch, DocBlock, "estimate", estimated)
    _counting(monkeypatch, CodeBlock, "estimate", estimated)
    for at in range(120_000, len(text), FRAME):
        before = len(card.blocks)
        estimated.clear()
        view.append_to_answer(text[at : at + FRAME], "")
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
    view.append_to_answer(prose[:1_000], "")
    qtbot.waitUntil(lambda: not view.busy)
    added: list[Any] = []
    _counting(monkeypatch, DocBlock, "add", added)
    for at in range(1_000, len(prose), FRAME):
        added.clear()
        view.append_to_answer(prose[at : at + FRAME], "")
        qtbot.waitUntil(lambda: not view.busy)
        # ~80 paragraphs a frame: one insert per block they filled (24 Markdown
        # blocks a block at most), not one per paragraph.
        inserts, blocks = len(added), len({id(block) for block in added})
        assert 0 < inserts <= 5, f"{inserts} inserts in one frame"
        assert inserts == blocks, f"{inserts} inserts into {blocks} blocks"
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
    view.append_to_answer(text[:50_000], "")  # a burst: far more than a frame parses
    card = view.cards[-1]
    assert card.queued > BACKLOG_CHARS
    sliced: list[Any] = []
    _counting(monkeypatch, MarkdownView, "_step_slice", sliced)
    view.append_to_answer(text[50_000:53_333], "")
    assert not sliced, "a frame behind parsed in its own turn"
    qtbot.waitUntil(lambda: not view.busy, timeout=20_000)
    assert view.cards[-1].text == text[:53_333]


def test_a_backlog_is_painted_once_per_display_frame(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.begin_answer(streaming())
    view.append_to_answer("Start.\n\n", "")
    qtbot.waitUntil(lambda: not view.busy)
    paints = PaintTimes()
    view.surface.viewport().installEventFilter(paints)
    view.append_to_answer(huge_text(150_000), "")  # written in slices of a few ms
    qtbot.waitUntil(lambda: not view.busy, timeout=30_000)
    gaps = [b - a for a, b in itertools.pairwise(paints.times)]
    assert len(gaps) >= 5
    # Not after every slice: at most once per 60 Hz frame (the last paint, when the
    # backlog is written, and the stand-ins' moves may come sooner).
    close = sum(1 for gap in gaps if gap < 0.015)
    assert close <= 3, f"{close} of {len(gaps)} paints within a frame of the last"
