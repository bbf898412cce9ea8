"""The chat pane renders Markdown, footers, errors and thoughts, and obeys its link policy."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QTextCursor, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.core.types import Message, MessageStatus, Role
from rill.gui.transcript.chrome import BubbleBlock
from rill.gui.transcript.renderers.code import CodeBlock
from rill.gui.transcript.renderers.images import ImageBlock
from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import (
    anchors,
    answer,
    blocks,
    click_anchor,
    find_anchor,
    finished,
    frame,
    make_view,
    streaming,
    user,
)

RICH = """# Title

## Section

Some **bold**, *italic* and `inline code`, and [a link](https://example.com/docs).

- first
- second

1. one
2. two

> quoted words

| Name | Value |
|------|-------|
| a    | 1     |

```python
def greet():
    return "hi"
```
"""


@pytest.fixture
def view(qtbot: QtBot) -> ChatView:
    return make_view(qtbot)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """URLs handed to the system browser (QDesktopServices.openUrl), recorded, not opened."""
    calls: list[str] = []

    def record(url: QUrl) -> bool:
        calls.append(url.toString())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(record))
    return calls


# ------------------------------------------------------------ Markdown


def test_markdown_features_render_as_rich_text(view: ChatView) -> None:
    view.set_messages([user("Show me everything"), finished(RICH)])
    shown = list(blocks(view))
    by_text = {b.text(): b for b in shown}
    assert by_text["Title"].blockFormat().headingLevel() == 1
    assert by_text["Section"].blockFormat().headingLevel() == 2
    assert by_text["first"].textList() is not None
    assert by_text["one"].textList() is not None
    assert by_text["one"].textList() is not by_text["first"].textList()
    assert by_text["quoted words"].blockFormat().leftMargin() > 0  # a block quote
    cell = by_text["Value"]
    assert QTextCursor(cell).currentTable() is not None
    code = by_text["def greet():"]
    assert code.charFormat().fontFixedPitch() or "monospace" in code.charFormat().fontFamilies()[0]
    card = next(b for b in view.cards[1].blocks if isinstance(b, CodeBlock))
    assert card.language == "python" and card.code() == 'def greet():\n    return "hi"\n'
    inline = next(f for f in _fragments_of(view, "inline code"))
    assert inline.charFormat().background().color().name() == "#eef0f3"
    assert "https://example.com/docs" in anchors(view)


def test_code_block_is_a_card_with_its_language_and_copy(view: ChatView) -> None:
    view.set_messages([finished(RICH)])
    view.settle()
    card = next(b for b in view.cards[0].blocks if isinstance(b, CodeBlock))
    hits = card.hits()
    assert card.language == "python"
    assert [h.text for h in hits] == ["Copy"] and hits[0].href.startswith("rill:copy/")
    assert hits[0].href in anchors(view)


def test_long_code_lines_scroll_sideways_in_their_card(qtbot: QtBot) -> None:
    view = make_view(qtbot, width=480, height=500)
    long_line = "x = " + " + ".join(f"value_{i}" for i in range(60))
    prose = "A sentence that goes on and on. " * 40
    view.set_messages([user(prose), finished(f"```python\n{long_line}\n```\n\n{prose}")])
    view.settle()
    card = next(b for b in view.cards[1].blocks if isinstance(b, CodeBlock))
    point = view.surface.locate(card.hits()[0].href)
    assert point is not None
    code = next(b for b in blocks(view) if b.text().startswith("x = value_0"))
    assert code.layout().lineCount() == 1  # never wrapped mid-token
    assert card.width <= view.surface.column  # the card keeps to the column ...
    assert view.surface.horizontalScrollBar().maximum() == 0  # ... and the pane too
    assert card.x_offset == 0
    below_header = point + QPoint(-card.width // 2, 50)
    wheel = QWheelEvent(
        QPointF(below_header), QPointF(view.surface.viewport().mapToGlobal(below_header)),
        QPoint(0, 0), QPoint(-240, 0), Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )  # fmt: skip
    QApplication.sendEvent(view.surface.viewport(), wheel)
    assert card.x_offset > 0  # the code scrolled sideways inside its card
    prose_lines = next(b for b in blocks(view, 1) if b.text().startswith("A sentence"))
    assert prose_lines.layout().lineCount() > 1  # prose wraps


def test_user_message_is_tinted_and_shows_image_thumbnails(qtbot: QtBot, view: ChatView) -> None:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage, QTextDocument

    image = QImage(400, 300, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    view.set_messages([user("What is in this picture?", bytes(data.data()))])
    view.settle()
    card = view.cards[0]
    bubble = next(b for b in card.blocks if isinstance(b, BubbleBlock))
    assert bubble.text() == "What is in this picture?" and bubble.align_right
    assert view.context.palette.user_bubble == "#eef4fc"
    thumbs = [b for b in card.blocks if isinstance(b, ImageBlock)]
    assert len(thumbs) == 1 and thumbs[0].thumbnail
    view.surface.lay_out_visible()
    view.surface.viewport().update()  # painting asks for the picture
    qtbot.waitUntil(lambda: thumbs[0].picture is not None, timeout=5000)
    thumb = thumbs[0].picture
    assert isinstance(thumb, QImage) and not thumb.isNull()
    assert thumb.width() <= 240  # decoded at 2x of a 120 px thumbnail, off the UI thread
    del QTextDocument


# ------------------------------------------------------------ footer, errors, stop


def test_footer_shows_model_tokens_and_timings(view: ChatView) -> None:
    view.set_messages([user("hi"), finished("Hello!")])
    text = view.message_text(1)
    assert "gemini-2.5-flash-001" in text
    assert "12 in" in text and "340 out" in text and "52 thinking" in text
    assert "404 total tokens" in text
    assert "first token 0.42 s" in text
    assert "98 tokens/s" in text  # (340 + 52) tokens over 4 s
    assert "STOP" not in text


def test_footer_names_an_abnormal_finish_reason(view: ChatView) -> None:
    view.set_messages([finished("Cut", finish_reason="MAX_TOKENS")])
    assert "Cut off at the output token limit (MAX_TOKENS)" in view.message_text(0)


def test_error_card_shows_the_message_and_retry_emits(qtbot: QtBot, view: ChatView) -> None:
    failed = answer(
        "Partial answ",
        status=MessageStatus.FAILED,
        error="The model is overloaded. Please try again later.",
        error_kind="server",
    )
    view.set_messages([user("hi"), failed])
    text = view.message_text(1)
    assert "Partial answ" in text  # what arrived is kept
    assert "The server had a problem" in text
    assert "The model is overloaded. Please try again later." in text
    # What arrived can be copied; Retry on the last answer sends its question again.
    assert f"rill:copy-message/{view.cards[1].id}" in anchors(view)
    with qtbot.waitSignal(view.retry_requested, timeout=2000):
        click_anchor(qtbot, view, f"rill:retry/{view.cards[1].id}")


def test_blocked_answer_gets_a_blocked_card(view: ChatView) -> None:
    blocked = answer("", status=MessageStatus.BLOCKED, error="The prompt was blocked (SAFETY).")
    view.set_messages([user("hi"), blocked])
    assert "Blocked" in view.message_text(1)
    assert f"rill:retry/{view.cards[1].id}" in anchors(view)
    assert f"rill:copy-message/{view.cards[1].id}" not in anchors(view)  # no text


def test_stopped_answer_is_marked_and_keeps_its_text(view: ChatView) -> None:
    view.begin_answer(streaming())
    frame(view, "Half an ans", "")
    message = finished("Half an ans", status=MessageStatus.STOPPED)
    view.finish_answer(message)
    text = view.message_text(0)
    assert "Half an ans" in text and "■ Stopped" in text


def test_retry_notice_counts_down_live(qtbot: QtBot, view: ChatView) -> None:
    view.begin_answer(streaming())
    view.show_retry_notice("The model is overloaded. Retrying in 2 s… (attempt 2 of 5)", 2.0)
    assert "Retrying in 2 s…" in view.message_text(0)
    qtbot.waitUntil(lambda: "Retrying in 1 s…" in view.message_text(0), timeout=3000)
    frame(view, "Here it is", "")
    assert "Retrying" not in view.message_text(0)


def test_retry_notice_after_a_failure_ends_in_you_can_retry(qtbot: QtBot, view: ChatView) -> None:
    failed = answer("", status=MessageStatus.FAILED, error="Quota.", error_kind="rate_limited")
    view.set_messages([user("hi"), failed])
    view.show_retry_notice("The server asked to wait 1 s before retrying.", 1.0)
    assert "wait 1 s" in view.message_text(1)
    qtbot.waitUntil(lambda: "You can retry now." in view.message_text(1), timeout=3000)
    assert "Rate limited" in view.message_text(1)


def test_waiting_indicator_until_the_first_text(view: ChatView) -> None:
    view.begin_answer(streaming())
    assert "●" in view.message_text(0)
    frame(view, "First words", "")
    assert "●" not in view.message_text(0)
    assert "First words" in view.message_text(0)


# ------------------------------------------------------------ thoughts


def test_thoughts_fold_under_a_disclosure(qtbot: QtBot, view: ChatView) -> None:
    view.set_messages([user("hi"), finished("The answer.", "Secret reasoning here.")])
    href = next(h for h in anchors(view) if h.startswith("rill:toggle-thoughts/"))
    assert "Thoughts" in view.message_text(1)
    assert "Secret reasoning here." not in view.plain_text()
    click_anchor(qtbot, view, href)
    assert "Secret reasoning here." in view.plain_text()
    assert view.plain_text().index("Secret reasoning") < view.plain_text().index("The answer.")
    click_anchor(qtbot, view, href)
    assert "Secret reasoning here." not in view.plain_text()


def test_thoughts_stream_live_once_opened(qtbot: QtBot, view: ChatView) -> None:
    view.begin_answer(streaming())
    frame(view, "", "Thinking about ")
    assert "Thinking…" in view.plain_text()
    href = next(h for h in anchors(view) if h.startswith("rill:toggle-thoughts/"))
    click_anchor(qtbot, view, href)
    frame(view, "The answer", "the question.")
    text = view.plain_text()
    assert "Thinking about the question." in text and "The answer" in text
    view.finish_answer(finished("The answer", "Thinking about the question."))
    assert "Thought for" in view.plain_text() and "Thinking…" not in view.plain_text()
    assert "Thinking about the question." in view.plain_text()


def test_show_thoughts_off_hides_the_disclosure(view: ChatView) -> None:
    view.set_messages([finished("The answer.", "Reasoning.")])
    view.set_show_thoughts(False)
    assert "Thoughts" not in view.plain_text()
    assert not any(h.startswith("rill:toggle-thoughts/") for h in anchors(view))
    view.set_show_thoughts(True)
    assert "Thoughts" in view.plain_text()


# ------------------------------------------------------------ clipboard and links


def test_copy_code_puts_the_code_on_the_clipboard(qtbot: QtBot, view: ChatView) -> None:
    view.set_messages([finished(RICH)])
    href = next(h for h in anchors(view) if h.startswith("rill:copy/"))
    QGuiApplication.clipboard().clear()
    click_anchor(qtbot, view, href)
    assert QGuiApplication.clipboard().text() == 'def greet():\n    return "hi"\n'


def test_copy_message_copies_the_markdown_source(qtbot: QtBot, view: ChatView) -> None:
    view.set_messages([user("Question *one*"), finished(RICH)])
    hrefs = [h for h in anchors(view) if h.startswith("rill:copy-message/")]
    assert len(hrefs) == 2
    click_anchor(qtbot, view, hrefs[1])
    assert QGuiApplication.clipboard().text() == RICH
    click_anchor(qtbot, view, hrefs[0])
    assert QGuiApplication.clipboard().text() == "Question *one*"


def test_copy_code_while_it_streams(qtbot: QtBot, view: ChatView) -> None:
    view.begin_answer(streaming())
    frame(view, "```python\nline_one = 1\nline_two", "")
    href = next(h for h in anchors(view) if h.startswith("rill:copy/"))
    click_anchor(qtbot, view, href)
    assert QGuiApplication.clipboard().text().startswith("line_one = 1\nline_two")


@pytest.mark.parametrize(
    "url", ["https://example.com/a?b=c", "http://example.org/", "mailto:someone@example.com"]
)
def test_web_links_open_in_the_system_browser_when_clicked(
    qtbot: QtBot, view: ChatView, opened: list[str], url: str
) -> None:
    view.set_messages([finished(f"See [this]({url}).")])
    assert opened == []  # rendering alone opens nothing
    click_anchor(qtbot, view, url)
    assert opened == [url]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,hi",
        "ftp://x.org/",
        "vbscript:x",
    ],
)
def test_other_schemes_never_open(view: ChatView, opened: list[str], url: str) -> None:
    view.set_messages([finished(f"[click me]({url}) and <{url}>")])
    assert url not in anchors(view)  # the renderer makes no link of it
    view.surface.activated.emit(url, "click me")  # and the view ignores one if it came
    assert opened == []


def test_model_text_cannot_forge_a_view_action(
    qtbot: QtBot, view: ChatView, opened: list[str]
) -> None:
    view.set_messages([finished("[retry](rill:retry) [copy](rill:copy/0) <rill:retry>")])
    assert not [h for h in anchors(view) if h.startswith("rill:retry")]
    assert opened == []


def test_plain_text_is_what_the_transcript_shows(view: ChatView) -> None:
    view.set_messages([user("A question"), finished("An **answer**.")])
    assert view.messages[0].role is Role.USER
    text = view.plain_text()
    assert text.index("A question") < text.index("An answer.")


def _all_fragments(view: ChatView):  # type: ignore[no-untyped-def]
    from tests.gui.support.chat_view_support import fragments

    return fragments(view)


def _fragments_of(view: ChatView, text: str):  # type: ignore[no-untyped-def]
    return (f for f in _all_fragments(view) if f.text() == text)


def test_find_anchor_helper_reports_missing_links(view: ChatView) -> None:
    view.set_messages([Message(Role.MODEL, [], status=MessageStatus.COMPLETE)])
    with pytest.raises(AssertionError):
        find_anchor(view, "https://nowhere.example")


def test_an_image_by_address_is_named_not_fetched(view: ChatView) -> None:
    from rill.core.types import Part

    message = Message(
        Role.USER,
        [Part.from_uri("gs://bucket/cat.png", "image/png"), Part.from_text("And this one?")],
    )
    view.set_messages([message])
    assert "Image: gs://bucket/cat.png" in view.message_text(0)
    assert not any(f.charFormat().isImageFormat() for f in _all_fragments(view))
    assert not any(isinstance(b, ImageBlock) for b in view.cards[0].blocks)
