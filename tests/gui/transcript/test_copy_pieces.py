"""A line too long to render as Markdown is shown in pieces of about 8 KB (paragraphs
of their own, in one document or several): every way of taking the text out of the
pane gives the line back whole, with no newline where a piece ends."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from rill.core.markdown.highlight import escape
from rill.gui.transcript.cards import Card
from rill.gui.transcript.find import pattern, utf16_positions
from rill.gui.transcript.renderers.base import Context
from rill.gui.transcript.renderers.doc_block import DocBlock
from rill.gui.transcript.renderers.markdown import SPLIT_CHARS, prose_pieces
from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import finished, make_view, stream, streaming, user

_WORDS = "Rill reads a long line, word after word, "  # nothing Markdown or HTML escapes


def _filler(count: int) -> str:
    return (_WORDS * (count // len(_WORDS) + 1))[:count]


def huge_line() -> str:
    """A line of 120,000 characters whose first piece ends just before an ``&`` (cut
    early so its entity stays whole), whose second ends on an emoji and whose third
    ends inside "Zanzibar", with an accented letter in every piece (characters of
    more than one byte)."""
    line = _filler(SPLIT_CHARS - 2) + "& é "  # the "&amp;" would straddle the cut
    line += _filler(2 * SPLIT_CHARS - 2 - len(escape(line)) - 1) + "\U0001f642"
    while len(line) < 120_000:
        line += " café " + _filler(997)
    cut = 3 * SPLIT_CHARS - 2 - 4  # the third cut, less the "amp;" the HTML has more
    line = f"{line[: cut - 4]}Zanzibar{line[cut + 4 :]}"
    return line + "end."  # (a block's text is shown stripped)


def _pieces(line: str) -> list[str]:
    return prose_pieces(f'<p style="white-space:pre-wrap">{escape(line)}</p>')


def test_the_huge_line_is_cut_next_to_the_ampersand_the_emoji_and_in_a_word() -> None:
    pieces = _pieces(huge_line())
    assert len(pieces) > 10
    assert pieces[1].split(">", 1)[1].startswith("&amp; é ")
    assert pieces[1].endswith("\U0001f642</p>")
    assert pieces[2].endswith("Zanz</p>") and pieces[3].split(">", 1)[1].startswith("ibar")


def _check_every_copy(view: ChatView, card: Card, line: str) -> None:
    assert len(card.blocks) > 10  # many pieces, many blocks
    view.surface.select_all_of(card)
    assert view.surface.selected_text() == line, "selection"
    view.surface.activated.emit(f"rill:copy-plain/{card.id}", "")
    assert QGuiApplication.clipboard().text() == line, "copy-plain"
    assert card.body_text() == line, "body"
    assert line in card.plain_text().split("\n"), "plain_text"
    assert card.views[0].plain_text() == line, "part"


def _find(qtbot: QtBot, view: ChatView, query: str) -> list[str]:
    """What each match of ``query`` selects."""
    view.open_find()
    view.find_bar.field.setText(query)
    qtbot.waitUntil(lambda: not view.finder.scanning and view.finder._going is None)
    found = []
    for _ in view.finder.matches:
        view.finder.step()
        found.append(view.surface.selected_text())
    return found


def _check_find(qtbot: QtBot, view: ChatView) -> None:
    assert _find(qtbot, view, "zanzibar") == ["Zanzibar"]  # a word cut between blocks
    assert _find(qtbot, view, "\U0001f642 café") == ["\U0001f642 café"]
    assert len(_find(qtbot, view, "after word")) > 100  # (within a block, as before)


def test_a_streamed_huge_line_copies_back_whole(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    line = huge_line()
    view.add_user_message(user("One line, please."))
    view.begin_answer(streaming())
    stream(view, line, sizes=(4_000, 1_500, 9_000))
    view.finish_answer(finished(line))
    qtbot.waitUntil(lambda: not view.busy, timeout=30_000)
    _check_every_copy(view, view.cards[1], line)
    _check_find(qtbot, view)


def test_a_huge_line_opened_from_history_copies_back_whole(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    line = huge_line()
    view.set_messages([user("One line, please."), finished(line)])
    qtbot.waitUntil(lambda: not view.busy, timeout=30_000)
    _check_every_copy(view, view.cards[1], line)
    _check_find(qtbot, view)


def test_pieces_in_one_document_copy_and_search_as_one_line(qapp: object) -> None:
    line = huge_line()[:40_000]
    block = DocBlock(Context())
    block.add("<p>Before.</p>" + "".join(_pieces(line)))
    assert block.doc.blockCount() == 1 + len(_pieces(line))
    assert block.text() == f"Before.\n{line}"
    start = len("Before.\n")
    assert block.selected_text(start, block.text_length) == line
    text = block.search_text()
    position = utf16_positions(text)
    found = pattern("zanzibar")
    assert found is not None
    matches = list(found.finditer(text))
    assert len(matches) == 1
    at, end = position(matches[0].start()), position(matches[0].end())
    assert block.selected_text(at, end) == "Zanzibar"


def test_two_paragraphs_still_copy_on_two_lines(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    view.set_messages([user("Two, please."), finished("First paragraph.\n\nSecond one.")])
    qtbot.waitUntil(lambda: not view.busy, timeout=10_000)
    card = view.cards[1]
    view.surface.select_all_of(card)
    assert view.surface.selected_text() == "First paragraph.\nSecond one."
    assert card.body_text() == "First paragraph.\nSecond one."
