"""The chat pane: the whole conversation in one document, streamed into at its tail.

Each message owns a run of regions in one QTextDocument (see ``transcript_document``):
its header, a thoughts disclosure, the thoughts, the Markdown body and a status line
(waiting dots, footer, error card). A streaming answer edits only its own tail, so a
flush costs the same at the 10th and the 10,000th message, and at 2 KB or 200 KB of
answer. Links never open by themselves: ``rill:`` anchors are the view's own buttons;
http, https and mailto go to the system browser, only when clicked.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QByteArray, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QGuiApplication,
    QImage,
    QPalette,
    QResizeEvent,
    QTextDocument,
)
from PySide6.QtWidgets import QVBoxLayout, QWidget

from rill.core.types import Message, MessageStatus, Role
from rill.gui import message_html as chrome
from rill.gui.live_markdown import (
    CodeRegistry,
    LiveMarkdown,
    render_markdown,
    warm_up_in_background,
)
from rill.gui.transcript_browser import TranscriptBrowser
from rill.gui.transcript_document import TranscriptDocument

HEAD, THOUGHTS_HEAD, THOUGHTS, BODY, STATUS = range(5)
SEGMENTS = 5
EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto"})
THUMBNAIL = QSize(120, 90)  # logical pixels; stored at 2x so it stays sharp on HiDPI
WARM_UP_DELAY_MS = 300
# Narrow windows get a thinner margin so tables and code keep their width.
WIDE_MARGIN, NARROW_MARGIN, NARROW_BELOW_PX = 16, 6, 640
_SECONDS = re.compile(r"\d+(?:\.\d+)? s\b")


@dataclass(eq=False)
class _Notice:
    text: str
    deadline: float  # time.monotonic()


@dataclass(eq=False)
class _Entry:
    """One message's place in the document: where it starts and how long each part is."""

    id: int
    index: int
    message: Message
    start: int
    lengths: list[int] = field(default_factory=lambda: [0] * SEGMENTS)
    thoughts_open: bool = False
    # Only while the answer streams:
    body: LiveMarkdown | None = None
    thoughts: LiveMarkdown | None = None
    thought_parts: list[str] = field(default_factory=list)
    received: bool = False
    notice: _Notice | None = None

    def offset(self, segment: int) -> int:
        return self.start + sum(self.lengths[:segment])

    @property
    def end(self) -> int:
        return self.start + sum(self.lengths)

    @property
    def thought_text(self) -> str:
        if self.body is not None:
            return "".join(self.thought_parts)
        return self.message.thought_text

    @property
    def text(self) -> str:
        return self.body.text if self.body is not None else self.message.text


class ChatView(QWidget):
    """The conversation: user turns, streamed answers, footers, errors and notices.

    Signals:
        retry_requested(): the user clicked Retry on an error card.
    """

    retry_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = TranscriptBrowser(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self._doc = TranscriptDocument(self.browser.document())
        self.browser.document().setDocumentMargin(WIDE_MARGIN)
        self._palette = chrome.LIGHT
        self._show_thoughts = True
        self._entries: list[_Entry] = []
        self._live: _Entry | None = None
        self._notice_entry: _Entry | None = None
        self._codes = CodeRegistry()
        self._next_id = 0
        self._waiting_phase = 0
        self._waiting_timer = QTimer(self)
        self._waiting_timer.setInterval(400)
        self._waiting_timer.timeout.connect(self._on_waiting_timer_timeout)
        self._notice_timer = QTimer(self)
        self._notice_timer.setInterval(250)
        self._notice_timer.timeout.connect(self._on_notice_timer_timeout)
        self.browser.anchorClicked.connect(self._on_browser_anchor_clicked)
        self._apply_palette()
        # After start-up work, so the window shows first; see warm_up_in_background.
        QTimer.singleShot(WARM_UP_DELAY_MS, warm_up_in_background)

    # ------------------------------------------------------------ the contract

    def clear(self) -> None:
        """Show an empty conversation."""
        self._stop_timers()
        self._entries.clear()
        self._live = self._notice_entry = None
        self._codes.clear()
        self._doc.document.clear()  # also drops the thumbnails registered on it
        self.browser.scroll_to_bottom()

    def set_messages(self, messages: Sequence[Message]) -> None:
        """Show a whole history; a prefix already on screen is kept, not re-rendered."""
        keep = 0
        limit = min(len(messages), len(self._entries))
        while keep < limit and self._entries[keep].message is messages[keep]:
            keep += 1
        if self._live is not None and self._live.index < keep:
            keep = 0  # the streaming answer is part of it: show it settled
        if keep == 0:
            self.clear()
        else:
            self._truncate(keep)
        self._doc.begin_edit()
        try:
            for message in messages[keep:]:
                self._render_entry(self._new_entry(message))
        finally:
            self._doc.end_edit()
        self.browser.scroll_to_bottom()

    def add_user_message(self, message: Message) -> None:
        """Append the user's turn and follow the conversation to its end."""
        self._render_entry(self._new_entry(message))
        self.browser.scroll_to_bottom()

    def begin_answer(self, message: Message) -> None:
        """Start a streaming answer; it shows waiting dots until the first text."""
        entry = self._new_entry(message)
        entry.body = LiveMarkdown(self._doc, self._codes, dark=self._palette.dark)
        self._live = entry
        self._render_entry(entry)
        self._waiting_timer.start()

    def append_to_answer(self, text: str, thought: str) -> None:
        """Add the deltas of one frame: only the open tail of the answer is re-rendered."""
        entry = self._live
        if entry is None or entry.body is None or not (text or thought):
            return
        self._doc.begin_edit()
        try:
            if not entry.received:
                entry.received = True
                entry.notice = None
                self._waiting_timer.stop()
                self._set_segment(entry, STATUS, "")
            if thought:
                self._append_thought(entry, thought)
            if text:
                entry.lengths[BODY] += entry.body.append(entry.offset(BODY), text)
        finally:
            self._doc.end_edit()

    def finish_answer(self, message: Message) -> None:
        """Settle the answer: footer, error card with Retry, or the "stopped" mark."""
        entry = self._live
        if entry is None:
            self._render_entry(self._new_entry(message))
            return
        self._live = None
        self._waiting_timer.stop()
        entry.message = message
        entry.notice = None
        body = entry.body
        assert body is not None
        self._doc.begin_edit()
        try:
            if message.text.startswith(body.text):
                start = entry.offset(BODY)
                entry.lengths[BODY] += body.append(start, message.text[len(body.text) :])
                entry.lengths[BODY] += body.finish(start)
            entry.body = entry.thoughts = None
            if not message.text.startswith(body.text):
                self._set_segment(entry, BODY, self._markdown(message.text))
            self._render_thoughts(entry)
            self._set_segment(entry, STATUS, self._status_html(entry))
        finally:
            self._doc.end_edit()
        entry.thought_parts.clear()

    def show_retry_notice(self, text: str, seconds: float) -> None:
        """Show ``text`` under the latest answer with its seconds counting down live."""
        entry = self._live or next(
            (e for e in reversed(self._entries) if e.message.role is Role.MODEL), None
        )
        if entry is None:
            return
        previous = self._notice_entry
        if previous is not None and previous is not entry and previous.notice is not None:
            previous.notice = None
            self._set_segment(previous, STATUS, self._status_html(previous))
        entry.notice = _Notice(text, time.monotonic() + max(0.0, seconds))
        self._notice_entry = entry
        self._set_segment(entry, STATUS, self._status_html(entry))
        self._notice_timer.start()

    def set_dark(self, dark: bool) -> None:
        """Switch the colours; everything is re-rendered once with the other palette."""
        palette = chrome.DARK if dark else chrome.LIGHT
        if palette is self._palette:
            return
        self._palette = palette
        self._apply_palette()
        self._rebuild()

    def set_show_thoughts(self, show: bool) -> None:
        """Show or hide the "Thoughts" disclosure of every answer."""
        if show == self._show_thoughts:
            return
        self._show_thoughts = show
        self._rebuild()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Use the thin margin below NARROW_BELOW_PX (a relayout only when it changes)."""
        super().resizeEvent(event)
        margin = NARROW_MARGIN if event.size().width() < NARROW_BELOW_PX else WIDE_MARGIN
        document = self.browser.document()
        if document.documentMargin() != margin:
            document.setDocumentMargin(margin)

    # ------------------------------------------------------------ queries (tests, tools)

    @property
    def messages(self) -> list[Message]:
        """The messages on screen, in order."""
        return [e.message for e in self._entries]

    @property
    def is_dark(self) -> bool:
        return self._palette.dark

    def message_text(self, index: int) -> str:
        """The plain text the document shows for message ``index``."""
        entry = self._entries[index]
        return self._doc.text(entry.start, entry.end - entry.start)

    def plain_text(self) -> str:
        """All the text on screen (what a screen reader or "select all" gets)."""
        return self.browser.document().toPlainText()

    # ------------------------------------------------------------ entries

    def _new_entry(self, message: Message) -> _Entry:
        entry = _Entry(self._next_id, len(self._entries), message, self._doc.end)
        self._next_id += 1
        self._entries.append(entry)
        return entry

    def _truncate(self, keep: int) -> None:
        if keep >= len(self._entries):
            return
        start = self._entries[keep].start
        self._doc.remove(start, self._doc.end - start)
        if self._live is not None and self._live.index >= keep:
            self._live = None
            self._waiting_timer.stop()
        if self._notice_entry is not None and self._notice_entry.index >= keep:
            self._notice_entry = None
            self._notice_timer.stop()
        del self._entries[keep:]

    def _set_segment(self, entry: _Entry, segment: int, html: str) -> None:
        old = entry.lengths[segment]
        if not html and not old:
            return
        new = self._doc.replace(entry.offset(segment), old, html)
        entry.lengths[segment] = new
        if new != old:
            for later in self._entries[entry.index + 1 :]:
                later.start += new - old

    def _render_entry(self, entry: _Entry) -> None:
        """Fill every segment of ``entry`` from its message (or its live text)."""
        message = entry.message
        if message.role is Role.USER:
            images = self._register_images(message)
            self._set_segment(
                entry, HEAD, chrome.user_message(message, entry.id, self._palette, images)
            )
            return
        self._render_thoughts(entry)
        if entry.body is not None:
            # A fresh renderer (new palette) fed what arrived so far; BODY is empty here.
            text = entry.body.text
            entry.body = LiveMarkdown(self._doc, self._codes, dark=self._palette.dark)
            entry.lengths[BODY] = entry.body.append(entry.offset(BODY), text)
        else:
            self._set_segment(entry, BODY, self._markdown(message.text))
        self._set_segment(entry, STATUS, self._status_html(entry))

    def _rebuild(self) -> None:
        entries, live = list(self._entries), self._live
        following = self.browser.following
        value = self.browser.verticalScrollBar().value()
        self._entries.clear()
        self._codes.clear()
        self._doc.document.clear()
        self._doc.begin_edit()
        try:
            for entry in entries:
                entry.index, entry.start = len(self._entries), self._doc.end
                entry.lengths = [0] * SEGMENTS
                entry.thoughts = None
                self._entries.append(entry)
                self._render_entry(entry)
        finally:
            self._doc.end_edit()
        self._live = live
        if following:
            self.browser.scroll_to_bottom()
        else:
            self.browser.verticalScrollBar().setValue(value)

    # ------------------------------------------------------------ thoughts

    def _append_thought(self, entry: _Entry, thought: str) -> None:
        first = not entry.thought_parts
        entry.thought_parts.append(thought)
        if not self._show_thoughts:
            return
        if first:
            self._set_segment(entry, THOUGHTS_HEAD, self._thoughts_header(entry))
        if entry.thoughts is not None:
            entry.lengths[THOUGHTS] += entry.thoughts.append(entry.offset(THOUGHTS), thought)

    def _thoughts_header(self, entry: _Entry) -> str:
        return chrome.thoughts_header(
            entry.id, self._palette, open_=entry.thoughts_open, streaming=entry.body is not None
        )

    def _render_thoughts(self, entry: _Entry) -> None:
        """Re-render the disclosure and (when open) the thoughts of ``entry``."""
        text = entry.thought_text
        shown = self._show_thoughts and bool(text)
        self._set_segment(entry, THOUGHTS_HEAD, self._thoughts_header(entry) if shown else "")
        if shown and entry.thoughts_open and entry.body is not None:
            # Streaming: the thoughts grow at their end like the answer does.
            self._set_segment(entry, THOUGHTS, "")
            entry.thoughts = LiveMarkdown(
                self._doc, self._codes, dark=self._palette.dark, wrap=self._wrap_thought
            )
            entry.lengths[THOUGHTS] = entry.thoughts.append(entry.offset(THOUGHTS), text)
            return
        entry.thoughts = None
        body = self._wrap_thought(self._markdown(text)) if shown and entry.thoughts_open else ""
        self._set_segment(entry, THOUGHTS, body)

    def _wrap_thought(self, html: str) -> str:
        return chrome.thoughts_body(html, self._palette) if html else ""

    def _toggle_thoughts(self, entry_id: int) -> None:
        entry = next((e for e in self._entries if e.id == entry_id), None)
        if entry is None:
            return
        entry.thoughts_open = not entry.thoughts_open
        self._doc.begin_edit()
        try:
            self._render_thoughts(entry)
        finally:
            self._doc.end_edit()

    # ------------------------------------------------------------ status line

    def _status_html(self, entry: _Entry) -> str:
        message, palette = entry.message, self._palette
        live = entry.body is not None
        notice = self._notice_html(entry, retrying=live)
        if live:
            if notice:
                return notice
            return "" if entry.received else chrome.waiting(palette, self._waiting_phase)
        if message.status in (MessageStatus.FAILED, MessageStatus.BLOCKED):
            return chrome.error_card(message, palette, notice)
        marks = ""
        if message.status is MessageStatus.STOPPED:
            marks = chrome.stopped_marker(palette, "Stopped")
        elif message.status is MessageStatus.INTERRUPTED:
            marks = chrome.stopped_marker(palette, "Interrupted: the app closed mid-answer")
        return marks + chrome.footer(message, entry.id, palette) + notice

    def _notice_html(self, entry: _Entry, *, retrying: bool) -> str:
        notice = entry.notice
        if notice is None:
            return ""
        left = max(0, math.ceil(notice.deadline - time.monotonic()))
        if left == 0:
            # Live: the retry is under way and the waiting dots say so.
            return "" if retrying else chrome.retry_notice("You can retry now.", self._palette)
        text, found = _SECONDS.subn(f"{left} s", notice.text, count=1)
        if not found:
            text = f"{text} ({left} s)"
        return chrome.retry_notice(text, self._palette)

    def _on_notice_timer_timeout(self) -> None:
        entry = self._notice_entry
        if entry is None or entry.notice is None:
            self._notice_timer.stop()
            return
        expired = time.monotonic() >= entry.notice.deadline
        if expired:
            self._notice_timer.stop()
            if entry.body is not None:
                entry.notice = None
        self._set_segment(entry, STATUS, self._status_html(entry))

    def _on_waiting_timer_timeout(self) -> None:
        entry = self._live
        if entry is None or entry.received:
            self._waiting_timer.stop()
            return
        self._waiting_phase += 1
        if entry.notice is None:
            self._set_segment(entry, STATUS, self._status_html(entry))

    def _stop_timers(self) -> None:
        self._waiting_timer.stop()
        self._notice_timer.stop()

    # ------------------------------------------------------------ rendering helpers

    def _markdown(self, text: str) -> str:
        return render_markdown(text, self._codes, dark=self._palette.dark) if text else ""

    def _register_images(self, message: Message) -> list[str]:
        """Thumbnails of the message's inline images as document resources; never a URL."""
        names: list[str] = []
        for part in message.images:
            if part.data is None:
                continue
            image = QImage.fromData(QByteArray(part.data))
            if image.isNull():
                continue
            thumb = image.scaled(
                THUMBNAIL * 2,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            thumb.setDevicePixelRatio(2.0)
            name = f"rill-image:{self._next_id}-{len(names)}"
            self.browser.document().addResource(
                QTextDocument.ResourceType.ImageResource.value, QUrl(name), thumb
            )
            names.append(name)
        return names

    def _apply_palette(self) -> None:
        palette = self.browser.palette()
        colours = self._palette
        palette.setColor(QPalette.ColorRole.Base, QColor(colours.base))
        palette.setColor(QPalette.ColorRole.Text, QColor(colours.text))
        palette.setColor(QPalette.ColorRole.Link, QColor(colours.link))
        self.browser.setPalette(palette)

    # ------------------------------------------------------------ links

    def _on_browser_anchor_clicked(self, url: QUrl) -> None:
        scheme = url.scheme().lower()
        if scheme in EXTERNAL_SCHEMES:
            QDesktopServices.openUrl(url)
        elif scheme == "rill":
            self._run_action(url.path())

    def _run_action(self, action: str) -> None:
        name, _, arg = action.partition("/")
        if name == "retry":
            self.retry_requested.emit()
        elif name == "copy" and arg.isdigit():
            code = self._codes.text(int(arg))
            if code is not None:
                QGuiApplication.clipboard().setText(code)
        elif name == "copy-message" and arg.isdigit():
            entry = next((e for e in self._entries if e.id == int(arg)), None)
            if entry is not None:
                QGuiApplication.clipboard().setText(entry.text)
        elif name == "toggle-thoughts" and arg.isdigit():
            self._toggle_thoughts(int(arg))
