"""The Add file by URI dialog grows for its error: nothing it shows is cut."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from rill.gui.composer.uri_dialog import UriDialog

LONG = "http://example.com/some/rather/long/path/to/a/photo-of-the-river-at-dawn.jpg"


def cut_widgets(dialog: UriDialog) -> list[str]:
    """Shown children that are outside the dialog, shorter than they need, or labels
    whose wrapped text does not fit their height."""
    cut: list[str] = []
    inside = dialog.rect()
    for child in dialog.findChildren(QWidget):
        if not child.isVisible() or child.isWindow():
            continue
        box = child.geometry()
        box.moveTopLeft(child.mapTo(dialog, child.rect().topLeft()))
        name = child.objectName() or type(child).__name__
        if not inside.contains(box):
            cut.append(f"{name} outside")
        elif child.height() < child.minimumSizeHint().height():
            cut.append(f"{name} {child.height()} < {child.minimumSizeHint().height()} px")
        elif isinstance(child, QLabel) and child.wordWrap():
            needed = child.heightForWidth(child.width())
            if child.height() < needed:
                cut.append(f"{name} {child.height()} < {needed} px for its text")
    return cut


def test_the_dialog_grows_for_its_error(qtbot: QtBot) -> None:
    dialog = UriDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert cut_widgets(dialog) == []
    before = dialog.height()
    dialog.edit.setText(LONG)
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert dialog.error_label.isVisible()
    qtbot.waitUntil(lambda: cut_widgets(dialog) == [], timeout=2000)
    assert dialog.height() > before
    # Wider, then narrower again by hand: always tall enough for the wrapped lines.
    for width in (800, dialog.minimumSizeHint().width()):
        dialog.resize(width, dialog.minimumHeight())
        qtbot.waitUntil(lambda: cut_widgets(dialog) == [], timeout=2000)
    # Typing again hides the error and the dialog gives the room back.
    qtbot.keyClicks(dialog.edit, "x")
    assert not dialog.error_label.isVisible()
    assert dialog.height() < dialog.error_label.height() + before
