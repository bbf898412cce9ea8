"""The window's chat history: the store, the sidebar and the turn actions, wired together.

``History`` is what the main window holds. It opens the store off the UI thread at
start, fills the sidebar, saves every chat (``Persistence``), opens stored ones
(``ConversationLoader``) and answers the sidebar's and the chat pane's requests:
rename, pin, delete with Undo, search and jump, regenerate, edit, delete a turn,
switch versions. Every store call runs on the store's threads; widgets only emit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from rill.core.types import Message, Role
from rill.gui.chat import ChatController
from rill.gui.common import TaskLauncher
from rill.gui.conversations.action_bar import ActionBar
from rill.gui.conversations.loader import ConversationLoader
from rill.gui.conversations.persistence import NO_CONVERSATION, Persistence, summary_of
from rill.gui.conversations.sidebar import Sidebar
from rill.gui.conversations.store_worker import StoreWorker
from rill.gui.transcript import ChatView

if TYPE_CHECKING:
    from rill.core.store import ConversationSummary, OpenReport, Store

FIRST_PAGE = 64
SEARCH_LIMIT = 50
TRASH_DAYS = 30  # deleted chats are purged for good after this long


class History(QObject):
    """Connects the store to the sidebar, the chat pane and the controller."""

    def __init__(
        self,
        controller: ChatController,
        view: ChatView,
        sidebar: Sidebar,
        bar: ActionBar,
        launcher: TaskLauncher,
        notify: Callable[[str], None],
        parent: QObject | None = None,
        *,
        reopen: int = 0,
        typed: Callable[[], bool] = lambda: False,
    ) -> None:
        """``reopen``: the conversation to show once the store is open (the one on
        screen when the window last closed; 0 for none), unless ``typed()`` says the
        user has begun writing meanwhile."""
        super().__init__(parent)
        self._reopen = reopen
        self._typed = typed
        self.controller, self.view, self.sidebar, self.bar = controller, view, sidebar, bar
        self.launcher = launcher
        self.notify = notify
        self.worker = StoreWorker(parent=self)
        self.persistence = Persistence(controller, view, self.worker, self)
        self.loader = ConversationLoader(self.persistence, launcher, self)
        self.last_search_ms: float | None = None  # the benchmark reads this
        self._connect()

    def _connect(self) -> None:
        s, p, v = self.sidebar, self.persistence, self.view
        self.worker.failed.connect(self.notify)
        self.loader.failed.connect(self.notify)
        self.loader.settings_replaced.connect(self.notify)
        p.not_saved.connect(self.notify)
        p.conversation_saved.connect(self._on_persistence_conversation_saved)
        p.current_conversation_changed.connect(s.select)
        s.conversation_selected.connect(self.loader.show)
        s.model.rows_wanted.connect(self._on_model_rows_wanted)
        s.rename_requested.connect(self.rename)
        s.pin_requested.connect(self.pin)
        s.delete_requested.connect(self.delete_conversation)
        s.search_requested.connect(self.search)
        s.hit_activated.connect(self._on_sidebar_hit_activated)
        v.turn_action_requested.connect(self._on_view_turn_action_requested)
        v.version_requested.connect(self.loader.switch_version)
        # Which chats are answering, for the list (also chats not on screen).
        for changed in (
            self.controller.answer_started,
            self.controller.answer_finished,
            p.conversation_saved,
        ):
            changed.connect(self._show_streaming)

    # ------------------------------------------------------------ start

    async def start(self) -> OpenReport | None:
        """Open the store, say what went wrong with it if anything did, fill the list,
        and show a conversation a crash interrupted. Returns the open report."""
        report = await self.persistence.start()
        if report is None:
            return None
        if report.needs_attention:
            self.notify(report.message)
        keys, rows = await self.worker.read(_first_page)
        self.sidebar.model.set_keys(keys, rows)
        for record in list(self.persistence.records.values()):
            if record.conversation_id is not None:  # saved while the list was being read
                self.persistence.refresh_summary(record)
        self.sidebar.select(self.persistence.current.conversation_id or NO_CONVERSATION)
        if not report.read_only:
            cutoff = time.time() - TRASH_DAYS * 86400
            self.worker.write(lambda store: store.purge_deleted(older_than=cutoff))
        if report.interrupted:
            latest = max(report.interrupted)
            cid = await self.worker.write(
                lambda store: store.get_message(latest).conversation_id, awaited=True
            )
            self.loader.show(cid)
        elif self._reopen in self.sidebar.model.ids() and self._untouched():
            self.loader.show(self._reopen)  # where the user left off, not an empty chat
        return report

    def _untouched(self) -> bool:
        """Whether the window still shows the new chat it opened with, nothing begun
        in it: a chat the user already picked or typed into is not taken away."""
        current = self.controller.current_chat
        record = self.persistence.records.get(current.id)
        stored = record is not None and record.conversation_id is not None
        return self.controller.is_untouched(current.id) and not stored and not self._typed()

    # ------------------------------------------------------------ the list

    def _on_model_rows_wanted(self, ids: object) -> None:
        if isinstance(ids, list):
            self.launcher.run(f"rows:{ids[0]}", self._read_rows(ids))

    async def _read_rows(self, ids: list[int]) -> None:
        rows = await self.worker.read(lambda store: store.summaries(ids))
        self.sidebar.model.set_rows(rows)

    def _show_streaming(self, *_args: object) -> None:
        records = self.persistence.records.values()
        self.sidebar.model.set_streaming(
            r.conversation_id
            for r in records
            if r.chat.answer is not None and r.conversation_id is not None
        )

    def _on_persistence_conversation_saved(self, summary: object) -> None:
        from rill.core.store import ConversationSummary  # loaded by then: it was saved

        if isinstance(summary, ConversationSummary) and summary.deleted_at is None:
            self.sidebar.model.upsert(summary)
            if summary.id == self.persistence.current.conversation_id:
                self.sidebar.select(summary.id)

    def _change(self, conversation_id: int, change: Callable[[Store], object]) -> None:
        """Apply ``change`` in the store, then show the conversation's new list line."""

        def job(store: Store) -> ConversationSummary | None:
            change(store)
            return summary_of(store, conversation_id)

        future = self.worker.write(job)
        future.add_done_callback(
            lambda f: (
                None
                if f.cancelled() or f.exception()
                else self._on_persistence_conversation_saved(f.result())
            )
        )

    def rename(self, conversation_id: int, title: str) -> None:
        """Give a conversation a new title."""
        self._change(
            conversation_id, lambda store: store.rename_conversation(conversation_id, title)
        )

    def pin(self, conversation_id: int, pinned: bool) -> None:
        """Pin a conversation to the top of the list, or unpin it."""
        self._change(conversation_id, lambda store: store.set_pinned(conversation_id, pinned))

    def delete_conversation(self, conversation_id: int) -> None:
        """Move a conversation to the trash, with Undo for ten seconds (and Ctrl+Z)."""
        summary = self.sidebar.model.summary(conversation_id)
        title = summary.title if summary is not None and summary.title else "Untitled"
        record = self.persistence.record_of(conversation_id)
        was_current = record is not None and record.chat is self.controller.current_chat
        if record is not None:
            if was_current:
                self.controller.stop()
                self.controller.new_chat()
            if self.controller.forget_chat(record.chat.id):  # not while its answer stops
                self.persistence.forget(record)
        self.worker.write(lambda store: store.delete_conversation(conversation_id))
        self.sidebar.model.remove(conversation_id)
        undo = partial(self._restore, conversation_id, was_current)
        self.bar.offer(f"Deleted “{_short(title)}”", "Undo", undo)

    def _restore(self, conversation_id: int, reopen: bool) -> None:
        self._change(conversation_id, lambda store: store.restore_conversation(conversation_id))
        if reopen:
            self.loader.show(conversation_id)

    # ------------------------------------------------------------ search

    def search(self, text: str) -> None:
        """Search every message off the UI thread; the newest search wins."""
        if text:
            self.launcher.run("search", self._search(text))
        else:
            self.launcher.cancel("search")

    async def _search(self, text: str) -> None:
        started = time.perf_counter()
        hits = await self.worker.read(lambda store: store.search(text, limit=SEARCH_LIMIT))
        self.sidebar.show_hits(text, hits)
        self.last_search_ms = (time.perf_counter() - started) * 1000

    def _on_sidebar_hit_activated(self, hit: object) -> None:
        from rill.core.store import SearchHit  # loaded by then: the store found it

        if isinstance(hit, SearchHit):
            self.loader.show(hit.conversation_id, reveal=hit.message_id)

    # ------------------------------------------------------------ turns

    def _on_view_turn_action_requested(self, action: str, index: int) -> None:
        if action == "regenerate":
            self.controller.regenerate(index)
        elif action == "edit":
            self.controller.begin_edit(index)
        elif action == "delete":
            self._confirm_delete_turn(index)

    def _confirm_delete_turn(self, index: int) -> None:
        history = self.controller.current_chat.session.history
        refusal = self.controller.busy_reason(self.controller.current_chat)
        if refusal is not None or not 0 <= index < len(history):
            self.controller.status_changed.emit(refusal or "There is no such message.")
            return
        text = f"Delete {_turn_and_after(history, index)}?"
        if self._has_versions(index):
            text += " Its other versions stay."
        self.bar.offer(
            text,
            "Delete",
            partial(self.loader.delete_turn, index),
            other_label="Cancel",
            timeout_ms=0,
        )

    def _has_versions(self, index: int) -> bool:
        message = self.controller.current_chat.session.history[index]
        return self.persistence.current.turn_info(message).versions > 1

    async def close(self) -> None:
        """Save what is pending and close the store."""
        await self.persistence.close()


def _first_page(
    store: Store,
) -> tuple[list[tuple[int, bool, float]], dict[int, ConversationSummary]]:
    keys = store.conversation_keys()
    return keys, store.summaries([k[0] for k in keys[:FIRST_PAGE]])


def _turn_and_after(history: list[Message], index: int) -> str:
    """ "your message and its answer", "this answer and the 3 messages after it"…"""
    what = "your message" if history[index].role is Role.USER else "this answer"
    later = history[index + 1 :]
    if not later:
        return what
    if len(later) > 1:
        return f"{what} and the {len(later)} messages after it"
    if history[index].role is Role.USER and later[0].role is Role.MODEL:
        return f"{what} and its answer"
    return f"{what} and the message after it"


def _short(title: str, limit: int = 40) -> str:
    return title if len(title) <= limit else title[: limit - 1] + "…"
