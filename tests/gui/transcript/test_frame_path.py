"""The live answer as the pane takes it from its Message, once per frame: what arrives
between the last frame and the end, a chat shown again mid-stream, a theme switch,
parts with views of their own; the result is what the finished answer renders."""

from __future__ import annotations

import qasync
from pytestqt.qtbot import QtBot

from rill.core.providers.gemini import GeminiProvider
from rill.core.types import GenerationSettings, Message, MessageStatus, Part
from rill.gui.chat.controller import ChatController
from rill.gui.common.tasks import TaskLauncher
from rill.gui.transcript.view import ChatView
from tests.fakes.answer_parts import code_run
from tests.fakes.gemini_scenarios import thinking
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.gemini_tool_scenarios import tiny_png
from tests.gui.conftest import run_until_done
from tests.gui.support.chat_view_support import frame, make_view, shapes, streaming, user


def complete(message: Message) -> Message:
    message.status = MessageStatus.COMPLETE
    return message


def rendered(view: ChatView, index: int) -> tuple[str, str, list[str]]:
    """What card ``index`` shows: its thoughts, its body, its views' kinds (not the
    thoughts' label, whose seconds only a live answer measures)."""
    view.settle()
    card = view.cards[index]
    thoughts = card.thoughts.text() if card.thoughts is not None else ""
    return thoughts, card.body_text(), [type(v).__name__ for v in card.views]


def as_history(qtbot: QtBot, *messages: Message, dark: bool = False) -> ChatView:
    view = make_view(qtbot)
    view.set_dark(dark)
    view.set_messages(list(messages))
    return view


def test_thoughts_that_came_after_the_last_frame_show_when_the_answer_ends(
    qtbot: QtBot,
) -> None:
    """The whole answer arrived between two frames (a one-shot answer always does):
    its thoughts get their disclosure, as the answer shown from the history has."""
    view = make_view(qtbot)
    live = streaming()
    view.begin_answer(live)
    live.append_part(Part(text="Let me think.", thought=True))
    live.append_part(Part.from_text("The answer."))
    view.finish_answer(complete(live))
    assert rendered(view, 0) == rendered(as_history(qtbot, live), 0)
    assert rendered(view, 0)[0] == "Let me think."


def test_text_that_came_after_the_last_frame_ends_a_retry_countdown(qtbot: QtBot) -> None:
    """The retry answered and ended within one frame: its countdown goes, as it goes
    when a frame brings the text (else it later says "You can retry now.")."""
    view = make_view(qtbot)
    live = streaming()
    view.begin_answer(live)
    view.show_retry_notice("Retrying in 30 s.", 30)
    assert view.cards[0].notice
    live.append_part(Part.from_text("The answer."))
    view.finish_answer(complete(live))
    assert view.cards[0].notice == ""


def test_a_one_shot_answer_shows_its_thoughts(
    qtbot: QtBot, qloop: qasync.QEventLoop, fake_gemini: FakeGemini
) -> None:
    """Streaming off, thoughts on: the answer lands whole, then ends in the same turn."""
    view = make_view(qtbot)
    settings = GenerationSettings(model="gemini-2.5-flash", stream=False, include_thoughts=True)
    provider = GeminiProvider("test-key", fake_gemini.base_url)
    controller = ChatController(view, TaskLauncher(), settings, provider)
    try:
        fake_gemini.push(thinking(texts=["The answer."]))
        with qtbot.waitSignal(controller.answer_finished, timeout=10_000) as blocker:
            controller.send("Think")
        message = blocker.args[1]
        assert isinstance(message, Message) and message.thought_text
        assert rendered(view, 1)[0] == message.thought_text
    finally:
        run_until_done(qloop, controller.shutdown())


def test_a_chat_shown_again_mid_stream_shows_its_answer_once(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    question, live = user("q"), streaming()
    view.set_messages([question])
    view.begin_answer(live)
    frame(view, "Hello ", "hmm")
    view.set_messages([user("another chat")])  # (as select_chat does)
    live.append_part(Part(text=" more", thought=True))
    live.append_part(Part.from_text("wor"))
    view.set_messages([question])
    view.begin_answer(live)
    frame(view, "ld.")
    view.finish_answer(complete(live))
    assert rendered(view, 1) == rendered(as_history(qtbot, question, live), 1)
    assert shapes(view, 1) == shapes(as_history(qtbot, question, live), 1)


def test_a_theme_switch_with_text_not_taken_yet_loses_and_doubles_nothing(
    qtbot: QtBot,
) -> None:
    view = make_view(qtbot)
    live = streaming()
    view.begin_answer(live)
    frame(view, "# Head\n\n- one\n- tw", "think")
    live.append_part(Part.from_text("o\n- three\n\nmore"))
    live.append_part(Part(text=" again", thought=True))
    view.set_dark(True)
    frame(view, " text.")
    view.finish_answer(complete(live))
    history = as_history(qtbot, live, dark=True)
    assert rendered(view, 0) == rendered(history, 0)
    assert shapes(view, 0) == shapes(history, 0)


def test_a_theme_switch_between_parts_with_views_of_their_own(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    live = streaming()
    view.begin_answer(live)
    parts = [
        Part.from_text("Before. "),
        *code_run("print(1)\n", output="1\n"),
        Part.from_bytes(tiny_png(), "image/png"),
        Part.from_text("After."),
    ]
    for part in parts[:2]:
        live.append_part(part)
    view.flush_answer()  # the code's Markdown is being skipped
    view.set_dark(True)
    for part in parts[2:]:
        live.append_part(part)
    view.set_dark(False)
    view.flush_answer()
    view.finish_answer(complete(live))
    assert rendered(view, 0) == rendered(as_history(qtbot, live), 0)


def test_parts_with_views_of_their_own_after_the_last_frame(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    live = streaming()
    view.begin_answer(live)
    frame(view, "Start ")
    for part in (
        Part.from_text("a. "),
        *code_run("print(1)\n", output="1\n"),
        Part.from_text("b. "),
        Part.from_bytes(tiny_png(), "image/png"),
    ):
        live.append_part(part)
    view.finish_answer(complete(live))
    assert rendered(view, 0) == rendered(as_history(qtbot, live), 0)


def test_an_answer_whose_first_frame_is_thoughts_alone(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    live = streaming()
    view.begin_answer(live)
    frame(view, "", "First I think.")
    assert view.cards[0].received and rendered(view, 0)[0] == "First I think."
    frame(view, "Then I say.", " More.")
    view.finish_answer(complete(live))
    assert rendered(view, 0) == rendered(as_history(qtbot, live), 0)
