"""The obvious chat pane, kept only as the benchmark's baseline: never use it in the app.

Every chunk re-parses and re-lays-out the whole answer with ``setMarkdown``, so the
cost of one update grows with the answer. ``bench/bench_streaming.py`` streams the
same answer into it and into ``ChatView`` to show the difference.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTextEdit, QWidget

from rill.core.types import Message


class NaiveView(QTextEdit):
    """``ChatView``'s interface over one QTextEdit rebuilt from Markdown on every append.

    Signals:
        retry_requested(): never emitted; present so the view is a drop-in.
    """

    retry_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self._history = ""
        self._answer = ""

    def clear(self) -> None:
        """Forget everything."""
        self._history = self._answer = ""
        self.setMarkdown("")

    def set_messages(self, messages: Sequence[Message]) -> None:
        """Show ``messages`` as one Markdown text."""
        self._history = "".join(f"{m.text}\n\n" for m in messages)
        self._answer = ""
        self._render()

    def add_user_message(self, message: Message) -> None:
        """Append the user's text."""
        self._history += f"{message.text}\n\n"
        self._render()

    def begin_answer(self, message: Message) -> None:
        """Start an empty answer."""
        del message
        self._answer = ""

    def append_to_answer(self, text: str, thought: str) -> None:
        """Add ``text`` and re-render the whole conversation (the point of this class)."""
        del thought
        self._answer += text
        self._render()

    def finish_answer(self, message: Message) -> None:
        """Keep the final text."""
        self._history += f"{message.text}\n\n"
        self._answer = ""
        self._render()

    def show_retry_notice(self, text: str, seconds: float) -> None:
        """Not shown."""
        del text, seconds

    def set_dark(self, dark: bool) -> None:
        """Not themed."""
        del dark

    def set_show_thoughts(self, show: bool) -> None:
        """Thoughts are never shown."""
        del show

    def _render(self) -> None:
        self.setMarkdown(self._history + self._answer)
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())
