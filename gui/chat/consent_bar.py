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

The same bar asks what to do when a tool call or a server's start failed (a timeout,
a crash, a server that would not start): **Retry** runs it again, **Go on without
it** lets the answer go on (the model is told of the failure); Esc goes on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

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
# ... and this much of one line: laying out a 50,000-character line took the UI thread
# 10-18 ms (65 ms once on a loaded machine), where a cut one costs what is on screen.
_LINE_CHARS = 1_000


@dataclass
class _Question:
    request: CallRequest | None  # None: a question about servers, not about one call
    answer: asyncio.Future[Any]  # a Decision, or (a fault) whether to retry
    fault: str | None = None  # what failed: Retry or go on (None: allow or deny)


def shown_arguments(request: CallRequest) -> str:
    """The call's arguments as the bar shows them: pretty JSON, at most _SHOWN_CHARS of
    it and _LINE_CHARS of a line, each cut saying how much more there is."""
    # Pretty-printing megabytes would hold the UI thread: a long call shows as sent.
    size = len(request.arguments)
    shown = request.pretty_arguments() if size <= _SHOWN_CHARS else request.arguments
    more = len(shown) - _SHOWN_CHARS
    lines = shown[:_SHOWN_CHARS].split("\n")
    for number, line in enumerate(lines):
        if len(line) > _LINE_CHARS:
            lines[number] = f"{line[:_LINE_CHARS]}… ({len(line) - _LINE_CHARS:,} more on this line)"
    if more > 0:
        lines.append(f"… ({more:,} more characters)")
    return "\n".join(lines)


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
        self.retry_button = QPushButton("&Retry", self)
        self.retry_button.setToolTip("Run it again")
        self.go_on_button = QPushButton("&Go on without it", self)
        self.go_on_button.setToolTip("The answer goes on; the model is told it failed (Esc)")
        row = self._button_row()
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

    def _button_row(self) -> QHBoxLayout:
        """The four answers to a call, then Retry and Go on (one set shows at a time)."""
        row = QHBoxLayout()
        row.addStretch(1)
        for decision, text, tip in BUTTONS:
            button = QPushButton(text, self)
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, d=decision: self.decide(d))
            self.buttons[decision] = button
        answers: list[tuple[QPushButton, bool | None]] = [(b, None) for b in self.buttons.values()]
        answers += [(self.retry_button, True), (self.go_on_button, False)]
        for button, retry in answers:
            button.setAccessibleName(button.text().replace("&", ""))
            if retry is not None:
                button.clicked.connect(lambda _=False, r=retry: self.answer_retry(r))
            button.installEventFilter(self)
            row.addWidget(button)
        return row

    # ------------------------------------------------------------ questions

    @property
    def request(self) -> CallRequest | None:
        """The call the question on screen is about (None: the bar is hidden, or it
        asks about servers)."""
        question = self._questions.get(self._shown_chat)
        return question.request if question is not None and self.isVisible() else None

    @property
    def fault(self) -> str | None:
        """What failed, when the question on screen is Retry or go on (else None)."""
        question = self._questions.get(self._shown_chat)
        return question.fault if question is not None and self.isVisible() else None

    async def ask(self, chat: Chat, request: CallRequest) -> Decision:
        """Ask about ``request`` for ``chat`` and wait for the answer (shown when
        ``chat`` is on screen). Cancelling the caller withdraws the question."""
        decision = await self._wait(chat, _Question(request, self._future()))
        assert isinstance(decision, Decision)
        return decision

    async def ask_retry(self, chat: Chat, fault: str, request: CallRequest | None = None) -> bool:
        """Say ``fault`` (a sentence: what failed) for ``chat``, about the call
        ``request`` if any, and wait: True to run it again, False to go on without."""
        return bool(await self._wait(chat, _Question(request, self._future(), fault)))

    @staticmethod
    def _future() -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    async def _wait(self, chat: Chat, question: _Question) -> Any:
        answer = question.answer
        self._questions[chat.id] = question
        if chat.id == self._shown_chat:
            self._present()
        try:
            return await answer
        finally:
            current = self._questions.get(chat.id)
            if current is not None and current.answer is answer:
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
        """Answer the question on screen with ``decision`` (a question about a call)."""
        question = self._questions.get(self._shown_chat)
        if question is not None and question.fault is None and not question.answer.done():
            question.answer.set_result(decision)

    def answer_retry(self, retry: bool) -> None:
        """Answer the failure on screen: run it again (True) or go on without it."""
        question = self._questions.get(self._shown_chat)
        if question is not None and question.fault is not None and not question.answer.done():
            question.answer.set_result(retry)

    def _present(self) -> None:
        question = self._questions[self._shown_chat]
        request, fault = question.request, question.fault
        for button in self.buttons.values():
            button.setVisible(fault is None)
        self.retry_button.setVisible(fault is not None)
        self.go_on_button.setVisible(fault is not None)
        self.fold.setVisible(request is not None)
        self.fold.setChecked(False)
        if fault is not None:
            self.title.setText(fault)
        if request is not None:
            self._show_request(request, fault is None)
        else:
            self.description.hide()
            self.arguments.clear()
        self.show()
        focus = self.retry_button if fault is not None else self.buttons[Decision.ALLOW_ONCE]
        focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self.opened.emit()

    def _show_request(self, request: CallRequest, asking: bool) -> None:
        """The call's tool, description and arguments (``asking``: the title asks)."""
        ref = request.ref
        if asking:
            self.title.setText(
                f"The model wants to use {ref.tool} from the tool server {ref.server}."
            )
        description = " ".join(request.description.split())
        self.description.setText(description[:400] + ("…" if len(description) > 400 else ""))
        self.description.setVisible(bool(description))
        shown = shown_arguments(request)
        self.arguments.setPlainText(shown)
        lines = min(shown.count("\n", 0, _SHOWN_CHARS) + 1, _ARGS_LINES)
        spacing = self.arguments.fontMetrics().lineSpacing()
        self.arguments.setFixedHeight(spacing * lines + 16)  # its own size, up to a limit

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
        """Qt: Esc denies (or goes on after a failure) and Enter presses the focused
        button, before the window's own Esc (Stop) and Enter shortcuts see them."""
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
            self.answer_retry(False)
        elif isinstance(watched, QPushButton):
            watched.click()
        elif watched is self.fold:
            self.fold.toggle()
        else:
            self.decide(Decision.ALLOW_ONCE)
            self.answer_retry(True)
        return True
