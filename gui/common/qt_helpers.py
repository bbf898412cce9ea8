"""Small Qt helpers shared by the widgets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject
from PySide6.QtGui import Qt
from PySide6.QtWidgets import QLabel


@contextmanager
def signals_blocked(*objects: QObject) -> Iterator[None]:
    """Block the signals of ``objects`` for the block, then restore what each had.

    For programmatic updates: setting a value from the model must not come back as
    if the user had edited it.
    """
    previous = [obj.blockSignals(True) for obj in objects]
    try:
        yield
    finally:
        for obj, was_blocked in zip(objects, previous, strict=True):
            obj.blockSignals(was_blocked)


def plain_label(label: QLabel) -> QLabel:
    """``label``, set to show its text as plain text and return it.

    A QLabel guesses rich text by default, so a server's error with ``<img
    src="file:///…">`` in it would read that file and show it: every label that can
    show words from a server, a file, a model or the user is plain.
    """
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_tip(text: str) -> str:
    """``text`` as a tooltip shows it letter for letter (give it to ``setToolTip``).

    Tooltips have no plain-text mode: Qt shows one as rich text when it looks like
    markup (``Qt.mightBeRichText``). Such a text is escaped into a paragraph, which is
    rich text showing exactly ``text``; any other is shown as it is already.
    """
    if not Qt.mightBeRichText(text):
        return text
    return Qt.convertFromPlainText(text, Qt.WhiteSpaceMode.WhiteSpaceNormal)
