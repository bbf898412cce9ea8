"""A chat pane stand-in that records what the controller asked it to show.

It implements the ChatView contract (``rill.gui.chat.controller.AnswerView`` plus
``retry_requested``) so controller tests assert on exactly the calls and the text,
independent of how the real pane renders them. Like the pane, it takes the live
answer's new text from its message once per frame (and all of it at its start and
end), and records each frame that brought some.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QTimer, Signal

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


class RecordingView(QObject):
    """Signals:
    retry_requested(): as the real view's Retry button.
    """

    retry_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.calls = Calls()
        self._open: AnswerRecord | None = None
        self._frames = QTimer(self)
        self._frames.setInterval(16)
        self._frames.timeout.connect(self._take)

    # ---- the contract
    def clear(self) -> None:
        self.calls.cleared += 1
        self._close()

    def set_messages(self, messages: Sequence[Message]) -> None:
        self.calls.histories.append(list(messages))
        self._close()

    def add_user_message(self, message: Message) -> None:
        self.calls.users.append(message)

    def begin_answer(self, message: Message) -> None:
        self._open = AnswerRecord(message)
        self.calls.answers.append(self._open)
        self._take()
        self._frames.start()

    def finish_answer(self, message: Message) -> None:
        if self._open is None:
            self._open = AnswerRecord(message)
            self.calls.answers.append(self._open)
        else:
            self._take()
        self._open.final = message
        self._close()

    def show_retry_notice(self, text: str, seconds: float) -> None:
        self.calls.notices.append((text, seconds))

    def _take(self) -> None:
        """A frame: what the followed answer gained since the last."""
        record = self._open
        if record is None:
            return
        text = record.begun_with.text_after(len(record.text))
        thought = record.begun_with.text_after(len(record.thought), thought=True)
        if text or thought:
            record.text += text
            record.thought += thought
            record.appends += 1

    def _close(self) -> None:
        self._open = None
        self._frames.stop()

    # ---- for assertions
    @property
    def last(self) -> AnswerRecord:
        return self.calls.answers[-1]
