"""A long answer is rendered onto the surface in slices (like a stream) and ends exactly
as a whole render would: footer, thoughts, error card, later turns and all."""

from __future__ import annotations

import time

import pytest
from pytestqt.qtbot import QtBot

from rill.core.types import Message, MessageStatus
from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import answer, finished, make_view, user

DENSE = (
    "## Section\n\nSome **bold** text, `inline code`, a [link](https://example.com).\n\n"
    "- item one with **bold**\n- item two\n  - nested item\n\n"
    "```python\ndef f(x):\n    return x * 2  # comment\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
)
LONG = (DENSE * 120)[:50_000]  # rendered in one go this held the UI thread ~330 ms


def whole(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, messages: list[Message]) -> str:
    """What the pane shows when every answer renders in one go (the reference)."""
    del monkeypatch
    reference = make_view(qtbot)
    reference.set_messages(messages)
    return reference.plain_text()  # everything rendered at once


def open_sliced(qtbot: QtBot, view: ChatView, messages: list[Message]) -> float:
    started = time.thread_time()
    view.set_messages(messages)
    took = time.thread_time() - started
    assert view.busy  # the answer is still being written, a slice per event-loop turn
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    return took


def test_a_long_last_answer_opens_in_slices_and_ends_as_a_whole_render(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = [user("Tell me at length."), finished(LONG, "Thinking it over.")]
    expected = whole(qtbot, monkeypatch, messages)
    view = make_view(qtbot)
    took = open_sliced(qtbot, view, messages)
    # The call itself renders the question and sets the answer going: a few ms, where
    # rendering the answer in it took ~330 ms (bound generous for loaded CI machines).
    assert took < 0.1, f"set_messages held the UI thread {took * 1000:.0f} ms"
    assert view.plain_text() == expected
    assert "gemini-2.5-flash" in expected and "Thoughts" in expected  # footer, disclosure
    assert view.messages[-1] is messages[-1]


def test_a_long_failed_answer_gets_its_error_card_after_the_slices(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = answer(LONG, status=MessageStatus.FAILED, error="The connection broke.")
    messages = [user("Go on."), failed]
    expected = whole(qtbot, monkeypatch, messages)
    view = make_view(qtbot)
    open_sliced(qtbot, view, messages)
    assert view.plain_text() == expected
    assert "The connection broke." in expected and "Retry" in expected


def test_showing_the_same_history_again_keeps_the_answer_being_written(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = [user("Once."), finished(LONG)]
    expected = whole(qtbot, monkeypatch, messages)
    view = make_view(qtbot)
    view.set_messages(messages)
    view.set_messages(messages)  # e.g. the chat picked again while it is written
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    assert view.plain_text() == expected
    assert view.plain_text().count("Once.") == 1


def test_a_long_answer_above_later_turns_fills_in_and_they_stay_whole(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = [
        user("Tell me at length."),
        finished(LONG),
        user("Thanks!"),
        finished("You're welcome."),
    ]
    expected = whole(qtbot, monkeypatch, messages)
    view = make_view(qtbot)
    took = open_sliced(qtbot, view, messages)
    assert took < 0.1, f"set_messages held the UI thread {took * 1000:.0f} ms"
    assert view.plain_text() == expected
    assert expected.endswith(view.message_text(3))  # the last turn, where it belongs


def test_a_theme_switch_or_another_chat_while_filling_leaves_no_trace(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_chat = [user("Tell me at length."), finished(LONG), user("More?")]
    other = [user("Short one."), finished("Short answer.")]
    expected_long = whole(qtbot, monkeypatch, long_chat)
    expected_other = whole(qtbot, monkeypatch, other)
    view = make_view(qtbot)
    view.set_messages(long_chat)
    view.set_dark(True)  # everything renders again, mid-fill
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    assert view.plain_text() == expected_long
    view.set_messages(long_chat)  # shown again: kept as it is
    view.set_messages(other)  # another chat picked while nothing is left to write
    view.set_messages(long_chat)
    view.set_messages(other)  # ... and while the long answer is still being written
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    assert view.plain_text() == expected_other
