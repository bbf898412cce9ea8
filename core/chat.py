"""A multi-turn conversation with a provider, shaped like the official SDK's chat.

The user turn is recorded before the request leaves, so nothing typed is lost if the
request fails. A stopped answer keeps what arrived and goes back to the model as
history; failed and blocked turns stay visible but are never sent back.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Coroutine, Iterable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from rill.core.errors import BlockedError, RillError
from rill.core.providers import Provider, model_for
from rill.core.retry import (
    OnRetry,
    RetryPolicy,
    call_with_retry,
    close_stream,
    env_policy,
    open_with_retry,
)
from rill.core.tool_loop import ToolLoop, close_calls, mark_offered, tool_round
from rill.core.types import (
    BLOCKING_FINISH_REASONS,
    Chunk,
    GenerateRequest,
    GenerationSettings,
    Message,
    MessageStatus,
    Part,
    Role,
)

MessageInput = str | Part | Sequence[str | Part]
# In a Python str a surrogate code point is always unpaired text (a valid pair would be
# one astral character), and it cannot be encoded as UTF-8: not for the wire, not for
# SQLite. It comes from programmatic text or a model's JSON escape ("\\ud800").
_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` without lone surrogates; a split pair ("\\ud83d\\ude00") is joined first.

    Returns ``text`` itself when there is nothing to clean (the common case, one scan).
    """
    if text.isascii() or _SURROGATE.search(text) is None:
        return text  # isascii() is C-speed: a 10 MB answer costs microseconds, not 30 ms
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    return _SURROGATE.sub("", joined)


def clean_part(part: Part) -> Part:
    """``part`` with its text cleaned (see :func:`clean_text`); the same object if clean."""
    if part.text is None:
        return part
    text = clean_text(part.text)
    return part if text is part.text else replace(part, text=text)


def clean_chunk(chunk: Chunk) -> Chunk:
    """``chunk`` with its parts' text cleaned; the same object if it was clean."""
    parts = tuple(clean_part(p) for p in chunk.parts)
    if all(new is old for new, old in zip(parts, chunk.parts, strict=True)):
        return chunk
    return replace(chunk, parts=parts)


def to_parts(message: MessageInput) -> list[Part]:
    """Normalise what a caller passes (text, a part, or a mix) into parts.

    Lone surrogates are dropped here, so no user turn can carry one to the wire or
    to a store (a message of nothing else is then empty and refused).
    """
    items: Sequence[str | Part] = [message] if isinstance(message, str | Part) else message
    parts = [clean_part(Part.from_text(item) if isinstance(item, str) else item) for item in items]
    if not parts or all(p.text is not None and not p.text.strip() for p in parts):
        raise ValueError("A message needs some text or an attachment.")
    return parts


class ChatSession:
    """History plus the calls that extend it. One answer at a time."""

    def __init__(
        self,
        provider: Provider,
        settings: GenerationSettings,
        *,
        history: Iterable[Message] = (),
        retry_policy: RetryPolicy | None = None,
        on_retry: OnRetry | None = None,
        tools: ToolLoop | None = None,
    ) -> None:
        self.provider = provider
        # Tools from servers the model may call; their calls run between rounds.
        self.tools = tools
        self.settings = settings
        self.history: list[Message] = [_cleaned(m) for m in history]
        # RILL_MAX_ATTEMPTS counts wherever a session is made (a bad value: the default).
        self.retry_policy = retry_policy or env_policy()[0]
        self.on_retry = on_retry

    # ------------------------------------------------------------ history

    @property
    def last_answer(self) -> Message | None:
        """The newest model turn in the history (None before the first answer)."""
        for message in reversed(self.history):
            if message.role is Role.MODEL:
                return message
        return None

    def curated_history(self, in_flight: Message | None = None) -> list[Message]:
        """What goes to the model: complete or stopped exchanges only.

        A user turn whose answer failed is left out together with that answer, so the
        model never sees two user turns in a row or an error as if it had said it.
        """
        out: list[Message] = []
        pending_user: Message | None = None
        for message in self.history:
            if message is in_flight:
                continue
            if message.role is Role.USER:
                pending_user = message
            elif pending_user is not None and message.sendable and message.parts:
                out.extend((pending_user, message))
                pending_user = None
            else:
                pending_user = None
        if pending_user is not None:
            out.append(pending_user)
        return out

    def _begin(self, parts: list[Part]) -> Message:
        self.history.append(Message(role=Role.USER, parts=parts))
        return self._begin_answer()

    def _begin_answer(self) -> Message:
        answer = Message(
            role=Role.MODEL,
            status=MessageStatus.PENDING,
            model=self.settings.model,
            started_at=time.monotonic(),
        )
        self.history.append(answer)
        return answer

    async def _request(self, answer: Message) -> GenerateRequest:
        """The request for ``answer``, naming a real model: an empty one is the
        provider's default, resolved here (it may list the provider's models)."""
        settings = self.settings
        model = await model_for(self.provider, settings.model)
        if model != settings.model:
            settings = replace(settings, model=model)
        answer.model = model
        contents = self.curated_history(in_flight=answer)
        if answer.parts:  # a later round: the answer so far, its calls and their results
            contents.append(answer)
        functions = self.tools.functions if self.tools is not None else ()
        return GenerateRequest(contents=tuple(contents), settings=settings, functions=functions)

    def _retry_target(self) -> Message:
        """Drop a failed last answer and return the user turn to send again."""
        if not self.history:
            raise ValueError("There is nothing to retry.")
        if self.history[-1].role is Role.MODEL:
            if self.history[-1].sendable:
                raise ValueError("The last answer is complete; there is nothing to retry.")
            self.history.pop()
        if not self.history or self.history[-1].role is not Role.USER:
            raise ValueError("There is no user message to retry.")
        return self.history[-1]

    def _regenerate_target(self, answer: Message | None) -> None:
        """Cut the history back to the user turn ``answer`` replies to (default: the last
        answer). The store keeps the old answer and what followed it as another branch.

        Raises ValueError when there is no such answer or nothing asked for it.
        """
        target = self.last_answer if answer is None else answer
        index = _index_of(self.history, target)
        if target is None or index is None or target.role is not Role.MODEL:
            raise ValueError("There is no answer to regenerate.")
        if index == 0 or self.history[index - 1].role is not Role.USER:
            raise ValueError("That answer has no question to send again.")
        del self.history[index:]

    def _edit_target(self, message: Message, parts: list[Part]) -> None:
        """Cut the history back to before the user turn ``message`` and record its edit.

        Raises ValueError when ``message`` is not a user turn of this history.
        """
        index = _index_of(self.history, message)
        if index is None or message.role is not Role.USER:
            raise ValueError("Only your own messages can be edited.")
        del self.history[index:]
        self.history.append(Message(role=Role.USER, parts=parts))

    # ------------------------------------------------------------ streaming

    def send_message_stream(self, message: MessageInput) -> AsyncIterator[Chunk]:
        """Record ``message`` now and return the answer's chunks as an async iterator."""
        answer = self._begin(to_parts(message))
        return self._stream_into(answer)

    def retry_stream(self) -> AsyncIterator[Chunk]:
        """Send the last user turn again (after a failure) without duplicating it."""
        self._retry_target()
        return self._stream_into(self._begin_answer())

    def regenerate_stream(self, answer: Message | None = None) -> AsyncIterator[Chunk]:
        """Answer the same user turn again (``answer`` or the last one) as a new version.

        Later turns leave the history (they stay on their branch in a store).
        """
        self._regenerate_target(answer)
        return self._stream_into(self._begin_answer())

    def edit_and_resend_stream(
        self, message: Message, new_content: MessageInput
    ) -> AsyncIterator[Chunk]:
        """Replace user turn ``message`` (and all after it) by ``new_content`` and stream
        its answer. Nothing is lost in a store: the old turn stays as another version.
        """
        self._edit_target(message, to_parts(new_content))
        return self._stream_into(self._begin_answer())

    async def _stream_into(self, answer: Message) -> AsyncIterator[Chunk]:
        answer.status = MessageStatus.STREAMING
        answer.started_at = time.monotonic()
        last_piece_at: float | None = None
        rounds = 0
        try:
            while True:
                request = await self._request(answer)
                head, stream = await open_with_retry(
                    partial(self.provider.stream, request),
                    self.retry_policy,
                    self.on_retry,
                    # Only what the user saw ends the retries: a usage-only event does not.
                    shows=lambda chunk: bool(chunk.parts),
                )
                try:
                    # The chunks read while the stream opened, then the provider's own.
                    queued = deque(head)
                    while (
                        received := queued.popleft() if queued else await anext(stream, None)
                    ) is not None:
                        # What the caller prints or shows is exactly what the answer keeps.
                        chunk = mark_offered(self.tools, clean_chunk(received))
                        if chunk.parts:
                            last_piece_at = time.monotonic()
                            answer.first_token_at = answer.first_token_at or last_piece_at
                        answer.absorb(chunk)
                        yield chunk
                finally:
                    await close_stream(stream)
                replies = await tool_round(self.tools, answer, rounds)
                if replies is None:
                    break
                rounds += 1
                yield replies
                if replies.finish_reason is not None:  # the round limit: no more requests
                    break
        except (asyncio.CancelledError, GeneratorExit):
            # Stop, or the consumer stopped iterating (the same as the user pressing Stop).
            close_calls(self.tools, answer)
            answer.status = MessageStatus.STOPPED
            answer.finished_at = last_piece_at or time.monotonic()
            raise
        except RillError as error:
            self._fail(answer, error)
            answer.finished_at = last_piece_at or answer.finished_at
            raise
        # The speed is measured from the first piece to the last: a stop or a finish
        # event that comes later adds no tokens. One piece gives no interval at all.
        answer.finished_at = last_piece_at or time.monotonic()
        self._complete(answer)

    @staticmethod
    def _fail(answer: Message, error: RillError) -> None:
        answer.status = (
            MessageStatus.BLOCKED if isinstance(error, BlockedError) else MessageStatus.FAILED
        )
        answer.error = str(error)
        answer.error_kind = error.kind
        answer.finished_at = time.monotonic()

    @staticmethod
    def _complete(answer: Message) -> None:
        """Settle a finished answer's status (its timings are set by the caller)."""
        reason = answer.finish_reason
        if reason in BLOCKING_FINISH_REASONS and not answer.text:
            answer.status = MessageStatus.BLOCKED
            answer.error = f"The answer was blocked ({reason})."
            answer.error_kind = "blocked"
        else:
            answer.status = MessageStatus.COMPLETE

    # ------------------------------------------------------------ one-shot

    def send_message(self, message: MessageInput) -> Coroutine[Any, Any, Message]:
        """Record ``message`` now; the returned coroutine waits for the whole answer.

        Recording happens at the call, as in :meth:`send_message_stream`, so a UI can
        show the turn (and clear its input) before the request goes out.
        """
        answer = self._begin(to_parts(message))
        return self._generate_into(answer)

    def retry(self) -> Coroutine[Any, Any, Message]:
        """Non-streaming counterpart of :meth:`retry_stream` (also records at the call)."""
        self._retry_target()
        return self._generate_into(self._begin_answer())

    def regenerate(self, answer: Message | None = None) -> Coroutine[Any, Any, Message]:
        """Non-streaming counterpart of :meth:`regenerate_stream`."""
        self._regenerate_target(answer)
        return self._generate_into(self._begin_answer())

    def edit_and_resend(
        self, message: Message, new_content: MessageInput
    ) -> Coroutine[Any, Any, Message]:
        """Non-streaming counterpart of :meth:`edit_and_resend_stream`."""
        self._edit_target(message, to_parts(new_content))
        return self._generate_into(self._begin_answer())

    async def _generate_into(self, answer: Message) -> Message:
        answer.status = MessageStatus.STREAMING
        answer.started_at = time.monotonic()
        rounds = 0
        try:
            while True:
                request = await self._request(answer)
                result = await call_with_retry(
                    partial(self.provider.generate, request), self.retry_policy, self.on_retry
                )
                self._take_whole(answer, result)
                replies = await tool_round(self.tools, answer, rounds)
                if replies is None or replies.finish_reason is not None:
                    break
                rounds += 1
        except asyncio.CancelledError:
            close_calls(self.tools, answer)
            answer.status = MessageStatus.STOPPED
            answer.finished_at = time.monotonic()
            raise
        except RillError as error:
            self._fail(answer, error)
            raise
        self._complete(answer)
        return answer

    def _take_whole(self, answer: Message, result: Message) -> None:
        """Add an answer that came at once (one round of it) to ``answer``."""
        # The whole answer came at once: its first token and its last are this moment
        # (no interval, so no speed; the time to it is the time to the whole answer).
        now = time.monotonic()
        answer.first_token_at, answer.finished_at = answer.first_token_at or now, now
        chunk = mark_offered(self.tools, Chunk(parts=tuple(clean_part(p) for p in result.parts)))
        for part in chunk.parts:
            answer.append_part(part)
        answer.usage = result.usage
        answer.finish_reason = result.finish_reason
        answer.model_version = result.model_version
        answer.grounding = result.grounding
        answer.url_context = result.url_context
        answer.citations = result.citations


def _cleaned(message: Message) -> Message:
    """``message`` itself, its parts' lone surrogates dropped in place (a history handed
    in keeps its objects: a SessionRecorder knows them by identity)."""
    parts = [clean_part(p) for p in message.parts]
    if any(new is not old for new, old in zip(parts, message.parts, strict=True)):
        message.parts = parts
    return message


def _index_of(history: Sequence[Message], message: Message | None) -> int | None:
    """Where ``message`` (that very object) is in ``history``; Messages compare by value."""
    return next((i for i, m in enumerate(history) if m is message), None)
