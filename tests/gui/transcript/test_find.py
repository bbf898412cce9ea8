"""Ctrl+F in the chat pane: every match in what the cards show (not their Markdown),
across a long chat whose cards are mostly not built, one selected at a time."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rill.gui.transcript.view import ChatView
from tests.fakes.gemini_scenarios import huge_text
from tests.gcwatch import collections_timed
from tests.gui.support.chat_view_support import finished, make_view, user


def find(qtbot: QtBot, view: ChatView, query: str) -> None:
    view.open_find()
    view.find_bar.field.setText(query)
    # A scan of a million characters is sliced between the loop's other work: on a
    # loaded machine that takes seconds of wall time (the test bounds its CPU time).
    qtbot.waitUntil(lambda: not view.finder.scanning and view.finder._going is None, timeout=60_000)


def selected(view: ChatView) -> str:
    return view.surface.selected_text()


def test_find_counts_what_the_cards_show_and_steps_through_it(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages(
        [
            user("Where is the **needle**?"),
            finished("A **Needle** in bold, a `needle` in code, and\n\n```\nneedle()\n```"),
            user("And haystacks?"),
            finished("No ne*edle here."),
        ]
    )
    find(qtbot, view, "needle")
    bar = view.find_bar
    # The user's bubble shows its text as typed (asterisks too); the answer, three.
    assert len(view.finder.matches) == 4
    assert bar.count.text().endswith("of 4")
    assert selected(view).casefold() == "needle"
    seen = []
    for _ in range(4):
        qtbot.keyClick(bar.field, Qt.Key.Key_Return)
        seen.append((view.finder.current, selected(view).casefold()))
    assert [s for _, s in seen] == ["needle"] * 4
    assert sorted(c for c, _ in seen) == [0, 1, 2, 3]  # every match once, wrapping
    before = view.finder.current
    qtbot.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert view.finder.current == (before - 1) % 4


def test_no_match_says_so_and_esc_closes_the_bar(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages([user("hello"), finished("world")])
    view.show()
    find(qtbot, view, "absent words")
    assert view.find_bar.count.text() == "No matches"
    assert not view.find_bar.next.isEnabled()
    qtbot.keyClick(view.find_bar.field, Qt.Key.Key_Escape)
    assert view.find_bar.isHidden()


SLICE_LIMIT_S = 0.05  # one slice of searching: CPU of the UI thread


def test_find_reaches_a_far_card_of_a_long_chat_and_its_million_characters(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = make_view(qtbot, height=500)
    slices: list[float] = []
    original = view.finder._work

    def timed(deadline: float) -> None:
        started = time.thread_time()
        original(deadline)
        slices.append(time.thread_time() - started)

    monkeypatch.setattr(view.finder, "_work", timed)
    text = huge_text(1_000_000) + "\n\nThe zebra at the very end."
    history = [m for i in range(600) for m in (user(f"Question {i}"), finished(f"Answer {i}"))]
    history[1] = finished("An okapi at the very start.")
    view.set_messages([*history, user("Everything"), finished(text)])
    qtbot.waitUntil(lambda: not view.busy, timeout=60_000)
    for word, index in (("okapi", 1), ("zebra", len(view.cards) - 1)):
        started = time.thread_time()
        with collections_timed() as collections:
            find(qtbot, view, word)
        assert len(view.finder.matches) == 1, word
        assert selected(view) == word
        card = view.finder.matches[0].card
        assert card.index == index
        # The match's card is in view, and the cards searched were given back.
        assert card in list(view.surface.visible())
        built = sum(c.built for c in view.cards)
        assert built < 100, f"{built} cards left built"
        assert time.thread_time() - started < 60
    worst = max(slices)
    note = f"(collections: longest {collections.longest_ms:.0f} ms)"
    assert worst < SLICE_LIMIT_S, f"a slice of searching took {worst * 1000:.0f} ms {note}"
