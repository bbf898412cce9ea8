"""The ChatController's actions on turns already sent, as a mixin of the controller.

Regenerate an answer, edit a user turn and send it again, show another path of a chat
(a version switched, a turn deleted), adopt and forget chats loaded from the store.
The session cuts its history back (``ChatSession.regenerate_stream`` and
``edit_and_resend_stream``); the view keeps what the old and new paths share, so only
what changed is rendered again. Kept apart from ``controller`` (streaming, flushing)
so each module stays readable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rill.core.types import Chunk, GenerationSettings, Message, Part, Role
from rill.gui.chat.state import AnswerView, Chat

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance


@dataclass(frozen=True)
class Work:
    """An answer's task body, and the session call inside it (non-streaming only)."""

    coro: Coroutine[Any, Any, None]
    call: Coroutine[Any, Any, Message] | None = None


class TurnActions:
    """Mixed into ``ChatController``, which provides what is declared below."""

    _chats: dict[int, Chat]
    _status: dict[int, str]
    _current: Chat
    _view: AnswerView

    if TYPE_CHECKING:
        status_changed: SignalInstance
        editing_changed: SignalInstance

        def _make_chat(self) -> Chat: ...
        def _consume(
            self, chat: Chat, chunks: AsyncIterator[Chunk]
        ) -> Coroutine[Any, Any, None]: ...
        def _await_answer(
            self, chat: Chat, pending: Coroutine[Any, Any, Message]
        ) -> Coroutine[Any, Any, None]: ...
        def _start(self, chat: Chat, answer: Message, work: Work) -> None: ...

    # ------------------------------------------------------------ chats from the store

    def adopt_chat(self, history: list[Message], settings: GenerationSettings) -> Chat:
        """A chat for a conversation loaded from the store (not shown: select_chat)."""
        chat = self._make_chat()
        chat.session.history = history
        chat.session.settings = settings
        return chat

    def forget_chat(self, chat_id: int) -> bool:
        """Drop an idle chat from memory (the store keeps it); False if it is in use."""
        chat = self._chats.get(chat_id)
        if chat is None or chat is self._current or chat.answer is not None:
            return False
        del self._chats[chat_id]
        self._status.pop(chat_id, None)
        # The session's retry callback refers back to the chat: without this cycle a
        # chat of thousands of messages is freed at once, not by a long GC pass later.
        chat.session.on_retry = None
        return True

    def chat(self, chat_id: int) -> Chat | None:
        """The open chat ``chat_id`` (None when it is not open)."""
        return self._chats.get(chat_id)

    def replace_history(self, chat_id: int, history: list[Message]) -> bool:
        """Show another path of a chat (a version switched, a turn deleted).

        The view keeps what the old and new paths share. False while it streams.
        """
        chat = self._chats[chat_id]
        if chat.answer is not None:
            return False
        chat.session.history = history
        if chat is self._current:
            self.cancel_edit()
            self._view.set_messages(history)
        return True

    def busy_reason(self, chat: Chat) -> str | None:
        """Why a turn of ``chat`` cannot change now, or None."""
        return "Stop the answer first." if chat.answer is not None else None

    # ------------------------------------------------------------ regenerate

    def regenerate(self, index: int) -> bool:
        """Answer again the user turn that message ``index`` (an answer) replies to.

        The old answer stays in the store as another version; later turns leave the
        history (they stay on their branch). False when that cannot be done now.
        """
        chat, session = self._current, self._current.session
        refusal = self.busy_reason(chat)
        if refusal is None and not 0 <= index < len(session.history):
            refusal = "There is no such answer."
        try:
            if refusal is not None:
                raise ValueError(refusal)
            target = session.history[index]
            if session.settings.stream:
                work = Work(self._consume(chat, session.regenerate_stream(target)))
            else:
                call = session.regenerate(target)
                work = Work(self._await_answer(chat, call), call)
        except ValueError as error:
            self.status_changed.emit(str(error))
            return False
        self.cancel_edit()
        self._view.set_messages(session.history[:-1])
        self._start(chat, session.history[-1], work)
        return True

    # ------------------------------------------------------------ edit and resend

    def begin_edit(self, index: int) -> bool:
        """Make the next Send replace user turn ``index`` of the current chat."""
        chat = self._current
        history = chat.session.history
        refusal = self.busy_reason(chat)
        if refusal is None and not (0 <= index < len(history) and history[index].role is Role.USER):
            refusal = "Only your own messages can be edited."
        if refusal is not None:
            self.status_changed.emit(refusal)
            return False
        chat.editing = history[index]
        self.editing_changed.emit(index)
        return True

    def cancel_edit(self) -> None:
        """Send adds a new turn again."""
        if self._current.editing is not None:
            self._current.editing = None
            self.editing_changed.emit(-1)

    def _request_edit(self, chat: Chat, editing: Message, parts: list[Part]) -> Work:
        """Record ``parts`` in place of user turn ``editing`` (ValueError if it is gone);
        the view drops the old turn and what followed, the caller adds the new one."""
        session = chat.session
        if session.settings.stream:
            work = Work(self._consume(chat, session.edit_and_resend_stream(editing, parts)))
        else:
            call = session.edit_and_resend(editing, parts)
            work = Work(self._await_answer(chat, call), call)
        if chat is self._current:
            self._view.set_messages(session.history[:-2])
        chat.editing = None
        self.editing_changed.emit(-1)
        return work
