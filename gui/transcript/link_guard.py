"""Opening a link from an answer: its real target first, a question before a deceptive one.

``[https://accounts.google.com/](http://elsewhere.example/)`` showed Google's address
and opened the other one on a click. Now the status line and a tooltip show every
link's real target while the pointer is on it; a link whose text reads as another
address asks first, naming the real host (Thunderbird's phishing warning); and a
``mailto:`` link opens with its addresses, subject and a short body only
(``rill.core.links``). The question is a window-modal box opened with ``open()``,
never a nested event loop.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from rill.core.links import deceptive_host, readable, safe_mailto

EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto"})


def is_external(url: QUrl) -> bool:
    """Whether ``url`` is a link the system's apps open (http, https, mailto)."""
    return url.scheme().lower() in EXTERNAL_SCHEMES


def hover_text(url: QUrl) -> str:
    """What the status line and the tooltip say about a link ("" for the view's own)."""
    if not is_external(url):
        return ""
    return readable(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))


class LinkOpener(QObject):
    """Hands links to the system's apps, asking first about deceptive ones.

    Signals:
        reported(str text): a line for the status line (what a mailto link lost).
    """

    reported = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._window = parent
        self.question: QMessageBox | None = None  # the open question, if any

    def open(self, url: QUrl, text: str) -> None:
        """Open ``url``, a link showing ``text``; other schemes are ignored."""
        if not is_external(url):
            return
        href = url.toString(QUrl.ComponentFormattingOption.FullyEncoded)
        if url.scheme().lower() == "mailto":
            safe, left_out = safe_mailto(href)
            QDesktopServices.openUrl(QUrl(safe, QUrl.ParsingMode.StrictMode))
            if left_out:
                self.reported.emit(f"Opened the mail without its {', '.join(left_out)}.")
            return
        host = deceptive_host(text, href)
        if host is None:
            QDesktopServices.openUrl(url)
        else:
            self._ask(url, text, host)

    def _ask(self, url: QUrl, text: str, host: str) -> None:
        if self.question is not None:
            self.question.done(QMessageBox.StandardButton.Cancel)
        shown = " ".join(text.replace("\u200b", "").split())
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Open a different address?",
            f"This link shows “{shown[:200]}” but opens {host}.",
            QMessageBox.StandardButton.Cancel,
            self._window,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)  # the model's words and address
        box.setInformativeText(f"It goes to:\n{hover_text(url)}")
        go = box.addButton(f"Open {host}", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _: self._on_question_finished(box, go, url))
        self.question = box
        box.open()

    def _on_question_finished(self, box: QMessageBox, go: object, url: QUrl) -> None:
        if box.clickedButton() is go:
            QDesktopServices.openUrl(url)
        if self.question is box:
            self.question = None
        box.deleteLater()
