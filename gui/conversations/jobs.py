"""What the window asks of the conversation store, as jobs for the store's writer thread.

Qt-free and synchronous: each function runs on ``StoreWorker``'s writer thread and
returns plain results the UI thread applies. A chat's ``SessionRecorder`` (which
turns of its history are stored, under which ids) lives in a :class:`Ledger` touched
only here, on that one thread, so it needs no lock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rill.core.recorder import SessionRecorder
from rill.core.types import GenerationSettings, Message

if TYPE_CHECKING:
    from rill.core.store import Conversation, ConversationSummary, Store, StoredMessage

# A streaming answer is written at most this often: with the UI's 250 ms tick, the
# partial answer reaches the disk at least once a second.
PARTIAL_INTERVAL_S = 0.75


@dataclass(frozen=True, slots=True)
class Saved:
    """A message the store holds: its id and its place among its versions."""

    message: Message
    store_id: int
    version: int
    versions: int


@dataclass(eq=False)
class Ledger:
    """One chat's recorder and the Message objects it knows by store id (writer thread)."""

    recorder: SessionRecorder | None = None
    by_id: dict[int, Message] = field(default_factory=dict)
    settings: GenerationSettings | None = None  # as last written to the conversation

    def recorder_for(self, store: Store, conversation_id: int | None) -> SessionRecorder:
        """The chat's recorder, made on first use."""
        if self.recorder is None:
            self.recorder = SessionRecorder(store, conversation_id, interval=PARTIAL_INTERVAL_S)
        return self.recorder

    def track(self, store: Store, stored: StoredMessage) -> Saved:
        """Reuse the Message already known for ``stored`` (so a view keeps what it shows)."""
        message = self.by_id.get(stored.id)
        if message is None:
            message = self.by_id[stored.id] = stored.message
            self.recorder_for(store, stored.conversation_id).track(message, stored.id)
        return Saved(message, stored.id, stored.version, stored.versions)


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What a sync wrote: the conversation (new or not), the turns added, the list line."""

    conversation_id: int | None
    created: bool
    added: list[Saved]
    summary: ConversationSummary | None


@dataclass(frozen=True, slots=True)
class Opened:
    """A conversation as first shown: its settings, the path's ids, the newest bodies."""

    conversation: Conversation
    path_ids: list[int]
    tail: list[Saved]


def sync(
    store: Store,
    ledger: Ledger,
    snapshot: Sequence[Message],
    *,
    settings: GenerationSettings,
    provider: str,
    force: bool = False,
) -> SyncResult:
    """Store what is new or changed in ``snapshot`` (a chat's history, as it was).

    The first turn of a new chat creates its conversation with ``settings``.
    """
    recorder = ledger.recorder_for(store, None)
    recorder.settings, recorder.provider = settings, provider
    created = recorder.conversation_id is None
    fresh = [m for m in snapshot if recorder.message_id(m) is None]
    recorder.sync(snapshot, force=force)
    added: list[Saved] = []
    for message in fresh:
        store_id = recorder.message_id(message)
        if store_id is None:
            continue
        ledger.by_id[store_id] = message
        versions = store.siblings(store_id)
        added.append(Saved(message, store_id, versions.index(store_id) + 1, len(versions)))
    cid = recorder.conversation_id
    if cid is not None and ledger.settings != settings:
        # With every turn, so a chat's settings are on disk with its first words.
        if not created:
            store.update_settings(cid, settings, provider=provider or None)
        ledger.settings = settings
    wanted = cid is not None and (bool(added) or force)
    summary = store.summaries([cid]).get(cid) if wanted and cid is not None else None
    return SyncResult(cid, created and cid is not None, added, summary)


def open_conversation(store: Store, ledger: Ledger, conversation_id: int, tail: int) -> Opened:
    """The conversation's settings, its path's ids and the last ``tail`` bodies."""
    conversation = store.get_conversation(conversation_id)
    ids = store.path_ids(conversation_id)
    ledger.recorder_for(store, conversation_id)
    ledger.settings = conversation.settings
    shown = [ledger.track(store, s) for s in store.get_messages(ids[-tail:] if tail else [])]
    return Opened(conversation, ids, shown)


def load(store: Store, ledger: Ledger, ids: Sequence[int]) -> list[Saved]:
    """Bodies for ``ids`` (the rest of a path that opened with its tail only)."""
    return [ledger.track(store, s) for s in store.get_messages(ids)]


def switch_version(
    store: Store, ledger: Ledger, store_id: int, version: int, start: int
) -> list[Saved]:
    """Select version ``version`` (1-based) of message ``store_id``, which sits at path
    index ``start``; returns the new path from there on."""
    siblings = store.siblings(store_id)
    target = siblings[max(0, min(version, len(siblings)) - 1)]
    return load(store, ledger, store.select_version(target)[start:])


def select_message(store: Store, ledger: Ledger, store_id: int) -> list[Saved]:
    """Put message ``store_id`` on its conversation's path (a search hit on another
    version); returns the whole new path."""
    return load(store, ledger, store.select_version(store_id))


def delete_turn(store: Store, ledger: Ledger, store_id: int, start: int) -> list[Saved]:
    """Delete message ``store_id`` (path index ``start``) and the turns after it; the
    version beside it, if any, takes its place. Returns the new path from ``start``."""
    conversation_id = store.get_message(store_id).conversation_id
    store.delete_message(store_id)
    remaining = set(store.all_message_ids(conversation_id))
    for gone in [i for i in ledger.by_id if i not in remaining]:
        del ledger.by_id[gone]
    return load(store, ledger, store.path_ids(conversation_id)[start:])


def summaries(store: Store, ids: Sequence[int]) -> Mapping[int, ConversationSummary]:
    """List rows of ``ids`` (store thread)."""
    return store.summaries(ids)
