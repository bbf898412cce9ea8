"""Images in a model's answer: an image model's ``inlineData`` parts, streamed by the
fake Gemini server between pieces of text, shown inline in order, sized to the column,
with Save as… and Copy image, and the full size on a click."""

from __future__ import annotations

import base64
import dataclasses

import pytest
import qasync
from PySide6.QtCore import QBuffer, QIODevice
from PySide6.QtGui import QColor, QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from rill.core.providers.gemini import GeminiProvider
from rill.core.types import GenerationSettings, Message
from rill.gui.chat.controller import ChatController
from rill.gui.common.tasks import TaskLauncher
from rill.gui.transcript.image_viewer import write_file
from rill.gui.transcript.renderers.images import ImageBlock
from rill.gui.transcript.renderers.markdown import MarkdownView
from rill.gui.transcript.view import ChatView
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.chat_view_support import click_anchor, make_view
from tests.gui.support.qt_waiting import run_until_done


def png(width: int, height: int, colour: str = "#2a9d8f") -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


@pytest.fixture
def wired(
    qtbot: QtBot, qloop: qasync.QEventLoop, fake_gemini: FakeGemini
) -> tuple[ChatView, ChatController]:
    view = make_view(qtbot, width=700, height=600)
    provider = GeminiProvider("test-key", fake_gemini.base_url)
    controller = ChatController(
        view, TaskLauncher(), GenerationSettings(model="gemini-2.5-flash"), provider
    )
    yield view, controller  # type: ignore[misc]
    run_until_done(qloop, controller.shutdown())


def test_text_an_image_and_more_text_are_shown_in_order(
    qtbot: QtBot, wired: tuple[ChatView, ChatController], fake_gemini: FakeGemini
) -> None:
    view, controller = wired
    picture = png(1600, 900)
    scenario = dataclasses.replace(
        stream(["Here is your ", "picture:\n\n", "Do you like it?"]),
        images=((2, "image/png", base64.b64encode(picture).decode()),),
    )
    fake_gemini.push(scenario)
    with qtbot.waitSignal(controller.answer_finished, timeout=10_000) as blocker:
        controller.send("Draw me a lagoon")
    answer = blocker.args[1]
    assert isinstance(answer, Message)
    assert [p.data for p in answer.images] == [picture]  # decoded and kept
    view.settle()
    card = view.cards[1]
    kinds = [type(v).__name__ for v in card.views]
    assert kinds == ["MarkdownView", "ImageView", "MarkdownView"]
    before, after = card.views[0], card.views[2]
    assert isinstance(before, MarkdownView) and before.text() == "Here is your picture:\n\n"
    assert isinstance(after, MarkdownView) and after.text() == "Do you like it?"
    text = view.message_text(1)
    assert text.index("Here is your picture:") < text.index("[image]") < text.index("Do you")
    image = next(b for b in card.blocks if isinstance(b, ImageBlock))
    image.layout(view.surface.column)
    assert image.shown.width() == view.surface.column  # sized to the column ...
    assert abs(image.shown.height() - view.surface.column * 900 / 1600) <= 1  # in proportion
    view.surface.locate(f"rill:image/{image.block_id}")  # brought into view and painted
    view.surface.viewport().update()
    qtbot.waitUntil(lambda: image.picture is not None, timeout=5000)  # decoded off-thread
    assert image.picture is not None and image.picture.width() <= 2 * view.surface.column


def test_an_image_streams_in_where_it_came_while_text_follows(qtbot: QtBot) -> None:
    """The view alone: the image part arrives in the answer between two frames of text."""
    from rill.core.types import Part
    from tests.gui.support.chat_view_support import streaming

    view = make_view(qtbot)
    answer = streaming()
    view.begin_answer(answer)
    answer.parts.append(Part.from_text("Before. "))
    answer.parts.append(Part.from_bytes(png(64, 64), "image/png"))
    answer.parts.append(Part.from_text("After."))
    view.flush_answer()  # one frame holding both sides of it
    view.settle_live()
    kinds = [type(v).__name__ for v in view.cards[0].views]
    assert kinds == ["MarkdownView", "ImageView", "MarkdownView"]
    assert view.cards[0].views[0].text() == "Before. "


def test_click_opens_it_full_size_and_the_menu_saves_and_copies(
    qtbot: QtBot, tmp_path: object
) -> None:
    from pathlib import Path

    from rill.core.types import MessageStatus, Part, Role

    view = make_view(qtbot)
    picture = png(300, 200, "#e76f51")
    answer = Message(
        Role.MODEL, [Part.from_text("Look:"), Part.from_bytes(picture, "image/png")],
        status=MessageStatus.COMPLETE,
    )  # fmt: skip
    view.set_messages([answer])
    view.settle()
    image = next(b for b in view.cards[0].blocks if isinstance(b, ImageBlock))
    click_anchor(qtbot, view, f"rill:image/{image.block_id}")
    viewer = view.windows[-1]
    assert viewer.isVisible() and viewer.windowTitle() == "Image"
    viewer.close()
    labels = [label for label, _href in image.menu_actions(None)]
    assert labels == ["Save image as…", "Copy image"]
    view._run_action(f"copy-image/{image.block_id}")
    copied = QGuiApplication.clipboard().image()
    assert copied.width() == 300 and copied.height() == 200
    target = Path(str(tmp_path)) / "saved.png"
    write_file(view, str(target), image.data)  # what Save as… writes: the bytes as sent
    assert target.read_bytes() == picture
