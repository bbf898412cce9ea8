"""A chat pane stand-in that records what the controller asked it to show.

It implements the ChatView contract (``rill.gui.chat.controller.AnswerView`` plus
``retry_requested``) so controller tests assert on exactly the calls and the text,
independent of how the real pane renders them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from rill.core.types import Message


@dataclass
class AnswerRecord:
    """One answer as the view saw it."""

    begun_with: Message
    text: str = ""
    thought: str = ""
    appends: int = 0
    final: Message | None = None


@dataclass
class Calls:
    cleared: int = 0
    histories: list[list[Message]] = field(default_factory=list)
    users: list[Message] = field(default_factory=list)
    answers: list[AnswerRecord] = field(default_factory=list)
    notices: list[tuple[str, float]] = field(default_factory=list)
    unmatched_appends: int = 0


class RecordingView(QObject):
    """Signals:
    retry_requested(): as the real view's Retry button.
    """

    retry_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.calls = Calls()
        self._open: AnswerRecord | None = None

    # ---- the contract
    def clear(self) -> None:
        self.calls.cleared += 1
        self._open = None

    def set_messages(self, messages: Sequence[Message]) -> None:
        self.calls.histories.append(list(messages))
        self._open = None

    def add_user_message(self, message: Message) -> None:
        self.calls.users.append(message)

    def begin_answer(self, message: Message) -> None:
        self._open = AnswerRecord(message)
        self.calls.answers.append(self._open)

    def append_to_answer(self, text: str, thought: str) -> None:
        if self._open is None:
            self.calls.unmatched_appends += 1
            return
        self._open.text += text
        self._open.thought += thought
        self._open.appends += 1

    def finish_answer(self, message: Message) -> None:
        if self._open is None:
            self._open = AnswerRecord(message)
            self.calls.answers.append(self._open)
        self._open.final = message
        self._open = None

    def show_retry_notice(self, text: str, seconds: float) -> None:
        self.calls.notices.append((text, seconds))

    # ---- for assertions
    @property
    def last(self) -> AnswerRecord:
        return self.calls.answers[-1]
