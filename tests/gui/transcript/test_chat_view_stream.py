"""Streaming into the chat pane: tail-only edits, same result as a whole render, scrolling."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QAbstractSlider
from pytestqt.qtbot import QtBot

from rill.core.markdown import incremental as core_markdown
from rill.core.providers.gemini import GeminiProvider
from rill.core.types import GenerationSettings, Message, MessageStatus
from rill.gui.chat.controller import ChatController
from rill.gui.common.tasks import TaskLauncher
from rill.gui.transcript.view import ChatView
from tests.fakes.gemini_scenarios import huge_text, stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.conftest import run_until_done
from tests.gui.support.chat_view_support import (
    answer,
    finished,
    frame,
    make_view,
    shapes,
    streaming,
)
from tests.gui.support.chat_view_support import (
    stream as feed,
)
from tests.gui.support.chat_view_support import (
    user as user_message,
)
from tests.gui.transcript.test_chat_view import RICH

VARIED = RICH + "\n\n" + huge_text(6_000) + "\n\n1. a\n2. b\n\n```\nplain code\n```\n\nThe end."


@pytest.fixture
def view(qtbot: QtBot) -> ChatView:
    return make_view(qtbot)


@pytest.mark.parametrize("sizes", [(1,), (5, 1, 13), (64, 3), (4096,)])
def test_streamed_answer_equals_the_whole_render(qtbot: QtBot, sizes: tuple[int, ...]) -> None:
    streamed, whole = make_view(qtbot), make_view(qtbot)
    streamed.add_user_message(user_message("go"))
    streamed.begin_answer(streaming())
    feed(streamed, VARIED, sizes)
    final = finished(VARIED)
    streamed.finish_answer(final)
    whole.set_messages([user_message("go"), final])
    assert streamed.message_text(1) == whole.message_text(1)
    assert shapes(streamed, 1) == shapes(whole, 1)


def test_streaming_shows_the_text_before_it_finishes(view: ChatView) -> None:
    view.begin_answer(streaming())
    feed(view, "# Heading\n\nA paragraph that is still being writ")
    text = view.message_text(0)
    assert "Heading" in text and "A paragraph that is still being writ" in text


def test_a_frame_touches_only_the_live_cards_last_blocks_however_long_the_answer(
    view: ChatView,
) -> None:
    """Earlier cards, and all but the last blocks of the live card, are left alone by a
    frame: the same objects with the same text, whatever the answer's length."""
    view.set_messages([user_message("q"), finished(huge_text(50_000))])
    view.settle()
    earlier = [(card, list(card.blocks)) for card in view.cards]
    view.begin_answer(streaming())
    text = huge_text(260_000)
    frame(view, text[:200_000], "")  # one big catch-up, then normal frames
    view.settle_live()
    live = view.cards[-1]
    for size_at in (200_000, 230_000):
        for i in range(10):
            old = list(live.blocks)
            before = {id(b): b.text() for b in old}
            start = size_at + i * 3_300
            frame(view, text[start : start + 3_300], "")
            view.settle_live()
            after = live.blocks
            assert after[: len(old) - 2] == old[:-2]  # the same blocks, in place
            edited = [b for b in old if before[id(b)] != b.text()]
            assert all(old.index(b) >= len(old) - 2 for b in edited)  # only the end of it
            new = after[len(old) :]
            assert edited or new, "a frame must change the live card"
            size = sum(len(b.text()) for b in [*edited, *new])
            assert size < 16_000  # tail + delta, not the answer
    assert [(card, list(card.blocks)) for card in view.cards[:2]] == earlier


def test_history_on_screen_is_kept_for_a_prefix(view: ChatView) -> None:
    """Retry shows the history without the failed answer: only that answer's card goes."""
    first, failed = user_message("q"), answer("", status=MessageStatus.FAILED, error="x")
    history = [user_message("a"), finished(huge_text(20_000)), first, failed]
    view.set_messages(history)
    view.settle()
    kept = view.cards[:3]
    blocks_kept = [list(card.blocks) for card in kept]
    view.set_messages(history[:3])
    assert view.cards == kept and [list(card.blocks) for card in kept] == blocks_kept
    assert view.messages == history[:3]


def test_finish_renders_a_whole_answer_that_never_streamed(view: ChatView) -> None:
    view.begin_answer(streaming())
    view.finish_answer(finished(RICH))
    assert "def greet():" in view.message_text(0)
    assert "gemini-2.5-flash-001" in view.message_text(0)


def test_finish_with_a_different_text_re_renders_the_body(view: ChatView) -> None:
    view.begin_answer(streaming())
    frame(view, "draft words", "")
    view.finish_answer(finished("Final words"))
    text = view.message_text(0)
    assert "Final words" in text and "draft" not in text


def test_a_renderer_failure_shows_plain_text_instead_of_crashing(
    view: ChatView, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: object, delta: str) -> object:
        raise KeyError("a renderer bug")

    view.begin_answer(streaming())
    frame(view, "Good **start**\n\n", "")
    monkeypatch.setattr(core_markdown.IncrementalMarkdown, "append", broken)
    frame(view, "then `more`", "")
    frame(view, " and more", "")
    view.finish_answer(finished("Good **start**\n\nthen `more` and more"))
    assert "Good **start**\n\nthen `more` and more" in view.message_text(0)


def test_dark_mode_recolours_and_streaming_continues(view: ChatView) -> None:
    view.set_messages([user_message("q"), finished("```python\nx = 1\n```")])
    view.begin_answer(streaming())
    frame(view, "Live **answer** so far", "")
    view.set_dark(True)
    assert view.is_dark
    assert view.context.palette.base == "#1c1d21"
    assert view.context.theme.code_background == "#161b22"
    view.settle()
    code = next(b for b in _blocks(view) if b.text() == "x = 1")
    # The dark theme's syntax colours, not black (plain names take the text colour the
    # block is painted with: they set none).
    formats = [f.charFormat() for f in _fragments(code)]
    colours = {f.foreground().color().name() for f in formats if f.foreground().style() != 0}
    assert colours and "#000000" not in colours
    frame(view, ", and the rest.", "")
    view.finish_answer(finished("Live **answer** so far, and the rest."))
    assert "Live answer so far, and the rest." in view.message_text(2)
    view.set_dark(False)
    assert view.context.palette.base == "#ffffff"


def test_clear_empties_everything(view: ChatView) -> None:
    view.set_messages([user_message("q"), finished(RICH)])
    view.clear()
    assert view.plain_text().strip() == ""
    assert view.messages == []


# ------------------------------------------------------------ auto-scroll


def test_follows_the_stream_stops_when_scrolled_up_and_resumes(qtbot: QtBot) -> None:
    view = make_view(qtbot, width=500, height=300)
    view.set_messages([user_message("q"), finished(huge_text(5_000))])
    bar = view.surface.verticalScrollBar()
    view.begin_answer(streaming())
    for i in range(5):
        frame(view, f"Paragraph {i} of the answer.\n\n", "")
        qtbot.waitUntil(lambda: bar.value() == bar.maximum())
    bar.triggerAction(QAbstractSlider.SliderAction.SliderPageStepSub)  # the user scrolls up
    held = bar.value()
    assert held < bar.maximum()
    for i in range(5):
        frame(view, f"More text {i} arriving.\n\n", "")
    qtbot.waitUntil(lambda: bar.maximum() > held + 40)
    assert bar.value() == held  # the view stayed where the user put it
    assert not view.surface.following
    bar.triggerAction(QAbstractSlider.SliderAction.SliderToMaximum)  # back to the bottom
    assert view.surface.following
    frame(view, "Following again.\n\n", "")
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())


def test_sending_a_message_jumps_back_to_the_bottom(qtbot: QtBot) -> None:
    view = make_view(qtbot, width=500, height=300)
    view.set_messages([user_message("q"), finished(huge_text(5_000))])
    bar = view.surface.verticalScrollBar()
    bar.triggerAction(QAbstractSlider.SliderAction.SliderToMinimum)
    view.add_user_message(user_message("next question"))
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())
    assert view.surface.following


# ------------------------------------------------------------ with the real controller


@pytest.fixture
def wired(
    qtbot: QtBot, qloop: qasync.QEventLoop, fake_gemini: FakeGemini
) -> Iterator[tuple[ChatView, ChatController, FakeGemini]]:
    view = make_view(qtbot)
    provider = GeminiProvider("test-key", fake_gemini.base_url)
    controller = ChatController(
        view, TaskLauncher(), GenerationSettings(model="gemini-2.5-flash"), provider
    )
    view.retry_requested.connect(controller.retry)
    yield view, controller, fake_gemini
    run_until_done(qloop, controller.shutdown())


def test_controller_stream_renders_like_history(
    qtbot: QtBot, wired: tuple[ChatView, ChatController, FakeGemini]
) -> None:
    view, controller, server = wired
    chunks = [VARIED[i : i + 37] for i in range(0, len(VARIED), 37)]
    server.push(stream(chunks))
    with qtbot.waitSignal(controller.answer_finished, timeout=10_000) as blocker:
        controller.send("Show me")
    message = blocker.args[1]
    assert isinstance(message, Message) and message.text == VARIED
    whole = make_view(qtbot)
    whole.set_messages(view.messages)
    assert shapes(view, 1) == shapes(whole, 1)
    assert "gemini-2.5-flash" in view.message_text(1)


def test_retry_link_sends_the_turn_again(
    qtbot: QtBot, wired: tuple[ChatView, ChatController, FakeGemini]
) -> None:
    from tests.fakes.gemini_scenarios import http_error
    from tests.gui.support.chat_view_support import click_anchor

    view, controller, server = wired
    server.push(http_error(400), stream(["Second ", "time lucky."]))
    with qtbot.waitSignal(controller.answer_finished, timeout=10_000):
        controller.send("Try")
    assert "The request was refused" in view.plain_text()
    with qtbot.waitSignal(controller.answer_finished, timeout=10_000):
        click_anchor(qtbot, view, f"rill:retry/{view.cards[1].id}")
    assert "Second time lucky." in view.plain_text()
    assert "The request was refused" not in view.plain_text()
    assert QGuiApplication.clipboard() is not None


def _blocks(view: ChatView):  # type: ignore[no-untyped-def]
    from tests.gui.support.chat_view_support import blocks

    return blocks(view)


def _fragments(block):  # type: ignore[no-untyped-def]
    it = block.begin()
    while not it.atEnd():
        yield it.fragment()
        it += 1


# ------------------------------------------------------------ work in slices


def long_history(count: int) -> list[Message]:
    history: list[Message] = []
    for i in range(count):
        body = huge_text(700).replace("Paragraph", f"Line of answer {i}, paragraph")
        history += [user_message(f"Question {i}?"), finished(f"Answer {i}.\n\n{body}")]
    return history


def test_a_long_history_shows_its_end_at_once_and_builds_only_what_is_in_view(
    qtbot: QtBot,
) -> None:
    view = make_view(qtbot, height=400)
    history = long_history(300)
    view.set_messages(history)
    view.surface.lay_out_visible()
    shown = "\n".join(card.plain_text() for card in view.surface.visible())
    assert "Answer 299." in shown and "Question 0?" not in shown
    assert sum(card.built for card in view.cards) < 10  # the rest is heights, estimated
    bar = view.surface.verticalScrollBar()
    assert bar.value() == bar.maximum() and view.surface.following
    bar.setValue(0)  # the top: its cards are built as they come into view
    view.surface.lay_out_visible()
    shown = "\n".join(card.plain_text() for card in view.surface.visible())
    assert "Question 0?" in shown
    whole = make_view(qtbot)
    whole.set_messages(history)
    assert view.plain_text() == whole.plain_text()
    assert shapes(view, 300) == shapes(whole, 300)


def test_older_history_arriving_above_keeps_the_readers_place(qtbot: QtBot) -> None:
    view = make_view(qtbot, height=400)
    history = long_history(300)
    view.set_messages(history[400:])
    view.surface.lay_out_visible()
    bar = view.surface.verticalScrollBar()
    bar.triggerAction(QAbstractSlider.SliderAction.SliderPageStepSub)  # the reader scrolls up
    view.surface.lay_out_visible()
    assert not view.surface.following

    def reading() -> tuple[object, int]:
        top = bar.value()
        card = next(iter(view.surface.visible()))
        return card, view.surface.card_top(card.index) - top

    before = reading()
    view.prepend_messages(history[:400])  # the loader brings the older part
    view.surface.lay_out_visible()
    assert reading() == before  # older messages arrived above without moving it
    assert bar.value() > 0 and not view.surface.following


def test_a_whole_answer_at_once_is_written_in_slices(view: ChatView) -> None:
    view.begin_answer(streaming())
    text = huge_text(120_000)
    frame(view, text, "")  # what the controller does for a non-streamed answer
    view.finish_answer(finished(text))
    view.show_retry_notice("The server asked to wait 30 s before retrying.", 30)
    assert view.busy  # not all written during the call
    view.settle()
    shown = view.message_text(0)
    assert shown.count("Paragraph") == text.count("Paragraph")  # all of it: no cut
    assert "Showing the first" not in shown
    assert view.messages[0].text == text
    assert "gemini-2.5-flash-001" in shown
    assert "wait 30 s" in shown or "wait 29 s" in shown
    assert not view.busy


def test_sending_while_an_answer_settles_keeps_the_order(view: ChatView) -> None:
    view.begin_answer(streaming())
    frame(view, "First answer text.", "")
    view.finish_answer(finished("First answer text."))
    view.add_user_message(user_message("Second question"))  # before the work loop ran
    view.begin_answer(streaming())
    frame(view, "Second answer.", "")
    text = view.plain_text()
    assert text.index("First answer text.") < text.index("Second question")
    assert text.index("Second question") < text.index("Second answer.")
    assert "gemini-2.5-flash-001" in view.message_text(0)


def test_open_thoughts_survive_a_theme_switch_mid_stream(qtbot: QtBot, view: ChatView) -> None:
    from tests.gui.support.chat_view_support import anchors, click_anchor

    view.begin_answer(streaming())
    frame(view, "", "First I think about **this**. ")
    href = next(h for h in anchors(view) if h.startswith("rill:toggle-thoughts/"))
    click_anchor(qtbot, view, href)
    frame(view, "The answer starts", "Then about that.")
    view.set_dark(True)
    frame(view, " and ends.", "")
    view.finish_answer(
        finished("The answer starts and ends.", "First I think about **this**. Then about that.")
    )
    text = view.message_text(0)
    assert "First I think about this. Then about that." in text
    assert text.index("Then about that.") < text.index("The answer starts and ends.")
    assert "Thought for" in text and "Thinking…" not in text
