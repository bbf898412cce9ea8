"""The messages of a transcript and their regions in its document.

Each message is an :class:`Entry` owning five consecutive regions (header, thoughts
disclosure, thoughts, Markdown body, status line); only their lengths are stored, so
an edit shifts at most the entries after it, and a streaming answer (always the last
entry) shifts nothing. A long history is rendered newest first, in slices, in front of
what is already shown (:meth:`Transcript.load_older`), so the bottom of a chat of
thousands of messages appears at once and the rest fills in without freezing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from PySide6.QtCore import QByteArray, QSize, Qt, QUrl
from PySide6.QtGui import QImage, QTextDocument

from bench.old_transcript import message_html as chrome
from bench.old_transcript.document import TranscriptDocument
from bench.old_transcript.live_markdown import CodeRegistry, LiveMarkdown, render_markdown
from rill.core.retry import count_down
from rill.core.types import Message, MessageStatus, Role
from rill.gui.common import thumbnail_for

HEAD, THOUGHTS_HEAD, THOUGHTS, BODY, STATUS = range(5)
SEGMENTS = 5
THUMBNAIL = QSize(120, 90)  # logical pixels; stored at 2x so it stays sharp on HiDPI


@dataclass(eq=False)
class Notice:
    """A countdown under an answer ("Retrying in 14 s…")."""

    text: str
    deadline: float  # time.monotonic()


@dataclass(eq=False)
class Entry:
    """One message's place in the document: where it starts and how long each part is."""

    id: int
    index: int
    message: Message
    start: int = 0
    lengths: list[int] = field(default_factory=lambda: [0] * SEGMENTS)
    thoughts_open: bool = False
    notice: Notice | None = None
    # Only while the answer streams (the "live" entry):
    body: LiveMarkdown | None = None
    thoughts: LiveMarkdown | None = None
    thought_parts: list[str] = field(default_factory=list)
    received: bool = False
    cut_total: int = 0  # the answer's length the live status last said it cut
    final: Message | None = None  # finish_answer() came; settling the last text
    # A long finished answer written in slices (see Transcript.fill); None when whole.
    filling: LiveMarkdown | None = None

    def offset(self, segment: int) -> int:
        """Document position where segment ``segment`` of this entry starts."""
        return self.start + sum(self.lengths[:segment])

    @property
    def end(self) -> int:
        """Document position just after this entry."""
        return self.start + sum(self.lengths)

    @property
    def live(self) -> bool:
        """Whether this entry is the answer streaming now."""
        return self.body is not None

    @property
    def text(self) -> str:
        """The Markdown source shown (what "Copy message" copies)."""
        return self.body.text if self.body is not None else self.message.text

    @property
    def thought_text(self) -> str:
        """The thought text shown."""
        return "".join(self.thought_parts) if self.live else self.message.thought_text

    @property
    def pending(self) -> bool:
        """Whether the live answer still has text, a close or its "Showing the first …"
        count to write."""
        body = self.body
        stale_cut = body is not None and body.cut and body.total != self.cut_total
        return (
            any(md is not None and md.pending for md in (body, self.thoughts))
            or self.final is not None
            or stale_cut
        )


class Transcript:
    """The entries of one conversation and the document regions they render into."""

    def __init__(self, document: QTextDocument) -> None:
        self.document = document
        self.doc = TranscriptDocument(document)
        self.entries: list[Entry] = []
        self.codes = CodeRegistry()
        self.palette = chrome.LIGHT
        self.show_thoughts = True
        self.waiting_phase = 0
        # Entries before loaded_from are not in the document yet (history loads newest
        # first); the last newer_unloaded were taken out again (see ``window``).
        self.loaded_from = 0
        self.newer_unloaded = 0
        # A finished answer longer than this is written in slices, not in one go
        # (ChatView sets it; 0: never). Entries with text still to write, newest first:
        self.long_answer_chars = 0
        self.filling: list[Entry] = []
        # Versions and actions of a message (the store knows them; a bare pane: none).
        self.turn_info: Callable[[Message], chrome.TurnInfo] = lambda _m: chrome.SINGLE
        self._next_id = 0
        self._by_id: dict[int, Entry] = {}

    # ------------------------------------------------------------ entries

    def new_entry(self, message: Message) -> Entry:
        """Append an entry (at the end of the document, not rendered yet)."""
        return self.new_entries([message])[0]

    def new_entries(self, messages: Iterable[Message]) -> list[Entry]:
        """Append entries for ``messages``, none rendered yet (thousands cost milliseconds)."""
        end, first = self.doc.end, len(self.entries)
        made = [
            Entry(self._next_id + n, first + n, message, end) for n, message in enumerate(messages)
        ]
        self._next_id += len(made)
        self.entries += made
        self._by_id.update((entry.id, entry) for entry in made)
        return made

    def prepend(self, messages: list[Message]) -> None:
        """Put entries for older ``messages`` in front, waiting to be rendered like the
        rest of a history that is still loading (see :meth:`load_older`)."""
        if not messages:
            return
        start = self.entries[0].start if self.entries else self.doc.end
        made = [Entry(self._next_id + n, n, m, start) for n, m in enumerate(messages)]
        self._next_id += len(made)
        for entry in self.entries:
            entry.index += len(made)
        self.entries[:0] = made
        self._by_id.update((entry.id, entry) for entry in made)
        self.loaded_from += len(made)

    def find(self, entry_id: int) -> Entry | None:
        """The entry with id ``entry_id`` (None when it is not in the transcript)."""
        return self._by_id.get(entry_id)

    @property
    def loaded_to(self) -> int:
        """Entries from here on are not in the document (0 newer unloaded: the end)."""
        return len(self.entries) - self.newer_unloaded

    def is_rendered(self, index: int) -> bool:
        """Whether entry ``index`` is in the document now."""
        return self.loaded_from <= index < self.loaded_to

    def clear(self) -> None:
        """Forget every entry; the document is emptied (thumbnails too)."""
        self.entries.clear()
        self._by_id.clear()
        self.codes.clear()
        self.document.clear()
        self.loaded_from = self.newer_unloaded = 0
        self.filling.clear()

    def truncate(self, keep: int) -> None:
        """Remove the entries from index ``keep`` on (and their regions)."""
        if keep >= len(self.entries):
            return
        if keep < self.loaded_to:
            start = self.entries[keep].start
            self.doc.remove(start, self.doc.end - start)
        for entry in self.entries[keep:]:
            del self._by_id[entry.id]
        self.newer_unloaded = max(0, self.newer_unloaded - (len(self.entries) - keep))
        del self.entries[keep:]
        self.loaded_from = min(self.loaded_from, keep)

    def unload(self) -> None:
        """Empty the document but keep the entries, all waiting to be rendered again."""
        self.document.clear()
        self.codes.clear()
        for entry in self.entries:
            entry.start, entry.lengths, entry.filling = 0, [0] * SEGMENTS, None
        self.loaded_from = len(self.entries)
        self.newer_unloaded = 0
        self.filling.clear()

    # ------------------------------------------------------------ segments

    def set_segment(self, entry: Entry, segment: int, html: str, *, shift: bool = True) -> None:
        """Replace one region of ``entry``; later entries move by the change."""
        old = entry.lengths[segment]
        if not html and not old:
            return
        new = self.doc.replace(entry.offset(segment), old, html)
        entry.lengths[segment] = new
        if shift and new != old:
            for later in self.entries[entry.index + 1 :]:
                later.start += new - old

    def render(self, entry: Entry, *, shift: bool = True) -> None:
        """Fill every region of ``entry`` from its message (or its live text)."""
        message = entry.message
        if message.role is Role.USER:
            images = self._register_images(entry)
            html = chrome.user_bubble(message, entry.id, self.palette, images)
            self.set_segment(entry, HEAD, html, shift=shift)
            self.set_segment(entry, STATUS, self.user_actions(entry), shift=shift)
            return
        self.render_thoughts(entry, shift=shift)
        if entry.body is not None:
            # A fresh renderer (e.g. new colours) gets the text so far; the view's
            # work loop renders and writes it in slices.
            text = entry.body.text
            self.set_segment(entry, BODY, "", shift=shift)
            entry.body = self.live_markdown()
            entry.body.push(text)
            if entry.final is not None:
                entry.body.close()
        elif self._fills(entry):
            # Rendered whole, 50,000 characters of dense Markdown held the UI thread
            # ~320 ms: the view's work loop writes it in slices instead (fill).
            self.set_segment(entry, BODY, "", shift=shift)
            entry.filling = self.live_markdown()
            entry.filling.push(message.text)
            entry.filling.close()
            if entry not in self.filling:
                self.filling.append(entry)
        else:
            entry.filling = None
            self.set_segment(entry, BODY, self.markdown(chrome.preview(message.text)), shift=shift)
        self.set_segment(entry, STATUS, self.status_html(entry), shift=shift)

    def _fills(self, entry: Entry) -> bool:
        message = entry.message
        return (
            0 < self.long_answer_chars < len(message.text)
            and entry.final is None
            and message.status not in (MessageStatus.PENDING, MessageStatus.STREAMING)
        )

    def next_filling(self) -> Entry | None:
        """The newest answer still being written in slices (stale ones dropped: taken
        out of the document, removed, or rendered again since)."""
        while self.filling:
            entry = self.filling[0]
            index = entry.index
            current = index < len(self.entries) and self.entries[index] is entry
            if entry.filling is not None and current and self.is_rendered(index):
                return entry
            entry.filling = None
            self.filling.pop(0)
        return None

    def fill(self, entry: Entry, deadline: float) -> None:
        """Write the next slice of ``entry``'s answer; later entries move along."""
        body = entry.filling
        assert body is not None
        self.doc.begin_edit()
        try:
            body.render(deadline)
            delta = body.apply(entry.offset(BODY))
        finally:
            self.doc.end_edit()
        if delta:
            entry.lengths[BODY] += delta
            for later in self.entries[entry.index + 1 :]:
                later.start += delta
        if not body.pending:
            entry.filling = None
            self.filling.remove(entry)

    def render_thoughts(self, entry: Entry, *, shift: bool = True) -> None:
        """The disclosure line and, when open, the thoughts of ``entry``."""
        text = entry.thought_text
        shown = self.show_thoughts and bool(text)
        header = self.thoughts_header(entry) if shown else ""
        self.set_segment(entry, THOUGHTS_HEAD, header, shift=shift)
        entry.thoughts = None
        if shown and entry.thoughts_open and entry.live and entry.final is None:
            # Streaming: the thoughts grow at their end like the answer does.
            self.set_segment(entry, THOUGHTS, "", shift=shift)
            entry.thoughts = self.live_markdown(thoughts=True)
            entry.thoughts.push(text)
            return
        body = ""
        if shown and entry.thoughts_open:
            part = chrome.preview(text)
            body = self.wrap_thoughts(self.markdown(part))
            if len(part) < len(text):
                body += chrome.thoughts_cut_notice(len(part), len(text), self.palette)
        self.set_segment(entry, THOUGHTS, body, shift=shift)

    def thoughts_header(self, entry: Entry) -> str:
        """HTML of the header that opens and closes an entry's thoughts."""
        streaming = entry.live and entry.final is None
        return chrome.thoughts_header(
            entry.id, self.palette, open_=entry.thoughts_open, streaming=streaming
        )

    def wrap_thoughts(self, html: str) -> str:
        """Thought HTML in its box (empty for none)."""
        return chrome.thoughts_body(html, self.palette) if html else ""

    def status_html(self, entry: Entry) -> str:
        """Waiting dots or a notice while live; the footer or an error card after."""
        palette = self.palette
        cut = self.cut_notice(entry)
        if entry.live and entry.final is None:
            notice = self.notice_html(entry, retrying=True)
            if notice or entry.received:
                return cut + notice
            return chrome.waiting(palette, self.waiting_phase)
        message = entry.final or entry.message
        notice = self.notice_html(entry, retrying=False)
        info = self.turn_info(message)
        if message.status in (MessageStatus.FAILED, MessageStatus.BLOCKED):
            # The card holds Retry; the line under it the versions, Copy (of what
            # arrived) and Delete, as under any answer.
            card = chrome.error_card(message, palette, notice, entry.id, info)
            return cut + card + chrome.footer(message, entry.id, palette, info, regenerate=False)
        marks = ""
        interrupted = message.status is MessageStatus.INTERRUPTED
        if message.status is MessageStatus.STOPPED:
            marks = chrome.stopped_marker(palette, "Stopped")
        elif interrupted:
            marks = chrome.stopped_marker(palette, "Interrupted: the app closed mid-answer")
        footer = chrome.footer(message, entry.id, palette, info, retry=interrupted)
        return cut + marks + footer + notice

    def user_actions(self, entry: Entry) -> str:
        """HTML of the line under a user turn (its versions and actions)."""
        return chrome.user_actions(entry.id, self.turn_info(entry.message), self.palette)

    def cut_notice(self, entry: Entry) -> str:
        """ "Showing the first … characters" under an answer too long to show whole."""
        body = entry.body
        if body is not None:
            shown, total = body.shown, body.total
        else:
            total = len(entry.message.text)
            shown = min(total, chrome.PREVIEW_CHARS)
        if shown >= total:
            return ""
        return chrome.truncation_notice(shown, total, entry.id, self.palette)

    def refresh_chrome(self, entry: Entry) -> None:
        """Render again what shows a turn's versions and actions (its text stays)."""
        if not self.is_rendered(entry.index) or (entry.live and entry.final is None):
            return
        self.doc.begin_edit()
        try:
            if entry.message.role is Role.USER:  # the line under it; the text stays
                self.set_segment(entry, STATUS, self.user_actions(entry))
            else:
                self.set_segment(entry, STATUS, self.status_html(entry))
        finally:
            self.doc.end_edit()

    def notice_html(self, entry: Entry, *, retrying: bool) -> str:
        """HTML of a retry notice with its countdown (empty for none)."""
        notice = entry.notice
        if notice is None:
            return ""
        left = max(0, math.ceil(notice.deadline - time.monotonic()))
        if left == 0:
            # Live: the retry is under way and the waiting dots say so.
            return "" if retrying else chrome.retry_notice("You can retry now.", self.palette)
        text, found = count_down(notice.text, left)
        if not found:
            text = f"{text} ({left} s)"
        return chrome.retry_notice(text, self.palette)

    # ------------------------------------------------------------ the live answer

    def live_markdown(self, *, thoughts: bool = False) -> LiveMarkdown:
        """A LiveMarkdown writing into this document (its thoughts box with ``thoughts``)."""
        wrap = self.wrap_thoughts if thoughts else None
        return LiveMarkdown(
            self.doc, self.codes, dark=self.palette.dark, wrap=wrap, limit=chrome.PREVIEW_CHARS
        )

    def advance_live(self, entry: Entry, deadline: float) -> bool:
        """Render and write the live answer's queued text; True once it is settled."""
        body = entry.body
        assert body is not None
        self.doc.begin_edit()
        try:
            if not entry.received and (body.text or entry.thought_parts):
                entry.received = True
                if entry.final is None:  # text came: the retry it announced worked
                    entry.notice = None
                    self.set_segment(entry, STATUS, "", shift=False)
            if entry.thoughts is not None:
                entry.thoughts.render(deadline)
                entry.lengths[THOUGHTS] += entry.thoughts.apply(entry.offset(THOUGHTS))
            body.render(deadline)
            entry.lengths[BODY] += body.apply(entry.offset(BODY))
            if body.cut and entry.cut_total != body.total:  # "Showing the first … of n"
                entry.cut_total = body.total
                self.set_segment(entry, STATUS, self.status_html(entry), shift=False)
        finally:
            self.doc.end_edit()
        drained = not body.pending and (entry.thoughts is None or not entry.thoughts.pending)
        if entry.final is not None and drained:
            self._settle(entry, entry.final)
            return True
        return False

    def _settle(self, entry: Entry, message: Message) -> None:
        """The answer's text is all written: swap the live state for the final message."""
        self.doc.begin_edit()
        try:
            entry.message, entry.final = message, None
            entry.body = entry.thoughts = None
            entry.thought_parts.clear()
            shown = self.show_thoughts and bool(message.thought_text)
            header = self.thoughts_header(entry) if shown else ""
            self.set_segment(entry, THOUGHTS_HEAD, header, shift=False)
            self.set_segment(entry, STATUS, self.status_html(entry), shift=False)
        finally:
            self.doc.end_edit()

    # ------------------------------------------------------------ helpers

    def markdown(self, text: str) -> str:
        """``text`` rendered to HTML for the document (empty for none)."""
        return render_markdown(text, self.codes, dark=self.palette.dark) if text else ""

    def _register_images(self, entry: Entry) -> list[str]:
        """Thumbnails of the message's inline images as document resources; never a URL."""
        names: list[str] = []
        for number, part in enumerate(entry.message.images):
            # The composer already made a small PNG of each image it sent: decoding
            # that is instant, while a 3072-px photo costs ~85 ms of the UI thread.
            source = thumbnail_for(part) or part.data
            if source is None:
                continue
            image = QImage.fromData(QByteArray(source))
            if image.isNull():
                continue
            thumb = image.scaled(
                THUMBNAIL * 2,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            thumb.setDevicePixelRatio(2.0)
            name = f"rill-image:{entry.id}-{number}"
            self.document.addResource(
                QTextDocument.ResourceType.ImageResource.value, QUrl(name), thumb
            )
            names.append(name)
        return names
