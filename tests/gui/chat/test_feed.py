"""FrameFeed: once per frame, the view gets what the followed answer gained, from the
answer itself; the controller keeps no copy of the streamed text."""

from __future__ import annotations

import dataclasses

import qasync
from pytestqt.qtbot import QtBot

from rill.core.types import Message, MessageStatus, Part, Role
from rill.gui.chat import Chat
from rill.gui.chat.feed import FrameFeed
from tests.fakes.gemini_scenarios import hold_open
from tests.fakes.gemini_server import FakeGemini
from tests.gui.chat.test_controller import make_rig
from tests.gui.conftest import run_until_done
from tests.gui.support.recording_view import RecordingView


def streaming_answer() -> Message:
    return Message(Role.MODEL, status=MessageStatus.STREAMING)


def test_each_frame_hands_over_what_arrived_since_the_last(qtbot: QtBot) -> None:
    view = RecordingView()
    feed = FrameFeed(view)
    answer = streaming_answer()
    view.begin_answer(answer)
    feed.follow(answer)
    assert feed.running
    for word in ("Think", "ing… "):
        answer.append_part(Part(text=word, thought=True))
    for word in ("The ", "answer"):
        answer.append_part(Part.from_text(word))
    qtbot.waitUntil(lambda: view.last.appends == 1, timeout=2000)
    assert (view.last.text, view.last.thought) == ("The answer", "Thinking… ")
    answer.append_part(Part.from_text(" is 42."))
    qtbot.waitUntil(lambda: view.last.appends == 2, timeout=2000)
    assert view.last.text == "The answer is 42."
    feed.flush()  # nothing new: no empty call
    assert view.last.appends == 2
    feed.follow(None)
    assert not feed.running and feed.answer is None


def test_following_another_answer_starts_it_from_its_beginning(qtbot: QtBot) -> None:
    view = RecordingView()
    feed = FrameFeed(view)
    first, second = streaming_answer(), streaming_answer()
    second.append_part(Part.from_text("Already here. "))
    view.begin_answer(first)
    feed.follow(first)
    first.append_part(Part.from_text("First."))
    feed.flush()
    view.begin_answer(second)
    feed.follow(second)
    second.append_part(Part.from_text("And more."))
    feed.flush()
    assert [a.text for a in view.calls.answers] == ["First.", "Already here. And more."]


def test_a_halted_feed_still_hands_over_the_rest(qtbot: QtBot) -> None:
    view = RecordingView()
    feed = FrameFeed(view)
    answer = streaming_answer()
    view.begin_answer(answer)
    feed.follow(answer)
    feed.halt()
    answer.append_part(Part.from_text("last words"))
    assert not feed.running
    feed.flush()
    assert view.last.text == "last words"


def test_a_chat_keeps_no_copy_of_its_streaming_text(
    qtbot: QtBot, qloop: qasync.QEventLoop, fake_gemini: FakeGemini
) -> None:
    """The text lives in the answer only: a chat's state holds no buffer or position,
    and a chat shown again mid-stream gets its answer whole from the answer itself."""
    assert {f.name for f in dataclasses.fields(Chat)} == {
        "id", "session", "title", "answer", "retry_after", "retry_until", "editing", "grants"
    }  # fmt: skip
    rig = make_rig(fake_gemini)
    try:
        fake_gemini.push(hold_open(["Part one, ", "part two."], ["The end."]))
        first = rig.controller.current_chat
        assert rig.controller.send("go")
        qtbot.waitUntil(lambda: rig.view.last.text == "Part one, part two.", timeout=5000)
        rig.controller.new_chat()
        assert rig.controller.feed.answer is None and not rig.controller.feed.running
        rig.controller.select_chat(first.id)
        assert rig.controller.feed.answer is first.answer
        assert rig.view.last.text == "Part one, part two." and rig.view.last.appends == 1
        with qtbot.waitSignal(rig.controller.answer_finished, timeout=5000):
            fake_gemini.release()
        assert rig.view.last.text == "Part one, part two.The end."
        assert not rig.controller.feed.running
    finally:
        run_until_done(qloop, rig.controller.shutdown())
