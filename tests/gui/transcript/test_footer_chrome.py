"""The row under a message: a version switcher big enough to click, buttons that stay
inside the column at any width, and sent image addresses without a missing-glyph box."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QFontMetrics
from pytestqt.qtbot import QtBot

from rill.core.types import Message, Part, Role
from rill.gui.transcript.chrome import FooterBlock
from rill.gui.transcript.message_html import TurnInfo
from rill.gui.transcript.view import ChatView
from tests.gui.support.chat_view_support import blocks, finished, make_view, user


def two_versions(qtbot: QtBot, width: int) -> ChatView:
    view = make_view(qtbot, width=width)
    view.set_turn_info(lambda _message: TurnInfo(version=2, versions=2))
    view.set_messages([user("Q"), finished("Answer.", finished_at=10.5)])
    view.settle()
    return view


def footer(view: ChatView, index: int) -> FooterBlock:
    found = next(b for b in view.cards[index].blocks if isinstance(b, FooterBlock))
    found.layout(view.surface.column)
    return found


def test_the_version_arrows_are_a_target_a_finger_can_find(qtbot: QtBot) -> None:
    view = two_versions(qtbot, 800)
    arrows = [h for h in footer(view, 1).hits() if h.href.startswith("rill:version/")]
    assert arrows, "no switcher"
    for hit in arrows:
        assert hit.rect.height() >= 24, f"the arrow is {hit.rect.height()} px tall"
        assert hit.rect.width() >= 24, f"the arrow is {hit.rect.width()} px wide"
    assert "‹ 2/2 ›" in view.message_text(1)


@pytest.mark.parametrize("width", range(330, 820, 90))
def test_the_buttons_stay_inside_the_column_at_any_width(qtbot: QtBot, width: int) -> None:
    view = two_versions(qtbot, width)
    for index in (0, 1):
        block = footer(view, index)
        block.shown = True  # the actions show on hover
        for hit in block.hits():
            assert hit.rect.left() >= 0 and hit.rect.right() <= block.width, hit.href
        assert len({h.href for h in block.hits()}) == len(block.hits())


def test_an_image_sent_by_address_is_named_in_letters_the_font_has(qtbot: QtBot) -> None:
    view = make_view(qtbot)
    sent = Message(
        Role.USER, [Part(file_uri="gs://bucket/cat.png", mime_type="image/png"), Part("Look")]
    )
    view.set_messages([sent])
    line = next(t for t in view.message_text(0).splitlines() if "gs://bucket/cat.png" in t)
    font = QFontMetrics(view.context.font)
    missing = [c for c in line if not c.isspace() and not font.inFontUcs4(ord(c))]
    assert missing == [], f"no glyph for {[hex(ord(c)) for c in missing]}"
    assert not next(iter(blocks(view, 0))).text().startswith("Image")  # named, not loaded
