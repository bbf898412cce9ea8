"""The composer: Enter sends, Shift+Enter breaks lines, Esc and Stop stop, images attach."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from rill.gui.composer.attachment_queue import SWITCH_INTERVAL_S, State
from rill.gui.composer.attachment_strip import AttachmentTile
from rill.gui.composer.composer import Composer
from tests.gui.support.attachment_support import noisy_jpeg, wait_ready


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


def test_clear_sent_empties_input_and_strip(qtbot: QtBot, qloop: object, tmp_path: Path) -> None:
    composer = make_composer(qtbot)
    composer.set_text("look")
    composer.add_files([str(write_png(tmp_path / "a.png"))])
    wait_ready(qtbot, composer, 1)
    composer.clear_sent()
    assert composer.text == "" and composer.attachments == []
    assert not composer.strip.isVisible()


def test_a_tile_appears_at_once_and_the_thumbnail_follows(
    qtbot: QtBot, qloop: object, tmp_path: Path
) -> None:
    composer = make_composer(qtbot)
    png = write_png(tmp_path / "shot.png")
    (item,) = composer.add_files([str(png)])
    (tile,) = composer.strip.tiles  # before the loop ran: the placeholder
    assert composer.strip.isVisible() and not tile.has_thumbnail
    assert item.state is State.PREPARING and "preparing" in tile.toolTip()
    wait_ready(qtbot, composer, 1)
    assert tile.has_thumbnail
    assert tile.toolTip().startswith("shot.png — 8×6 px, ")  # name, pixel size, bytes
    assert item.prepared is not None and item.prepared.data == png.read_bytes()
    with qtbot.waitSignal(composer.send_requested, timeout=1000) as blocker:
        qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["", [item]]


def test_preparing_shortens_the_gil_switch_interval_only_meanwhile(
    qtbot: QtBot, qloop: object, tmp_path: Path
) -> None:
    composer = make_composer(qtbot)
    before = sys.getswitchinterval()
    composer.add_files([noisy_jpeg(tmp_path / "big.jpg", (2400, 1800))])  # a second or so
    qtbot.waitUntil(lambda: sys.getswitchinterval() == SWITCH_INTERVAL_S, timeout=1000)
    wait_ready(qtbot, composer, 1)
    qtbot.waitUntil(lambda: sys.getswitchinterval() == before, timeout=1000)


def test_the_remove_button_and_the_delete_key_drop_an_attachment(
    qtbot: QtBot, qloop: object, tmp_path: Path
) -> None:
    composer = make_composer(qtbot)
    names = ["a.png", "b.png", "c.png"]
    composer.add_files([write_png(tmp_path / n) for n in names])
    wait_ready(qtbot, composer, 3)
    first = composer.strip.tiles[0]
    assert first.remove_button.accessibleName() == "Remove a.png"
    qtbot.mouseClick(first.remove_button, Qt.MouseButton.LeftButton)
    assert [i.name for i in composer.attachments] == ["b.png", "c.png"]
    last = composer.strip.tiles[-1]
    last.setFocus()
    qtbot.keyClick(last, Qt.Key.Key_Delete)
    assert [i.name for i in composer.attachments] == ["b.png"]
    qtbot.waitUntil(lambda: len(composer.findChildren(AttachmentTile)) == 1)


def test_a_file_that_is_not_an_image_is_refused_with_its_name(
    qtbot: QtBot, qloop: object, tmp_path: Path
) -> None:
    composer = make_composer(qtbot)
    composer.set_text("keep me")
    bad = tmp_path / "notes.png"
    bad.write_text("not really a picture")
    with qtbot.waitSignal(composer.attachment_failed, timeout=5000) as blocker:
        composer.add_files([str(bad)])
    assert blocker.args[0].startswith("Cannot attach notes.png: not an image")
    assert composer.attachments == [] and not composer.strip.tiles
    assert composer.error_label.isVisible() and "notes.png" in composer.error_label.text()
    assert composer.text == "keep me"


def test_attaching_is_greyed_out_with_the_reason(
    qtbot: QtBot, qloop: object, tmp_path: Path
) -> None:
    composer = make_composer(qtbot)
    composer.set_images_refused("The offline model cannot read images")
    assert composer.attach_button.toolTip().startswith("The offline model cannot read images;")
    with qtbot.waitSignal(composer.attachment_failed, timeout=1000) as blocker:
        composer.add_files([write_png(tmp_path / "a.png")])
    assert blocker.args[0] == "Cannot attach a.png: The offline model cannot read images"
    assert composer.attachments == []
    composer.set_images_refused(None)
    assert composer.attach_button.isEnabled()


def test_input_grows_with_lines_up_to_a_limit(qtbot: QtBot) -> None:
    composer = make_composer(qtbot)
    one_line = composer.edit.height()
    composer.set_text("a\nb\nc")
    qtbot.waitUntil(lambda: composer.edit.height() > one_line)
    composer.set_text("\n".join("x" * 40))
    tall = composer.edit.height()
    composer.set_text("\n".join("x" * 80))
    assert composer.edit.height() == tall
