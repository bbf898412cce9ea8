"""What the fake OpenAI-compatible server answers to one chat/completions request.

An ``OAIScenario`` is plain data; the builders below fill in fields for the common
cases. ``texts=None`` means the echo answer ("Echo: <last user text>" in chunks of
three words), so most scenarios still prove which request they answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ReasoningField = Literal["reasoning_content", "reasoning"]
# "string": content is a string (OpenAI and most servers). "mistral": Mistral's API,
# where content may be a list of typed items: thoughts as {"type": "thinking",
# "thinking": [{"type": "text", ...}]}, answer text as {"type": "text", ...}.
ContentStyle = Literal["string", "mistral"]


@dataclass(frozen=True)
class OAIScenario:
    """How to answer one request. Every field has a faithful default (OpenAI's traffic)."""

    texts: tuple[str, ...] | None = None  # None: the echo answer
    reasoning: tuple[str, ...] = ()  # sent first, as delta.<reasoning_field>
    reasoning_field: ReasoningField = "reasoning_content"
    content_style: ContentStyle = "string"
    finish_reason: str | None = "stop"
    model: str | None = None  # the "model" field of chunks (default: the one asked for)
    send_done: bool = True  # "data: [DONE]" at the end
    hold_before_done: bool = False  # after the finish (and usage): hold the connection open
    role_chunk: bool = True  # OpenAI opens with delta {"role": "assistant", "content": ""}
    keepalive: bool = False  # ": keep-alive" comment lines between events (OpenRouter)
    first_delay: float = 0.0
    delay: float = 0.0  # between events
    split_bytes: int | None = None  # write each event in pieces of this many bytes
    crlf: bool = False  # OpenAI ends events with "\n\n"
    http_status: int | None = None  # answer with this error instead of a stream
    error_body: Any = None  # the error response's JSON (or str for a raw body)
    error_content_type: str = "application/json"
    retry_after: str | None = None
    error_after: int | None = None  # an {"error": ...} event after this many text chunks
    hold_after: int | None = None  # hold the connection open after this many text chunks
    abrupt_after: int | None = None  # then half an event and a torn-down socket
    malformed_after: int | None = None  # then an event that is not valid JSON
    ignore_stream: bool = False  # answer one JSON completion even when stream is true
    no_choices: bool = False  # 200 with "choices": [] (then usage and [DONE]): no answer
    # Function calls after the texts: (id, name, arguments JSON text) each; streamed as
    # ``delta.tool_calls`` by index, the arguments cut into pieces of ``arg_piece`` chars.
    tool_calls: tuple[tuple[str, str, str], ...] = ()
    arg_piece: int = 7
    label: str = "custom"


def stream(texts: list[str] | tuple[str, ...], **fields: Any) -> OAIScenario:
    """A plain streamed answer of these text deltas."""
    return OAIScenario(texts=tuple(texts), label="stream", **fields)


def http_error(
    status: int,
    message: str | None = None,
    *,
    code: str | None = None,
    error_type: str | None = None,
    retry_after: str | None = None,
) -> OAIScenario:
    """An error answer in OpenAI's envelope."""
    kind = error_type or ("server_error" if status >= 500 else "invalid_request_error")
    body = {
        "error": {
            "message": message or DEFAULT_MESSAGES.get(status, "Error."),
            "type": kind,
            "param": None,
            "code": code,
        }
    }
    return OAIScenario(
        http_status=status, error_body=body, retry_after=retry_after, label=f"http-{status}"
    )


def raw_error(status: int, body: Any, content_type: str = "application/json") -> OAIScenario:
    """An error answer with any body (vLLM's top-level shape, HTML from a proxy…)."""
    return OAIScenario(
        http_status=status, error_body=body, error_content_type=content_type, label="raw"
    )


def hold_open(texts: tuple[str, ...] = ("Hello",)) -> OAIScenario:
    """Some text, then the connection held open until released or hung up."""
    return OAIScenario(texts=texts, hold_after=len(texts), label="hold")


def mistral(
    texts: tuple[str, ...] = ("3", "91"),
    reasoning: tuple[str, ...] = ("17 times 23 ", "is 391."),
    **fields: Any,
) -> OAIScenario:
    """Mistral's shape of a thinking model's answer (magistral): streamed, each thought
    is a ``thinking`` item in a ``content`` list, the first answer piece comes as a
    one-item list and the rest as strings; not streamed, ``message.content`` is the
    list of a thinking item and a text item. A ``reference`` item (no text) rides in
    the thoughts, as Mistral's schema allows."""
    return OAIScenario(
        texts=texts, reasoning=reasoning, content_style="mistral", label="mistral", **fields
    )


def tool_calls(*calls: tuple[str, str, str], texts: tuple[str, ...] = ()) -> OAIScenario:
    """An answer that calls functions (several: parallel calls), finish "tool_calls"."""
    return OAIScenario(
        texts=texts, tool_calls=tuple(calls), finish_reason="tool_calls", label="tool_calls"
    )


def no_choices() -> OAIScenario:
    """A 200 whose choices are empty, streamed (usage and [DONE] only) or not."""
    return OAIScenario(no_choices=True, label="no_choices")


def finish_then_hold(texts: tuple[str, ...] | None = None, **fields: Any) -> OAIScenario:
    """The whole answer (finish_reason, then usage), and then the connection held open
    without ``[DONE]`` until released or hung up."""
    return OAIScenario(texts=texts, hold_before_done=True, label="finish_then_hold", **fields)


DEFAULT_MESSAGES = {
    400: "Invalid request.",
    401: "Incorrect API key provided.",
    403: "You are not allowed to sample from this model.",
    404: "The model does not exist or you do not have access to it.",
    429: "Rate limit reached for requests.",
    500: "The server had an error while processing your request. Sorry about that!",
    503: "The engine is currently overloaded, please try again later.",
}
