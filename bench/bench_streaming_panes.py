"""The panes ``bench_streaming.py`` measures, behind one small interface.

``build_pane`` assembles the real window (MainWindow with its ChatView, ChatController
and TaskLauncher) around a given provider; ``NaivePane`` wraps the baseline. Both
offer ``reset_answer`` / ``flush`` / ``repaint`` for the flush-cost probe.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from naive_view import NaiveView
from PySide6.QtWidgets import QApplication

from rill.core.providers.base import Provider
from rill.core.settings import Settings
from rill.core.types import GenerationSettings, Message, MessageStatus, Part, Role
from rill.gui.chat.controller import ChatController
from rill.gui.common.tasks import TaskLauncher
from rill.gui.common.theme import ThemeManager
from rill.gui.transcript.view import ChatView
from rill.gui.window.main_window import MainWindow

WINDOW_SIZE = (1100, 760)
# An earlier exchange that fills the window (see Pane.reset_answer).
CONTEXT = (
    Message(Role.USER, [Part.from_text("Tell me about foxes.")]),
    Message(Role.MODEL, [Part.from_text("Foxes are small omnivores.\n\n" * 80)], model="bench"),
)


@dataclass
class Pane:
    """The real window; its chat pane is driven by its own controller."""

    window: MainWindow
    launcher: TaskLauncher
    answer: Message = field(default_factory=lambda: Message(Role.MODEL))

    @property
    def view(self) -> ChatView:
        return self.window.view

    @property
    def controller(self) -> ChatController:
        return self.window.controller

    def reset_answer(self, prefill: str) -> None:
        """Start a fresh streaming answer holding ``prefill`` (untimed set-up).

        An earlier exchange fills the window first, as in any conversation past its
        first answer: otherwise the first flush that overflows the window pays for the
        scroll bar appearing (a one-off relayout at a new width), whatever the length.
        """
        self.view.set_messages(CONTEXT)
        self.answer = Message(Role.MODEL, status=MessageStatus.STREAMING, model="bench")
        self.view.begin_answer(self.answer)
        self.flush(prefill)

    def flush(self, text: str) -> None:
        """One frame as in the app: the answer grows, the pane takes what it gained."""
        self.answer.append_part(Part.from_text(text))
        self.view.flush_answer()

    def repaint(self) -> None:
        """Write what the flush rendered, then paint (synchronously), as the next turns would."""
        self.view.settle_live()
        self.view.surface.viewport().repaint()

    def close(self) -> None:
        self.window.close()


def build_pane(provider: Provider, settings: GenerationSettings) -> Pane:
    """The main window, as ``rill`` builds it, around ``provider``, shown and settled."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    launcher = TaskLauncher()
    theme = ThemeManager(app, "light")
    window = MainWindow(Settings(), launcher, theme, provider, settings)
    window.resize(*WINDOW_SIZE)
    window.show()
    QApplication.processEvents()
    return Pane(window, launcher)


class NaivePane:
    """The baseline view, with the same probe interface as :class:`Pane`."""

    def __init__(self, view: NaiveView) -> None:
        self.view = view
        view.resize(*WINDOW_SIZE)
        view.show()

    def reset_answer(self, prefill: str) -> None:
        self.view.set_messages(CONTEXT)
        self.view.begin_answer(Message(Role.MODEL))
        self.flush(prefill)

    def flush(self, text: str) -> None:
        self.view.append_to_answer(text, "")

    def repaint(self) -> None:
        self.view.viewport().repaint()

    def close(self) -> None:
        self.view.close()
