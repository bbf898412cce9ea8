"""Stored conversations into chats of the window: opening, versions, deletions, jumps.

Opening never waits for a whole conversation. The path's ids and its newest messages
come first and are shown; the older bodies follow in one more job and slide in
front, in the history and in the view alike, while the reader looks at the end. A
chat of 5,000 messages is on screen after the newest 80 are read. The last few chats
opened stay in memory, so switching back to one costs no store read at all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial

from PySide6.QtCore import QObject, Signal

from rill.core.tools import ChatGrants
from rill.core.types import Message
from rill.gui.common import TaskLauncher
from rill.gui.conversations import jobs
from rill.gui.conversations.persistence import ChatRecord, Persistence
from rill.gui.conversations.store_worker import StoreUnavailable
from rill.gui.transcript import ChatView

TAIL = 80  # messages read before a conversation is first shown
OLDER_CHUNK = 400  # messages per job for the rest (about 8 ms of decoding each)
KEEP_CHATS = 8  # idle chats kept in memory besides the one on screen
OPEN_TASK = "open-conversation"


class ConversationLoader(QObject):
    """Shows stored conversations and changes which path of one is shown.

    Signals:
        failed(str message): a conversation could not be opened or changed.
        settings_replaced(str message): an opened conversation's stored settings held
            values out of range, now replaced by their defaults; the lines naming them.
    """

    failed = Signal(str)
    settings_replaced = Signal(str)

    def __init__(
        self, persistence: Persistence, launcher: TaskLauncher, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.persistence = persistence
        self.controller = persistence.controller
        self.view: ChatView = persistence.view
        self.launcher = launcher

    # ------------------------------------------------------------ opening

    def show(self, conversation_id: int, reveal: int | None = None) -> None:
        """Show a stored conversation; ``reveal``: a message id to scroll to and flash."""
        record = self.persistence.record_of(conversation_id)
        if record is not None and reveal is None:
            self.controller.select_chat(record.chat.id)
            return
        self.launcher.run(OPEN_TASK, self._show(conversation_id, reveal))

    async def _show(self, conversation_id: int, reveal: int | None) -> None:
        record = self.persistence.record_of(conversation_id)
        try:
            if reveal is not None and not self._on_path(record, reveal):
                record = await self._select_elsewhere(record, conversation_id, reveal)
            if record is None:
                record = await self._load(conversation_id)
        except (LookupError, StoreUnavailable) as error:
            self.failed.emit(f"That conversation could not be opened ({error}).")
            return
        self.controller.select_chat(record.chat.id)
        if reveal is not None:
            if record.loading is not None:
                await asyncio.wait({record.loading})
            index = self._index_of(record, reveal)
            if index is not None and self.controller.current_chat is record.chat:
                self.view.reveal(index)

    async def _load(self, conversation_id: int) -> ChatRecord:
        ledger = jobs.Ledger()
        job = partial(
            jobs.open_conversation, ledger=ledger, conversation_id=conversation_id, tail=TAIL
        )
        opened = await self.persistence.worker.write(job, awaited=True)
        assert isinstance(opened, jobs.Opened)
        settings = opened.conversation.settings
        if opened.conversation.notes:
            self.settings_replaced.emit(" ".join(opened.conversation.notes))
        if not settings.model:  # saved before a model was known: today's default
            settings = replace(settings, model=self.controller.defaults.model)
        chat = self.controller.adopt_chat([], settings)
        pairs = [list(pair) for pair in opened.conversation.tool_grants]
        chat.grants = ChatGrants.from_list(pairs)  # "Allow in this chat", as stored
        record = ChatRecord(chat, ledger, conversation_id)
        self.persistence.records[chat.id] = record
        for saved in opened.tail:
            record.remember(saved)
        chat.session.history = self.persistence.watched(record, [s.message for s in opened.tail])
        older = opened.path_ids[: len(opened.path_ids) - len(opened.tail)]
        if older:
            record.loading = asyncio.get_running_loop().create_future()
            self.launcher.run(f"load-older:{chat.id}", self._load_older(record, older))
        self._evict()
        return record

    async def _load_older(self, record: ChatRecord, ids: list[int]) -> None:
        """Read the rest of the path, newest first, and put it in front of what is shown.

        It starts once the first screen is painted and goes a few hundred messages per
        job: decoding bodies holds the GIL, and a UI thread that waits for it at every
        call into Qt would paint that first screen ten times later.
        """
        try:
            if self.controller.current_chat is record.chat:
                await self._painted()
            end = len(ids)
            while end > 0:
                start = max(0, end - OLDER_CHUNK)
                job = partial(jobs.load, ledger=record.ledger, ids=ids[start:end])
                self._prepend(record, await self.persistence.worker.write(job, awaited=True))
                end = start
        finally:
            if record.loading is not None and not record.loading.done():
                record.loading.set_result(None)
            record.loading = None

    def _prepend(self, record: ChatRecord, saved: Sequence[jobs.Saved]) -> None:
        for item in saved:
            record.remember(item)
        older = [item.message for item in saved]
        history = record.chat.session.history
        first = history[0] if history else None
        # Not history[0:0] = …: these are stored already, there is nothing to write.
        list.__setitem__(history, slice(0, 0), older)
        if self.controller.current_chat is record.chat and self.view.first_message() is first:
            self.view.prepend_messages(older)

    async def _painted(self, limit: float = 0.25) -> None:
        """Wait for the chat pane's next paint (at most ``limit`` seconds)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def on_painted() -> None:
            if not future.done():
                future.set_result(None)

        self.view.surface.viewport_painted.connect(on_painted)
        try:
            await asyncio.wait({future}, timeout=limit)
        finally:
            self.view.surface.viewport_painted.disconnect(on_painted)

    def _evict(self) -> None:
        """Forget idle chats beyond KEEP_CHATS, least recently shown first."""
        idle = [
            r
            for r in self.persistence.records.values()
            if r.chat is not self.controller.current_chat
            and r.chat.answer is None
            and r.loading is None
            and (r.last_write is None or r.last_write.done())
        ]
        idle.sort(key=lambda r: r.used)
        for record in idle[: max(0, len(idle) - KEEP_CHATS)]:
            if self.controller.forget_chat(record.chat.id):
                self.persistence.forget(record)

    # ------------------------------------------------------------ search hits

    def _on_path(self, record: ChatRecord | None, store_id: int) -> bool:
        return record is not None and (
            record.loading is not None or self._index_of(record, store_id) is not None
        )

    def _index_of(self, record: ChatRecord, store_id: int) -> int | None:
        history = record.chat.session.history
        return next((i for i, m in enumerate(history) if record.store_id(m) == store_id), None)

    async def _select_elsewhere(
        self, record: ChatRecord | None, conversation_id: int, store_id: int
    ) -> ChatRecord | None:
        """Make a hit on another version part of the path (the store's selection)."""
        if record is None:
            await self.persistence.worker.write(
                lambda store: store.select_version(store_id), awaited=True
            )
            return None
        if record.chat.answer is not None:
            return record  # it streams: show it as it is
        job = partial(jobs.select_message, ledger=record.ledger, store_id=store_id)
        saved = await self.persistence.worker.write(job, awaited=True)
        self._apply(record, [], saved)
        return record

    # ------------------------------------------------------------ versions and deletions

    def switch_version(self, index: int, version: int) -> None:
        """Show version ``version`` of message ``index`` of the chat on screen."""
        record = self.persistence.current
        self.launcher.run(f"path:{record.chat.id}", self._change(record, index, version))

    def delete_turn(self, index: int) -> None:
        """Delete message ``index`` of the chat on screen and the turns after it."""
        record = self.persistence.current
        self.launcher.run(f"path:{record.chat.id}", self._change(record, index, None))

    async def _change(self, record: ChatRecord, index: int, version: int | None) -> None:
        refusal = self.controller.busy_reason(record.chat)
        if refusal is not None:
            self.controller.status_changed.emit(refusal)
            return
        if record.loading is not None:
            await asyncio.wait({record.loading})
        history = record.chat.session.history
        if not 0 <= index < len(history):
            return
        store_id = record.store_id(history[index])
        if store_id is None:  # never stored (no store): only a deletion makes sense
            if version is None:
                self._apply(record, history[:index], [])
            return
        if version is None:
            job = partial(jobs.delete_turn, ledger=record.ledger, store_id=store_id, start=index)
        else:
            job = partial(
                jobs.switch_version,
                ledger=record.ledger,
                store_id=store_id,
                version=version,
                start=index,
            )
        saved = await self.persistence.worker.write(job, awaited=True)
        self._apply(record, history[:index], saved)
        if version is None:
            self.persistence.refresh_summary(record)

    def _apply(
        self, record: ChatRecord, kept: Sequence[Message], saved: Sequence[jobs.Saved]
    ) -> None:
        """Make ``kept`` + ``saved`` the chat's history (and the view's, when shown)."""
        for item in saved:
            record.remember(item)
        messages = [*kept, *(item.message for item in saved)]
        record.used = time.monotonic()
        self.controller.replace_history(record.chat.id, self.persistence.watched(record, messages))
