"""Keeps a chat session's history saved in the store while it grows.

A ``SessionRecorder`` follows a list of Messages (``ChatSession.history``): new turns
are added under the turn before them, and a turn that changed is rewritten, a
streaming answer at most once per ``interval``. Turns are recognised by identity, so
when a session drops a failed answer and retries, the new answer is stored as another
version beside the failed one: nothing the user saw disappears from the store.

It is synchronous and thread-safe enough for a ticker thread reading a history that
the event loop mutates: it copies the list first and only reads the messages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, SupportsIndex, overload

from rill.core.types import GenerationSettings, Message

if TYPE_CHECKING:  # imported by the caller: the CLI opens the store off its main thread
    from rill.core.store import Store


@dataclass(slots=True)
class _Saved:
    message: Message  # held so its id() cannot be reused by another object
    message_id: int
    fingerprint: Hashable
    written_at: float


def fingerprint(message: Message) -> Hashable:
    """Cheap to compute per tick: changes whenever a write would store something new."""
    last = message.parts[-1] if message.parts else None
    tail = len(last.text) if last is not None and last.text is not None else -1
    return (
        message.status,
        len(message.parts),
        tail,
        last.thought_signature if last is not None else None,
        message.usage,
        message.finish_reason,
        message.model_version,
        message.error,
        message.finished_at,
    )


class SessionRecorder:
    """Saves one conversation's turns as they happen.

    ``conversation_id`` None: a conversation is created (with ``provider`` and
    ``settings``) at the first turn, so a session that sends nothing leaves no trace.
    """

    def __init__(
        self,
        store: Store,
        conversation_id: int | None = None,
        *,
        provider: str = "",
        settings: GenerationSettings | None = None,
        interval: float = 1.0,
    ) -> None:
        self.store = store
        self.conversation_id = conversation_id
        self.provider = provider
        self.settings = settings
        self.interval = interval
        self._saved: dict[int, _Saved] = {}
        self._lock = threading.Lock()

    @classmethod
    def resume(
        cls, store: Store, conversation_id: int, *, interval: float = 1.0
    ) -> tuple[SessionRecorder, list[Message]]:
        """A recorder for a stored conversation and its selected path as Messages.

        Give the Messages to ``ChatSession(history=...)``: the recorder knows them, so
        only what the session adds or changes is written.
        """
        recorder = cls(store, conversation_id, interval=interval)
        history: list[Message] = []
        for stored in store.path(conversation_id):
            recorder.track(stored.message, stored.id)
            history.append(stored.message)
        return recorder, history

    def track(self, message: Message, message_id: int) -> None:
        """Declare ``message`` already stored as ``message_id``."""
        self._saved[id(message)] = _Saved(message, message_id, fingerprint(message), 0.0)

    def message_id(self, message: Message) -> int | None:
        """The store id of a turn this recorder saved (or was told about)."""
        saved = self._saved.get(id(message))
        return saved.message_id if saved is not None and saved.message is message else None

    def sync(self, history: Sequence[Message], *, force: bool = False) -> None:
        """Store what is new or changed in ``history`` (the selected path, in order).

        A streaming answer that changed is rewritten only when ``interval`` has passed
        since its last write, unless ``force`` or its status changed.
        """
        turns = list(history)  # one atomic copy: the list may grow while we write
        if not turns:
            return
        with self._lock:
            if self.conversation_id is None:
                self.conversation_id = self.store.create_conversation(
                    provider=self.provider, settings=self.settings
                )
            now = time.monotonic()
            parent: int | None = None
            for message in turns:
                saved = self._saved.get(id(message))
                if saved is None or saved.message is not message:
                    saved = self._add(message, parent, now)
                else:
                    self._refresh(saved, force, now)
                parent = saved.message_id

    def _add(self, message: Message, parent: int | None, now: float) -> _Saved:
        assert self.conversation_id is not None
        mark = fingerprint(message)  # before the write: a later change is seen next time
        message_id = self.store.add_message(self.conversation_id, message, parent)
        saved = _Saved(message, message_id, mark, now)
        self._saved[id(message)] = saved
        return saved

    def _refresh(self, saved: _Saved, force: bool, now: float) -> None:
        mark = fingerprint(saved.message)
        if mark == saved.fingerprint:
            return
        status_changed = not isinstance(saved.fingerprint, tuple) or (
            saved.fingerprint[0] != saved.message.status
        )
        if force or status_changed or now - saved.written_at >= self.interval:
            self.store.update_message(saved.message_id, saved.message)
            saved.fingerprint = mark
            saved.written_at = now


class WatchedHistory(list[Message]):
    """A history list that calls ``on_change`` around every change to it.

    Additions are reported after they happen (``on_change(False)``), removals before
    (``on_change(True)``): a user turn is saved before its request goes out, and an
    answer a retry is about to drop is saved before it goes. ``ChatSession.history``
    can be replaced by one of these.
    """

    def __init__(self, items: Iterable[Message], on_change: Callable[[bool], None]) -> None:
        super().__init__(items)
        self.on_change = on_change

    def append(self, item: Message) -> None:
        """Append and report a growing history."""
        super().append(item)
        self.on_change(False)

    def extend(self, items: Iterable[Message]) -> None:
        """Extend and report a growing history."""
        super().extend(items)
        self.on_change(False)

    def insert(self, index: SupportsIndex, item: Message) -> None:
        """Insert and report a growing history."""
        super().insert(index, item)
        self.on_change(False)

    def pop(self, index: SupportsIndex = -1) -> Message:
        """Report a shrinking history, then pop."""
        self.on_change(True)
        return super().pop(index)

    def remove(self, item: Message) -> None:
        """Report a shrinking history, then remove."""
        self.on_change(True)
        super().remove(item)

    def clear(self) -> None:
        """Report a shrinking history, then clear."""
        self.on_change(True)
        super().clear()

    def __delitem__(self, index: SupportsIndex | slice) -> None:
        self.on_change(True)
        super().__delitem__(index)

    @overload
    def __setitem__(self, index: SupportsIndex, item: Message) -> None: ...
    @overload
    def __setitem__(self, index: slice, item: Iterable[Message]) -> None: ...
    def __setitem__(self, index: Any, item: Any) -> None:
        self.on_change(True)
        super().__setitem__(index, item)
        self.on_change(False)


class Autosave:
    """A daemon thread that calls ``recorder.sync(history)`` every ``tick`` seconds.

    For callers whose streaming loop should not know about the store (the CLI): the
    partial answer reaches disk at least once a second however the chunks arrive.
    ``make_recorder`` runs in the thread after ``delay`` seconds (or at ``stop()``,
    if sooner): importing and opening the store then competes for the GIL with the
    network wait, not with the work of sending the request. A crash in that first
    moment loses at most ``delay`` seconds, the durability the app promises anyway.
    ``stop()`` ends the thread and does a final forced sync in the caller's thread.
    """

    def __init__(
        self,
        make_recorder: Callable[[], SessionRecorder],
        history: Sequence[Message],
        *,
        tick: float = 0.25,
        delay: float = 0.0,
    ) -> None:
        self.make_recorder = make_recorder
        self.history = history
        self.tick = tick
        self.delay = delay
        self.recorder: SessionRecorder | None = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rill-autosave", daemon=True)

    def start(self) -> Autosave:
        """Start the saving thread; returns self."""
        self._thread.start()
        return self

    def _run(self) -> None:
        self._stop.wait(self.delay)
        try:
            self.recorder = self.make_recorder()
        except Exception as error:  # reported by stop(); the chat itself goes on
            self.error = error
            return
        finally:
            self._ready.set()
        while not self._stop.is_set():
            self.sync_now()
            if self.error is not None or self._stop.wait(self.tick):
                return

    def sync_now(self, *, wait: bool = False) -> None:
        """Sync in the calling thread (a turn was added, or one is about to go).

        ``wait``: first wait (up to 10 s) for the store to open, for a change that
        would be lost otherwise. Never raises: a failure is kept for ``stop()``.
        """
        if wait:
            self._ready.wait(10.0)
        recorder = self.recorder
        if recorder is None or self.error is not None:
            return
        try:
            recorder.sync(self.history)
        except Exception as error:
            self.error = error

    def stop(self) -> SessionRecorder | None:
        """Stop ticking, write the final state and return the recorder.

        Raises what opening the store or a write raised.
        """
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self.error is not None:
            raise self.error
        if self.recorder is not None:
            self.recorder.sync(self.history, force=True)
        return self.recorder
