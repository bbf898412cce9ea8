"""ChatController: the chats of this window and their streaming tasks.

It owns one ``ChatSession`` per chat and the tasks that feed them. An answer's text
grows in its ``Message`` only (the session absorbs each chunk); the view follows the
answer of the chat on screen (``begin_answer``) and takes what it gained once per
display frame, until ``finish_answer``. No widget is awaited here; the view is only called from the
UI thread.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Coroutine, Sequence
from contextlib import aclosing
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Signal

from rill.core.chat import ChatSession, clean_text
from rill.core.errors import RillError
from rill.core.providers import MissingProvider, Provider
from rill.core.retry import RetryNotice, RetryPolicy, env_policy
from rill.core.tools import ServerState
from rill.core.types import (
    Chunk,
    GenerationSettings,
    Message,
    MessageStatus,
    Part,
)
from rill.gui.chat.controller_turns import TurnActions
from rill.gui.chat.controller_turns import Work as _Work
from rill.gui.chat.state import (  # AnswerView is part of this module's interface
    NEW_CHAT_TITLE,
    AnswerView,
    Chat,
    chat_title,
    final_status,
    retry_after,
)
from rill.gui.chat.tool_host import ToolHost
from rill.gui.chat.turn_attachments import (
    Outgoing,
    image_limits,
    needs_work,
    processing_status,
    turn_parts,
    upload_status,
)
from rill.gui.common import TaskLauncher

log = logging.getLogger(__name__)
READY = "Ready."
STREAMING = "Streaming…"
PREPARE_TASK = "prepare-turn"  # + ":<chat id>": a turn's images being readied/uploaded


class ChatController(QObject, TurnActions):
    """Sends turns, streams answers into the view, stops and retries them.

    It answers with the provider it is given (:meth:`set_provider`); choosing, building
    and keying providers, and their model lists, belong to
    ``rill.gui.providers.ProviderManager``.

    Signals:
        chat_added(int chat_id, str title): a new chat exists (and is now current).
        chat_renamed(int chat_id, str title): its first message gave it a title.
        current_chat_changed(int chat_id): the view now shows this chat.
        streaming_changed(bool streaming): the current chat started/ended an answer.
        turn_recorded(int chat_id): the user turn is in the history; the input may clear.
        answer_started(int chat_id): an answer of that chat began, shown or not (for
            whatever must follow every answer in flight, such as saving it).
        send_refused(str reason): nothing was sent; the typed text must stay.
        turn_refused(int chat_id, str reason): the same for a turn whose images were
            going out in a chat no longer on screen (its input went with that chat).
        answer_finished(int chat_id, object message): an answer reached its final
            state (COMPLETE, STOPPED, FAILED or BLOCKED); ``message`` is the Message.
        retry_scheduled(str text, float seconds): an automatic retry waits this long,
            or the server asked to wait this long before a manual Retry.
        status_changed(str text): one line for the status bar ("Streaming…").
        settings_changed(object settings): the current chat's GenerationSettings.
        chat_settings_changed(int chat_id, object settings): a chat's settings were set
            (by the user or by filling in the default model); for saving them.
        editing_changed(int index): the current chat's user turn ``index`` is being
            edited (Send replaces it and what followed), or -1 for none.
        upload_progressed(object attachment, int sent, int total): an attachment
            handed to :meth:`send` is going through the Files API.
    """

    chat_added = Signal(int, str)
    chat_renamed = Signal(int, str)
    current_chat_changed = Signal(int)
    streaming_changed = Signal(bool)
    turn_recorded = Signal(int)
    answer_started = Signal(int)
    send_refused = Signal(str)
    turn_refused = Signal(int, str)
    answer_finished = Signal(int, object)
    retry_scheduled = Signal(str, float)
    status_changed = Signal(str)
    settings_changed = Signal(object)
    chat_settings_changed = Signal(int, object)
    editing_changed = Signal(int)
    upload_progressed = Signal(object, int, int)

    def __init__(
        self,
        view: AnswerView,
        launcher: TaskLauncher,
        defaults: GenerationSettings,
        provider: Provider | None = None,
        parent: QObject | None = None,
        *,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        super().__init__(parent)
        # RILL_MAX_ATTEMPTS applies to the window as to the CLI (retry.env_policy).
        self._retry_policy = retry_policy or env_policy()[0]
        self._view = view
        self._launcher = launcher
        self._defaults = defaults
        self._provider: Provider = provider or MissingProvider()
        self._chats: dict[int, Chat] = {}
        # Each chat's own status line ("Streaming…", "Stopped."): shown when it is.
        self._status: dict[int, str] = {}
        self._next_id = 1
        # Awaited before the provider is used: one may be on its way (the provider
        # manager building it off the UI thread); answers started meanwhile wait.
        self.provider_gate: Callable[[], Awaitable[None]] | None = None
        # Awaited before a request leaves (the store saving the user turn first).
        self.request_gate: Callable[[Chat], Awaitable[None]] | None = None
        self._shutdown_hooks: list[Callable[[], Awaitable[None]]] = []
        # Tools from MCP servers each answer offers (None: none; the window sets it).
        self.tool_host: ToolHost | None = None
        self._current: Chat = self._make_chat()
        self.image_limits = image_limits()

    # ------------------------------------------------------------ state

    @property
    def has_provider(self) -> bool:
        """Whether answers can be sent (not the stand-in for a missing key)."""
        return not isinstance(self._provider, MissingProvider)

    @property
    def provider(self) -> Provider:
        """The provider every chat answers with."""
        return self._provider

    @property
    def launcher(self) -> TaskLauncher:
        """Runs this window's tasks (``task_failed`` reports one that crashed)."""
        return self._launcher

    @property
    def current_chat(self) -> Chat:
        """The chat on screen."""
        return self._current

    @property
    def chats(self) -> list[Chat]:
        """Every open chat."""
        return list(self._chats.values())

    @property
    def is_streaming(self) -> bool:
        """Whether the current chat has an answer in flight."""
        return self._current.answer is not None

    @property
    def is_busy(self) -> bool:
        """Whether the current chat has an answer in flight or a turn's images going
        out: Send is Stop (``streaming_changed`` follows this)."""
        return self._busy(self._current)

    def is_untouched(self, chat_id: int) -> bool:
        """Whether chat ``chat_id`` has no turn yet and nothing going out (a new chat)."""
        chat = self._chats.get(chat_id)
        return chat is not None and not chat.session.history and not self._busy(chat)

    def _busy(self, chat: Chat) -> bool:
        return chat.answer is not None or self._launcher.is_running(_prepare_task(chat))

    @property
    def settings(self) -> GenerationSettings:
        """The generation settings of the chat on screen."""
        return self._current.session.settings

    @property
    def defaults(self) -> GenerationSettings:
        """The settings a new chat starts with."""
        return self._defaults

    # ------------------------------------------------------------ chats

    def _make_chat(self) -> Chat:
        session = ChatSession(self._provider, self._defaults, retry_policy=self._retry_policy)
        chat = Chat(self._next_id, session)
        session.on_retry = lambda notice: self._on_session_retry(chat, notice)
        self._chats[chat.id] = chat
        self._next_id += 1
        return chat

    def new_chat(self) -> int:
        """Start an empty chat with the default settings and show it; returns its id.

        The current chat, if still empty (and not sending its first turn's images), is
        reused instead of piling up blank chats.
        """
        if not self._current.session.history and not self.is_busy:
            self._current.session.settings = self._defaults
            self.settings_changed.emit(self._defaults)
            return self._current.id
        chat = self._make_chat()
        self.chat_added.emit(chat.id, chat.title)
        self.select_chat(chat.id)
        return chat.id

    def select_chat(self, chat_id: int) -> None:
        """Show chat ``chat_id`` in the view, including an answer still streaming."""
        chat = self._chats[chat_id]
        was_busy = self.is_busy
        self.cancel_edit()
        self._current = chat
        answer = chat.answer
        history = chat.session.history
        if answer is None:
            self._view.set_messages(history)
        else:
            self._view.set_messages([m for m in history if m is not answer])
            self._view.begin_answer(answer)  # (all it holds so far, at once)
        self.current_chat_changed.emit(chat.id)
        self.settings_changed.emit(chat.session.settings)
        if was_busy != self.is_busy:
            self.streaming_changed.emit(self.is_busy)
        # The status line is the shown chat's, not that of an answer going on elsewhere.
        self.status_changed.emit(self._status.get(chat.id, READY))
        if answer is None:
            self._show_wait(chat)

    def set_settings(self, settings: GenerationSettings) -> None:
        """The current chat's settings from now on (an answer in flight keeps its own)."""
        self._current.session.settings = settings
        self.chat_settings_changed.emit(self._current.id, settings)

    def set_defaults(self, settings: GenerationSettings) -> None:
        """Settings new chats start from (after "use as default")."""
        self._defaults = settings

    # ------------------------------------------------------------ the provider

    def set_provider(
        self, provider: Provider, model: str | None = None, stale: Collection[str] = ()
    ) -> None:
        """Answer with ``provider`` from each chat's next request on (closing the old one
        is for whoever made it).

        With ``model``, model ids that meant something only to the old provider give way
        to it: the defaults, and each chat whose model is empty or one of ``stale`` (the
        old provider's list) with no answer in flight. A model the user chose that the
        old provider did not list (a chat from the store) stays.
        """
        if model is not None:
            old = {*stale, self._defaults.model}
            self._defaults = replace(self._defaults, model=model)
            for chat in self._chats.values():
                current = chat.session.settings.model
                if not current or (chat.answer is None and current in old):
                    chat.session.settings = replace(chat.session.settings, model=model)
                    self.chat_settings_changed.emit(chat.id, chat.session.settings)
            self.settings_changed.emit(self.settings)
        self._provider = provider
        for chat in self._chats.values():
            chat.session.provider = provider

    async def _wait_for_provider(self) -> None:
        if self.provider_gate is not None:
            await self.provider_gate()

    # ------------------------------------------------------------ sending

    def send(self, text: str, attachments: Sequence[Outgoing] = ()) -> bool:
        """Record a user turn in the current chat and start its answer.

        Images still being prepared are awaited first, and those the request cannot
        carry inline are uploaded (``upload_progressed``); Stop cancels that, and the
        turn is recorded only once its parts are ready. Returns False (and emits
        ``send_refused``) when nothing was recorded or started: an answer is still
        streaming, or there is neither text nor an attachment. Lone surrogates in
        ``text`` (only programmatic text has them: a QString drops them) are removed.
        """
        text = clean_text(text)
        chat = self._current
        if self._busy(chat):
            self.send_refused.emit("An answer is still coming; stop it before sending.")
            return False
        if needs_work(attachments):
            prepare = self._prepare_turn(chat, text, list(attachments))
            self._launcher.run(_prepare_task(chat), prepare)
            self.streaming_changed.emit(True)  # Send becomes Stop while images go out
            return True
        return self._record(chat, text, [a for a in attachments if isinstance(a, Part)])

    def _record(self, chat: Chat, text: str, attachments: Sequence[Part]) -> bool:
        parts: list[Part] = list(attachments)
        if text.strip():
            parts.append(Part.from_text(text))
        try:
            work = self._request(chat, parts)
        except ValueError as error:
            self._refuse(chat, str(error))
            return False
        user, answer = chat.session.history[-2], chat.session.history[-1]
        self._name_chat(chat, user)
        self.turn_recorded.emit(chat.id)
        if chat is self._current:
            self._view.add_user_message(user)
        self._start(chat, answer, work)
        return True

    def _refuse(self, chat: Chat, reason: str) -> None:
        if chat is self._current:
            self.send_refused.emit(reason)
        else:  # its input went with it (a draft): say so where it will be seen
            self.turn_refused.emit(chat.id, reason)

    async def _prepare_turn(self, chat: Chat, text: str, attachments: list[Outgoing]) -> None:
        """Wait for the images, upload what must go through the Files API, then record.

        Each chat prepares its own turn: another chat can send, stop or be shown
        meanwhile, and Stop there does not touch this one.
        """
        self._set_status(chat, "Preparing attachments…")
        parts: list[Part] | None = None
        try:
            await self._wait_for_provider()
            history = chat.session.curated_history()
            parts = await turn_parts(
                attachments,
                self._provider,
                self.image_limits,
                history,
                lambda attachment, sent, total: self._on_upload(chat, attachment, sent, total),
                lambda attachment, seconds: self._on_processing(chat, attachment, seconds),
            )
        except RillError as error:  # AttachmentError names the file; the input keeps all
            self._refuse(chat, str(error))
            self._set_status(chat, "Not sent.")
        except asyncio.CancelledError:
            self._set_status(chat, "Stopped; nothing was sent.")
            raise
        finally:
            if parts is None and chat is self._current:
                self.streaming_changed.emit(False)  # this task is ending: Stop is Send
        if parts is not None and not self._record(chat, text, parts) and chat is self._current:
            self.streaming_changed.emit(False)

    def _on_upload(self, chat: Chat, attachment: object, sent: int, total: int) -> None:
        self.upload_progressed.emit(attachment, sent, total)
        name = getattr(attachment, "name", "the image")
        self._set_status(chat, upload_status(str(name), sent, total))

    def _on_processing(self, chat: Chat, attachment: object, seconds: float) -> None:
        name = getattr(attachment, "name", "the file")
        self._set_status(chat, processing_status(str(name), seconds))

    def retry(self) -> bool:
        """Send the current chat's last user turn again after a failed answer."""
        chat = self._current
        if chat.answer is not None:
            return False
        try:
            work = self._request(chat, None)
        except ValueError as error:
            self.status_changed.emit(str(error))
            return False
        history = chat.session.history
        # The failed answer left the history; show the conversation without it.
        self._view.set_messages(history[:-1])
        self._start(chat, history[-1], work)
        return True

    def _request(self, chat: Chat, parts: list[Part] | None) -> _Work:
        """Record the turn (``parts``; None = retry the last) and return the work to run.

        Raises ValueError when there is nothing to send or to retry.
        """
        session = chat.session
        editing = chat.editing
        if editing is not None and parts is not None:
            return self._request_edit(chat, editing, parts)
        if session.settings.stream:
            if parts is None:
                return _Work(self._consume(chat, session.retry_stream()))
            return _Work(self._consume(chat, session.send_message_stream(parts)))
        call = session.send_message(parts) if parts is not None else session.retry()
        return _Work(self._await_answer(chat, call), call)

    def stop(self) -> None:
        """Stop the current chat's answer (what arrived stays, marked stopped), or the
        images of a turn still going out (nothing is recorded; the input keeps them)."""
        if self._current.answer is not None:
            self._launcher.cancel(self._current.task_name)
        else:
            self._launcher.cancel(_prepare_task(self._current))

    def _start(self, chat: Chat, answer: Message, work: _Work) -> None:
        chat.answer = answer
        chat.retry_after = chat.retry_until = None
        task = self._launcher.run(chat.task_name, work.coro)

        # A done-callback, not a `finally`: a task cancelled before its first step
        # never runs its body, and the answer must still be closed as stopped.
        def on_done(_task: asyncio.Task[None]) -> None:
            if work.call is not None:
                work.call.close()  # never started: closing it keeps Python from warning
            self._finish(chat, answer)

        task.add_done_callback(on_done)
        self.answer_started.emit(chat.id)
        if chat is self._current:
            self._view.begin_answer(answer)
            self.streaming_changed.emit(True)
        self._set_status(chat, f"Waiting for {answer.model or 'the model'}…")

    async def _consume(self, chat: Chat, chunks: AsyncIterator[Chunk]) -> None:
        streaming_reported = False
        await self._wait_for_provider()  # the session reads its provider only now
        if self.request_gate is not None:
            await self.request_gate(chat)
        await self._offer_tools(chat)
        try:
            async with aclosing(chunks):  # type: ignore[type-var]
                async for chunk in chunks:  # the session has the answer absorb each one
                    if not streaming_reported and chunk.parts:
                        streaming_reported = True
                        self._set_status(chat, STREAMING)
        except RillError as error:
            chat.retry_after = retry_after(error)

    async def _await_answer(self, chat: Chat, pending: Coroutine[Any, Any, Message]) -> None:
        try:
            await self._wait_for_provider()
            if self.request_gate is not None:
                await self.request_gate(chat)
            await self._offer_tools(chat)
            await pending
        except RillError as error:
            chat.retry_after = retry_after(error)
        finally:
            pending.close()  # cancelled while waiting: no "never awaited" warning

    async def _offer_tools(self, chat: Chat) -> None:
        """Give ``chat``'s session the tools its answer offers, starting their servers
        first (a tool layer's failure leaves the answer without tools, never ends it)."""
        host = self.tool_host
        wanted = host.wanted() if host is not None else []
        if host is None or not wanted:
            chat.session.tools = None
            return
        starting = any(host.status(name).state is not ServerState.READY for name in wanted)
        if starting:
            self._set_status(chat, "Starting tool servers…")
        try:
            chat.session.tools = await host.loop_for(chat)
        except Exception:
            log.exception("the tools for an answer could not be prepared")
            chat.session.tools = None
            host.servers_failed.emit("The tools from servers could not be prepared (see the log).")
        if starting:
            self._set_status(chat, f"Waiting for {chat.session.settings.model or 'the model'}…")

    def _finish(self, chat: Chat, answer: Message) -> None:
        if chat.answer is not answer:
            return
        if answer.status in (MessageStatus.PENDING, MessageStatus.STREAMING):
            # Cancelled before the session saw it (e.g. Stop before the first step).
            answer.status = MessageStatus.STOPPED
            answer.finished_at = time.monotonic()
        chat.answer = None
        if chat.session.tools is not None:
            chat.grants = chat.session.tools.grants
        if chat.retry_after:
            chat.retry_until = time.monotonic() + chat.retry_after
        if chat is self._current:
            self._view.finish_answer(answer)  # (with what came since the last frame)
            self._show_wait(chat)
            self.streaming_changed.emit(False)
        self._set_status(chat, final_status(answer))
        self.answer_finished.emit(chat.id, answer)

    def _show_wait(self, chat: Chat) -> None:
        """The countdown the server asked for, if it is still running (also for a chat
        shown again after failing off screen)."""
        if chat.retry_until is None:
            return
        left = chat.retry_until - time.monotonic()
        if left <= 0:
            chat.retry_until = None
            return
        text = f"The server asked to wait {math.ceil(left)} s before retrying."
        self._view.show_retry_notice(text, left)
        self.retry_scheduled.emit(text, left)

    def _set_status(self, chat: Chat, text: str) -> None:
        """``chat``'s status line; on screen only while ``chat`` is the one shown."""
        self._status[chat.id] = text
        if chat is self._current:
            self.status_changed.emit(text)

    # ------------------------------------------------------------ retries

    def _on_session_retry(self, chat: Chat, notice: RetryNotice) -> None:
        if chat is not self._current:
            return
        self._view.show_retry_notice(str(notice), notice.delay)
        self.retry_scheduled.emit(str(notice), notice.delay)

    # ------------------------------------------------------------ naming

    def _name_chat(self, chat: Chat, user: Message) -> None:
        if chat.title == NEW_CHAT_TITLE:
            chat.title = chat_title(user)
            self.chat_renamed.emit(chat.id, chat.title)

    async def shutdown(self) -> None:
        """Cancel every task, wait for them, then close the provider's connections."""
        await self._launcher.shutdown()
        await self._provider.aclose()
        for hook in self._shutdown_hooks:
            await hook()

    def add_shutdown_hook(self, hook: Callable[[], Awaitable[None]]) -> None:
        """Await ``hook()`` at the end of :meth:`shutdown`, after every answer settled
        (the store writes their final state, then closes)."""
        self._shutdown_hooks.append(hook)


def _prepare_task(chat: Chat) -> str:
    """The task name of ``chat``'s turn whose images are being readied or uploaded."""
    return f"{PREPARE_TASK}:{chat.id}"
