"""An image a tool returns is shown in the answer, under the tool's card, through the
image renderer (bounded to the column like any answer image), as well as sent to the
model."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rill.gui.transcript.renderers.images import ImageBlock
from tests.core.tools.support import fake_config
from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.gemini_tool_scenarios import function_call
from tests.gui.chat.test_tool_consent import (  # noqa: F401 (make_window: a fixture)
    MakeWindow,
    make_window,
)
from tests.gui.chat.test_tool_remembered import ask_and_answer


def test_a_tools_image_is_shown_under_its_card(
    qtbot: QtBot,
    make_window: MakeWindow,  # noqa: F811
    fake_gemini: FakeGemini,
) -> None:
    window = make_window(fake=fake_config())
    fake_gemini.push(
        function_call("fake__wide_picture", {"width": 640}, call_id="p1"),
        sc.stream(["That is the picture."]),
    )
    ask_and_answer(qtbot, window, "Draw something", Qt.Key.Key_Return)  # allow once
    view = window.view
    view.settle()
    card = view.cards[-1]
    images = [b for b in card.blocks if isinstance(b, ImageBlock)]
    assert len(images) == 1, [type(b).__name__ for b in card.blocks]
    text = card.plain_text()
    assert "wide_picture" in text and "That is the picture." in text
    assert text.index("wide_picture") < text.index("That is the picture.")
