"""The line under an answer: a version switcher big enough to click, figures that wrap
whole, and sent image addresses without a missing-glyph box."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtGui import QFontMetrics, QTextBlock, QTextCursor
from pytestqt.qtbot import QtBot

from rill.core.types import Message, Part, Role
from rill.gui.transcript.message_html import TurnInfo
from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import (
    anchors,
    blocks,
    find_anchor,
    finished,
    make_view,
    user,
)


def two_versions(qtbot: QtBot, width: int) -> ChatView:
    view = make_view(qtbot, width=width)
    view.set_turn_info(lambda _message: TurnInfo(version=2, versions=2))
    view.set_messages([user("Q"), finished("Answer.", finished_at=10.5)])
    view.settle()
    return view


def footer_block(view: ChatView) -> QTextBlock:
    return next(b for b in blocks(view) if "tokens/s" in b.text())


def test_the_version_arrows_are_a_target_a_finger_can_find(qtbot: QtBot) -> None:
    view = two_versions(qtbot, 800)
    browser = view.browser
    back = [h for h in anchors(view) if h.startswith("rill:version/")]
    assert back, "no switcher"
    for href in back:
        fragment = find_anchor(view, href)
        cursor = QTextCursor(browser.document())
        cursor.setPosition(fragment.position())
        start = browser.cursorRect(cursor)
        cursor.setPosition(fragment.position() + fragment.length())
        end = browser.cursorRect(cursor)
        assert start.height() >= 18, f"the arrow is {start.height()} px tall"
        assert end.x() - start.x() >= 16, f"the arrow is {end.x() - start.x()} px wide"


@pytest.mark.parametrize("width", range(330, 820, 45))
def test_the_figures_wrap_between_facts_never_inside_one(qtbot: QtBot, width: int) -> None:
    view = two_versions(qtbot, width)
    block = footer_block(view)
    layout = block.layout()
    lines = [
        block.text()[line.textStart() : line.textStart() + line.textLength()]
        for line in (layout.lineAt(i) for i in range(layout.lineCount()))
    ]
    for this, following in itertools.pairwise(lines):
        at_separator = this.rstrip().endswith("·") or following.lstrip().startswith("·")
        # …or after the actions, or at a hyphen of a long model name.
        between = this.endswith("\u00a0\u00a0\u00a0 ") or this.endswith("-")
        assert at_separator or between, f"cut: {this[-12:]!r} / {following[:12]!r}"


def test_an_image_sent_by_address_is_named_in_letters_the_font_has(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    sent = Message(
        Role.USER, [Part(file_uri="gs://bucket/cat.png", mime_type="image/png"), Part("Look")]
    )
    view.set_messages([sent])
    view.settle()
    line = next(b.text() for b in blocks(view) if "gs://bucket/cat.png" in b.text())
    font = QFontMetrics(view.browser.document().defaultFont())
    missing = [c for c in line if not c.isspace() and not font.inFontUcs4(ord(c))]
    assert missing == [], f"no glyph for {[hex(ord(c)) for c in missing]}"
