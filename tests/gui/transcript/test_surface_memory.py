"""What the surface keeps in memory: a pane that goes is freed with its cards, and a
card not yet in view holds no lists of its own.

A text block's document held the surface's context (and so the pane) strongly, while
the block's finalizer held the document until the block went: a root that kept every
pane dropped with cards built alive, with all its cards, and each later full
collection of Python's garbage walked them. And a chat of 5,000 messages made 25,000
empty lists at once, work for the collector inside the open.
"""

from __future__ import annotations

import gc
import weakref

import pytest
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot

from rill.core.types import Message
from rill.gui.transcript.cards import Card
from rill.gui.transcript.renderers import doc_block
from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import finished, make_view, user

BODY = "Rivers **form** where water gathers.\n\n- one\n- two\n\n```python\nx = 1\n```\n"


def chat(n: int) -> list[Message]:
    return [user(f"Question {i}?") if i % 2 == 0 else finished(f"{i}: {BODY}") for i in range(n)]


def test_a_pane_dropped_with_its_cards_built_is_freed(qtbot: QtBot) -> None:
    del qtbot  # (the application)
    view = ChatView()
    view.set_messages(chat(40))
    view.settle()  # every card built, its text in its blocks' documents
    assert all(card.built for card in view.cards)
    gone = weakref.ref(view)
    del view
    gc.collect()
    assert gone() is None, "the pane and its cards outlived their last reference"


def test_cards_out_of_view_make_no_lists(qtbot: QtBot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    view.set_messages(chat(2_000))
    cards = view.cards
    tracked = {id(o) for o in gc.get_objects()}
    lists = sum(
        1
        for card in cards
        if not card.built
        for value in vars(card).values()
        if isinstance(value, list) and id(value) in tracked
    )
    assert not any(card.built for card in cards[:-20])
    assert lists == 0, f"{lists} lists held by cards never built"
    assert isinstance(Card.views, tuple)  # an edit before build() fails loudly


def long_answer(view: ChatView, qtbot: QtBot) -> Card:
    """A chat with a long answer, shown, its stand-ins following the cards in view."""
    view.set_messages([user("Tell me at length."), finished(BODY * 150)])
    view.settle()
    view.surface.keyboard.sync(now=True)
    stand_ins = view.surface.keyboard
    qtbot.waitUntil(lambda: any(p.card is view.cards[-1] for p in stand_ins.proxies), timeout=5_000)
    return view.cards[-1]


def documents(view: ChatView) -> int:
    return sum(1 for child in view.children() if isinstance(child, QTextDocument))


def test_a_chat_left_for_another_is_let_go_at_once(qtbot: QtBot) -> None:
    """Its cards' stand-ins (kept for reuse) and a selection in it held the card, and
    with it every block and document of its answer, until the stand-in was used again."""
    view = make_view(qtbot)
    card = long_answer(view, qtbot)
    view.surface.select_all_of(card)
    left = weakref.ref(card)
    del card
    view.set_messages([user("Hi"), finished("Hello.")])
    assert left() is None, "a chat left for another kept its card"


def test_the_documents_of_a_chat_left_go_in_slices(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deleted all at once (as deleteLater does), 9,000 documents of a 1 MB answer held
    the UI thread for 130 ms; each turn deletes REAP_S worth (here: one each)."""
    monkeypatch.setattr(doc_block, "REAP_S", 0.0)
    view = make_view(qtbot)
    long_answer(view, qtbot)
    before = documents(view)
    assert before > 20
    ticks: list[int] = []
    reaper = doc_block._reaper
    assert reaper is not None
    original = reaper._on_timer_timeout

    def counted() -> None:
        original()
        ticks.append(documents(view))

    reaper._timer.timeout.disconnect()
    reaper._timer.timeout.connect(counted)
    try:
        view.set_messages([user("Hi"), finished("Hello.")])
        qtbot.waitUntil(lambda: documents(view) < 10, timeout=10_000)
    finally:
        reaper._timer.timeout.disconnect()
        reaper._timer.timeout.connect(original)
    steps = [a - b for a, b in zip([before, *ticks], ticks, strict=False)]
    assert max(steps) <= 1, "more than one document deleted in a turn"
