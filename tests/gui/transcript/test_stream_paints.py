"""A streamed frame's work is two short turns of the event loop, as the old pane's
was: its Markdown is rendered in the first, written into the card's documents in the
next, then painted (about once per frame: the keyboard and screen-reader stand-ins
follow the cards a few times a second, not at every paint, and a paint's own layout
no longer asks for another paint). Both halves used to run in one turn.
"""

from __future__ import annotations

import math
import time

from PySide6.QtCore import QEvent, QObject
from pytestqt.qtbot import QtBot

from rill.gui.transcript.keyboard import FOLLOW_S
from rill.gui.transcript.view import FRAME_S
from tests.fakes.gemini_scenarios import huge_text
from tests.gui.support.chat_view_support import finished, frame, make_view, streaming, user

FRAME = 3_333  # a 60 Hz frame's worth at 1,000 chunks/s of 200 characters


class PaintCounter(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def test_a_streamed_frame_is_parsed_then_written_then_painted_once(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages([user("Tell me."), finished("Sure.\n\n" * 20), user("More.")])
    qtbot.waitUntil(lambda: not view.busy)
    view.begin_answer(streaming())
    text = huge_text(40 * FRAME)
    frame(view, text[:FRAME], "")  # the first text: the card's chrome changes
    qtbot.waitUntil(lambda: not view.busy)
    qtbot.wait(300)  # the stand-ins' next move is due: frames are counted from here
    counter = PaintCounter()
    view.surface.viewport().installEventFilter(counter)
    card = view.cards[-1]
    frames = allowed = 0
    started = time.monotonic()
    for at in range(FRAME, len(text), FRAME):
        shown = len(card.text)
        written_from = time.perf_counter()
        frame(view, text[at : at + FRAME], "")
        assert len(card.text) > shown and card.pending  # parsed, not yet written
        qtbot.waitUntil(lambda: not view.busy)
        frames += 1
        # One paint once it is written; a frame whose writing a loaded machine drew
        # out past FRAME_S is a backlog, painted at most once per FRAME_S meanwhile.
        allowed += 1 + int((time.perf_counter() - written_from) / FRAME_S)
    # The stand-ins follow the cards at most once per FOLLOW_S, each move a paint (and
    # there may be one more at the start): never once per frame again. On a loaded
    # machine the frames take longer, and the stand-ins move more often between them.
    moves = math.ceil((time.monotonic() - started) / FOLLOW_S) + 1
    assert counter.paints <= allowed + moves, f"{counter.paints} paints for {frames} frames"
