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

from pytestqt.qtbot import QtBot

from rill.core.types import Message
from rill.gui.transcript.cards import Card
from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import finished, user

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
