"""The chat pane as the controller sees it, made when the controller first calls it.

A window opens on the empty state (an empty chat, or a stored one still loading
after the paint), so the chat pane (``ChatView`` with the message surface and the
part renderers, ~40 ms of imports and widgets) is not needed for the first paint.
The controller is made with the window, though, and keeps the view it is given:
this stands in for it and asks the window for the real pane on every call, which
the window makes on first use (:attr:`rill.gui.window.MainWindow.view`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rill.core.types import Message
    from rill.gui.transcript import ChatView


class ViewOnDemand:
    """An ``AnswerView`` (see ``rill.gui.chat``) that forwards to ``view()``."""

    def __init__(self, view: Callable[[], ChatView]) -> None:
        self._view = view

    def clear(self) -> None:
        """Show no messages."""
        self._view().clear()

    def set_messages(self, messages: Sequence[Message]) -> None:
        """Show ``messages``."""
        self._view().set_messages(messages)

    def add_user_message(self, message: Message) -> None:
        """Show a user turn at the end."""
        self._view().add_user_message(message)

    def begin_answer(self, message: Message) -> None:
        """Start showing the answer now streaming."""
        self._view().begin_answer(message)

    def finish_answer(self, message: Message) -> None:
        """The live answer ended as ``message``."""
        self._view().finish_answer(message)

    def show_retry_notice(self, text: str, seconds: float) -> None:
        """Show ``text`` under the answer with a countdown."""
        self._view().show_retry_notice(text, seconds)
