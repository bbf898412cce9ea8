"""ChatController against the fake Gemini server: streaming, stop, retry, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
import qasync
from pytestqt.qtbot import QtBot

from rill.core.providers.gemini import GeminiProvider
from rill.core.retry import NO_RETRY, RetryPolicy
from rill.core.types import GenerationSettings, Message, MessageStatus, Role
from rill.gui.chat.controller import ChatController
from rill.gui.common.tasks import TaskLauncher
from tests.fakes.gemini_scenarios import (
    blocked,
    finish_then_hold,
    hold_open,
    http_error,
    huge,
    huge_text,
    no_candidates,
    rate_limited,
    stream,
)
from tests.fakes.gemini_server import FakeGemini
from tests.gui.conftest import run_until_done
from tests.gui.support.recording_view import RecordingView

MODEL = "gemini-2.5-flash"


@dataclass
class Rig:
    controller: ChatController
    view: RecordingView
    server: FakeGemini
    launcher: TaskLauncher


def make_rig(
    server: FakeGemini, *, policy: RetryPolicy = NO_RETRY, stream_answers: bool = True
) -> Rig:
    view = RecordingView()
    launcher = TaskLauncher()
    provider = GeminiProvider("test-key", server.base_url)
    settings = GenerationSettings(model=MODEL, stream=stream_answers)
    controller = ChatController(view, launcher, settings, provider, retry_policy=policy)
    return Rig(controller, view, server, launcher)


@pytest.fixture
def rig(qloop: qasync.QEventLoop, fake_gemini: FakeGemini) -> Iterator[Rig]:
    made = make_rig(fake_gemini)
    yield made
    run_until_done(qloop, made.controller.shutdown())


def send_and_finish(qtbot: QtBot, rig: Rig, text: str, timeout: int = 5000) -> Message:
    with qtbot.waitSignal(rig.controller.answer_finished, timeout=timeout) as blocker:
        assert rig.controller.send(text)
    message = blocker.args[1]
    assert isinstance(message, Message)
    return message


def generate_bodies(server: FakeGemini) -> list[Any]:
    return [
        r.json for r in server.requests if r.action in ("streamGenerateContent", "generateContent")
    ]


def user_texts(body: Any) -> list[str]:
    return [
        part["text"]
        for content in body["contents"]
        if content["role"] == "user"
        for part in content["parts"]
        if "text" in part
    ]


# ---------------------------------------------------------------- streaming


def test_streamed_text_reaches_the_view_exactly(qtbot: QtBot, rig: Rig) -> None:
    rig.server.push(stream(["Hel", "lo, ", "wor", "ld."]))
    answer = send_and_finish(qtbot, rig, "Say hello")
    assert answer.status is MessageStatus.COMPLETE
    assert rig.view.last.text == "Hello, world."
    assert rig.view.last.final is answer
    assert [m.text for m in rig.view.calls.users] == ["Say hello"]
    assert user_texts(generate_bodies(rig.server)[-1]) == ["Say hello"]


def test_an_answer_whose_server_holds_on_after_the_finish_completes(qtbot: QtBot, rig: Rig) -> None:
    # The provider's read timeout is 60 s: waiting for it would turn the whole answer
    # into a "Timed out" card; the finish (with its usage) ends it instead.
    rig.server.push(finish_then_hold(["All ", "of it."]))
    answer = send_and_finish(qtbot, rig, "hi", timeout=10_000)
    status, error = answer.status, answer.error
    assert status is MessageStatus.COMPLETE and error is None
    assert rig.view.last.text == "All of it." and not rig.controller.is_streaming


def test_no_answer_is_the_same_card_streamed_or_not(
    qtbot: QtBot, qloop: qasync.QEventLoop, fake_gemini: FakeGemini
) -> None:
    # Streamed, it used to be "The answer was cut off"; not streamed, an empty success.
    cards = []
    for streamed in (True, False):
        made = make_rig(fake_gemini, stream_answers=streamed)
        fake_gemini.push(no_candidates())
        try:
            answer = send_and_finish(qtbot, made, "hi")
        finally:
            run_until_done(qloop, made.controller.shutdown())
        cards.append((answer.status, answer.error_kind, answer.error))
    said = "Gemini returned no answer (no candidates and no block reason)."
    assert cards == [(MessageStatus.FAILED, "server", said)] * 2


def test_chunks_are_coalesced_into_frames(qtbot: QtBot, rig: Rig) -> None:
    scenario = huge(total_chars=60_000, chunk_size=60)  # 1,000 chunks, sent at once
    rig.server.push(scenario)
    send_and_finish(qtbot, rig, "long please")
    record = rig.view.last
    assert record.text == huge_text(60_000)
    # One append per frame, not per chunk: far fewer calls than chunks.
    assert 1 <= record.appends < len(scenario.texts or ()) // 4


def test_turn_recorded_before_the_answer_and_input_clear_signal(qtbot: QtBot, rig: Rig) -> None:
    rig.server.push(stream(["ok"]))
    recorded: list[int] = []
    rig.controller.turn_recorded.connect(recorded.append)
    send_and_finish(qtbot, rig, "first")
    assert recorded == [rig.controller.current_chat.id]


def test_send_refused_while_streaming_and_when_empty(qtbot: QtBot, rig: Rig) -> None:
    rig.server.push(hold_open(["Hello"], [" there."]))
    reasons: list[str] = []
    rig.controller.send_refused.connect(reasons.append)
    assert not rig.controller.send("   ")
    with qtbot.waitSignal(rig.controller.streaming_changed, timeout=3000):
        assert rig.controller.send("hold")
    assert not rig.controller.send("second")
    assert len(reasons) == 2 and "stop" in reasons[1].lower()
    assert len(rig.controller.current_chat.session.history) == 2
    with qtbot.waitSignal(rig.controller.answer_finished, timeout=5000):
        rig.controller.stop()


# ---------------------------------------------------------------- stop


def test_stop_keeps_partial_marks_stopped_and_hangs_up(qtbot: QtBot, rig: Rig) -> None:
    rig.server.push(hold_open(["Hello"], [", world."]))
    rig.controller.send("hold on")
    qtbot.waitUntil(lambda: rig.view.calls.answers and rig.view.last.text == "Hello", timeout=5000)
    assert rig.controller.is_streaming
    with qtbot.waitSignal(rig.controller.answer_finished, timeout=5000) as blocker:
        rig.controller.stop()
    answer = blocker.args[1]
    assert answer.status is MessageStatus.STOPPED
    assert answer.text == "Hello"
    assert rig.view.last.final is answer and rig.view.last.text == "Hello"
    assert not rig.controller.is_streaming
    qtbot.waitUntil(lambda: rig.server.streams[-1].disconnected_at is not None, timeout=5000)


def test_stop_before_first_chunk_still_finishes_the_answer(qtbot: QtBot, rig: Rig) -> None:
    rig.server.push(replace(stream(["late"]), first_delay=2.0))
    with qtbot.waitSignal(rig.controller.answer_finished, timeout=5000) as blocker:
        rig.controller.send("quick")
        rig.controller.stop()  # before the task has run a single step
    assert blocker.args[1].status is MessageStatus.STOPPED
    assert rig.view.last.text == ""


# ---------------------------------------------------------------- errors and retry


def test_error_card_carries_the_human_message(qtbot: QtBot, rig: Rig) -> None:
    rig.server.push(http_error(503))
    answer = send_and_finish(qtbot, rig, "question")
    assert answer.status is MessageStatus.FAILED
    assert rig.view.last.final is answer
    assert answer.error and "overloaded" in answer.error.lower()
    assert "Traceback" not in answer.error
    assert answer.error_kind == "server"


def test_blocked_prompt_gives_a_blocked_card(qtbot: QtBot, rig: Rig) -> None:
    rig.server.push(blocked("PROHIBITED_CONTENT"))
    answer = send_and_finish(qtbot, rig, "something")
    assert answer.status is MessageStatus.BLOCKED
    assert answer.error


def test_retry_after_503_does_not_duplicate_the_user_turn(qtbot: QtBot, rig: Rig) -> None:
    rig.server.push(http_error(503), stream(["Second ", "time."]))
    failed = send_and_finish(qtbot, rig, "question")
    assert failed.status is MessageStatus.FAILED
    with qtbot.waitSignal(rig.controller.answer_finished, timeout=5000) as blocker:
        rig.view.retry_requested.connect(rig.controller.retry)
        rig.view.retry_requested.emit()
    answer = blocker.args[1]
    assert answer.status is MessageStatus.COMPLETE
    assert rig.view.last.text == "Second time."
    bodies = generate_bodies(rig.server)
    assert len(bodies) == 2
    assert user_texts(bodies[0]) == user_texts(bodies[1]) == ["question"]
    history = rig.controller.current_chat.session.history
    assert [m.role for m in history] == [Role.USER, Role.MODEL]
    # The view was re-shown without the failed answer before the new one began.
    assert rig.view.calls.histories[-1] == [history[0]]


def test_automatic_retry_shows_a_notice_then_answers(
    qtbot: QtBot, qloop: qasync.QEventLoop, fake_gemini: FakeGemini
) -> None:
    made = make_rig(fake_gemini, policy=RetryPolicy(max_attempts=2, base_delay=0.05, jitter=0))
    fake_gemini.push(http_error(503), stream(["Recovered."]))
    notices: list[tuple[str, float]] = []
    made.controller.retry_scheduled.connect(lambda text, s: notices.append((text, s)))
    answer = send_and_finish(qtbot, made, "again")
    assert answer.status is MessageStatus.COMPLETE
    assert made.view.last.text == "Recovered."
    assert len(notices) == 1 and "Retrying" in notices[0][0]
    assert made.view.calls.notices == notices
    run_until_done(qloop, made.controller.shutdown())


def test_rate_limit_notice_counts_down_from_the_servers_delay(
    qtbot: QtBot, qloop: qasync.QEventLoop, fake_gemini: FakeGemini
) -> None:
    made = make_rig(fake_gemini, policy=RetryPolicy(max_attempts=2))
    fake_gemini.push(rate_limited("1s"), stream(["After the wait."]))
    with qtbot.waitSignal(made.controller.retry_scheduled, timeout=5000) as notice:
        made.controller.send("busy?")
    text, seconds = notice.args
    assert seconds == pytest.approx(1.0)
    assert "Retrying in 1 s" in text
    with qtbot.waitSignal(made.controller.answer_finished, timeout=5000) as done:
        pass
    assert done.args[1].status is MessageStatus.COMPLETE
    run_until_done(qloop, made.controller.shutdown())


def test_long_rate_limit_fails_with_a_countdown_for_manual_retry(qtbot: QtBot, rig: Rig) -> None:
    rig.server.push(rate_limited("300s"))
    with qtbot.waitSignal(rig.controller.retry_scheduled, timeout=5000) as notice:
        rig.controller.send("busy?")
    answer = rig.view.last.final
    assert answer is not None and answer.status is MessageStatus.FAILED
    assert answer.error_kind == "rate_limited"
    # What is left of the wait when the notice goes up: time passes between the two
    # clock reads (0.3 ms once at load, past approx's default tolerance).
    assert 299.0 < notice.args[1] <= 300.0
    assert "300 s" in notice.args[0]


def test_a_wait_asked_for_off_screen_counts_down_when_the_chat_is_shown(
    qtbot: QtBot, rig: Rig
) -> None:
    rig.server.push(rate_limited("300s"))
    controller = rig.controller
    waits: list[tuple[str, float]] = []
    controller.retry_scheduled.connect(lambda text, s: waits.append((text, s)))
    first = controller.current_chat.id
    with qtbot.waitSignal(controller.answer_finished, timeout=5000) as done:
        controller.send("busy?")
        controller.new_chat()  # shown before the 429 comes back
    assert done.args[0] == first and done.args[1].status is MessageStatus.FAILED
    assert waits == [] and rig.view.calls.notices == []  # not over the other chat

    controller.select_chat(first)
    ((text, seconds),) = waits
    assert text == "The server asked to wait 300 s before retrying."
    assert 295 < seconds <= 300
    assert rig.view.calls.notices == [(text, seconds)]


# ---------------------------------------------------------------- non-streaming


def test_non_streaming_mode_uses_generate_content(
    qtbot: QtBot, qloop: qasync.QEventLoop, fake_gemini: FakeGemini
) -> None:
    made = make_rig(fake_gemini, stream_answers=False)
    fake_gemini.push(stream(["Whole ", "answer ", "at once."]))
    answer = send_and_finish(qtbot, made, "no stream")
    assert answer.status is MessageStatus.COMPLETE
    assert made.view.last.text == "Whole answer at once."
    assert made.view.last.appends == 1
    assert [r.action for r in fake_gemini.requests if r.action] == ["generateContent"]
    run_until_done(qloop, made.controller.shutdown())


def test_history_goes_back_to_the_model(qtbot: QtBot, rig: Rig) -> None:
    rig.server.push(stream(["One."]), stream(["Two."]))
    send_and_finish(qtbot, rig, "first")
    send_and_finish(qtbot, rig, "second")
    contents = generate_bodies(rig.server)[-1]["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert contents[1]["parts"][0]["text"] == "One."


# ---------------------------------------------------------------- chats


def test_switching_chats_mid_stream_and_back_shows_everything(qtbot: QtBot, rig: Rig) -> None:
    rig.server.push(hold_open(["Part one. "], ["Part two."]))
    first = rig.controller.current_chat.id
    rig.controller.send("hold")
    qtbot.waitUntil(lambda: rig.view.last.text == "Part one. ", timeout=5000)
    second = rig.controller.new_chat()
    assert second != first and not rig.controller.is_streaming
    rig.controller.select_chat(first)
    assert rig.controller.is_streaming
    assert rig.view.last.begun_with is rig.controller.current_chat.answer
    assert rig.view.last.text == "Part one. "  # caught up at once, not doubled
    rig.server.release()
    with qtbot.waitSignal(rig.controller.answer_finished, timeout=5000):
        pass
    assert rig.view.last.text == "Part one. Part two."


def test_new_chat_reuses_an_empty_chat(rig: Rig) -> None:
    first = rig.controller.current_chat.id
    assert rig.controller.new_chat() == first
    assert len(rig.controller.chats) == 1


def test_chat_is_named_after_its_first_message(qtbot: QtBot, rig: Rig) -> None:
    rig.server.push(stream(["ok"]))
    names: list[tuple[int, str]] = []
    rig.controller.chat_renamed.connect(lambda i, t: names.append((i, t)))
    send_and_finish(qtbot, rig, "  What is   the tallest mountain on Earth and on Mars?  ")
    expected = "What is the tallest mountain on Earth and on…"
    assert names == [(rig.controller.current_chat.id, expected)]


def test_without_a_key_the_answer_explains_how_to_add_one(
    qtbot: QtBot, qloop: qasync.QEventLoop
) -> None:
    view = RecordingView()
    controller = ChatController(view, TaskLauncher(), GenerationSettings(model=MODEL))
    assert not controller.has_provider
    with qtbot.waitSignal(controller.answer_finished, timeout=3000) as blocker:
        controller.send("hello")
    assert blocker.args[1].status is MessageStatus.FAILED
    assert "API key" in (blocker.args[1].error or "")
    run_until_done(qloop, controller.shutdown())


def test_lone_surrogates_sent_programmatically_are_dropped_and_the_answer_completes(
    qtbot: QtBot, rig: Rig
) -> None:
    failures: list[tuple[str, str]] = []
    rig.launcher.task_failed.connect(lambda name, text: failures.append((name, text)))
    rig.server.push(stream(["fine"]))
    answer = send_and_finish(qtbot, rig, "a\ud800b 😀 c\udfffd")
    assert failures == []
    assert answer.status is MessageStatus.COMPLETE and answer.text == "fine"
    assert user_texts(generate_bodies(rig.server)[-1]) == ["ab 😀 cd"]
    assert [m.text for m in rig.controller.current_chat.session.history] == ["ab 😀 cd", "fine"]
    assert rig.view.calls.users[-1].text == "ab 😀 cd"


def test_a_message_of_nothing_but_lone_surrogates_is_refused(qtbot: QtBot, rig: Rig) -> None:
    with qtbot.waitSignal(rig.controller.send_refused, timeout=1000):
        assert not rig.controller.send("\ud800 \udfff")
    assert rig.controller.current_chat.session.history == []
    assert rig.server.requests_for("streamGenerateContent") == []


class HeldImage:
    """An attachment still being prepared until its turn is stopped."""

    name = "held.png"

    async def ready(self) -> Any:
        await asyncio.Event().wait()


def test_images_going_out_in_one_chat_leave_the_other_chats_free(qtbot: QtBot, rig: Rig) -> None:
    controller = rig.controller
    states: list[bool] = []
    statuses: list[str] = []
    controller.streaming_changed.connect(states.append)
    controller.status_changed.connect(statuses.append)
    first = controller.current_chat.id
    assert controller.send("with a picture", [HeldImage()])
    assert states == [True]
    qtbot.waitUntil(lambda: statuses == ["Preparing attachments…"], timeout=3000)

    second = controller.new_chat()  # not the same chat: its first turn is going out
    assert second != first
    assert states[-1] is False  # this chat shows Send
    assert statuses[-1] == "Ready."
    rig.server.push(stream(["B answered."]))
    answer = send_and_finish(qtbot, rig, "in B")  # not refused by A's images
    assert answer.status is MessageStatus.COMPLETE and answer.text == "B answered."
    controller.stop()  # nothing to stop here; A's images keep going
    assert rig.launcher.is_running(f"prepare-turn:{first}")

    controller.select_chat(first)
    assert states[-1] is True
    assert statuses[-1] == "Preparing attachments…"
    controller.stop()
    qtbot.waitUntil(lambda: states[-1] is False, timeout=3000)
    assert statuses[-1] == "Stopped; nothing was sent."
    chat = controller.chat(first)
    assert chat is not None and chat.session.history == []
    assert user_texts(generate_bodies(rig.server)[-1]) == ["in B"]
