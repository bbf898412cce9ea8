"""Each chat keeps its own input: text, cursor, images, and a turn still going out.

Through the real window (composer, controller, Files API upload on the fake server).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from rill.core.types import MessageStatus
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.attachment_support import (
    UPLOAD_LIMIT,
    MakeWindow,
    attach_photo_to_upload,
    model_requests,
    png_file,
    send_until_uploading,
    sent_parts,
    wait_ready,
)

pytest_plugins = ["tests.gui.support.attachment_window"]  # the make_window fixture


def test_each_chat_keeps_its_own_text_cursor_and_images(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    window = make_window()
    composer, controller = window.composer, window.controller
    fake_gemini.push(stream(["Hello."]))
    with qtbot.waitSignal(controller.answer_finished, timeout=5000):
        controller.send("hi")  # a chat with a turn: Ctrl+N makes a new one, not reuse
    first = controller.current_chat.id
    composer.add_files([png_file(tmp_path / "cat.png")])
    wait_ready(qtbot, composer, 1)
    (image,) = composer.attachments
    composer.set_text("What is 😀 in this?")
    cursor = composer.edit.textCursor()
    cursor.setPosition(9)  # after the emoji (two UTF-16 units)
    composer.edit.setTextCursor(cursor)
    window.new_chat()
    second = controller.current_chat.id
    assert second != first

    assert composer.text == "" and composer.attachments == []
    assert composer.strip.tiles == [] and not composer.strip.isVisible()
    composer.set_text("B's own words")

    controller.select_chat(first)
    assert composer.text == "What is 😀 in this?"
    assert composer.edit.textCursor().position() == 9
    assert composer.attachments == [image]
    assert [tile.item for tile in composer.strip.tiles] == [image]

    controller.select_chat(second)
    assert composer.text == "B's own words" and composer.attachments == []


def test_a_turn_whose_image_is_uploading_stays_with_its_chat(
    qtbot: QtBot,
    make_window: MakeWindow,
    fake_gemini: FakeGemini,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RILL_IMAGE_MAX_BYTES", UPLOAD_LIMIT)
    fake_gemini.file_active_after_polls = 1000  # "processing" until released below
    window = make_window()
    composer, controller = window.composer, window.controller
    attach_photo_to_upload(qtbot, window, tmp_path)
    first = controller.current_chat.id
    send_until_uploading(qtbot, window, "Where was this taken?")

    second = controller.new_chat()  # not reused: the first chat's turn is going out
    assert second != first
    assert composer.text == "" and composer.attachments == []  # not A's turn again
    assert composer.send_button.text() == "Send"
    composer.set_text("Meanwhile, in B")

    fake_gemini.push(stream(["A coast."]))
    with qtbot.waitSignal(controller.answer_finished, timeout=10_000) as finished:
        fake_gemini.file_active_after_polls = 0  # the upload becomes ACTIVE
    assert finished.args[0] == first
    assert finished.args[1].status is MessageStatus.COMPLETE
    assert composer.text == "Meanwhile, in B"  # B's input untouched
    (request,) = model_requests(fake_gemini)
    parts = sent_parts(request)
    assert "fileData" in parts[0] and parts[1] == {"text": "Where was this taken?"}

    controller.select_chat(first)
    assert composer.text == "" and composer.attachments == []  # sent: nothing left over
    assert window.drafts.kept(second) is not None


def test_a_turn_refused_off_screen_waits_in_its_chat_with_the_reason(
    qtbot: QtBot,
    make_window: MakeWindow,
    fake_gemini: FakeGemini,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RILL_IMAGE_MAX_BYTES", UPLOAD_LIMIT)
    fake_gemini.file_active_after_polls = 1000
    window = make_window()
    composer, controller = window.composer, window.controller
    image = attach_photo_to_upload(qtbot, window, tmp_path)
    first = controller.current_chat.id
    send_until_uploading(qtbot, window, "Keep me")
    second = controller.new_chat()

    fake_gemini.files.final_state = "FAILED"
    with qtbot.waitSignal(controller.turn_refused, timeout=10_000) as refused:
        fake_gemini.file_active_after_polls = 0
    assert refused.args[0] == first
    assert not composer.notice.isVisibleTo(composer)  # not shown over chat B

    controller.select_chat(first)
    assert composer.text == "Keep me" and composer.attachments == [image]
    assert composer.notice.isVisibleTo(composer)
    assert composer.error_label.text() == refused.args[1]
    assert composer.send_button.text() == "Send"
    assert model_requests(fake_gemini) == []
    controller.select_chat(second)
    assert composer.text == ""


def test_words_typed_in_a_new_chat_wait_for_the_next_new_chat(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    # A chat with no turn is not in the list: nothing could bring its draft back, so
    # Ctrl+N does (instead of the words vanishing with the unlisted chat).
    window = make_window()
    composer, controller = window.composer, window.controller
    fake_gemini.push(stream(["Hello."]))
    with qtbot.waitSignal(controller.answer_finished, timeout=5000):
        controller.send("hi")
    first = controller.current_chat.id
    composer.set_text("first chat's draft")
    window.new_chat()
    composer.set_text("an idea for a new chat")
    controller.select_chat(first)  # picked in the list
    assert composer.text == "first chat's draft"
    window.new_chat()
    assert controller.current_chat.id != first
    assert composer.text == "an idea for a new chat"
    controller.select_chat(first)
    assert composer.text == "first chat's draft"
