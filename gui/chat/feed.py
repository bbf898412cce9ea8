"""The frame feed: once per display frame, the view gets what the live answer gained.

The answer's text lives in its ``Message`` alone. The feed holds only how much of it
(text and thoughts) the view has been given, and the ~60 Hz timer that hands over the
rest; the timer runs only while an answer is followed.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, QTimer

from rill.core.types import Message
from rill.gui.chat.state import AnswerView

FRAME_MS = 16  # one hand-over per display frame at 60 Hz


class FrameFeed(QObject):
    """Hands the view one ``append_to_answer`` per frame: the followed answer's new text.

    Chunks are never painted one by one; a frame takes whatever arrived since the last
    one, read from the answer itself (``Message.text_after``), so nothing is buffered
    twice and a chat shown again mid-stream gets its whole answer in the first frame.
    """

    def __init__(self, view: AnswerView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self._answer: Message | None = None
        self._shown_text = 0  # characters of answer text handed to the view
        self._shown_thought = 0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def answer(self) -> Message | None:
        """The answer followed (None: none is streaming on screen)."""
        return self._answer

    @property
    def running(self) -> bool:
        """Whether frames are being handed over."""
        return self._timer.isActive()

    def follow(self, answer: Message | None) -> None:
        """Feed ``answer`` from its start, which the view has just begun showing
        (``begin_answer``), or nothing (None: the frames stop)."""
        self._answer = answer
        self._shown_text = self._shown_thought = 0
        if answer is None:
            self._timer.stop()
        elif not self._timer.isActive():
            self._timer.start()

    def halt(self) -> None:
        """No more frames (the window is closing); :meth:`flush` still hands the rest."""
        self._timer.stop()

    def flush(self) -> None:
        """Hand the view what the answer gained since the last frame, in one call."""
        answer = self._answer
        if answer is None:
            return
        text = answer.text_after(self._shown_text)
        thought = answer.text_after(self._shown_thought, thought=True)
        if not text and not thought:
            return
        self._shown_text += len(text)
        self._shown_thought += len(thought)
        self._view.append_to_answer(text, thought)

    def _on_timer_timeout(self) -> None:
        self.flush()
