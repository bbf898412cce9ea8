"""Keeps every chat of the window in the conversation store, off the UI thread.

Each chat's history is a ``WatchedHistory``: a turn added is written at once (the
controller's request gate waits for that write, so the user turn is stored before
the request leaves), a turn about to be dropped is written first, a streaming answer
is written at least once a second by a 250 ms tick, and its final state when it
ends. Settings changes are written shortly after the last one. All writes run on the
store's writer thread in the order they were asked for; the UI thread only takes a
snapshot of the history list (a copy of references) and reads results back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from rill.core.recorder import WatchedHistory
from rill.core.types import GenerationSettings, Message
from rill.gui.chat import Chat, ChatController
from rill.gui.conversations import jobs
from rill.gui.conversations.store_worker import StoreUnavailable, StoreWorker
from rill.gui.transcript import SINGLE, ChatView, TurnInfo

if TYPE_CHECKING:
    from rill.core.store import ConversationSummary, OpenReport, Store

LIVE_TICK_MS = 250
SETTINGS_DELAY_MS = 400  # a slider being dragged is written once it rests
NO_CONVERSATION = 0  # current_conversation_changed's value for a chat not stored yet


@dataclass(eq=False)
class ChatRecord:
    """The store side of one chat (UI thread; ``ledger`` belongs to the writer thread)."""

    chat: Chat
    ledger: jobs.Ledger = field(default_factory=jobs.Ledger)
    conversation_id: int | None = None
    ids: dict[int, tuple[Message, int]] = field(default_factory=dict)  # id(message) → id
    info: dict[int, tuple[Message, TurnInfo]] = field(default_factory=dict)
    last_write: asyncio.Future[object] | None = None
    ticking: bool = False  # a partial write is queued
    loading: asyncio.Future[None] | None = None  # the older part of the path is on its way
    used: float = field(default_factory=time.monotonic)
    told_unsaved: bool = False  # the user heard that this chat cannot be saved

    def store_id(self, message: Message) -> int | None:
        """The store id of ``message`` (None when it is not saved yet)."""
        found = self.ids.get(id(message))
        return found[1] if found is not None and found[0] is message else None

    def remember(self, saved: jobs.Saved) -> None:
        """Remember where a message was saved and which version it is."""
        key = id(saved.message)
        self.ids[key] = (saved.message, saved.store_id)
        self.info[key] = (saved.message, TurnInfo(saved.version, saved.versions))

    def turn_info(self, message: Message) -> TurnInfo:
        """Which version of its turn ``message`` is."""
        found = self.info.get(id(message))
        return found[1] if found is not None and found[0] is message else SINGLE


class Persistence(QObject):
    """Saves the controller's chats and knows which conversation each one is.

    Signals:
        conversation_saved(object summary): a conversation's list line changed (it was
            created, got a turn or finished an answer); a ConversationSummary.
        current_conversation_changed(int conversation_id): the view shows this stored
            conversation, or NO_CONVERSATION (0) for a chat not saved yet.
        store_opened(object report): the store is open; its OpenReport.
        not_saved(str message): a chat changed but cannot be saved (the history is
            read-only or could not be opened); said once per chat, naming the folder.
    """

    conversation_saved = Signal(object)
    current_conversation_changed = Signal(int)
    store_opened = Signal(object)
    not_saved = Signal(str)

    def __init__(
        self,
        controller: ChatController,
        view: ChatView,
        worker: StoreWorker,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.view = view
        self.worker = worker
        self.records: dict[int, ChatRecord] = {}
        self._pending_settings: dict[int, GenerationSettings] = {}
        self._tick = self._timer(LIVE_TICK_MS, self._on_tick_timeout)
        self._settings_timer = self._timer(SETTINGS_DELAY_MS, self._on_settings_timeout)
        self._settings_timer.setSingleShot(True)
        controller.request_gate = self._gate
        controller.add_shutdown_hook(self.close)
        controller.chat_added.connect(self._on_controller_chat_added)
        controller.current_chat_changed.connect(self._on_controller_current_chat_changed)
        controller.streaming_changed.connect(self._on_controller_streaming_changed)
        # Also for a chat not on screen (its images went out while another was shown):
        # streaming_changed speaks only of the chat shown.
        controller.answer_started.connect(self._on_controller_answer_started)
        controller.answer_finished.connect(self._on_controller_answer_finished)
        controller.chat_settings_changed.connect(self._on_controller_chat_settings_changed)
        self.watch(controller.current_chat)
        view.set_turn_info(self.turn_info)

    def _timer(self, interval: int, slot: Callable[[], None]) -> QTimer:
        timer = QTimer(self)
        timer.setInterval(interval)
        timer.timeout.connect(slot)
        return timer

    # ------------------------------------------------------------ records

    def watch(self, chat: Chat, conversation_id: int | None = None) -> ChatRecord:
        """Start saving ``chat`` (its history becomes a WatchedHistory)."""
        record = self.records.get(chat.id)
        if record is None:
            record = self.records[chat.id] = ChatRecord(chat, conversation_id=conversation_id)
        history = chat.session.history
        if not isinstance(history, WatchedHistory):
            chat.session.history = self.watched(record, history)
        return record

    def watched(self, record: ChatRecord, messages: list[Message]) -> WatchedHistory:
        """A history list for ``record``'s chat that saves itself as it changes."""
        return WatchedHistory(messages, partial(self._on_history_changed, record))

    def record_of(self, conversation_id: int) -> ChatRecord | None:
        """The record of an open conversation (None when it is not open)."""
        return next(
            (r for r in self.records.values() if r.conversation_id == conversation_id), None
        )

    @property
    def current(self) -> ChatRecord:
        """The record of the chat on screen."""
        return self.watch(self.controller.current_chat)

    def turn_info(self, message: Message) -> TurnInfo:
        """Versions of a message of the chat on screen (for ChatView.set_turn_info)."""
        return self.current.turn_info(message)

    def forget(self, record: ChatRecord) -> None:
        """Stop saving a chat that left memory (the store keeps it)."""
        self.records.pop(record.chat.id, None)
        history = record.chat.session.history
        if isinstance(history, WatchedHistory):
            # Its callback refers back to the record: break the cycle (see forget_chat).
            history.on_change = _ignore

    # ------------------------------------------------------------ writing

    def _on_history_changed(self, record: ChatRecord, removing: bool) -> None:
        # Snapshot now: before a removal the turn about to go is still in the list.
        self.sync(record, force=removing)

    def sync(self, record: ChatRecord, *, force: bool = False) -> asyncio.Future[object]:
        """Queue a write of ``record``'s history as it is now; returns the job's future.

        With a store that cannot be written, nothing is queued: the chat goes on in
        memory and ``not_saved`` says so, once per chat.
        """
        reason = self.unsaved_reason()
        if reason is not None:
            return self._not_saved(record, reason)
        chat = record.chat
        job = partial(
            jobs.sync,
            ledger=record.ledger,
            snapshot=list(chat.session.history),
            settings=chat.session.settings,
            provider=_provider_name(chat),
            force=force,
        )
        future: asyncio.Future[object] = self.worker.write(job)
        future.add_done_callback(partial(self._on_sync_done, record))
        record.last_write = future
        return future

    def unsaved_reason(self) -> str | None:
        """Why nothing can be saved (the store is read-only or unusable), or None."""
        if self.worker.unavailable is not None:
            return str(self.worker.unavailable)
        report = self.worker.report
        return report.read_only_message if report is not None and report.read_only else None

    def _not_saved(self, record: ChatRecord, reason: str) -> asyncio.Future[object]:
        record.ticking = False
        if not record.told_unsaved:
            record.told_unsaved = True
            self.not_saved.emit(f"This chat is not being saved. {reason}")
        done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        record.last_write = done
        return done

    def _on_sync_done(self, record: ChatRecord, future: asyncio.Future[object]) -> None:
        record.ticking = False
        if future.cancelled() or future.exception() is not None:
            return
        result = future.result()
        assert isinstance(result, jobs.SyncResult)
        for saved in result.added:
            record.remember(saved)
        if result.created:
            record.conversation_id = result.conversation_id
            if record.chat is self.controller.current_chat and result.conversation_id:
                self.current_conversation_changed.emit(result.conversation_id)
        if record.chat is self.controller.current_chat:
            for saved in result.added:
                self.view.refresh_turn(saved.message)
        if result.summary is not None:
            self.conversation_saved.emit(result.summary)

    async def _gate(self, chat: Chat) -> None:
        """Before a request leaves: the whole path is loaded and the user turn stored."""
        record = self.watch(chat)
        if record.loading is not None:
            await asyncio.wait({record.loading})
        write = record.last_write
        if write is not None and not write.done():
            await asyncio.wait({write})  # a failed write must not keep the chat from going

    def _on_tick_timeout(self) -> None:
        streaming = False
        for record in self.records.values():
            if record.chat.answer is not None:
                streaming = True
                if not record.ticking:
                    record.ticking = True
                    self.sync(record)
        if not streaming:
            self._tick.stop()

    def _on_controller_streaming_changed(self, _streaming: bool) -> None:
        if not self._tick.isActive():
            self._tick.start()  # stops itself once no chat streams

    def _on_controller_answer_started(self, _chat_id: int) -> None:
        if not self._tick.isActive():
            self._tick.start()

    def _on_controller_answer_finished(self, chat_id: int, _message: object) -> None:
        record = self.records.get(chat_id)
        if record is not None:
            self.sync(record, force=True)

    def _on_controller_chat_settings_changed(self, chat_id: int, settings: object) -> None:
        if isinstance(settings, GenerationSettings):
            self._pending_settings[chat_id] = settings
            self._settings_timer.start()

    def _on_settings_timeout(self) -> None:
        pending, self._pending_settings = self._pending_settings, {}
        if self.unsaved_reason() is not None:
            return  # said when the chat changed; a slider needs no notice of its own
        for chat_id, settings in pending.items():
            record = self.records.get(chat_id)
            cid = record.conversation_id if record is not None else None
            if cid is not None:
                self.worker.write(partial(_update_settings, cid=cid, settings=settings))

    def flush_settings(self) -> None:
        """Write settings still waiting for the slider to rest (closing, switching)."""
        if self._pending_settings:
            self._settings_timer.stop()
            self._on_settings_timeout()

    # ------------------------------------------------------------ chats coming and going

    def _on_controller_chat_added(self, chat_id: int, _title: str) -> None:
        chat = self.controller.chat(chat_id)
        if chat is not None:
            self.watch(chat)

    def _on_controller_current_chat_changed(self, chat_id: int) -> None:
        record = self.records.get(chat_id)
        if record is not None:
            record.used = time.monotonic()
        cid = record.conversation_id if record is not None else None
        self.current_conversation_changed.emit(cid or NO_CONVERSATION)

    # ------------------------------------------------------------ life cycle

    async def start(self) -> OpenReport | None:
        """Open the store (off the UI thread); None when it cannot be opened."""
        try:
            report = await self.worker.write(_report, awaited=True)
        except StoreUnavailable as error:
            self.worker.tell(error)
            return None
        self.store_opened.emit(report)
        return report

    async def close(self) -> None:
        """Write what is pending and close the store (the controller's shutdown hook)."""
        self._tick.stop()
        self.flush_settings()
        await self.worker.close()

    def refresh_summary(self, record: ChatRecord) -> None:
        """Read ``record``'s list line again (a turn was deleted) and announce it."""
        cid = record.conversation_id
        if cid is None:
            return
        future = self.worker.write(partial(summary_of, conversation_id=cid))
        future.add_done_callback(self._on_summary_read)

    def _on_summary_read(self, future: asyncio.Future[ConversationSummary | None]) -> None:
        if not future.cancelled() and future.exception() is None:
            summary = future.result()
            if summary is not None:
                self.conversation_saved.emit(summary)


def _ignore(_removing: bool) -> None:
    """The history callback of a chat no longer saved."""


def _provider_name(chat: Chat) -> str:
    name = chat.session.provider.name
    return "" if name == "none" else name  # no key yet: the provider is a stand-in


def _report(store: Store) -> OpenReport:
    return store.report


def _update_settings(store: Store, *, cid: int, settings: GenerationSettings) -> None:
    store.update_settings(cid, settings)


def summary_of(store: Store, conversation_id: int) -> ConversationSummary | None:
    """The list row of a conversation (store thread)."""
    return store.summaries([conversation_id]).get(conversation_id)
