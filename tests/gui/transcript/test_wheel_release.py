"""A flick of the wheel through a long chat leaves behind no built cards and no widgets:
cards passed by while their text was still queued used to stay built for good (a flick
to the top of 5,000 messages kept ~800 of them, and every full collection of Python's
garbage walked them all, inside a wheel event), and each step made fresh keyboard and
screen-reader stand-ins for the cards coming into view."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from rill.core.types import Message
from rill.gui.transcript import keyboard
from rill.gui.transcript.keyboard import SPARE_PROXIES, MessageProxy
from rill.gui.transcript.surface import KEEP_BUILT
from tests.gui.support.chat_view_support import finished, frame, make_view, streaming, user

BODY = "Rivers **form** where water gathers.\n\n- one\n- two\n\n" * 3


def chat(n: int) -> list[Message]:
    return [user(f"Question {i}?") if i % 2 == 0 else finished(f"{i}: {BODY}") for i in range(n)]


def flick(target: QWidget) -> None:
    pos = QPointF(300, 300)
    event = QWheelEvent(
        pos, QPointF(target.mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, 120 * 15),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip
    QApplication.sendEvent(target, event)


def test_a_flick_to_the_top_keeps_only_the_recent_cards_built(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages(chat(600))
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    surface = view.surface
    surface.setFocus()  # the stand-ins get their buttons too
    qtbot.waitUntil(surface.hasFocus)
    bar = surface.verticalScrollBar()
    proxies: set[int] = set()
    steps = 0
    while bar.value() > 0 and steps < 2_000:
        flick(surface.viewport())
        surface.viewport().repaint()
        QApplication.processEvents()
        proxies |= {id(p) for p in surface.viewport().findChildren(MessageProxy)}
        steps += 1
    assert bar.value() == 0, "the flick never reached the top"
    built = sum(card.built for card in view.surface.cards)
    assert built <= KEEP_BUILT + 2, f"{built} cards still built"
    assert len(proxies) <= 2 * SPARE_PROXIES, f"{len(proxies)} stand-ins made"


def test_a_streamed_frame_leaves_the_buttons_of_settled_cards_alone(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = make_view(qtbot)
    view.set_messages(
        [user("Where?"), finished("See [the map](https://example.com)."), user("And?")]
    )
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    surface = view.surface
    surface.setFocus()
    qtbot.waitUntil(surface.hasFocus)
    asked: list[int] = []
    real = keyboard.card_hits
    monkeypatch.setattr(keyboard, "card_hits", lambda c, b: asked.append(c.index) or real(c, b))
    view.begin_answer(streaming())
    for n in range(20):  # every paint syncs the stand-ins: a frame's paint
        frame(view, f"word {n} ", "")
        view.settle_live()
        surface.viewport().repaint()
    settled = [i for i in asked if i < 3]
    # Once each when the answer's card pushed them, not once per frame.
    assert len(settled) <= 2 * 3, f"{len(settled)} lookups of settled cards' hits"
