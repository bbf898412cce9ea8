"""A long stored conversation in the window: shown from its newest messages while the
rest is read, cards built only as the reader goes up (and given back far out of view),
a search hit deep in it revealed, and a new turn following the end again."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QAbstractSlider
from pytestqt.qtbot import QtBot

from rill.core.store.db import Store
from rill.core.types import GenerationSettings, Message, Part, Role
from rill.gui.conversations import loader as conversation_loader
from rill.gui.transcript.surface import KEEP_BUILT
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.history_support import (
    MakeWindow,
    db_path,
    send,
    texts,
)

LENGTH = 3000


def long_conversation(home: Path, length: int = LENGTH) -> int:
    with Store(db_path(home)) as store, store.batch():
        cid = store.create_conversation(settings=GenerationSettings(model="gemini-2.5-flash"))
        for n in range(length):
            role = Role.USER if n % 2 == 0 else Role.MODEL
            text = f"Message number {n}." + (" The lighthouse keeper." if n == 17 else "")
            store.append_message(cid, Message(role, [Part.from_text(text)]))
    return cid


def test_a_long_conversation_opens_from_its_end_and_the_rest_slides_in(
    qtbot: QtBot, history_window: MakeWindow, hermetic_profile: Path
) -> None:
    cid = long_conversation(hermetic_profile)
    window = history_window()
    view = window.view
    shown: list[int] = []
    view.surface.viewport_painted.connect(lambda: shown.append(len(view.messages)))
    window.history.loader.show(cid)
    qtbot.waitUntil(lambda: len(view.messages) == LENGTH, timeout=10_000)
    assert shown and shown[0] == conversation_loader.TAIL  # painted before the rest came
    assert texts(window)[0] == "Message number 0."
    assert texts(window)[-1] == f"Message number {LENGTH - 1}."
    history = window.controller.current_chat.session.history
    assert [m.text for m in history] == texts(window)  # the session has all of it too


def test_going_up_keeps_few_cards_built_and_a_new_turn_brings_the_end_back(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    cid = long_conversation(hermetic_profile)
    window = history_window()
    view = window.view
    window.history.loader.show(cid)
    qtbot.waitUntil(lambda: len(view.messages) == LENGTH, timeout=10_000)
    bar = view.surface.verticalScrollBar()
    largest = 0

    def page_up() -> bool:
        nonlocal largest
        largest = max(largest, sum(card.built for card in view.cards))
        bar.triggerAction(QAbstractSlider.SliderAction.SliderPageStepSub)
        view.surface.lay_out_visible()
        return bar.value() == 0

    qtbot.waitUntil(page_up, timeout=60_000)
    view.surface.lay_out_visible()
    assert largest <= KEEP_BUILT + 50  # cards far out of view gave their blocks back
    shown = [card.plain_text() for card in view.surface.visible()]
    assert any("Message number 0." in text for text in shown)
    assert not view.surface.following
    fake_gemini.push(stream(["A fresh answer."]))
    send(qtbot, window, "One more question")
    plain = view.plain_text()
    assert "A fresh answer." in plain and f"Message number {LENGTH - 1}." in plain
    assert view.surface.following
    assert window.controller.current_chat.session.history[-1].text == "A fresh answer."


def test_a_search_hit_deep_in_a_long_conversation_is_revealed(
    qtbot: QtBot, history_window: MakeWindow, hermetic_profile: Path
) -> None:
    long_conversation(hermetic_profile)
    window = history_window()
    window.conversations.search.setText("lighthouse")
    qtbot.waitUntil(lambda: len(window.conversations.results.hits()) == 1, timeout=3000)
    window.conversations.results.activate_current()
    view = window.view
    qtbot.waitUntil(lambda: view.surface.highlighted is not None, timeout=20_000)
    card = view.surface.highlighted
    assert card is not None
    assert "Message number 17. The lighthouse keeper." in card.plain_text()
    top = view.surface.card_top(card.index) - view.surface.verticalScrollBar().value()
    assert 0 <= top < view.surface.viewport().height()
