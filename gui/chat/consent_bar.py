"""The consent bar above the composer: the model wants to call a tool, and the answer
waits for the user's decision.

It shows the server, the tool and its description, and the call's arguments as
pretty JSON (folded until opened), all as plain text: every word of it comes from the
model or the server. Four buttons answer: **Allow once**, **Allow in this chat**,
**Always allow this tool**, **Deny**. The keyboard comes to the bar when it opens
(on Allow once); Enter presses the focused button, Esc denies, Tab moves between the
buttons. Each chat has at most one question at a time (its calls are decided in
order); the bar shows the question of the chat on screen, and another chat's question
waits until that chat is shown. Stopping the answer cancels the question with it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from rill.core.tool_loop import CallRequest
from rill.core.tools import Decision
from rill.gui.chat.state import Chat
from rill.gui.common import plain_label

BUTTONS = (
    (Decision.ALLOW_ONCE, "Allow &once", "Run this call; ask again next time"),
    (Decision.ALLOW_IN_CHAT, "Allow in this &chat", "Run this tool's calls in this chat"),
    (Decision.ALWAYS_ALLOW, "&Always allow this tool", "Never ask for this tool again"),
    (Decision.DENY, "&Deny", "Do not run it; the model is told (Esc)"),
)
_ARGS_LINES = 12  # the unfolded arguments' height in lines, then a scroll bar
_SHOWN_CHARS = 50_000  # a model's arguments can be huge; the bar shows this much


@dataclass
class _Question:
    request: CallRequest
    answer: asyncio.Future[Decision]


class ConsentBar(QFrame):
    """Asks about one tool call at a time (:meth:`ask`) for the chat on screen.

    Signals:
        opened(): a question is on screen (the window gives it the keyboard).
        closed(bool had_keyboard): no question is on screen any more; whether the
            keyboard was in the bar (the window gives it back to the input).
    """

    opened = Signal()
    closed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("consentBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Tool call waiting for your decision")
        self._questions: dict[int, _Question] = {}
        self._shown_chat = 0
        self.title = plain_label(QLabel(self))
        self.title.setWordWrap(True)
        self.title.setObjectName("consentTitle")
        self.description = plain_label(QLabel(self))
        self.description.setWordWrap(True)
        self.description.setObjectName("hint")
        self.fold = QToolButton(self)
        self.fold.setCheckable(True)
        self.fold.setAutoRaise(True)
        self.fold.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.fold.setArrowType(Qt.ArrowType.RightArrow)
        self.fold.setText("Arguments")
        self.fold.setAccessibleName("Show the arguments")
        self.fold.toggled.connect(self._on_fold_toggled)
        self.arguments = QPlainTextEdit(self)  # plain text: never rendered as markup
        self.arguments.setReadOnly(True)
        self.arguments.setAccessibleName("The call's arguments (JSON)")
        self.arguments.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.arguments.setTabChangesFocus(True)
        self.arguments.hide()
        self.buttons: dict[Decision, QPushButton] = {}
        row = QHBoxLayout()
        row.addStretch(1)
        for decision, text, tip in BUTTONS:
            button = QPushButton(text, self)
            button.setToolTip(tip)
            button.setAccessibleName(text.replace("&", ""))
            button.clicked.connect(lambda _=False, d=decision: self.decide(d))
            button.installEventFilter(self)
            self.buttons[decision] = button
            row.addWidget(button)
        self.fold.installEventFilter(self)
        self.arguments.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addWidget(self.description)
        layout.addWidget(self.fold, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.arguments)
        layout.addLayout(row)
        self.hide()

    # ------------------------------------------------------------ questions

    @property
    def request(self) -> CallRequest | None:
        """The question on screen (None: the bar is hidden)."""
        question = self._questions.get(self._shown_chat)
        return question.request if question is not None and self.isVisible() else None

    async def ask(self, chat: Chat, request: CallRequest) -> Decision:
        """Ask about ``request`` for ``chat`` and wait for the answer (shown when
        ``chat`` is on screen). Cancelling the caller withdraws the question."""
        answer: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._questions[chat.id] = _Question(request, answer)
        if chat.id == self._shown_chat:
            self._present()
        try:
            return await answer
        finally:
            question = self._questions.get(chat.id)
            if question is not None and question.answer is answer:
                del self._questions[chat.id]
                if chat.id == self._shown_chat:
                    self._withdraw()

    def show_chat(self, chat_id: int) -> None:
        """The window shows chat ``chat_id``: its question, if it has one."""
        self._shown_chat = chat_id
        if chat_id in self._questions:
            self._present()
        elif self.isVisible():
            self._withdraw()

    def decide(self, decision: Decision) -> None:
        """Answer the question on screen with ``decision``."""
        question = self._questions.get(self._shown_chat)
        if question is not None and not question.answer.done():
            question.answer.set_result(decision)

    def _present(self) -> None:
        request = self._questions[self._shown_chat].request
        ref = request.ref
        self.title.setText(f"The model wants to use {ref.tool} from the tool server {ref.server}.")
        description = " ".join(request.description.split())
        self.description.setText(description[:400] + ("…" if len(description) > 400 else ""))
        self.description.setVisible(bool(description))
        # Pretty-printing megabytes would hold the UI thread: a long call shows as sent.
        size = len(request.arguments)
        shown = request.pretty_arguments() if size <= _SHOWN_CHARS else request.arguments
        if len(shown) > _SHOWN_CHARS:
            shown = shown[:_SHOWN_CHARS] + f"\n… ({len(shown) - _SHOWN_CHARS:,} more characters)"
        self.arguments.setPlainText(shown)
        lines = min(shown.count("\n", 0, _SHOWN_CHARS) + 1, _ARGS_LINES)
        spacing = self.arguments.fontMetrics().lineSpacing()
        self.arguments.setFixedHeight(spacing * lines + 16)  # its own size, up to a limit
        self.fold.setChecked(False)
        self.show()
        self.buttons[Decision.ALLOW_ONCE].setFocus(Qt.FocusReason.OtherFocusReason)
        self.opened.emit()

    def _withdraw(self) -> None:
        focus = self.focusWidget()
        had_keyboard = focus is not None and focus.hasFocus()
        self.hide()
        self.arguments.clear()
        self.closed.emit(had_keyboard)

    def _on_fold_toggled(self, unfolded: bool) -> None:
        self.arguments.setVisible(unfolded)
        self.fold.setArrowType(Qt.ArrowType.DownArrow if unfolded else Qt.ArrowType.RightArrow)
        self.fold.setAccessibleName("Hide the arguments" if unfolded else "Show the arguments")

    # ------------------------------------------------------------ keys

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Qt: Esc denies and Enter presses the focused button, before the window's
        own Esc (Stop) and Enter shortcuts see them."""
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return super().eventFilter(watched, event)
        assert isinstance(event, QKeyEvent)
        key = event.key()
        if key not in (Qt.Key.Key_Escape, Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return super().eventFilter(watched, event)
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            return super().eventFilter(watched, event)
        if kind is QEvent.Type.ShortcutOverride:
            event.accept()  # the key comes to this bar as a key press
            return True
        if key == Qt.Key.Key_Escape:
            self.decide(Decision.DENY)
        elif isinstance(watched, QPushButton):
            watched.click()
        elif watched is self.fold:
            self.fold.toggle()
        else:
            self.decide(Decision.ALLOW_ONCE)
        return True
