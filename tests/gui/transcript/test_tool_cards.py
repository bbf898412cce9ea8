"""The cards of issues 16 and 17: code runs (code, badge, output, figures), grounding
(markers at UTF-8 byte offsets, Sources, search suggestions), URL context, and tool
calls with their results; malformed metadata never raises, long lists stay inside
their card, and the keyboard reaches every fold and link."""

from __future__ import annotations

import math
import re
import time

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.core.answer_types import (
    CodeRun,
    Grounding,
    Outcome,
    Source,
    Support,
    UrlRead,
)
from rill.core.types import Message, MessageStatus, Part, Role
from rill.gui.transcript.renderers.code import CodeBlock
from rill.gui.transcript.renderers.code_run import CodeResultView, CodeRunView
from rill.gui.transcript.renderers.grounding import GroundingView
from rill.gui.transcript.renderers.images import ImageView
from rill.gui.transcript.renderers.rows import RowsBlock
from rill.gui.transcript.renderers.tool_calls import FunctionCallView, FunctionResponseView
from rill.gui.transcript.view import ChatView
from tests.fakes.answer_parts import code_run, tool_call, tool_reply
from tests.fakes.gemini_tool_scenarios import tiny_png
from tests.gui.support.chat_view_support import anchors, click_anchor, make_view, streaming
from tests.gui.transcript.test_keyboard_access import focused_name, into_the_pane
from tests.gui.transcript.test_links import Opened, opened  # noqa: F401 (a fixture)

REDIRECT = "https://vertexaisearch.cloud.google.com/grounding-api-redirect/"


def shown(qtbot: QtBot, *parts: Part, **fields: object) -> ChatView:
    view = make_view(qtbot)
    message = Message(Role.MODEL, list(parts), status=MessageStatus.COMPLETE, **fields)  # type: ignore[arg-type]
    view.set_messages([message])
    view.settle()
    return view


def kinds(view: ChatView, index: int = 0) -> list[str]:
    return [type(v).__name__ for v in view.cards[index].views]


# ---------------------------------------------------------------- code runs


def code_parts(outcome: Outcome = Outcome.OK, output: str = "55\n") -> list[Part]:
    return [
        Part.from_text("Let me add them up. "),
        *code_run("total = sum(range(1, 11))\nprint(total)\n", outcome, output),
        Part.from_bytes(tiny_png(), "image/png"),
        Part.from_text("The sum is 55."),
    ]


def test_a_code_run_is_its_code_its_badge_its_output_and_its_figure(qtbot: QtBot) -> None:
    view = shown(qtbot, *code_parts())
    assert kinds(view) == [
        "MarkdownView", "CodeRunView", "CodeResultView", "ImageView", "MarkdownView"
    ]  # fmt: skip
    run, result = view.cards[0].views[1], view.cards[0].views[2]
    assert isinstance(run, CodeRunView) and isinstance(result, CodeResultView)
    code = next(b for b in run.blocks if isinstance(b, CodeBlock))
    assert code.language == "python" and "print(total)" in code.code()  # highlighted card
    output = next(b for b in result.blocks if isinstance(b, CodeBlock))
    assert output.code() == "55\n"
    text = view.message_text(0)
    assert "▾ Ran Python code" in text and "Outcome: OK. Output" in text
    # Folded by its header (a button), open again the same way.
    click_anchor(qtbot, view, run.header.href)
    assert run.blocks == [run.header] and "print(total)" not in view.message_text(0)
    assert "▸ Ran Python code" in view.message_text(0)
    click_anchor(qtbot, view, run.header.href)
    assert "print(total)" in view.message_text(0)


@pytest.mark.parametrize(
    ("outcome", "words"),
    [
        (Outcome.FAILED, "✗ Failed"),
        (Outcome.DEADLINE_EXCEEDED, "⏱ Deadline exceeded"),
        (Outcome.UNKNOWN, "? Outcome unknown"),
    ],
)
def test_each_outcome_has_its_badge(qtbot: QtBot, outcome: Outcome, words: str) -> None:
    view = shown(qtbot, *code_parts(outcome, output=""))
    result = view.cards[0].views[2]
    assert isinstance(result, CodeResultView)
    assert result.badge.words == words
    assert not any(isinstance(b, CodeBlock) for b in result.blocks)  # nothing printed
    assert "Nothing printed" in view.message_text(0)


def test_a_streamed_code_run_is_the_same_cards_and_its_markdown_shows_once(
    qtbot: QtBot,
) -> None:
    """The answer's text, which the live card takes each frame, carries each part's
    Markdown; the cards stand for it."""
    view = make_view(qtbot)
    live = streaming()
    view.begin_answer(live)
    for part in code_parts():
        live.append_part(part)
        view.flush_answer()  # a frame per part
    view.finish_answer(Message(Role.MODEL, code_parts(), status=MessageStatus.COMPLETE))
    view.settle()
    assert kinds(view) == [
        "MarkdownView", "CodeRunView", "CodeResultView", "ImageView", "MarkdownView"
    ]  # fmt: skip
    text = view.message_text(0)
    assert text.count("print(total)") == 1 and "```" not in text
    assert view.cards[0].text == Message(Role.MODEL, code_parts()).text  # Copy: the Markdown


# ---------------------------------------------------------------- grounding


GROUNDED = ("Grüße aus Zürich — 日本語も。", " Second claim here.")


def grounding(texts: tuple[str, ...] = GROUNDED, **extra: object) -> Grounding:
    ends, at = [], 0
    for text in texts:
        at += len(text.encode())
        ends.append(at)
    fields: dict[str, object] = {
        "queries": ("grüße zürich", "rill.example chat"),
        "sources": (
            Source(REDIRECT + "AAA", "zurich.example"),
            Source("https://docs.example/page", "Docs page"),
        ),
        "supports": (Support(end=ends[0], sources=(0,)), Support(end=ends[1], sources=(0, 1))),
        "search_entry_point": '<img src="https://www.gstatic.com/x.png">',
    }
    fields.update(extra)
    return Grounding(**fields)  # type: ignore[arg-type]


def test_markers_sit_at_the_byte_offsets_and_link_to_their_sources(qtbot: QtBot) -> None:
    view = shown(qtbot, *(Part.from_text(t) for t in GROUNDED), grounding=grounding())
    text = view.message_text(0)
    assert "日本語も。[1] Second claim here.[1][2]" in text  # after multi-byte text, in place
    hits = [h for h in view.surface.all_hits() if h.text in ("1", "2")]
    assert [(h.href, h.text) for h in hits] == [
        (REDIRECT + "AAA", "1"), (REDIRECT + "AAA", "1"), ("https://docs.example/page", "2")
    ]  # fmt: skip
    assert kinds(view) == ["MarkdownView", "GroundingView"]
    assert "Sources\n1 zurich.example\n2 Docs page (docs.example)" in text
    suggestions = [h.href for h in view.surface.all_hits() if h.href.startswith("https://www.g")]
    assert suggestions == [
        "https://www.google.com/search?q=gr%C3%BC%C3%9Fe+z%C3%BCrich",
        "https://www.google.com/search?q=rill.example+chat",
    ]
    assert "gstatic" not in text and "<img" not in text  # the entry point is never shown


def test_a_marker_and_a_source_open_through_the_link_guard(
    qtbot: QtBot,
    opened: Opened,  # noqa: F811 (the fixture imported above)
) -> None:
    view = shown(qtbot, *(Part.from_text(t) for t in GROUNDED), grounding=grounding())
    click_anchor(qtbot, view, "https://docs.example/page")  # the marker "2"
    assert opened.urls == ["https://docs.example/page"]
    click_anchor(qtbot, view, REDIRECT + "AAA", nth=2)  # the Sources row, through Google
    assert opened.urls[-1] == REDIRECT + "AAA" and view.links.question is None
    # A source whose title reads as another site is a deceptive link: asked first.
    hostile = grounding(sources=(Source("http://evil.example/x", "accounts.google.com"),))
    view.set_messages([Message(Role.MODEL, [Part.from_text(GROUNDED[0])], grounding=hostile)])
    view.settle()
    same = [h for h in view.surface.all_hits() if h.href == "http://evil.example/x"]
    nth = [h.text for h in same].index("accounts.google.com")  # the row, not the marker
    click_anchor(qtbot, view, "http://evil.example/x", nth=nth)
    assert view.links.question is not None and "evil.example" in view.links.question.text()
    view.links.question.reject()


@pytest.mark.parametrize(
    "supports",
    [
        (Support(end=10_000, sources=(0,)),),  # past the text
        (Support(end=3, sources=(0,)),),  # inside "ü" (bytes 2-3)
        (Support(end=-5, sources=(0,)), Support(end=5, sources=(7,))),  # negative, no source
        tuple(Support(start=i, end=i + 1, sources=(i % 3,)) for i in range(10_000)),
    ],
    ids=["past-the-text", "inside-a-character", "nonsense", "10k-supports"],
)
def test_malformed_grounding_never_raises_nor_loses_the_answer(
    qtbot: QtBot, supports: tuple[Support, ...]
) -> None:
    sources = (Source(None, None), Source("javascript:alert(1)", "x"), Source(REDIRECT, ""))
    meta = Grounding(queries=("q",) * 50, sources=sources, supports=supports)
    view = shown(qtbot, Part.from_text(GROUNDED[0]), grounding=meta)
    text = view.message_text(0)
    assert re.sub(r"\[\d+\]|\[…\]", "", text).startswith(GROUNDED[0])  # whole, in order
    assert "Source 1" in text
    assert not any(h.href.startswith("javascript") for h in view.surface.all_hits())
    assert sum(h.href.startswith("https://www.google") for h in view.surface.all_hits()) == 12


def test_hundreds_of_sources_stay_inside_the_card_scroll_and_never_stall(
    qtbot: QtBot,
) -> None:
    sources = tuple(Source(f"https://s{n}.example/", f"Source page {n}") for n in range(600))
    supports = (Support(end=5, sources=tuple(range(600))),)
    meta = Grounding(sources=sources, supports=supports)
    view = make_view(qtbot)
    view.set_messages([Message(Role.MODEL, [Part.from_text("A first answer.")])])
    view.settle()
    view.grab()  # the window's own first paint is not the list's cost
    start = time.thread_time()
    view.set_messages([Message(Role.MODEL, [Part.from_text("Grounded text.")], grounding=meta)])
    view.settle()
    view.grab()
    spent = time.thread_time() - start
    assert spent < 0.033, f"{spent * 1000:.0f} ms to open and paint"
    rows = next(b for b in view.cards[0].blocks if isinstance(b, RowsBlock))
    assert rows.height < 400 and rows.shown_rows == 8  # inside the card
    start = time.thread_time()
    view.grab()
    assert time.thread_time() - start < 0.033  # one paint of the card: no stall
    linked = [h for h in rows.hits() if not h.href.startswith("rill:")]
    assert [h.href for h in linked][:2] == ["https://s0.example/", "https://s1.example/"]
    click_anchor(qtbot, view, f"rill:page-part/{rows.block_id}/down")
    assert rows.first == 7 and rows.hits()[2].href == "https://s7.example/"
    wheel = QWheelEvent(
        QPointF(10, 80), QPointF(10, 80), QPoint(0, 0), QPoint(0, -120),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
        False,
    )  # fmt: skip
    assert rows.wheel(wheel, QPoint(10, 80)) and rows.first == 10
    assert "Source page 599" in rows.text()  # every source is in the text (search, copy)


# ---------------------------------------------------------------- URL context


def test_each_page_read_is_listed_with_its_status(qtbot: QtBot) -> None:
    reads = (
        UrlRead("https://example.com/rill", "success"),
        UrlRead("https://example.com/paywalled", "paywall"),
        UrlRead("file:///etc/passwd", "error"),
        UrlRead("https://example.com/odd", "something new"),
    )
    view = shown(qtbot, Part.from_text("The page says so."), url_context=reads)
    assert kinds(view) == ["MarkdownView", "UrlContextView"]
    text = view.message_text(0)
    assert (
        "Pages read\n✓ https://example.com/rill (read)\n"
        "✗ https://example.com/paywalled (behind a paywall)\n"
        "✗ file:///etc/passwd (could not be read)\n"
        "? https://example.com/odd (status unknown)"
    ) in text
    links = [h for h in view.surface.all_hits() if "example.com" in h.href or "file:" in h.href]
    assert [h.href for h in links] == [
        "https://example.com/rill", "https://example.com/paywalled", "https://example.com/odd"
    ]  # fmt: skip


# ---------------------------------------------------------------- tool calls


def call(offered: bool = True) -> Part:
    args = {"timezone": "Europe/Zurich", "format": "<b>24h</b>"}
    return tool_call("time__now", args, offered=offered)


def reply(response: dict[str, object], **fields: object) -> Part:
    base: dict[str, object] = {"server": "time", "tool": "now", "decision": "allow_once"}
    return tool_reply("time__now", response, **{**base, **fields})


def test_a_call_and_its_result_are_cards_paired_by_id(qtbot: QtBot) -> None:
    result = reply({"output": "12:00 <img src=http://x/y.png>", "structuredContent": {"h": 12}})
    view = shown(qtbot, call(), result, Part.from_text("It is noon."))
    assert kinds(view) == ["FunctionCallView", "FunctionResponseView", "MarkdownView"]
    card, answer = view.cards[0].views[0], view.cards[0].views[1]
    assert isinstance(card, FunctionCallView) and isinstance(answer, FunctionResponseView)
    text = view.message_text(0)
    assert "▾ Tool call · time · now — allowed once" in text
    assert '"timezone": "Europe/Zurich"' in text and '"format": "<b>24h</b>"' in text  # pretty
    assert "↳ Result of time.now" in text and "12:00 <img src=http://x/y.png>" in text  # inert
    assert "▸ Structured result (JSON)" in text and '"h": 12' not in text  # folded
    fold = answer.parts[1]
    click_anchor(qtbot, view, fold.header.href)  # type: ignore[attr-defined]
    assert '"h": 12' in view.message_text(0)
    click_anchor(qtbot, view, card.header.href)  # the arguments fold too
    assert "Europe/Zurich" not in view.message_text(0)


def test_an_error_a_denial_and_a_call_not_run_say_so(qtbot: QtBot) -> None:
    view = shown(
        qtbot,
        call(), reply({"error": "The server crashed."}, is_error=True),
        call(), reply({"error": "The user denied this call."}, decision="deny", is_error=True),
        call(offered=False),
    )  # fmt: skip
    text = view.message_text(0)
    assert "✗ time.now failed\nThe server crashed." in text
    assert "✗ time.now was denied; the model was told\nThe user denied this call." in text
    assert "Tool call · time · now — denied" in text
    assert "Tool call · time__now — not run: tools from servers are not enabled" in text
    heads = [v for v in view.cards[0].views if isinstance(v, FunctionResponseView)]
    assert [h.head.role for h in heads] == ["error_title", "error_title"]


def test_a_call_waits_for_its_decision_while_the_answer_streams(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    live = streaming()
    view.begin_answer(live)
    live.append_part(Part.from_text("Checking. "))
    live.append_part(call())
    view.flush_answer()
    view.settle_live()
    assert "Tool call · time__now — waiting for your decision" in view.cards[0].plain_text()
    answer = reply({"output": "12:00"})
    live.append_part(answer)
    live.append_part(Part.from_text("Noon."))
    view.flush_answer()
    view.settle_live()
    assert "Tool call · time · now — allowed once" in view.cards[0].plain_text()
    assert kinds(view) == [
        "MarkdownView", "FunctionCallView", "FunctionResponseView", "MarkdownView"
    ]  # fmt: skip
    assert view.cards[0].text == live.text  # each part's Markdown once, in its place


# ---------------------------------------------------------------- keyboard


def test_the_keyboard_reaches_folds_markers_sources_and_pages(
    qtbot: QtBot,
    opened: Opened,  # noqa: F811 (the fixture imported above)
) -> None:
    sources = tuple(Source(f"https://s{n}.example/", f"Page {n}") for n in range(20))
    meta = Grounding(sources=sources, supports=(Support(end=4, sources=(0,)),))
    view = make_view(qtbot, height=900)
    parts = [Part.from_text("Text"), Part(code=CodeRun("print(1)")), call()]
    view.set_messages([Message(Role.MODEL, parts, status=MessageStatus.COMPLETE, grounding=meta)])
    into_the_pane(qtbot, view)
    names = []
    for _ in range(8):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        names.append(focused_name())
    assert names[:8] == [
        "Link: 1", "▾ Ran Python code", "Copy", "▾ Tool call · time__now — waiting for "
        "your decision", "Copy", "Earlier Sources", "More Sources", "Link: Page 0",
    ]  # fmt: skip
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab, Qt.KeyboardModifier.ShiftModifier)
    rows = next(b for b in view.cards[0].blocks if isinstance(b, RowsBlock))
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # More Sources
    assert rows.first == 7
    assert "https://s7.example/" in anchors(view)


def test_extras_have_no_text_of_their_own_for_copy(qtbot: QtBot) -> None:
    """Copy gives the answer's Markdown: the message's own text, without the markers'
    links (the Sources are shown, not copied into it)."""
    parts = [Part.from_text(t) for t in GROUNDED]
    view = shown(qtbot, *parts, grounding=grounding())
    assert view.cards[0].text == "".join(GROUNDED)
    assert isinstance(view.cards[0].views[-1], GroundingView)
    assert not math.isnan(view.cards[0].height)
    image_only = shown(qtbot, Part.from_bytes(tiny_png(), "image/png"))
    assert isinstance(image_only.cards[0].views[0], ImageView)


def test_recited_works_are_listed_with_their_licence(qtbot: QtBot) -> None:
    from rill.core.answer_types import Citation

    recited = (
        Citation("https://example.com/hamlet", None, "public domain", 0, 20),
        Citation(None, "A book", None),
    )
    view = shown(qtbot, Part.from_text("To be, or not to be."), citations=recited)
    assert kinds(view) == ["MarkdownView", "RecitationView"]
    text = view.message_text(0)
    assert "Recites\n1 https://example.com/hamlet (public domain)\n2 A book" in text
    assert "https://example.com/hamlet" in anchors(view)


def test_a_wheel_over_the_list_moves_the_keyboards_stand_ins_too(qtbot: QtBot) -> None:
    sources = tuple(Source(f"https://s{n}.example/", f"Page {n}") for n in range(30))
    meta = Grounding(sources=sources)
    view = make_view(qtbot, height=900)
    view.set_messages([Message(Role.MODEL, [Part.from_text("Text")], grounding=meta)])
    into_the_pane(qtbot, view)
    rows = next(b for b in view.cards[0].blocks if isinstance(b, RowsBlock))
    assert rows.scroll_to(20)
    view.surface.viewport().update()
    qtbot.waitUntil(
        lambda: "https://s20.example/" in [b.hit.href for b in view.surface.keyboard.buttons()]
    )
