"""What the controller keeps per chat, and the small rules it applies to messages.

No Qt here: the view is described by a Protocol, so the rules are easy to test; the
store side of a chat lives in ``rill.gui.conversations.persistence``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from rill.core.chat import ChatSession
from rill.core.errors import RillError
from rill.core.tools import ChatGrants
from rill.core.types import Message, MessageStatus

NEW_CHAT_TITLE = "New chat"
TITLE_LENGTH = 48


class AnswerView(Protocol):
    """What the controller needs from the chat pane (``rill.gui.transcript.view.ChatView``)."""

    def clear(self) -> None:
        """Show no messages."""

    def set_messages(self, messages: Sequence[Message]) -> None:
        """Show ``messages`` (a chat switched to, or another path of it)."""

    def add_user_message(self, message: Message) -> None:
        """Show a user turn at the end."""

    def begin_answer(self, message: Message) -> None:
        """Start showing ``message``, the answer now streaming: all it holds, then
        once per display frame what it gained (its text lives in the message alone)."""

    def finish_answer(self, message: Message) -> None:
        """The live answer ended as ``message`` (complete, stopped or failed)."""

    def show_retry_notice(self, text: str, seconds: float) -> None:
        """Show ``text`` under the answer with a countdown of ``seconds``."""


@dataclass(eq=False)
class Chat:
    """One conversation: its session, its answer in flight, and what follows a failure."""

    id: int
    session: ChatSession
    title: str = NEW_CHAT_TITLE
    answer: Message | None = None  # the answer in flight
    retry_after: float | None = None  # the server's wait when the answer failed
    retry_until: float | None = None  # ... as a time.monotonic() deadline
    editing: Message | None = None  # the user turn the next Send replaces
    # The tools the user allowed "in this chat" (stored with its conversation).
    grants: ChatGrants = field(default_factory=ChatGrants)

    @property
    def task_name(self) -> str:
        """The TaskLauncher name of this chat's answer."""
        return f"answer:{self.id}"


def chat_title(user: Message) -> str:
    """A list title from a chat's first user turn: its words, cut at a word break."""
    # Only a prefix: splitting a whole 1 MB prompt cost the send tens of milliseconds.
    words = " ".join(user.text.lstrip()[: 4 * TITLE_LENGTH + 1024].split())
    if not words:
        return "Image" if user.images else NEW_CHAT_TITLE
    if len(words) <= TITLE_LENGTH:
        return words
    cut = words[: TITLE_LENGTH - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def retry_after(error: RillError) -> float | None:
    """The wait in seconds the server asked for with this error, if any."""
    value = getattr(error, "retry_after", None)
    return float(value) if isinstance(value, int | float) and value > 0 else None


def final_status(answer: Message) -> str:
    """The status line once an answer settled."""
    if answer.status is MessageStatus.STOPPED:
        return "Stopped."
    if answer.status in (MessageStatus.FAILED, MessageStatus.BLOCKED):
        return answer.error or "The answer failed."
    return "Ready."
