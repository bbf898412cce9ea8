"""One renderer per part kind: Markdown text, code cards, thoughts, images, notices, and
the placeholder for kinds nobody registered; and registering a renderer."""

from __future__ import annotations

import math
import time

import pytest
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from rill.core.answer_types import CodeResult, CodeRun, FunctionCall, Outcome
from rill.core.types import Message, MessageStatus, Part, Role
from rill.gui.transcript import renderers
from rill.gui.transcript.renderers import code as code_cards
from rill.gui.transcript.renderers.base import Context, PartView
from rill.gui.transcript.renderers.code import CodeBlock
from rill.gui.transcript.renderers.doc_block import DocBlock
from rill.gui.transcript.renderers.images import ImageBlock, ImageView
from rill.gui.transcript.renderers.lines import LineBlock
from rill.gui.transcript.renderers.markdown import MarkdownView
from rill.gui.transcript.renderers.notices import ErrorCard
from rill.gui.transcript.renderers.thoughts import ThoughtsView
from rill.gui.transcript.renderers.unsupported import UnsupportedView
from tests.gui.support.chat_view_support import (
    anchors,
    answer,
    click_anchor,
    finished,
    frame,
    make_view,
    streaming,
    user,
)

MARKDOWN = """# Heading

- item **one**
- item two

> a quote

| a | b |
|---|---|
| 1 | 2 |

Some `inline` and [a link](https://example.com/x) and [mail](mailto:a@b.example)
and [no](javascript:alert(1)) [nor](file:///etc/passwd).

```python
print("hi")
```
"""


def rendered(text: str) -> MarkdownView:
    view = MarkdownView(Context(), text)
    view.close()
    view.render(math.inf)
    return view


def test_markdown_text_becomes_prose_blocks_and_code_cards(qapp: object) -> None:
    view = rendered(MARKDOWN)
    kinds = [type(b).__name__ for b in view.blocks]
    assert kinds == ["DocBlock", "CodeBlock"]
    prose = view.blocks[0]
    assert isinstance(prose, DocBlock)
    prose.layout(600)
    text = prose.text()
    for words in ("Heading", "item one", "a quote", "inline", "a link"):
        assert words in text
    hrefs = [hit.href for hit in prose.hits()]
    assert hrefs == ["https://example.com/x", "mailto:a@b.example"]  # only these schemes


def test_a_long_answer_is_many_small_blocks_never_one_big_document(qapp: object) -> None:
    text = "".join(f"Paragraph {n} with some words in it.\n\n" for n in range(2000))
    view = rendered(text)
    sizes = [len(b.text()) for b in view.blocks]
    assert len(view.blocks) > 20 and max(sizes) < 8_000
    assert "".join(b.text() for b in view.blocks).count("Paragraph") == 2000


def test_a_line_of_a_million_characters_is_cut_into_pieces_that_wrap(qapp: object) -> None:
    line = "x" * 1_000_000
    view = MarkdownView(Context())
    for at in range(0, len(line), 50_000):
        view.push(line[at : at + 50_000])
        view.render(time.perf_counter() + 0.01)
    view.close()
    view.render(math.inf)
    assert len(view.blocks) > 100
    assert "".join(b.text() for b in view.blocks).replace("\u200b", "") == line
    block = view.blocks[0]
    started = time.thread_time()
    block.layout(500)
    assert time.thread_time() - started < 0.2  # a piece lays out at once
    assert isinstance(block, DocBlock) and block.doc.begin().layout().lineCount() > 10


@pytest.fixture
def quick_confirm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(code_cards, "CONFIRM_S", 0.3)


def test_code_card_copy_confirms_then_reads_copy_again(qtbot: QtBot, quick_confirm: None) -> None:
    view = make_view(qtbot)
    text = "Run:\n\n```python\nprint('hi')\n```\n\nThen:\n\n```bash\nls -l\n```\n"
    view.set_messages([user("Show me"), finished(text)])
    view.settle()
    first, second = [b for b in view.cards[1].blocks if isinstance(b, CodeBlock)]
    assert (first.language, second.language) == ("python", "bash")
    click_anchor(qtbot, view, first.hits()[0].href)
    assert QGuiApplication.clipboard().text() == "print('hi')\n"
    assert first.confirming and not second.confirming  # only the card clicked
    assert first.hits()[0].href in anchors(view)  # it can be clicked again
    qtbot.waitUntil(lambda: not first.confirming, timeout=2000)
    click_anchor(qtbot, view, second.hits()[0].href)
    assert QGuiApplication.clipboard().text() == "ls -l\n"


def test_a_streamed_code_block_is_one_card_with_one_copy(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.begin_answer(streaming())
    pieces = ["```python\n", "a = 1\n", "b = 2\n", "c = 3", "\n```\n\nAfter."]
    hrefs = set()
    for piece in pieces:
        frame(view, piece, "")
        view.settle_live()
        cards = [b for b in view.cards[0].blocks if isinstance(b, CodeBlock)]
        if cards:
            hrefs.add(cards[0].hits()[0].href)
    assert len(hrefs) == 1  # the same card, the same Copy, from first line to last
    view.finish_answer(finished("".join(pieces)))
    cards = [b for b in view.cards[0].blocks if isinstance(b, CodeBlock)]
    assert len(cards) == 1 and cards[0].code() == "a = 1\nb = 2\nc = 3\n"


def test_thoughts_read_thinking_then_thought_for_and_fold(qapp: object) -> None:
    context = Context()
    live = ThoughtsView(context, card_id=1, live=True)
    live.push("Let me see.")
    assert live.header.text() == "▸ Thinking…"
    assert live.blocks == [live.header]  # folded: the thoughts are not shown
    live.toggle()
    live.render(math.inf)
    assert "Let me see." in "".join(b.text() for b in live.blocks[1:])
    live.started = time.monotonic() - 12.2
    live.end()
    assert live.header.text() == "▾ Thought for 12 s"
    old = ThoughtsView(context, "Earlier.", card_id=2, live=False)
    assert old.header.text() == "▸ Thoughts"  # from history: no timing was kept


def test_an_unreadable_image_says_so_instead_of_nothing(qapp: object) -> None:
    view = ImageView(Context(), Part.from_bytes(b"not a picture", "image/png"))
    block = view.blocks[0]
    assert isinstance(block, ImageBlock) and block.failed
    assert block.layout(600) > 0 and block.hits() == [] and block.menu_actions(None) == []


def test_notices_are_cards_and_lines_with_their_actions(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    failed = answer("", status=MessageStatus.FAILED, error="<b>Bold</b> claim", error_kind="server")
    stopped = answer("Half", status=MessageStatus.STOPPED)
    interrupted = answer("Cut", status=MessageStatus.INTERRUPTED)
    view.set_messages([user("a"), failed, user("b"), stopped, user("c"), interrupted])
    view.settle()
    card = next(b for b in view.cards[1].blocks if isinstance(b, ErrorCard))
    assert "The server had a problem" in card.text() and "<b>Bold</b> claim" in card.text()
    assert [h.href for h in card.hits()] == [f"rill:retry/{view.cards[1].id}"]
    assert "■ Stopped" in view.cards[3].status_text()
    lines = [b for b in view.cards[5].blocks if isinstance(b, LineBlock)]
    assert "■ Interrupted: the app closed mid-answer" in [b.text() for b in lines]
    assert f"rill:regenerate/{view.cards[5].id}" in anchors(view)


def test_an_unknown_part_kind_is_a_collapsed_line_never_nothing(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    audio = Part.from_bytes(b"RIFF0000WAVE", "audio/wav")
    message = Message(Role.MODEL, [Part.from_text("Listen:"), audio])
    view.set_messages([message])
    view.settle()
    part = view.cards[0].views[1]
    assert isinstance(part, UnsupportedView)
    assert "▸ Unsupported part (audio/wav)" in view.message_text(0)
    assert "Size: 12 bytes" not in view.message_text(0)
    click_anchor(qtbot, view, part.header.href)
    assert "▾ Unsupported part (audio/wav)" in view.message_text(0)
    assert "Type: audio/wav" in view.message_text(0) and "Size: 12 bytes" in view.message_text(0)


def test_a_registered_renderer_shows_its_kind(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(renderers, "_RENDERERS", dict(renderers._RENDERERS))

    class Wave(PartView):
        kind = "audio/wav"

        def __init__(self, context: Context, part: Part) -> None:
            super().__init__()
            self.blocks = [LineBlock(context, f"♪ {len(part.data or b'')} bytes of sound")]

    renderers.register("audio/wav", lambda context, part, _card: Wave(context, part))
    assert renderers.part_kind(Part.from_bytes(b"RIFF", "audio/wav")) == "audio/wav"
    view = make_view(qtbot)
    view.set_messages([Message(Role.MODEL, [Part.from_bytes(b"RIFF", "audio/wav")])])
    assert "♪ 4 bytes of sound" in view.message_text(0)
    assert "Unsupported" not in view.message_text(0)


def tool_parts() -> list[Part]:
    return [
        Part.from_text("Let me compute it."),
        Part(code=CodeRun("print(6 * 7)")),
        Part(code_result=CodeResult(Outcome.OK, "42\n")),
        Part(function_call=FunctionCall("lookup", '{"q": "x"}')),
        Part(error="An image part was not valid base64."),
        Part.from_text("The answer is 42."),
    ]


def test_tool_parts_show_as_the_text_view_shows_them_in_order(qtbot: QtBot) -> None:
    """A code run is a card (its code, its badge and output), a call a card of its own
    and an error part a warning line, in order among the text and each once, whether
    the answer was opened or streamed (the answer's text, which the live card takes
    each frame, carries their Markdown, which the cards stand for)."""
    expected = [
        "Let me compute it.",
        "print(6 * 7)",
        "Outcome: OK",
        "42",
        "Tool call · lookup — not run",
        '"q": "x"',
        "⚠ An image part was not valid base64.",
        "The answer is 42.",
    ]
    opened = make_view(qtbot)
    opened.set_messages([Message(Role.MODEL, tool_parts())])
    streamed = make_view(qtbot)
    live = streaming()
    streamed.begin_answer(live)
    for part in tool_parts():
        live.append_part(part)
        streamed.flush_answer()
    streamed.finish_answer(Message(Role.MODEL, tool_parts(), model="gemini-2.5-flash"))
    for view in (opened, streamed):
        view.settle()
        text = view.message_text(0)
        places = [text.find(piece) for piece in expected]
        assert -1 not in places and places == sorted(places), places
        assert "Unsupported" not in text
        assert text.count("print(6 * 7)") == 1 and text.count("Output") == 1, text
        kinds = [type(v).__name__ for v in view.cards[0].views]
        assert kinds == [
            "MarkdownView", "CodeRunView", "CodeResultView", "FunctionCallView", "MarkdownView"
        ]  # fmt: skip
        assert sum(isinstance(b, CodeBlock) for b in view.cards[0].blocks) == 3  # + the JSON
        assert view.cards[0].text == Message(Role.MODEL, tool_parts()).text  # what Copy gives
