"""How full the chat's context is: the last answer's prompt tokens against the model's
input limit ("12.4k / 1M"), amber past 80 %, hidden when either number is unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QWidget

from rill.core.generation import ModelInfo, Role

if TYPE_CHECKING:  # the window's first paint names no message (issue 14, item 7)
    from rill.core.types import Message

WARN_AT = 0.8  # past this share of the limit the meter turns amber


def compact(count: int) -> str:
    """812 → "812", 12_412 → "12.4k", 125_000 → "125k", 1_048_576 → "1M",
    2_500_000 → "2.5M"."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if count >= size:
            value = count / size
            text = f"{value:.0f}" if value >= 100 else f"{value:.1f}".removesuffix(".0")
            return text + suffix
    return str(count)


class ContextMeter(QLabel):
    """A quiet label beside the model picker; ``full`` (a property the style sheet
    reads) is True past WARN_AT of the limit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contextMeter")
        self.setAccessibleName("Context used")
        self.setProperty("full", False)
        self.used: int | None = None
        self.limit: int | None = None
        self.hide()

    @property
    def full(self) -> bool:
        """Whether the context is past WARN_AT of the model's input limit."""
        return bool(self.property("full"))

    def show_usage(self, used: int | None, limit: int | None) -> None:
        """``used`` prompt tokens of a ``limit``; hidden when either is unknown."""
        self.used, self.limit = used, limit
        if used is None or not limit or limit <= 0 or used < 0:
            self.hide()
            return
        share = used / limit
        self.setText(f"{compact(used)} / {compact(limit)}")
        self.setToolTip(
            f"Context: {used:,} of {limit:,} input tokens ({share:.1%}), as the last "
            "answer's prompt counted them"
        )
        self.setAccessibleDescription(self.toolTip())
        full = share > WARN_AT
        if full != self.full:
            self.setProperty("full", full)
            self.style().unpolish(self)  # the style sheet colours it by "full"
            self.style().polish(self)
        self.show()


def last_prompt_tokens(history: Sequence[Message]) -> int | None:
    """The prompt tokens of the last answer in ``history`` that counted them (Gemini
    counts the whole conversation sent, so this is how full the context was)."""
    for message in reversed(history):
        usage = message.usage if message.role is Role.MODEL else None
        if usage is not None and usage.prompt_tokens is not None:
            return usage.prompt_tokens
    return None


def input_limit(models: Sequence[ModelInfo], model: str) -> int | None:
    """Model ``model``'s input token limit as the model list gives it (None: unknown)."""
    return next((m.input_token_limit for m in models if m.id == model), None)
