"""The chat pane: the controller's view of the conversation, on the card surface.

Each message is a card (``cards``) on a virtualised surface (``surface``); the answer
streaming now is the live card, and only it changes per frame. Work is cut into slices
of a few milliseconds: a frame's deltas render until a deadline, and what is left (a
long answer opened from history, a burst of text) continues on the next turns of the
event loop. Links never open by themselves: ``rill:`` hrefs are the pane's own buttons;
http, https and mailto go to the system's apps when clicked, through ``link_guard``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QVBoxLayout, QWidget

from rill.core.retry import count_down
from rill.core.types import Message, Role
from rill.gui.transcript import message_html as chrome
from rill.gui.transcript.cards import Card
from rill.gui.transcript.find import ChatFinder
from rill.gui.transcript.image_viewer import save_image, show_full_size, write_file
from rill.gui.transcript.link_guard import LinkOpener, is_external
from rill.gui.transcript.renderers.base import Context
from rill.gui.transcript.renderers.code import CodeBlock
from rill.gui.transcript.renderers.doc_block import SOFT_BREAK
from rill.gui.transcript.renderers.images import ImageBlock, ImageDecoder, copy_image
from rill.gui.transcript.renderers.lines import WaitingBlock
from rill.gui.transcript.renderers.markdown import warm_up_in_background
from rill.gui.transcript.renderers.rows import RowsBlock
from rill.gui.transcript.surface_input import Surface

if TYPE_CHECKING:
    from rill.gui.transcript.find_bar import FindBar

WARM_UP_DELAY_MS = 300
FRAME_MS = 16  # the live answer's new text is shown once per display frame at 60 Hz
WAITING_TICK_S = 0.4  # the live answer's dots move this often
BODY_SCALE = 1.1  # the answers' text, relative to the window's font ...
BODY_MIN_PT = 11.0  # ... and never below about 15 px at 96 dpi
SLICE_S = 0.0045  # one slice of work between two turns of the event loop (a paint due, included)
MIN_SLICE_S = 0.002  # the least a slice renders for when a paint takes the rest
SCROLL_SLICE_S = 0.002  # a slice while the reader scrolls (within SCROLLING_S) ...
SCROLLING_S = 0.1
BACKLOG_CHARS = 4_096  # queued text beyond which a frame's text is only queued
FRAME_S = 0.016  # at most one paint this often while a backlog of text is written
SAME_TURN_S = 0.0005  # work this soon after the last is in the same turn of the loop
PAINT_WAIT_MS = 16  # the next slice waits this long at most for the paint asked for
TURN_ACTIONS = ("regenerate", "edit", "delete")
# The actions of a message (``rill:<action>/<card id>``); the rest name a block's id.
CARD_ACTIONS = frozenset(
    {*TURN_ACTIONS, "version", "copy-message", "copy-plain", "save-message", "toggle-thoughts"}
)


def body_font(font: QFont) -> QFont:
    """The reading font of the conversation: the window's, a little larger."""
    body = QFont(font)
    if body.pointSizeF() > 0:
        body.setPointSizeF(max(BODY_MIN_PT, body.pointSizeF() * BODY_SCALE))
    return body


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
        self.context = Context(font=body_font(self.font()), owner=self)
        self.surface = Surface(self.context, self)
        self.context.changed = self.surface.viewport().update
        self.context.decode = partial(ImageDecoder.shared().request, self.context)
        self.finder = ChatFinder(self.surface, self)
        self._find_bar: FindBar | None = None  # made at the first Ctrl+F (not before a paint)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.surface)
        self._by_id: dict[int, Card] = {}
        self._next_id = 0
        self._live: Card | None = None
        self._finishing: list[Card] = []  # settled answers with text still to render
        self._notice_card: Card | None = None
        self._notice_text = ""
        self._notice_deadline = 0.0
        self.show_thoughts = True
        self.turn_info: Callable[[Message], chrome.TurnInfo] = lambda _m: chrome.SINGLE
        # 1 ms, not 0: Qt's glib dispatcher runs a 0 ms timer only when the loop is idle,
        # which a streaming window seldom is (it came a frame late, and a frame's two
        # halves, the Markdown and the documents' edit, ran back to back).
        self._work_timer = self._timer(1, self._on_work_timer_timeout, single=True)
        self._work_timer.setTimerType(Qt.TimerType.PreciseTimer)
        # Runs only while an answer streams on screen (begin_answer to finish_answer).
        self._frame_timer = self._timer(FRAME_MS, self._on_frame_timer_timeout)
        self._frame_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._waiting_timer = self._timer(
            int(WAITING_TICK_S * 1000), self._on_waiting_timer_timeout
        )
        self._last_frame_at = 0.0  # time.monotonic() of the live answer's last frame
        self._painted_at = 0.0  # time.perf_counter() of the surface's last paint
        self._paint_owed = False  # slices changed what is shown since the last paint
        self._worked_from = self._worked_to = 0.0  # the last frame's or slice's work
        self._notice_timer = self._timer(250, self._on_notice_timer_timeout)
        self._confirm_timer = self._timer(1600, self.surface.viewport().update, single=True)
        self.links = LinkOpener(self)
        self.surface.activated.connect(self._on_surface_activated)
        self.surface.hovered.connect(self.link_hovered)
        self.surface.viewport_painted.connect(self._on_surface_painted)
        self.windows: list[QWidget] = []  # image viewers and dialogs opened from the pane
        # After the pane's first paint and the start-up work, so the window shows first
        # (a slow start must not let the imports race its paint); see warm_up_in_background.
        self.surface.viewport_painted.connect(
            lambda: QTimer.singleShot(WARM_UP_DELAY_MS, warm_up_in_background),
            type=Qt.ConnectionType.SingleShotConnection,
        )

    def _timer(self, interval: int, slot: Callable[[], None], *, single: bool = False) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(interval)
        timer.setSingleShot(single)
        timer.timeout.connect(slot)
        return timer

    # ------------------------------------------------------------ cards

    @property
    def cards(self) -> list[Card]:
        """The cards, oldest first."""
        return self.surface.cards

    def _card(self, message: Message, *, live: bool = False) -> Card:
        card = Card(
            self._next_id, message, self.context, live=live,
            info=self.turn_info, show_thoughts=self.show_thoughts,
        )  # fmt: skip
        self._next_id += 1
        self._by_id[card.id] = card
        return card

    def _append(self, card: Card) -> Card:
        card.index = len(self.cards)
        self.cards.append(card)
        self.surface.card_changed(card)
        return card

    def _drop_from(self, keep: int) -> None:
        gone = self.cards[keep:]
        del self.cards[keep:]
        for card in gone:
            self._by_id.pop(card.id, None)
        self.surface.forget(gone)
        if self._live is not None and self._live in gone:
            self._end_live()
        if self._notice_card is not None and self._notice_card in gone:
            self._notice_card = None
        self._finishing = [c for c in self._finishing if c not in gone]
        self.surface.restack_from(keep)

    # ------------------------------------------------------------ the contract

    def clear(self) -> None:
        """Show an empty conversation."""
        for timer in (self._work_timer, self._frame_timer, self._waiting_timer, self._notice_timer):
            timer.stop()
        self._drop_from(0)
        self.surface.clear_highlight()
        self.surface.scroll_to_bottom()
        self.finder.invalidate()

    def set_messages(self, messages: Sequence[Message]) -> None:
        """Show a whole history; a prefix already on screen (the retry path shows the
        history less its failed answer) is kept as it is."""
        cards = self.cards
        keep, limit = 0, min(len(messages), len(cards))
        while keep < limit and cards[keep].shown is messages[keep]:
            keep += 1
        self._drop_from(keep)
        for message in messages[keep:]:
            card = self._card(message)
            card.index = len(self.cards)
            self.cards.append(card)
        self.surface.restack_from(keep)
        self.surface.scroll_to_bottom()
        self.finder.invalidate()

    def prepend_messages(self, messages: Sequence[Message]) -> None:
        """Put older messages in front of the history shown (they arrived from the store)."""
        made = [self._card(m) for m in messages]
        self.cards[:0] = made
        self.surface.reindex()
        self.surface.restack_from(0)
        self.surface.update_range()
        self.finder.invalidate()

    def reveal(self, index: int) -> None:
        """Scroll message ``index`` into view and highlight it for a moment."""
        if 0 <= index < len(self.cards):
            self.surface.scroll_to_card(index)
            self.surface.lay_out_visible()
            self.surface.scroll_to_card(index)  # its height is known now
            self.surface.highlight(self.cards[index])

    def set_turn_info(self, lookup: Callable[[Message], chrome.TurnInfo]) -> None:
        """Where versions (‹ 2/3 ›) and actions of a message come from; applies to what
        is shown from now on (use :meth:`refresh_turn` for what is shown)."""
        self.turn_info = lookup

    def refresh_turn(self, message: Message) -> None:
        """Show ``message``'s versions and actions again (they changed in the store)."""
        for card in reversed(self.cards):
            if card.shown is message:
                card.info = self.turn_info(message)
                card.refresh_chrome()
                self.surface.card_changed(card)
                return

    def add_user_message(self, message: Message) -> None:
        """Append the user's turn and follow the conversation to its end."""
        self._append(self._card(message))
        self.surface.scroll_to_bottom()

    def begin_answer(self, message: Message) -> None:
        """Follow ``message``, the answer streaming now: it shows waiting dots until its
        first text, then once per display frame what it gained (:meth:`flush_answer`).
        An answer shown again mid-stream (its chat selected) shows all it holds at once."""
        self._live = self._append(self._card(message, live=True))
        self._waiting_timer.start()
        self._frame_timer.start()
        self.flush_answer()

    def flush_answer(self) -> None:
        """Show what the live answer gained since the last frame, now (the frame timer
        calls this ~60 times a second). The text lives in the answer's ``Message``
        alone; the live card knows how much of it it has taken (``Card.unseen``), so
        chunks are never shown one by one and nothing is buffered twice.

        The new text's Markdown is rendered now (a few ms at most), written into the
        card's documents on the next turn, then painted (as the old pane split a frame:
        two short turns of the event loop, not one long one)."""
        card = self._live
        if card is None:
            return
        text, thought = card.unseen()
        if not text and not thought:
            return
        self._last_frame_at = time.monotonic()
        if card is self._notice_card:
            # The retry is under way and answering: its countdown is over.
            self._notice_card, card.notice = None, ""
            self._notice_timer.stop()
        # Far behind (more text queued than a frame parses: a burst), the frame only
        # queues its text for the slices already under way: parsing it here too made
        # this turn and the next slice's one long stall. A frame's usual lag (the last
        # one still being written) is caught up here, as before.
        # So is a frame that comes in the same turn as a slice (their timers were due
        # together): the two ran back to back, a full slice each.
        deadline = self._turn_deadline()
        parse = card.queued < BACKLOG_CHARS and deadline - time.perf_counter() > MIN_SLICE_S
        if card.push(text, thought, deadline, parse=parse):
            self.surface.card_changed(card)
        if card.pending:
            self._work_timer.start(1)
        self._worked_to = time.perf_counter()

    def _turn_deadline(self) -> float:
        """SLICE_S from the start of this turn of the event loop: the frame's timer
        and the slices' run back to back when both are due, as one stall."""
        now = time.perf_counter()
        if now - self._worked_to > SAME_TURN_S:
            self._worked_from = now
        return self._worked_from + SLICE_S

    def finish_answer(self, message: Message) -> None:
        """Settle the answer: footer, error card with Retry, or the "stopped" mark."""
        card = self._live
        if card is None:
            self._append(self._card(message))
            return
        # What came since the last frame goes in as a frame would take it: thoughts
        # that came only now get their disclosure (finish adds only to one that
        # exists), and text that came clears a retry's countdown.
        self.flush_answer()
        self._end_live()
        if self._notice_card is card and time.monotonic() >= self._notice_deadline:
            self._notice_card, card.notice = None, ""
        card.finish(message)
        card.render(time.perf_counter() + SLICE_S)
        if card.pending:
            self._finishing.append(card)
            self._work_timer.start(1)
        self.surface.card_changed(card)
        self.surface.keyboard.describe(card)

    def _end_live(self) -> None:
        """No answer streams on screen any more: no frames, no waiting dots."""
        self._live = None
        self._frame_timer.stop()
        self._waiting_timer.stop()

    def show_retry_notice(self, text: str, seconds: float) -> None:
        """Show ``text`` under the latest answer with its seconds counting down live."""
        card = self._live or next(
            (c for c in reversed(self.cards) if c.message.role is Role.MODEL), None
        )
        if card is None:
            return
        previous = self._notice_card
        if previous is not None and previous is not card:
            previous.notice = ""
            previous.refresh_chrome()
            self.surface.card_changed(previous)
        self._notice_card = card
        self._notice_text = text
        self._notice_deadline = time.monotonic() + max(0.0, seconds)
        self._on_notice_timer_timeout()
        self._notice_timer.start()

    def set_dark(self, dark: bool) -> None:
        """Switch the colours; every card renders again with the other palette."""
        palette = chrome.DARK if dark else chrome.LIGHT
        if palette is self.context.palette:
            return
        self.context.palette = palette
        self._rebuild()

    def set_show_thoughts(self, show: bool) -> None:
        """Show or hide the "Thoughts" disclosure of every answer."""
        if show != self.show_thoughts:
            self.show_thoughts = show
            for card in self.cards:
                card.show_thoughts = show
                card.refresh_chrome()
            self.surface.restack_from(0)
            self.surface.update_range()

    def _rebuild(self) -> None:
        """Render everything again (colours): the live card from its text so far."""
        self.settle_live()
        for card in self.cards:
            if card is not self._live:
                card.release()
                card.height = card.estimate(self.surface.column)
        if self._live is not None:
            self._live.rebuild_live()
        self.surface.restack_from(0)
        self.surface.update_range()
        self._work_timer.start(1)

    # ------------------------------------------------------------ find

    def open_find(self) -> None:
        """Ctrl+F: the find bar, with the keyboard in its field."""
        self.find_bar.open_bar()

    @property
    def find_bar(self) -> FindBar:
        """The find bar over the pane (made on first use)."""
        if self._find_bar is None:
            from rill.gui.transcript import find_bar  # its widgets wait for a Ctrl+F

            self._find_bar = find_bar.FindBar(self.finder, self)
            self._find_bar.closed.connect(self._on_find_bar_closed)
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(0, self._find_bar)
        return self._find_bar

    def _on_find_bar_closed(self) -> None:
        self.surface.setFocus(Qt.FocusReason.OtherFocusReason)

    # ------------------------------------------------------------ queries and settling

    @property
    def messages(self) -> list[Message]:
        """The messages on screen, in order."""
        return [card.shown for card in self.cards]

    def first_message(self) -> Message | None:
        """The oldest message of the history shown."""
        return self.cards[0].shown if self.cards else None

    @property
    def is_dark(self) -> bool:
        """Whether the pane is drawn in the dark theme."""
        return self.context.palette.dark

    @property
    def busy(self) -> bool:
        """Whether text is still on its way onto the surface (live, settling or in view)."""
        live = self._live is not None and self._live.pending
        shown = any(c.pending or not c.built for c in self.surface.visible())
        return live or bool(self._finishing) or shown

    def settle(self) -> None:
        """Finish all queued work now (tests, exports): every card is then complete."""
        for card in self.cards:
            card.build()
            if card.pending:
                card.render(math.inf)
            self.surface.card_changed(card)
        self._finishing.clear()

    def settle_live(self) -> None:
        """Render everything the live answer has queued."""
        for card in (self._live, *self._finishing):
            if card is not None and card.pending:
                card.render(math.inf)
                self.surface.card_changed(card)
        self._finishing.clear()

    def message_text(self, index: int) -> str:
        """The plain text card ``index`` shows (everything rendered first)."""
        self.settle()
        return self.cards[index].plain_text()

    def plain_text(self) -> str:
        """All the text of the conversation as the pane shows it."""
        self.settle()
        return "\n".join(card.plain_text() for card in self.cards)

    # ------------------------------------------------------------ work in slices

    def _on_work_timer_timeout(self) -> None:
        if self._paint_due():
            # The paint is a turn of its own: Qt runs a posted paint right after the
            # turn that asked for it, so a slice and its paint were one stall (6 ms of
            # text and 3 ms of paint: most of a 1 MB stream's stalls were 9-16 ms).
            self._ask_paint()
            return
        # While the reader scrolls, shorter: a wheel step's own paint lays out and
        # renders the cards coming into view, and the two must fit in a frame.
        deadline = self._turn_deadline()
        if time.monotonic() - self.surface.scrolled_at < SCROLLING_S:
            deadline -= SLICE_S - SCROLL_SLICE_S
        if self.surface.paint_asked:
            # A paint is already on its way (a scroll, the keyboard's stand-ins moved):
            # it comes right after this slice, which leaves it its time.
            deadline -= min(self.surface.paint_s, SLICE_S - MIN_SLICE_S)
        queue = [c for c in (self._live, *self._finishing) if c is not None]
        queue += [c for c in self.surface.visible() if c not in queue]
        for card in queue:
            if card.pending or not card.built:
                card.render(deadline)
                self.surface.card_changed(card, paint=False)
                self._paint_owed = True
            if time.perf_counter() >= deadline:
                break
        self._finishing = [c for c in self._finishing if c.pending]
        # A short slice that wrote all there was (a frame's text) leaves room in its
        # turn for the paint: it comes right after, without a turn's wait (the last
        # text shown sooner). A backlog's paints keep turns of their own.
        spent = time.perf_counter() - self._worked_from
        room = spent + self.surface.paint_s <= SLICE_S
        if room and not self.busy and self._paint_due():
            self._ask_paint()
        elif self.busy or self._paint_owed:
            self._work_timer.start(1)
        self._worked_to = time.perf_counter()

    def _paint_due(self) -> bool:
        """Whether what the slices wrote is to be painted now: once it is all written
        (a frame's text: in the frame), and while a backlog is written (a burst, a
        busy machine) once per display frame, not after every slice. A hidden pane
        paints nothing."""
        if not self._paint_owed or not self.surface.viewport().isVisible():
            return False
        return time.perf_counter() - self._painted_at >= FRAME_S or not self.busy

    def _ask_paint(self) -> None:
        """Post the paint: it joins any other on its way (the stand-ins', the dots'),
        and it starts the next slice, so other timers due run in between (the wait
        only matters if no paint comes)."""
        self._paint_owed = False
        self._painted_at = time.perf_counter()
        self.surface.request_paint()
        self._work_timer.start(PAINT_WAIT_MS)

    def _on_surface_painted(self) -> None:
        self._painted_at = time.perf_counter()
        self._paint_owed = False  # (what it was to show is shown)
        if self.busy:  # (sooner than a slice waiting for this paint would)
            self._work_timer.start(1)  # a card came into view with text to render

    # ------------------------------------------------------------ timers

    def _on_frame_timer_timeout(self) -> None:
        self.flush_answer()

    def _on_waiting_timer_timeout(self) -> None:
        card = self._live
        if card is None:
            self._waiting_timer.stop()
            return
        card.waiting_phase += 1
        for block in card.blocks:
            if isinstance(block, WaitingBlock):
                block.phase = card.waiting_phase
        # While frames arrive, the next one paints the dots' move: no paint of its own.
        if time.monotonic() - self._last_frame_at > WAITING_TICK_S:
            self.surface.viewport().update()

    def _on_notice_timer_timeout(self) -> None:
        card = self._notice_card
        if card is None:
            self._notice_timer.stop()
            return
        left = max(0, math.ceil(self._notice_deadline - time.monotonic()))
        if left == 0:
            self._notice_timer.stop()
            # Live: the retry is under way and the waiting dots say so.
            card.notice = "" if card is self._live else "You can retry now."
        else:
            text, found = count_down(self._notice_text, left)
            card.notice = text if found else f"{text} ({left} s)"
        card.refresh_chrome()
        self.surface.card_changed(card)

    # ------------------------------------------------------------ links and actions

    def _on_surface_activated(self, href: str, text: str) -> None:
        url = QUrl(href)
        if is_external(url):
            self.links.open(url, text)
        elif url.scheme().lower() == "rill":
            self._run_action(url.path())

    def _run_action(self, action: str) -> None:
        name, _, arg = action.partition("/")
        arg, _, extra = arg.partition("/")
        number = int(arg) if arg.isdigit() else -1
        # Cards and blocks are numbered apart: the action's name says which it means.
        card = self._by_id.get(number)
        if name == "retry" or (name in CARD_ACTIONS and card is not None):
            self._card_action(name, card, extra)
        elif name not in CARD_ACTIONS:
            self._block_action(name, self.context.lookup(number), extra)
        if name not in (
            "toggle-thoughts", "toggle-part", "page-part", "save-message", "image", "save-image"
        ):  # fmt: skip
            self.action_done.emit()

    def _card_action(self, name: str, card: Card | None, extra: str) -> None:
        """A message's own button or menu entry (``card`` is None only for Retry)."""
        if name == "retry":
            # The last answer is sent again; an older one (turns followed it) gets a
            # new version, as Regenerate does: either way the click acts.
            if card is None or card.index == len(self.cards) - 1:
                self.retry_requested.emit()
            else:
                self.turn_action_requested.emit("regenerate", card.index)
            return
        assert card is not None
        if name in TURN_ACTIONS:
            self.turn_action_requested.emit(name, card.index)
        elif name == "version" and extra.isdigit():
            self.version_requested.emit(card.index, int(extra))
        elif name == "copy-message":
            QGuiApplication.clipboard().setText(card.text)
        elif name == "copy-plain":
            QGuiApplication.clipboard().setText(card.body_text().replace(SOFT_BREAK, ""))
        elif name == "save-message":
            self.save_message(card.index)
        elif name == "toggle-thoughts":
            self._toggle_thoughts(card)

    def _block_action(self, name: str, target: object, extra: str) -> None:
        """A button inside a block: a code card's Copy, a fold, a list's page, an image."""
        if name == "copy" and isinstance(target, CodeBlock):
            QGuiApplication.clipboard().setText(target.code())
            target.confirm_copy()
            self._confirm_timer.start()
        elif name == "toggle-part" and target is not None:
            self._toggle_part(target)
        elif name == "page-part" and isinstance(target, RowsBlock):
            target.page(extra)
            self._refresh_visible()
        elif name == "image" and isinstance(target, ImageBlock):
            self.windows.append(show_full_size(self, target))
        elif name == "save-image" and isinstance(target, ImageBlock):
            self.windows.append(save_image(self, target))
        elif name == "copy-image" and isinstance(target, ImageBlock):
            copy_image(target)

    def save_message(self, index: int) -> QFileDialog:
        """Ask where to save the whole text of message ``index``; the dialog is returned
        open (never a nested loop)."""
        text = self.cards[index].text
        dialog = QFileDialog(self, "Save message as")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(["Markdown (*.md)", "Text (*.txt)", "All files (*)"])
        dialog.setDefaultSuffix("md")
        dialog.selectFile("message.md")
        dialog.fileSelected.connect(lambda path: write_file(self, path, text))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _toggle_thoughts(self, card: Card) -> None:
        if card.thoughts is None:
            return
        card.thoughts.toggle()
        card.refresh_chrome()
        self.surface.card_changed(card)
        if card.pending:
            self._work_timer.start(1)  # open: the thoughts render in slices

    def _toggle_part(self, target: object) -> None:
        owner = getattr(target, "owner", None)
        toggle = getattr(owner, "toggle", None)
        if toggle is None:
            return
        toggle()
        self._refresh_visible()

    def _refresh_visible(self) -> None:
        """A part in view changed its blocks (opened, folded, paged): lay them out again
        and give the keyboard's stand-ins their new places."""
        for card in self.surface.visible():
            card.refresh_chrome()
            self.surface.card_changed(card)
