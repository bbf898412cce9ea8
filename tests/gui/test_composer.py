"""The composer: Enter sends, Shift+Enter breaks lines, Esc and Stop stop, images attach."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from rill.gui.composer import AttachmentChip, Composer


def make_composer(qtbot: QtBot) -> Composer:
    composer = Composer()
    qtbot.addWidget(composer)
    composer.show()
    qtbot.waitExposed(composer)
    composer.focus_input()
    return composer


def write_png(path: Path) -> Path:
    image = QImage(8, 6, QImage.Format.Format_RGB32)
    image.fill(QColor("#3366cc"))
    assert image.save(str(path), "PNG")
    return path


def test_enter_sends_the_text(qtbot: QtBot) -> None:
    composer = make_composer(qtbot)
    qtbot.keyClicks(composer.edit, "hello")
    with qtbot.waitSignal(composer.send_requested, timeout=1000) as blocker:
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert blocker.args == ["hello", []]
    assert composer.text == "hello"  # cleared only when the turn is recorded


def test_shift_enter_inserts_a_line_break(qtbot: QtBot) -> None:
    composer = make_composer(qtbot)
    qtbot.keyClicks(composer.edit, "one")
    with qtbot.assertNotEmitted(composer.send_requested):
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(composer.edit, "two")
    assert composer.text == "one\ntwo"


def test_enter_on_blank_input_sends_nothing(qtbot: QtBot) -> None:
    composer = make_composer(qtbot)
    qtbot.keyClicks(composer.edit, "   ")
    with qtbot.assertNotEmitted(composer.send_requested):
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert not composer.send_button.isEnabled()


def test_send_becomes_stop_while_streaming(qtbot: QtBot) -> None:
    composer = make_composer(qtbot)
    composer.set_streaming(True)
    assert composer.send_button.text() == "Stop" and composer.send_button.isEnabled()
    with qtbot.waitSignal(composer.stop_requested, timeout=1000):
        qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    composer.set_streaming(False)
    assert composer.send_button.text() == "Send"


def test_escape_stops_only_while_streaming(qtbot: QtBot) -> None:
    composer = make_composer(qtbot)
    with qtbot.assertNotEmitted(composer.stop_requested):
        qtbot.keyClick(composer.edit, Qt.Key.Key_Escape)
    composer.set_streaming(True)
    with qtbot.waitSignal(composer.stop_requested, timeout=1000):
        qtbot.keyClick(composer.edit, Qt.Key.Key_Escape)


def test_enter_while_streaming_does_not_send_or_stop(qtbot: QtBot) -> None:
    composer = make_composer(qtbot)
    composer.set_streaming(True)
    qtbot.keyClicks(composer.edit, "next question")
    with (
        qtbot.assertNotEmitted(composer.send_requested),
        qtbot.assertNotEmitted(composer.stop_requested),
    ):
        qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert composer.text == "next question"


def test_clear_sent_empties_input_and_strip(qtbot: QtBot, tmp_path: Path) -> None:
    composer = make_composer(qtbot)
    composer.set_text("look")
    composer.add_files([str(write_png(tmp_path / "a.png"))])
    composer.clear_sent()
    assert composer.text == "" and composer.attachments == []
    assert not composer.strip.isVisible()


def test_attached_image_is_sent_as_an_inline_part(qtbot: QtBot, tmp_path: Path) -> None:
    composer = make_composer(qtbot)
    png = write_png(tmp_path / "shot.png")
    composer.add_files([str(png)])
    assert composer.strip.isVisible()
    chips = composer.findChildren(AttachmentChip)
    assert len(chips) == 1 and chips[0].toolTip() == "shot.png"
    with qtbot.waitSignal(composer.send_requested, timeout=1000) as blocker:
        qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    text, parts = blocker.args
    assert text == ""
    assert [(p.mime_type, p.data) for p in parts] == [("image/png", png.read_bytes())]


def test_removing_a_thumbnail_drops_the_attachment(qtbot: QtBot, tmp_path: Path) -> None:
    composer = make_composer(qtbot)
    composer.add_files([str(write_png(tmp_path / "a.png")), str(write_png(tmp_path / "b.png"))])
    first = composer.findChildren(AttachmentChip)[0]
    first.remove_requested.emit(first.attachment)
    assert len(composer.attachments) == 1
    qtbot.waitUntil(lambda: len(composer.findChildren(AttachmentChip)) == 1)


def test_a_file_that_is_not_an_image_is_refused_with_its_name(qtbot: QtBot, tmp_path: Path) -> None:
    composer = make_composer(qtbot)
    bad = tmp_path / "notes.png"
    bad.write_text("not really a picture")
    with qtbot.waitSignal(composer.attachment_failed, timeout=1000) as blocker:
        composer.add_files([str(bad)])
    assert "notes.png" in blocker.args[0]
    assert composer.attachments == []
    assert composer.error_label.isVisible()


def test_input_grows_with_lines_up_to_a_limit(qtbot: QtBot) -> None:
    composer = make_composer(qtbot)
    one_line = composer.edit.height()
    composer.set_text("a\nb\nc")
    qtbot.waitUntil(lambda: composer.edit.height() > one_line)
    composer.set_text("\n".join("x" * 40))
    tall = composer.edit.height()
    composer.set_text("\n".join("x" * 80))
    assert composer.edit.height() == tall
