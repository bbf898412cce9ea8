"""The chat pane: the whole conversation in one document, streamed into at its tail.

Each message owns a run of regions in one QTextDocument (``entries``). A
streaming answer edits only its own tail, so a flush costs the same at the 10th and
the 10,000th message, at 2 KB or 200 KB of answer. Work is cut into slices of a few
milliseconds: a flush renders Markdown, the next turn of the event loop writes it into
the document, and a long history fills in newest first, so the UI thread never stalls
on a big catch-up, a theme switch or a chat of thousands of messages. Links never open
by themselves: ``rill:`` anchors are the view's own buttons; http, https and mailto go
to the system's apps when clicked, through ``link_guard`` (real target on hover, a
question before a deceptive link).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QFileDialog, QMessageBox, QVBoxLayout, QWidget

from bench.old_transcript import message_html as chrome
from bench.old_transcript.browser import TranscriptBrowser
from bench.old_transcript.code_copy import CopyConfirmation
from bench.old_transcript.entries import (
    BODY,
    STATUS,
    THOUGHTS_HEAD,
    Entry,
    Notice,
    Transcript,
)
from bench.old_transcript.live_markdown import warm_up_in_background
from bench.old_transcript.navigation import Revealer
from bench.old_transcript.window import HistoryWindow
from rill.core.types import Message, Role
from rill.gui.transcript.link_guard import LinkOpener, hover_text, is_external

WARM_UP_DELAY_MS = 300
SLICE_S = 0.006  # one slice of work between two turns of the event loop
# A finished answer longer than this is written into the pane in slices, like a
# stream (dense Markdown costs ~6 ms per 1,000 characters to render and lay out).
LONG_ANSWER_CHARS = 8_000
TURN_ACTIONS = ("regenerate", "edit", "delete")


class ChatView(QWidget):
    """The conversation: user turns, streamed answers, footers, errors and notices.

    Signals:
        retry_requested(): the user clicked Retry on the last answer's error card (on
            an older one, ``turn_action_requested("regenerate", index)`` instead).
        turn_action_requested(str action, int index): "regenerate", "edit" or "delete"
            was clicked under message ``index`` (its position in :attr:`messages`).
        version_requested(int index, int version): the ‹ › switcher under message
            ``index`` asked for its 1-based ``version``.
        link_hovered(str target): the pointer is on a link to ``target`` ("" when it
            left it, or the link is the view's own).
        action_done(): one of the pane's buttons (Retry, Copy, a turn's action, a
            version) did its work; what the user types next belongs in the input.
    """

    retry_requested = Signal()
    turn_action_requested = Signal(str, int)
    version_requested = Signal(int, int)
    link_hovered = Signal(str)
    action_done = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.browser = TranscriptBrowser(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self.browser.document().setDocumentMargin(chrome.DOCUMENT_MARGIN_PX)
        self._transcript = Transcript(self.browser.document())
        self._transcript.doc.math_inserted = self.browser.math.inserted
        self._transcript.long_answer_chars = LONG_ANSWER_CHARS
        self._live: Entry | None = None
        self._notice_entry: Entry | None = None
        self._work_timer = self._timer(0, self._on_work_timer_timeout, single=True)
        self._waiting_timer = self._timer(400, self._on_waiting_timer_timeout)
        self._notice_timer = self._timer(250, self._on_notice_timer_timeout)
        self._revealer = Revealer(self.browser, self._transcript)
        self._window = HistoryWindow(self._transcript, self.browser, self._revealer)
        self.links = LinkOpener(self)
        self._copied = CopyConfirmation(self.browser)
        self.browser.anchorClicked.connect(self._on_browser_anchor_clicked)
        self.browser.highlighted.connect(self._on_browser_highlighted)
        self.browser.verticalScrollBar().valueChanged.connect(self._on_scroll_value_changed)
        self._apply_palette()
        # After the pane's first paint and the start-up work, so the window shows first
        # (a slow start must not let the imports race its paint); see warm_up_in_background.
        self.browser.viewport_painted.connect(
            lambda: QTimer.singleShot(WARM_UP_DELAY_MS, warm_up_in_background),
            type=Qt.ConnectionType.SingleShotConnection,
        )

    def _timer(self, interval: int, slot: Callable[[], None], *, single: bool = False) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(interval)
        timer.setSingleShot(single)
        timer.timeout.connect(slot)
        return timer

    # ------------------------------------------------------------ the contract

    def clear(self) -> None:
        """Show an empty conversation."""
        self._stop_timers()
        self._revealer.cancel()
        self._live = self._notice_entry = None
        self._transcript.clear()
        self.browser.scroll_to_bottom()

    def set_messages(self, messages: Sequence[Message]) -> None:
        """Show a whole history: the newest at once, older ones in slices.

        A prefix already on screen (the retry path shows the history less its failed
        answer) is kept, not re-rendered. A long answer is written in slices too (see
        LONG_ANSWER_CHARS): rendering 50,000 characters of dense Markdown in one go held
        the UI thread ~320 ms (bench/bench_open_long_answer.py).
        """
        entries = self._transcript.entries
        keep, limit = 0, min(len(messages), len(entries))
        while keep < limit and (entries[keep].final or entries[keep].message) is messages[keep]:
            keep += 1
        if self._live is not None and self._live.index < keep:
            self.settle_live()  # it stays; anything after it must wait for its text
        if keep == 0:
            self.clear()
        else:
            self._transcript.truncate(keep)
            if self._notice_entry is not None and self._notice_entry.index >= keep:
                self._notice_entry = None
            if self._live is not None and self._live.index >= keep:
                self._live = None
                self._waiting_timer.stop()
            self._window.bring_back_the_end()
        transcript = self._transcript
        if transcript.loaded_from == len(entries):
            # Nothing kept is on screen yet: everything loads newest first.
            transcript.new_entries(messages[keep:])
            transcript.loaded_from = len(entries)
        else:  # after messages on screen: render in order, at once (usually one or two)
            for message in messages[keep:]:
                transcript.render(transcript.new_entry(message))
        self._load_first_screen()
        self.browser.scroll_to_bottom()

    def prepend_messages(self, messages: Sequence[Message]) -> None:
        """Put older messages in front of the history shown (its earlier part arrived
        from the store); they render newest first like the rest."""
        self._transcript.prepend(list(messages))
        if self.busy:
            self._work_timer.start()

    def reveal(self, index: int) -> None:
        """Scroll message ``index`` into view and highlight it for a moment; when it is
        not rendered yet, as soon as it is."""
        if not self._revealer.request(index) and self._revealer.pending:
            self._work_timer.start()

    def set_turn_info(self, lookup: Callable[[Message], chrome.TurnInfo]) -> None:
        """Where versions (‹ 2/3 ›) and actions of a message come from; applies to what
        is rendered from now on (use :meth:`refresh_turn` for what is shown)."""
        self._transcript.turn_info = lookup

    def refresh_turn(self, message: Message) -> None:
        """Render ``message``'s versions and actions again (they changed in the store)."""
        for entry in reversed(self._transcript.entries):
            if (entry.final or entry.message) is message:
                self._transcript.refresh_chrome(entry)
                return

    def add_user_message(self, message: Message) -> None:
        """Append the user's turn and follow the conversation to its end."""
        self.settle_live()
        self._append(message)
        self.browser.scroll_to_bottom()

    def _append(self, message: Message) -> Entry:
        """A new last entry, rendered (the end of the chat comes back first if the
        reader had left it far behind)."""
        reloaded = self._window.bring_back_the_end()
        entry = self._transcript.new_entry(message)
        self._transcript.render(entry)
        if reloaded:
            self._load_first_screen()
        return entry

    def begin_answer(self, message: Message) -> None:
        """Start a streaming answer; it shows waiting dots until the first text."""
        self.settle_live()
        if self._window.bring_back_the_end():
            self._load_first_screen()
        entry = self._transcript.new_entry(message)
        entry.body = self._transcript.live_markdown()
        self._live = entry
        self._transcript.render(entry)
        self._waiting_timer.start()

    def append_to_answer(self, text: str, thought: str) -> None:
        """Add the deltas of one frame: the Markdown is rendered now, written next turn."""
        entry = self._live
        if entry is None or entry.body is None or entry.final is not None:
            return
        if thought:
            first = not entry.thought_parts
            entry.thought_parts.append(thought)
            if first and self._transcript.show_thoughts:
                header = self._transcript.thoughts_header(entry)
                self._transcript.set_segment(entry, THOUGHTS_HEAD, header)
            if entry.thoughts is not None:
                entry.thoughts.push(thought)
        entry.body.push(text)
        deadline = time.perf_counter() + SLICE_S
        if entry.thoughts is not None:
            entry.thoughts.render(deadline)
        entry.body.render(deadline)
        self._work_timer.start()

    def finish_answer(self, message: Message) -> None:
        """Settle the answer: footer, error card with Retry, or the "stopped" mark.

        Text still queued is written first (in slices), then the footer replaces the
        live state; until then the answer counts as live for ordering purposes.
        """
        entry = self._live
        if entry is None or entry.body is None:
            self._append(message)
            return
        self._waiting_timer.stop()
        entry.notice = None
        shown = entry.body.text
        if message.text.startswith(shown):
            entry.body.push(message.text[len(shown) :])
        else:  # the final text is not what streamed: show the final text
            self._transcript.set_segment(entry, BODY, "")
            entry.body = self._transcript.live_markdown()
            entry.body.push(message.text)
        thoughts = "".join(entry.thought_parts)
        if message.thought_text.startswith(thoughts) and entry.thoughts is not None:
            entry.thoughts.push(message.thought_text[len(thoughts) :])
        entry.body.close()
        if entry.thoughts is not None:
            entry.thoughts.close()
        entry.final = message
        self._work_timer.start()

    def show_retry_notice(self, text: str, seconds: float) -> None:
        """Show ``text`` under the latest answer with its seconds counting down live."""
        entry = self._live or next(
            (e for e in reversed(self._transcript.entries) if e.message.role is Role.MODEL), None
        )
        if entry is None:
            return
        previous = self._notice_entry
        if previous is not None and previous is not entry and previous.notice is not None:
            previous.notice = None
            self._render_status(previous)
        entry.notice = Notice(text, time.monotonic() + max(0.0, seconds))
        self._notice_entry = entry
        self._render_status(entry)
        self._notice_timer.start()

    def set_dark(self, dark: bool) -> None:
        """Switch the colours; everything is rendered again with the other palette."""
        palette = chrome.DARK if dark else chrome.LIGHT
        if palette is self._transcript.palette:
            return
        self._transcript.palette = palette
        self._apply_palette()
        self._rebuild()

    def set_show_thoughts(self, show: bool) -> None:
        """Show or hide the "Thoughts" disclosure of every answer."""
        if show != self._transcript.show_thoughts:
            self._transcript.show_thoughts = show
            self._rebuild()

    # ------------------------------------------------------------ queries and settling

    @property
    def messages(self) -> list[Message]:
        """The messages on screen, in order."""
        return [e.final or e.message for e in self._transcript.entries]

    def first_message(self) -> Message | None:
        """The oldest message of the history shown (rendered or not)."""
        entries = self._transcript.entries
        return (entries[0].final or entries[0].message) if entries else None

    @property
    def is_dark(self) -> bool:
        """Whether the pane is drawn in the dark theme."""
        return self._transcript.palette.dark

    @property
    def busy(self) -> bool:
        """Whether text or history is still on its way into the document."""
        live = self._live is not None and self._live.pending
        return live or bool(self._transcript.filling) or self._window.busy

    def settle(self) -> None:
        """Finish all queued work now (tests, exports): the document is then complete."""
        self.settle_live()
        self._window.settle()
        while (entry := self._transcript.next_filling()) is not None:
            self._transcript.fill(entry, math.inf)

    def settle_live(self) -> None:
        """Write everything the live answer has queued, settling it if it was finished."""
        entry = self._live
        if entry is not None and entry.pending and self._transcript.advance_live(entry, math.inf):
            self._live = None

    def message_text(self, index: int) -> str:
        """The plain text the document shows for message ``index`` (after :meth:`settle`)."""
        self.settle()
        entry = self._transcript.entries[index]
        return self._transcript.doc.text(entry.start, entry.end - entry.start)

    def plain_text(self) -> str:
        """All the text on screen (after :meth:`settle`), as "select all" would copy it."""
        self.settle()
        return self.browser.document().toPlainText()

    # ------------------------------------------------------------ work in slices

    def _on_work_timer_timeout(self) -> None:
        deadline = time.perf_counter() + SLICE_S
        entry = self._live
        filling = self._transcript.next_filling()
        if entry is not None and entry.pending:
            if self._transcript.advance_live(entry, deadline):
                self._live = None
        elif filling is not None:
            self._fill(filling, deadline)
        else:
            # A countdown or a live answer pins the end of the chat in the document.
            pinned = self._live is not None or self._notice_entry is not None
            self._window.step(deadline, bottom_busy=pinned)
        if self.busy:
            self._work_timer.start()

    def _fill(self, entry: Entry, deadline: float) -> None:
        """A slice of a long answer; a reader below it keeps their place."""
        transcript, after = self._transcript, entry.index + 1
        below = transcript.entries[after].start if transcript.is_rendered(after) else None
        self.browser.keep_in_place(below)
        transcript.fill(entry, deadline)
        self.browser.restore_place()

    def _load_first_screen(self) -> None:
        self._window.first_screen()
        if self.busy:
            self._work_timer.start()

    def _on_scroll_value_changed(self, _value: int) -> None:
        if not self._work_timer.isActive() and self.busy:
            self._work_timer.start()  # the reader neared either end of what is shown

    def _rebuild(self) -> None:
        """Render everything again (colours, thoughts): the newest first, as on opening."""
        self.settle_live()
        self._revealer.cancel()
        self._transcript.unload()
        self._load_first_screen()

    def _render_status(self, entry: Entry) -> None:
        if self._transcript.is_rendered(entry.index):
            self._transcript.set_segment(entry, STATUS, self._transcript.status_html(entry))

    # ------------------------------------------------------------ timers

    def _on_notice_timer_timeout(self) -> None:
        entry = self._notice_entry
        if entry is None or entry.notice is None:
            self._notice_timer.stop()
            return
        if time.monotonic() >= entry.notice.deadline:
            self._notice_timer.stop()
            if entry.live and entry.final is None:
                entry.notice = None
        self._render_status(entry)

    def _on_waiting_timer_timeout(self) -> None:
        entry = self._live
        if entry is None or entry.received or entry.final is not None:
            self._waiting_timer.stop()
            return
        self._transcript.waiting_phase += 1
        if entry.notice is None:
            self._render_status(entry)

    def _stop_timers(self) -> None:
        for timer in (self._work_timer, self._waiting_timer, self._notice_timer):
            timer.stop()

    # ------------------------------------------------------------ look

    def _apply_palette(self) -> None:
        palette = self.browser.palette()
        colours = self._transcript.palette
        palette.setColor(QPalette.ColorRole.Base, QColor(colours.base))
        palette.setColor(QPalette.ColorRole.Text, QColor(colours.text))
        palette.setColor(QPalette.ColorRole.Link, QColor(colours.link))
        self.browser.setPalette(palette)
        self.browser.math.set_colours(colours.text, dark=colours.dark)

    # ------------------------------------------------------------ links

    def _on_browser_anchor_clicked(self, url: QUrl) -> None:
        if is_external(url):
            self.links.open(url, self.browser.activated_link_text(url))
        elif url.scheme().lower() == "rill":
            self._run_action(url.path())

    def _on_browser_highlighted(self, url: QUrl) -> None:
        self.link_hovered.emit(hover_text(url))

    def _run_action(self, action: str) -> None:
        name, _, arg = action.partition("/")
        arg, _, extra = arg.partition("/")
        entry = self._transcript.find(int(arg)) if arg.isdigit() else None
        if name == "retry":
            # The last answer is sent again; an older one (turns followed it) gets a
            # new version, as Regenerate does: either way the click acts.
            if entry is None or entry.index == len(self._transcript.entries) - 1:
                self.retry_requested.emit()
            else:
                self.turn_action_requested.emit("regenerate", entry.index)
        elif name in TURN_ACTIONS and entry is not None:
            self.turn_action_requested.emit(name, entry.index)
        elif name == "version" and entry is not None and extra.isdigit():
            self.version_requested.emit(entry.index, int(extra))
        elif name == "copy" and arg.isdigit():
            code = self._transcript.codes.text(int(arg))
            if code is not None:
                QGuiApplication.clipboard().setText(code)
                self._copied.confirm(f"rill:{action}")
        elif name == "copy-message" and entry is not None:
            QGuiApplication.clipboard().setText(entry.text)
        elif name == "save-message" and entry is not None:
            self.save_message(entry.index)
        elif name == "toggle-thoughts" and entry is not None:
            self._toggle_thoughts(entry)
        if name not in ("toggle-thoughts", "save-message"):  # reading on / a dialog
            self.action_done.emit()

    def save_message(self, index: int) -> QFileDialog:
        """Ask where to save the whole text of message ``index`` (a message too long to
        show whole offers this); the dialog is returned open (never a nested loop)."""
        entry = self._transcript.entries[index]
        text = entry.text
        dialog = QFileDialog(self, "Save message as")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["Markdown (*.md)", "Text (*.txt)", "All files (*)"])
        dialog.setDefaultSuffix("md")
        dialog.selectFile("message.md")
        dialog.fileSelected.connect(lambda path: self._write_message(path, text))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _write_message(self, path: str, text: str) -> None:
        try:
            Path(path).write_text(text, encoding="utf-8", newline="")
        except OSError as error:
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Not saved",
                f"Could not save {path}: {error}",
                parent=self,
            )
            box.setTextFormat(Qt.TextFormat.PlainText)  # a path and an OS error: text
            box.finished.connect(box.deleteLater)
            box.open()

    def _toggle_thoughts(self, entry: Entry) -> None:
        if not self._transcript.is_rendered(entry.index):
            return
        entry.thoughts_open = not entry.thoughts_open
        self._transcript.doc.begin_edit()
        try:
            self._transcript.render_thoughts(entry)
        finally:
            self._transcript.doc.end_edit()
        if entry.thoughts is not None:
            self._work_timer.start()  # open while streaming: the thoughts fill in
