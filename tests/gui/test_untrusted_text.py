"""Words from a server, a file, a model or the user never render as markup.

A 400 whose message held ``<b>``, ``<font size=7>``, ``<a href>`` and ``<img
src="file:///…">`` showed in the status line as bold, huge, a live-looking link and
an image read from disk: a QLabel, and any tooltip, guesses rich text by default. Here
every such source gets that markup at once (the error, the question that titles the
chat, a model's id, name and description, attachment file names, the providers
screen's test line), and then every label, tooltip and item tooltip in every window
is checked: none may show any of it as rich text.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocumentFragment
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QWidget
from pytestqt.qtbot import QtBot

from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_scenarios import http_error
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.attachment_support import png_file, wait_ready
from tests.gui.support.chat_view_support import documents
from tests.gui.support.history_support import MakeWindow, wait_saved

SECRET = Path("/etc/hostname")
MARKUP = f'<b>bold<font size=7 color=red>huge</font><a href="http://evil.example/">x</a><img src="file://{SECRET}">'
# Without "/", for file names and model ids.
NAME = '<b>bold<font size=7 color=red>huge<a href="http:evil.example">x<img src="secret.png">'
TITLE = "<b>bold<font size=7 color=red>huge"  # short enough to be the chat's whole title


def shows_markup(text: str) -> bool:
    """Whether ``text`` holds the hostile markup itself (not escaped, not our own)."""
    return "<font size=7 color=red>huge" in text


def rich(label: QLabel) -> bool:
    fmt = label.textFormat()
    auto = fmt == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(label.text())
    return fmt in (Qt.TextFormat.RichText, Qt.TextFormat.MarkdownText) or auto


def seen(tip: str) -> str:
    """The text a tooltip shows."""
    if not GuiQt.mightBeRichText(tip):
        return tip
    return QTextDocumentFragment.fromHtml(tip).toPlainText().replace("\u2028", "\n")


def tip_is_markup(tip: str) -> bool:
    """Qt shows a tooltip as rich text when it looks like markup (QToolTip)."""
    return bool(tip) and GuiQt.mightBeRichText(tip) and shows_markup(tip)


def item_tips(model: QAbstractItemModel) -> Iterator[str]:
    for row in range(model.rowCount()):
        tip = model.data(model.index(row, 0), Qt.ItemDataRole.ToolTipRole)
        if isinstance(tip, str):
            yield tip


def problems(top: QWidget) -> list[str]:
    """Every place under ``top`` that renders untrusted markup (by object name)."""
    found: list[str] = []
    widgets = [top, *top.findChildren(QWidget)]
    for widget in widgets:
        name = widget.objectName() or type(widget).__name__
        if isinstance(widget, QLabel) and shows_markup(widget.text()) and rich(widget):
            found.append(f"label {name}")
        if tip_is_markup(widget.toolTip()):
            found.append(f"tooltip of {name}")
        if isinstance(widget, QComboBox) and any(map(tip_is_markup, item_tips(widget.model()))):
            found.append(f"item tooltip of {name}")
    return found


def hostile_model() -> dict[str, object]:
    return {
        "name": f"models/{NAME}",
        "displayName": MARKUP,
        "description": MARKUP,
        "supportedGenerationMethods": ["generateContent", "streamGenerateContent"],
    }


def test_no_label_or_tooltip_renders_markup_from_outside(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    fake_gemini.models.insert(0, hostile_model())
    window = history_window()
    combo = window.panel.model_combo
    qtbot.waitUntil(lambda: combo.findText(NAME) >= 0)  # the model list arrived
    # The question titles the chat; the server refuses it with markup in its message.
    fake_gemini.push(http_error(400, MARKUP))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=10_000) as done:
        window.controller.send(TITLE)
    assert MARKUP in (done.args[1].error or "")
    wait_saved(qtbot, window)
    assert MARKUP in window.status_line.state_label.text()
    # A photo and a non-image whose names are markup.
    folder = tmp_path / "files"
    folder.mkdir()
    photo = png_file(folder / f"{NAME}.png")
    fake = folder / f"{NAME} 2.png"
    fake.write_text("not an image")
    window.composer.add_files([photo, fake])
    wait_ready(qtbot, window.composer, 1)
    qtbot.waitUntil(lambda: NAME in window.composer.error_label.text(), timeout=10_000)
    dialog = test_a_provider(qtbot, window, fake_gemini)
    assert NAME in dialog.outcome.text()

    tops = [w for w in QApplication.topLevelWidgets() if w is window or w.isVisible()]
    found = [p for top in tops for p in problems(top)]
    assert not found, f"markup rendered: {found}"
    sidebar = window.conversations.model
    assert any(TITLE in seen(tip) for tip in item_tips(sidebar))
    assert not any(map(tip_is_markup, item_tips(sidebar))), "the chat's tooltip renders markup"
    # The error card in the chat pane shows the message as text, and loads nothing.
    assert MARKUP in window.view.plain_text()
    for doc in documents(window.view):
        assert str(SECRET) not in doc.toHtml().split("<body")[0]
        assert f'src="file://{SECRET}' not in doc.toHtml()


def test_a_provider(qtbot: QtBot, window: MainWindow, fake_gemini: FakeGemini) -> QWidget:
    """The providers screen's Test against the server listing the hostile model."""
    with qtbot.waitSignal(window.providers.manager.key_statuses_ready, timeout=5000):
        dialog = window.providers.open_dialog()
    dialog._on_add_clicked()
    dialog.name_edit.setText("hostile")
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("gemini"))
    dialog.url_edit.setText(fake_gemini.base_url)
    dialog.key_edit.setText("test-key")
    with qtbot.waitSignal(dialog.manager.test_finished, timeout=10_000):
        dialog.test_button.click()
    return dialog


test_a_provider.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test
