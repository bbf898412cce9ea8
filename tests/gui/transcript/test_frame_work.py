"""A streamed frame's work on the card surface does not grow with the answer, and its
finished Markdown goes into each block's document as one piece of HTML.

Counted, not timed: how many block heights a frame estimates (it recomputed every
block's top, each frame, in a card of thousands), and how many HTML inserts a frame
makes (one per Markdown block, 20-30 per frame at 1,000 chunks/s, where the old pane
made one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from rill.gui.transcript.renderers.code import CodeBlock
from rill.gui.transcript.renderers.doc_block import DocBlock
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
