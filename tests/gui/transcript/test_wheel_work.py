"""A wheel step through a long chat does a frame's work, not more: the cards coming
into view render within the paint's budget (one at least, not one per pass of the
layout), a short message is parsed in one pass, and the keyboard's and screen
readers' stand-ins wait until the reader stops scrolling (moved at a step, they had
the view painted a second time). Counted, not timed."""

from __future__ import annotations

import math
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.core import markdown
from rill.gui.transcript import surface as surface_module
from rill.gui.transcript.cards import Card
from rill.gui.transcript.keyboard import SETTLE_S, KeyboardProxies
from rill.gui.transcript.renderers.base import Context
from rill.gui.transcript.renderers.markdown import MarkdownView
from tests.gui.support.chat_view_support import make_view
from tests.gui.transcript.test_wheel_release import BODY, chat, flick


def test_a_paint_out_of_time_renders_one_card(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = make_view(qtbot, height=900)
    view.set_messages(chat(200))
    view.surface.lay_out_visible()
    rendered: list[Card] = []
    render = Card.render

    def counted(self: Card, deadline: float) -> bool:
        rendered.append(self)
        return render(self, deadline)

    monkeypatch.setattr(Card, "render", counted)
    monkeypatch.setattr(surface_module, "RENDER_IN_PAINT_S", 0.0)
    bar = view.surface.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)  # a screenful of cards never rendered
    view.surface.lay_out_visible()  # its heights change: several passes
    # The first pass renders one card whatever the time; each later pass rendered
    # one more, past the paint's budget.
    assert len(rendered) == 1, f"{len(rendered)} cards rendered"
    qtbot.waitUntil(lambda: not view.busy)  # the rest, in the slices that follow
    assert all(card.has_content for card in view.surface.visible())


def test_a_short_closed_message_is_parsed_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    for name in ("append", "finish"):
        original = getattr(markdown.IncrementalMarkdown, name)

        def counted(self: Any, *args: Any, _name: str = name, _f: Any = original) -> Any:
            calls.append(_name)
            return _f(self, *args)

        monkeypatch.setattr(markdown.IncrementalMarkdown, name, counted)
    whole = MarkdownView(Context(), BODY)
    whole.close()
    assert whole.render(math.inf)
    assert calls.count("append") == 0 and calls.count("finish") == 1
    streamed = MarkdownView(Context())
    for at in range(0, len(BODY), 7):
        streamed.push(BODY[at : at + 7])
        streamed.render(math.inf)
    streamed.close()
    streamed.render(math.inf)
    assert [b.text() for b in whole.blocks] == [b.text() for b in streamed.blocks]


def test_the_stand_ins_wait_until_the_reader_stops_scrolling(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = make_view(qtbot)
    view.set_messages(chat(600))
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    surface = view.surface
    qtbot.wait(int(SETTLE_S * 2000))
    synced: list[Any] = []
    sync_now = KeyboardProxies._sync_now

    def counted(self: KeyboardProxies) -> None:
        synced.append(self)
        sync_now(self)

    monkeypatch.setattr(KeyboardProxies, "_sync_now", counted)
    for _ in range(20):  # a flick, each step well within SETTLE_S of the last
        flick(surface.viewport())
        surface.viewport().repaint()
        QApplication.processEvents()
    during = len(synced)
    assert during == 0, f"the stand-ins moved {during} times in a flick"
    qtbot.waitUntil(lambda: len(synced) > during and not view.busy)  # once it settled
    surface.viewport().repaint()  # (a paint may come between: they follow it too)
    QApplication.processEvents()
    top = surface.verticalScrollBar().value()
    proxies = surface.keyboard.proxies
    in_view = set(surface.visible())
    assert proxies, "no stand-ins once the reader stopped"
    assert all(p.card in in_view for p in proxies), "a stand-in of a card out of view"
    first = proxies[0]
    assert first.geometry().top() == surface.card_top(first.card.index) - top, "misplaced"
