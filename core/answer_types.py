"""Provider-neutral kinds of answer content beyond text and images.

Code the model ran and what it printed, function calls and their responses (parts of
a turn, in stream order), and what an answer carries beside its parts: the web
searches and sources that ground it, the URLs it read, the works it recited. A
provider decodes its own JSON into these; nothing past the provider sees that JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """How a code run ended (UNKNOWN: the provider said something else, or nothing)."""

    OK = "ok"
    FAILED = "failed"
    DEADLINE_EXCEEDED = "deadline_exceeded"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class CodeRun:
    """Code the model wrote and the provider ran for it (Gemini's code execution)."""

    code: str
    language: str = "python"  # lower case, as a Markdown fence names it


@dataclass(frozen=True, slots=True)
class CodeResult:
    """What the code run before it printed, and how it ended."""

    outcome: Outcome
    output: str = ""


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """The model asks the client to call a function (a tool from a server).

    ``args`` is the JSON text of the arguments, kept as received so it goes back
    exactly; ``id`` pairs the call with its response (absent on older models).
    """

    name: str
    args: str = "{}"
    id: str | None = None
    # The request this call answers offered the model tools from servers, so Rill
    # runs or refuses it (never sent: the provider's JSON has no such field).
    offered: bool = False


# How a call the model made was decided (``FunctionResponse.decision``).
DECISION_LABELS = {
    "allow_once": "allowed once",
    "allow_in_chat": "allowed in this chat",
    "always_allow": "always allowed",
    "deny": "denied",
    "not_run": "not run",
}


@dataclass(frozen=True, slots=True)
class FunctionResponse:
    """The client's answer to a :class:`FunctionCall` (``response`` as JSON text).

    When Rill ran (or refused) a tool from a server, ``server`` and ``tool`` name it,
    ``decision`` says how the call was decided (a ``DECISION_LABELS`` key) and
    ``is_error`` whether the result is an error (a denial included). None of these
    go to the model; ``response`` does.
    """

    name: str
    response: str = "{}"
    id: str | None = None
    server: str | None = None
    tool: str | None = None
    decision: str | None = None
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class FunctionDeclaration:
    """A function the model may call (a tool from a server), as a request offers it.

    ``parameters`` is the JSON Schema of its arguments as JSON text (an object schema).
    """

    name: str
    description: str = ""
    parameters: str = '{"type":"object"}'


# ---------------------------------------------------------------- grounding


@dataclass(frozen=True, slots=True)
class Source:
    """A source that grounds an answer: a web page, or a retrieved document.

    Any field may be missing: a server's metadata is never trusted to be whole.
    """

    uri: str | None = None
    title: str | None = None
    kind: str = "web"  # "web" or "retrieved" (retrievedContext)
    text: str | None = None  # a retrieved document's excerpt, where given


@dataclass(frozen=True, slots=True)
class Support:
    """A stretch of the answer backed by sources.

    ``start`` and ``end`` are UTF-8 byte offsets into the answer text (Gemini's
    convention); ``sources`` index :attr:`Grounding.sources`; ``confidence`` pairs
    with them where the provider gives it.
    """

    end: int
    start: int = 0
    text: str | None = None
    part_index: int | None = None
    sources: tuple[int, ...] = ()
    confidence: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Grounding:
    """How a web search grounded an answer.

    ``search_entry_point`` is the HTML and CSS Google asks apps to show as search
    suggestions: kept for the record, never rendered (Rill shows ``queries`` as plain
    links instead, and loads nothing remote).
    """

    queries: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    supports: tuple[Support, ...] = ()
    search_entry_point: str | None = None

    @property
    def empty(self) -> bool:
        """Whether it says nothing at all."""
        return not (self.queries or self.sources or self.supports or self.search_entry_point)


@dataclass(frozen=True, slots=True)
class UrlRead:
    """A URL the model was asked to read (URL context) and whether it could."""

    url: str
    status: str = "unknown"  # "success", "error", "paywall", "unsafe", "unknown"

    @property
    def ok(self) -> bool:
        """Whether the page was read."""
        return self.status == "success"


@dataclass(frozen=True, slots=True)
class Citation:
    """A work the answer recites (``citationMetadata``): where, from what, under which
    licence. Offsets are as the provider gave them; any may be missing."""

    uri: str | None = None
    title: str | None = None
    license: str | None = None
    start: int | None = None
    end: int | None = None
