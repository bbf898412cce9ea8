"""The status line: what the window is doing, and what the last answer cost.

"Retrying in 14 s…" counts down here too, so a wait is never a frozen message.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from rill.core.retry import count_down
from rill.gui.common import plain_label, plain_tip

if TYPE_CHECKING:  # the window's first paint names no message (issue 14, item 7)
    from rill.core.types import Message


def format_stats(message: Message) -> str:
    """ "812 tokens · 94 tok/s · first token 0.42 s" (parts the answer lacks are left out)."""
    bits: list[str] = []
    usage = message.usage
    if usage is not None and usage.output_tokens is not None:
        total = usage.output_tokens + (usage.thoughts_tokens or 0)
        bits.append(f"{total:,} tokens")
    speed = message.tokens_per_second
    if speed is not None:
        bits.append(f"{speed:,.0f} tok/s")
    ttft = message.time_to_first_token
    if ttft is not None:
        label = "whole answer in" if message.arrived_whole else "first token"
        bits.append(f"{label} {ttft:.2f} s")
    return " · ".join(bits)


class StatusLine(QStatusBar):
    """A state line on the left, the last answer's numbers on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusLine")
        self.setSizeGripEnabled(False)
        # Server errors end up here: plain text, or their markup would render.
        self.state_label = plain_label(QLabel("Ready."))
        self.state_label.setObjectName("stateLabel")
        self.stats_label = plain_label(QLabel())
        self.stats_label.setObjectName("statsLabel")
        self.addWidget(self.state_label, 1)
        self.addPermanentWidget(self.stats_label)
        # One shot per second shown, timed to just after the number changes: a coarse
        # 1 s timer may fire early and show "2 s" for nearly two seconds.
        self._countdown = QTimer(self)
        self._countdown.setSingleShot(True)
        self._countdown.setTimerType(Qt.TimerType.PreciseTimer)
        self._countdown.timeout.connect(self._on_countdown_timeout)
        self._countdown_text = ""
        self._deadline = 0.0

    def set_state(self, text: str) -> None:
        """Replace the state line (and end any countdown)."""
        self._countdown.stop()
        self.state_label.setText(text)
        self.state_label.setToolTip(plain_tip(text))

    def show_countdown(self, text: str, seconds: float) -> None:
        """Show ``text`` with its countdown (its last "N s") counting down to zero."""
        self._countdown_text = text
        self._deadline = time.monotonic() + seconds
        self._on_countdown_timeout()

    def show_link(self, target: str) -> None:
        """While the pointer is on a link, its real target stands in for the state
        ("" puts the state back)."""
        if target:
            self.showMessage(target)
        else:
            self.clearMessage()

    def show_answer(self, message: Message | None) -> None:
        """The numbers of ``message``; None clears them (a chat with no answer yet)."""
        self.stats_label.setText(format_stats(message) if message is not None else "")

    def _on_countdown_timeout(self) -> None:
        remaining = self._deadline - time.monotonic()
        left = max(0, math.ceil(remaining))
        text, _ = count_down(self._countdown_text, left)
        self.state_label.setText(text)
        self.state_label.setToolTip(plain_tip(text))
        if left > 0:  # next when ceil(remaining) drops by one
            self._countdown.start(int((remaining - (left - 1)) * 1000) + 5)
