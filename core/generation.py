"""What a request asks of a model and what a model is: who speaks
(``Role``), the request's settings, a model's facts as its provider lists them.

Plain values without messages, apart from ``rill.core.types`` (which re-exports them,
so either name means the same class): the settings file and the window's first paint
use these, and must not pay for the message, part and answer dataclasses (issue 14,
item 7; each frozen dataclass costs ~0.6 ms to create).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """Who wrote a message."""

    USER = "user"
    MODEL = "model"


# The provider tools a chat can switch on, by GenerationSettings field name.
BUILTIN_TOOLS = ("google_search", "url_context", "code_execution")

SAFETY_CATEGORIES = (
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
)
SAFETY_THRESHOLDS = (
    "BLOCK_LOW_AND_ABOVE",
    "BLOCK_MEDIUM_AND_ABOVE",
    "BLOCK_ONLY_HIGH",
    "BLOCK_NONE",
    "OFF",
)


@dataclass(frozen=True, slots=True)
class GenerationSettings:
    """What the user chose for a request; None means "the provider's default"."""

    model: str = ""
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_output_tokens: int | None = None
    stop_sequences: tuple[str, ...] = ()
    seed: int | None = None
    system_instruction: str | None = None
    thinking_budget: int | None = None  # 0 off, -1 automatic
    include_thoughts: bool = False
    safety: tuple[tuple[str, str], ...] = ()  # (category, threshold)
    stream: bool = True
    # The provider's own tools (Gemini's), sent only where the provider has them.
    google_search: bool = False
    url_context: bool = False
    code_execution: bool = False
    image_output: bool = False  # ask for images in answers (image models)

    @property
    def tools(self) -> tuple[str, ...]:
        """The built-in tools these settings ask for, by field name, in a fixed order."""
        return tuple(name for name in BUILTIN_TOOLS if getattr(self, name))


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model as the provider lists it."""

    id: str  # what goes into a request, e.g. "gemini-2.5-flash"
    display_name: str = ""
    description: str = ""
    input_token_limit: int | None = None
    output_token_limit: int | None = None
    temperature: float | None = None  # the model's default
    max_temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    thinking: bool = False
    vision: bool = True
