"""Choosing the chat surface by measurement (issue 15, item 1): two prototypes, one run.

Both prototypes show each message as its own ``QTextDocument`` (the streaming answer
edited at its tail by the app's ``LiveMarkdown``, so only the container differs) and
lay out and paint only the messages in view:

* ``cards``: a ``QAbstractScrollArea`` that keeps each card's height (an estimate until
  the card is first laid out) and paints the visible cards' documents itself;
* ``listview``: a ``QListView`` in pixel-scroll mode with a delegate that paints each
  row's cached document; a streaming row's growth is announced with ``sizeHintChanged``.

Measured per candidate, on the UI thread (CPU time where a bound is about our work):

* 200 KB at 1,000 chunks/s, fed as the app's 60 Hz frames did (about 3,300
  characters a frame): heartbeat gaps p99 / max, last chunk → painted;
* one frame's work (append + synchronous repaint) at 1 MB against 2 KB of answer;
* a 5,000-message chat: set the messages → the last one painted;
* wheel scrolling from the bottom to the top of it: the slowest wheel event + repaint.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_surface_candidates.py [--quick]

The first full run (``--runs 3``, 2 shared CPUs at load 5-7; stalls are the heartbeat's
gaps less the time the UI thread waited for a CPU; ms, medians):

    candidate   p99 stall  max stall  last→painted  frame@2KB  frame@1MB  ratio  open 5k  wheel max
    today          129.1      129.1       1371.5        8.9        9.7    1.10     83.9       1.9
    cards           42.4       42.4         27.5        9.0        8.7    1.02    329.5       6.0
    listview        51.9       51.9        135.6       15.6       46.7    2.88    462.4       1.7

The list view's frame grows with the answer (every sizeHintChanged lays every row out
again) and its last chunk waits for a delayed relayout; the cards' frame does not grow.
The prototype cards built all 5,000 documents up front (its "open"); the surface built
on it (``rill.gui.transcript``) builds a card only when it comes into view.
"""

from __future__ import annotations

import argparse
import bisect
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ is not installed

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextDocument,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QApplication,
    QListView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from bench.old_transcript import message_html
from bench.old_transcript.document import TranscriptDocument
from bench.old_transcript.live_markdown import (
    CodeRegistry,
    LiveMarkdown,
    render_markdown,
)
from bench.old_transcript.view import ChatView
from bench.surface_support import context, history, median_frame_ms, run_until
from rill.core.types import Message, Role
from tests.fakes.gemini_scenarios import huge_text
from tests.heartbeat import Heartbeat

SIZE = (900, 700)
FRAME_S = 1 / 60
MARGIN = 16


class CardDoc:
    """One message's document, laid out lazily at a width."""

    def __init__(self, message: Message, codes: CodeRegistry, *, live: bool = False) -> None:
        self.doc = QTextDocument()
        self.doc.setUndoRedoEnabled(False)
        self.doc.setDocumentMargin(8)
        self.chars = len(message.text)
        self.width = -1
        self.live: LiveMarkdown | None = None
        if live:
            self.live = LiveMarkdown(TranscriptDocument(self.doc), codes, dark=False, limit=10**9)
        else:
            self.filled = False
            self._text = message.text
            self._codes = codes

    def ensure(self, width: int) -> int:
        if self.live is None and not self.filled:
            self.doc.setHtml(render_markdown(self._text, self._codes, dark=False))
            self.filled = True
        if width != self.width:
            self.doc.setTextWidth(width)
            self.width = width
        return int(self.doc.size().height())

    def estimate(self, width: int) -> int:
        return 40 + self.chars * 9 * 20 // max(1, width)

    def push(self, text: str, budget: float = 0.006) -> None:
        assert self.live is not None
        self.live.push(text)
        self.live.render(time.perf_counter() + budget)
        self.live.apply(0)
        self.chars += len(text)


def paint_doc(painter: QPainter, doc: QTextDocument, clip: QRect) -> None:
    context = QAbstractTextDocumentLayout.PaintContext()
    context.clip = clip.toRectF()
    doc.documentLayout().draw(painter, context)


# ---------------------------------------------------------------- candidate 1: cards


class CardsView(QAbstractScrollArea):
    """Painted cards in a scroll area; heights kept per card, prefix sums on change."""

    name = "cards"

    def __init__(self) -> None:
        super().__init__()
        self.codes = CodeRegistry()
        self.cards: list[CardDoc] = []
        self.heights: list[int] = []
        self.tops: list[int] = [0]
        self.laid: list[bool] = []
        self.follow = True
        self.painted = 0.0
        self.verticalScrollBar().valueChanged.connect(self.viewport().update)

    @property
    def column(self) -> int:
        return max(200, self.viewport().width() - 2 * MARGIN)

    def set_messages(self, messages: Sequence[Message]) -> None:
        self.cards = [CardDoc(m, self.codes) for m in messages]
        self.heights = [c.estimate(self.column) for c in self.cards]
        self.laid = [False] * len(self.cards)
        self._sums(0)
        self.follow = True
        self._range()

    def begin_answer(self, message: Message) -> None:
        self.cards.append(CardDoc(message, self.codes, live=True))
        self.heights.append(0)
        self.laid.append(False)
        self._sums(len(self.cards) - 1)

    def append_to_answer(self, text: str, budget: float = 0.006) -> None:
        card = self.cards[-1]
        card.push(text, budget)
        self._set_height(len(self.cards) - 1, card.ensure(self.column))

    def _sums(self, start: int) -> None:
        del self.tops[start + 1 :]
        for h in self.heights[start:]:
            self.tops.append(self.tops[-1] + h)

    def _set_height(self, i: int, h: int) -> None:
        self.laid[i] = True
        if h != self.heights[i]:
            self.heights[i] = h
            self._sums(i)
            self._range()

    def _range(self) -> None:
        bar = self.verticalScrollBar()
        bar.setPageStep(self.viewport().height())
        bar.setSingleStep(60)
        bar.setRange(0, max(0, self.tops[-1] - self.viewport().height()))
        if self.follow:
            bar.setValue(bar.maximum())
        self.viewport().update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.laid = [False] * len(self.cards)
        self._range()

    def paintEvent(self, event: QPaintEvent) -> None:
        top = self.verticalScrollBar().value()
        height = self.viewport().height()
        width = self.column
        # Lay out what is in view first (heights may change), then paint it.
        for _ in range(3):
            first = max(0, bisect.bisect_right(self.tops, top) - 1)
            changed = False
            i = first
            while i < len(self.cards) and self.tops[i] < top + height:
                if not self.laid[i]:
                    h = self.cards[i].ensure(width)
                    self.laid[i] = True
                    if h != self.heights[i]:
                        self.heights[i] = h
                        changed = True
                i += 1
            if not changed:
                break
            self._sums(first)
            self._range()
            top = self.verticalScrollBar().value()
        painter = QPainter(self.viewport())
        i = max(0, bisect.bisect_right(self.tops, top) - 1)
        while i < len(self.cards) and self.tops[i] < top + height:
            y = self.tops[i] - top
            painter.save()
            painter.translate(MARGIN, y)
            clip = QRect(0, max(0, -y), width, min(height, self.heights[i]))
            paint_doc(painter, self.cards[i].doc, clip)
            painter.restore()
            i += 1
        painter.end()
        self.painted = time.perf_counter()

    def scroll_to_bottom(self) -> None:
        self.follow = True
        self._range()

    def wheel_target(self) -> QWidget:
        return self.viewport()


# ---------------------------------------------------------------- candidate 2: list view


class Rows(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.cards: list[CardDoc] = []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.cards)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        return None


class Delegate(QStyledItemDelegate):
    def __init__(self, rows: Rows, width: Callable[[], int]) -> None:
        super().__init__()
        self.rows = rows
        self.width = width

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        card = self.rows.cards[index.row()]
        return QSize(self.width(), card.ensure(self.width()))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        card = self.rows.cards[index.row()]
        card.ensure(self.width())
        rect = option.rect  # type: ignore[attr-defined]
        painter.save()
        painter.translate(rect.topLeft() + QPoint(MARGIN, 0))
        paint_doc(painter, card.doc, QRect(0, 0, rect.width(), rect.height()))
        painter.restore()


class ListViewCandidate(QListView):
    """A QListView whose delegate paints each row's cached document."""

    name = "listview"

    def __init__(self) -> None:
        super().__init__()
        self.codes = CodeRegistry()
        self.rows = Rows()
        self.setModel(self.rows)
        self.delegate = Delegate(self.rows, lambda: max(200, self.viewport().width() - 2 * MARGIN))
        self.setItemDelegate(self.delegate)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setUniformItemSizes(False)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(50)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.painted = 0.0

    def set_messages(self, messages: Sequence[Message]) -> None:
        self.rows.beginResetModel()
        self.rows.cards = [CardDoc(m, self.codes) for m in messages]
        self.rows.endResetModel()
        self.scrollToBottom()

    def begin_answer(self, message: Message) -> None:
        n = len(self.rows.cards)
        self.rows.beginInsertRows(QModelIndex(), n, n)
        self.rows.cards.append(CardDoc(message, self.codes, live=True))
        self.rows.endInsertRows()

    def append_to_answer(self, text: str, budget: float = 0.006) -> None:
        self.rows.cards[-1].push(text, budget)
        self.delegate.sizeHintChanged.emit(self.rows.index(len(self.rows.cards) - 1))
        self.scrollToBottom()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self.painted = time.perf_counter()

    def scroll_to_bottom(self) -> None:
        self.scrollToBottom()

    def wheel_target(self) -> QWidget:
        return self.viewport()


# ---------------------------------------------------------------- today's pane


class OldView(ChatView):
    """Today's pane (one QTextDocument in regions), as the reference in the same run."""

    name = "today"

    def __init__(self) -> None:
        super().__init__()
        self.painted = 0.0
        self.browser.viewport_painted.connect(self._on_painted)

    def _on_painted(self) -> None:
        # Opening a history: its first paint shows the last messages (older ones load
        # in slices); streaming: the paint once nothing is left to write.
        if not self.busy or not self._live:
            self.painted = time.perf_counter()

    def append_to_answer(self, text: str, thought: str = "", budget: float = 0.006) -> None:
        super().append_to_answer(text, thought)
        if budget > 1:
            self.settle()

    def viewport(self) -> QWidget:
        return self.browser.viewport()

    def wheel_target(self) -> QWidget:
        return self.browser.viewport()


# ---------------------------------------------------------------- measurements

Candidate = CardsView | ListViewCandidate | OldView


def stream(make: Callable[[], Candidate], chars: int, per_frame: int) -> dict[str, float]:
    """``chars`` of answer fed ``per_frame`` characters a 60 Hz frame."""
    view = make()
    view.resize(*SIZE)
    view.show()
    view.set_messages(context())
    view.begin_answer(Message(Role.MODEL))
    text = huge_text(chars)
    state = {"at": 0, "last": 0.0}

    def frame() -> None:
        at = state["at"]
        if at >= len(text):
            return
        view.append_to_answer(text[int(at) : int(at) + per_frame])
        state["at"] = at + per_frame
        if state["at"] >= len(text):
            state["last"] = time.perf_counter()
            timer.stop()

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(int(FRAME_S * 1000))
    timer.timeout.connect(frame)
    beat = Heartbeat()
    beat.start()
    since = time.perf_counter()
    timer.start()
    run_until(lambda: bool(state["last"]) and view.painted > state["last"], 300)
    beat.stop()
    # Each gap less the time the UI thread waited for a CPU: the machine is shared.
    gaps = sorted(beat.stalls_since(since))
    result = {
        "p99": gaps[int(len(gaps) * 0.99)],
        "max": gaps[-1],
        "last_painted": (view.painted - state["last"]) * 1000,
    }
    view.close()
    return result


def frame_cost(make: Callable[[], Candidate], size: int, reps: int, per_frame: int) -> float:
    """Median CPU ms of one frame (append + synchronous repaint) at ``size`` of answer."""
    view = make()
    view.resize(*SIZE)
    view.show()
    view.set_messages(context())
    view.begin_answer(Message(Role.MODEL))
    text = huge_text(size + per_frame * (reps + 1))
    view.append_to_answer(text[:size], float("inf"))
    QApplication.processEvents()

    def frame(i: int) -> None:
        at = size + i * per_frame
        view.append_to_answer(text[at : at + per_frame])
        if isinstance(view, OldView):
            view.settle_live()
        view.viewport().repaint()

    cost = median_frame_ms(frame, reps)
    view.close()
    return cost


def open_and_scroll(make: Callable[[], Candidate], n: int, wheels: int) -> dict[str, float]:
    """Open ``n`` messages to the last painted (wall ms), then wheel up a page at a time."""
    messages = history(n)
    view = make()
    view.resize(*SIZE)
    view.show()
    QApplication.processEvents()
    start = time.perf_counter()
    view.set_messages(messages)
    view.viewport().repaint()
    run_until(lambda: view.painted > start, 30)
    opened = (view.painted - start) * 1000
    target = view.wheel_target()
    worst = 0.0
    pos = QPointF(200, 200)
    for _ in range(wheels):
        event = QWheelEvent(
            pos,
            target.mapToGlobal(pos),
            QPoint(0, 0),
            QPoint(0, 120 * 5),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        cpu = time.thread_time()
        QApplication.sendEvent(target, event)
        view.viewport().repaint()
        worst = max(worst, (time.thread_time() - cpu) * 1000)
    view.close()
    return {"open": opened, "wheel_max": worst}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    message_html.PREVIEW_CHARS = 10**9  # no cut: today's pane shows the whole answer too
    app = QApplication.instance() or QApplication(sys.argv[:1])
    del app
    chars, big, n, runs = (50_000, 200_000, 1_000, 1) if args.quick else (
        200_000, 1_000_000, 5_000, args.runs)  # fmt: skip
    per_frame = 3_300
    print(f"bench_surface_candidates: {chars:,} chars streamed; frames at 2 KB vs {big:,};")
    print(f"{n:,} messages opened; medians of {runs} runs (ms)\n")
    makers: list[Callable[[], Candidate]] = [OldView, CardsView, ListViewCandidate]
    rows: dict[str, dict[str, list[float]]] = {}
    for _ in range(runs):
        for make in makers:
            got = rows.setdefault(make.name, {})
            for key, value in stream(make, chars, per_frame).items():
                got.setdefault(key, []).append(value)
            small = frame_cost(make, 2_000, 20, per_frame)
            large = frame_cost(make, big, 20, per_frame)
            got.setdefault("frame_2k", []).append(small)
            got.setdefault("frame_big", []).append(large)
            got.setdefault("frame_ratio", []).append(large / small)
            for key, value in open_and_scroll(make, n, 60).items():
                got.setdefault(key, []).append(value)
    keys = ["p99", "max", "last_painted", "frame_2k", "frame_big", "frame_ratio", "open"]
    keys.append("wheel_max")
    print(f"{'candidate':10}" + "".join(f"{k:>14}" for k in keys))
    for name, got in rows.items():
        print(f"{name:10}" + "".join(f"{statistics.median(got[k]):14.2f}" for k in keys))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
