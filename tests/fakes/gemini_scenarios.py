"""What the fake Gemini server answers to one generate/stream request.

A `Scenario` is plain, JSON-able data so the same description works in-process
(`FakeGemini.push(...)`) and across a process boundary (`POST /_fake/push`).
The builder functions below are the pleasant way to make one; they only fill in
fields, so anything they cannot express can still be written as `Scenario(...)`.

The texts of a scenario default to the echo answer ("Echo: <last user text>" in
word chunks), so most scenarios still prove which request they answered.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

FinishStyle = Literal["with_last_text", "empty_part", "content_less"]
SignatureAt = Literal["first", "last"]

# Standard base64 that contains '+' and '/', so a client which re-encodes the
# signature (for example as URL-safe base64) instead of echoing it is caught.
DEFAULT_SIGNATURE: str = base64.b64encode(
    b"\xfb\xff\xbe-rill-fake-thought-signature-\xfa\xfb\xfc\xfd\xfe\xff"
).decode("ascii")

DEFAULT_THOUGHT = "**Reading the request**\n\nThe user wants their words back, so I will echo them."

STATUS_BY_CODE: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}

# Messages as Google words them, so UI tests see realistic text.
DEFAULT_MESSAGES: dict[int, str] = {
    400: "Request contains an invalid argument.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: (
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting"
    ),
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}

QUOTA_MESSAGE = (
    "You exceeded your current quota, please check your plan and billing details. "
    "For more information on this error, head to: "
    "https://ai.google.dev/gemini-api/docs/rate-limits."
)


@dataclass(frozen=True)
class ErrorSpec:
    """One Google error: HTTP code, canonical status, message and typed details."""

    code: int
    status: str
    message: str
    details: tuple[dict[str, Any], ...] = ()
    retry_after: str | None = None  # an HTTP Retry-After header; Google itself sends none

    def envelope(self) -> dict[str, Any]:
        """The `{"error": {...}}` body Google sends for this error."""
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = [dict(d) for d in self.details]
        return {"error": error}


@dataclass(frozen=True)
class Scenario:
    """How to answer one generate/stream request; every field has a faithful default.

    `texts=None` means the echo answer; `thoughts=None` means one default thought
    when the request asks for thoughts (`thoughts=()` means none at all). The
    `*_after` fields count data events already sent, thought chunks included.
    """

    texts: tuple[str, ...] | None = None
    thoughts: tuple[str, ...] | None = None
    # Images the model answers with: (after how many text chunks, MIME type, base64
    # data), each an ``inlineData`` part in a chunk of its own, as image models send.
    images: tuple[tuple[int, str, str], ...] = ()
    thought_signature: str | None = None
    signature_at: SignatureAt = "last"
    finish_reason: str | None = "STOP"
    finish_style: FinishStyle = "with_last_text"
    usage: dict[str, int] | None = None  # merged over the computed final usageMetadata
    usage_on_every_chunk: bool = True  # False: older traffic, usage on the last chunk only
    usage_after_finish: bool = False  # the final usage in an event of its own after the finish
    cached_tokens: int | None = None
    model_version: str | None = None
    response_id: str | None = None
    first_delay: float = 0.0  # before the first byte of the body (time to first token)
    delay: float = 0.0  # between events
    crlf: bool = True  # "\r\n\r\n" after each event, as captured; False gives "\n\n"
    split_bytes: int | None = None  # write every event in pieces of this many bytes
    split_pause: float = 0.001  # pause between pieces so they reach the client apart
    multi_line_data: bool = False  # one event's JSON spread over several "data:" lines
    http_error: ErrorSpec | None = None  # answer with this error instead of a stream
    block_reason: str | None = None  # 200 + one promptFeedback event, no candidates
    no_candidates: bool = False  # 200 + one event of usage alone: no candidates, no block
    error_event: ErrorSpec | None = None  # an error event after `error_after` chunks
    error_after: int = 0
    hold_after: int | None = None  # hold the connection open after this many chunks
    abrupt_after: int | None = None  # then half an event and a torn-down socket
    malformed_after: int | None = None  # then an event that is not valid JSON
    label: str = "custom"  # shows up in assertion messages and /_fake/requests
    # Chunks of raw Gemini parts (one inner tuple per chunk) sent instead of `texts`:
    # code runs, function calls, images… (see gemini_tool_scenarios).
    raw_parts: tuple[tuple[dict[str, Any], ...], ...] | None = None
    # Fields merged into the last chunk's candidate: groundingMetadata,
    # urlContextMetadata, citationMetadata.
    candidate_meta: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; `Scenario.from_dict` reverses it."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scenario:
        """Rebuild a scenario from `to_dict()` output (or a hand-written subset of it)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown scenario fields: {sorted(unknown)}")
        values = dict(data)
        for key in ("texts", "thoughts"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        if "images" in values:
            values["images"] = tuple(tuple(image) for image in values["images"] or ())
        if values.get("raw_parts") is not None:
            values["raw_parts"] = tuple(tuple(chunk) for chunk in values["raw_parts"])
        for key in ("http_error", "error_event"):
            if isinstance(values.get(key), dict):
                spec = dict(values[key])
                spec["details"] = tuple(spec.get("details") or ())
                values[key] = ErrorSpec(**spec)
        return cls(**values)


def error_spec(
    code: int,
    message: str | None = None,
    *,
    status: str | None = None,
    details: tuple[dict[str, Any], ...] | list[dict[str, Any]] = (),
    retry_delay: str | None = None,
    retry_after: int | str | None = None,
) -> ErrorSpec:
    """An ErrorSpec with Google's status name and wording filled in for `code`."""
    all_details = list(details)
    if retry_delay is not None:
        all_details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}
        )
    return ErrorSpec(
        code=code,
        status=status or STATUS_BY_CODE.get(code, "UNKNOWN"),
        message=message or DEFAULT_MESSAGES.get(code, "Unknown error."),
        details=tuple(all_details),
        retry_after=None if retry_after is None else str(retry_after),
    )


def _seq(texts: list[str] | tuple[str, ...] | None) -> tuple[str, ...] | None:
    return None if texts is None else tuple(texts)


def stream(
    texts: list[str] | tuple[str, ...] | None = None,
    *,
    finish_reason: str | None = "STOP",
    usage: dict[str, int] | None = None,
    thoughts: list[str] | tuple[str, ...] | None = None,
    signature: str | None = None,
    delay: float = 0.0,
    crlf: bool = True,
    split_bytes: int | None = None,
    multi_line_data: bool = False,
    **fields: Any,
) -> Scenario:
    """A normal streamed answer; `fields` sets any other Scenario field."""
    return Scenario(
        texts=_seq(texts),
        finish_reason=finish_reason,
        usage=usage,
        thoughts=_seq(thoughts),
        thought_signature=signature,
        delay=delay,
        crlf=crlf,
        split_bytes=split_bytes,
        multi_line_data=multi_line_data,
        label=fields.pop("label", "stream"),
        **fields,
    )


def thinking(
    thoughts: list[str] | tuple[str, ...] = (
        "**Planning the answer**\n\nI should restate what the user said.\n\n",
        "**Checking**\n\nNothing else is needed.",
    ),
    texts: list[str] | tuple[str, ...] | None = None,
    *,
    signature: str | None = DEFAULT_SIGNATURE,
    **fields: Any,
) -> Scenario:
    """Thought chunks (sent only if the request sets includeThoughts) before the answer."""
    return stream(texts, thoughts=thoughts, signature=signature, label="thinking", **fields)


def http_error(
    status: int,
    message: str | None = None,
    *,
    status_text: str | None = None,
    details: tuple[dict[str, Any], ...] | list[dict[str, Any]] = (),
    retry_delay: str | None = None,
    retry_after: int | str | None = None,
) -> Scenario:
    """An error before the stream: HTTP `status` with Google's envelope."""
    spec = error_spec(
        status,
        message,
        status=status_text,
        details=details,
        retry_delay=retry_delay,
        retry_after=retry_after,
    )
    return Scenario(http_error=spec, label=f"http_error_{status}")


def rate_limited(
    retry_delay: str | None = "15s",
    *,
    retry_after: int | str | None = None,
    message: str = QUOTA_MESSAGE,
    model: str = "gemini-2.5-flash",
) -> Scenario:
    """A 429 shaped like Google's quota error: QuotaFailure, Help and RetryInfo details."""
    details: list[dict[str, Any]] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": (
                        "generativelanguage.googleapis.com/generate_content_free_tier_requests"
                    ),
                    "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
                    "quotaDimensions": {"location": "global", "model": model},
                    "quotaValue": "10",
                }
            ],
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
    ]
    return http_error(
        429, message, details=details, retry_delay=retry_delay, retry_after=retry_after
    )


def blocked(reason: str = "PROHIBITED_CONTENT") -> Scenario:
    """A blocked prompt: HTTP 200 and one event with promptFeedback.blockReason only."""
    return Scenario(block_reason=reason, label=f"blocked_{reason}")


def no_candidates() -> Scenario:
    """HTTP 200 and one event with usage but neither candidates nor a block reason (the
    same body, merged, for generateContent): the server returned no answer."""
    return Scenario(no_candidates=True, label="no_candidates")


def error_event_after(
    n_chunks: int = 2,
    code: int = 503,
    status: str | None = None,
    message: str | None = None,
    *,
    texts: list[str] | tuple[str, ...] | None = None,
) -> Scenario:
    """`n_chunks` good chunks, then `data: {"error": ...}` and the body ends."""
    return Scenario(
        texts=_seq(texts),
        error_event=error_spec(code, message, status=status),
        error_after=n_chunks,
        label="error_event",
    )


def content_less_finish(
    texts: list[str] | tuple[str, ...] | None = None, finish_reason: str = "STOP"
) -> Scenario:
    """The finishReason arrives in a last chunk whose candidate has no content."""
    return Scenario(
        texts=_seq(texts),
        finish_reason=finish_reason,
        finish_style="content_less",
        label="content_less_finish",
    )


def empty_part_finish(
    texts: list[str] | tuple[str, ...] | None = None, finish_reason: str = "STOP"
) -> Scenario:
    """Newer-model style: the last chunk is an empty text part plus finishReason."""
    return Scenario(
        texts=_seq(texts),
        finish_reason=finish_reason,
        finish_style="empty_part",
        label="empty_part_finish",
    )


SLOW_TEXTS: tuple[str, ...] = tuple(f"Slow chunk {i}. " for i in range(1, 21))


def slow(interval: float = 0.1, texts: list[str] | tuple[str, ...] | None = SLOW_TEXTS) -> Scenario:
    """Chunks `interval` seconds apart; the server notices a hang-up while it waits."""
    return Scenario(texts=_seq(texts), delay=interval, label="slow")


def hold_open(
    first_texts: list[str] | tuple[str, ...] = ("Hello",),
    then_texts: list[str] | tuple[str, ...] = (", world.",),
) -> Scenario:
    """Send `first_texts`, then hold until the client hangs up, `release()` or stop."""
    return Scenario(
        texts=(*first_texts, *then_texts), hold_after=len(first_texts), label="hold_open"
    )


def abrupt_close(
    after_chunks: int = 1, texts: list[str] | tuple[str, ...] | None = None
) -> Scenario:
    """After `after_chunks` chunks: half an event, then the socket closes mid-body."""
    return Scenario(texts=_seq(texts), abrupt_after=after_chunks, label="abrupt_close")


def malformed_json(
    after_chunks: int = 1, texts: list[str] | tuple[str, ...] | None = None
) -> Scenario:
    """After `after_chunks` good chunks, an event whose data is broken JSON."""
    return Scenario(texts=_seq(texts), malformed_after=after_chunks, label="malformed_json")


HOLD_AT_END = 1_000_000  # a hold_after past every event: hold once the answer is sent


def finish_then_hold(texts: list[str] | tuple[str, ...] | None = None, **fields: Any) -> Scenario:
    """The whole answer (finishReason and usage), then the connection held open with
    nothing more: the body never ends until the client hangs up (or `release()`)."""
    return Scenario(
        texts=_seq(texts),
        hold_after=HOLD_AT_END,
        label=fields.pop("label", "finish_then_hold"),
        **fields,
    )


def no_finish(texts: list[str] | tuple[str, ...] | None = None) -> Scenario:
    """A clean end of body without any finishReason: what a dropped stream looks like."""
    return Scenario(texts=_seq(texts), finish_reason=None, label="no_finish")


def huge_text(total_chars: int) -> str:
    """Deterministic Markdown of exactly `total_chars` characters (multi-byte ones too)."""
    pieces: list[str] = []
    size = 0
    n = 0
    while size < total_chars:
        n += 1
        if n % 7 == 0:
            block = f"```python\ndef block_{n}():\n    return {n} * 2  # ok\n```\n\n"
        else:
            block = (
                f"Paragraph {n}: the quick brown fox jumps over the lazy dog — "
                f"café, naïve, 日本語, 😀 and **bold** `code` text number {n}.\n\n"
            )
        pieces.append(block)
        size += len(block)
    return "".join(pieces)[:total_chars]


def huge(total_chars: int = 300_000, chunk_size: int = 1000) -> Scenario:
    """A long answer, `huge_text(total_chars)` cut into `chunk_size`-character chunks."""
    text = huge_text(total_chars)
    chunks = tuple(text[i : i + chunk_size] for i in range(0, len(text), chunk_size))
    return Scenario(texts=chunks, label="huge")


def fail_n_times_then_ok(
    n: int,
    status: int = 503,
    *,
    retry_delay: str | None = None,
    then: Scenario | None = None,
) -> list[Scenario]:
    """`n` HTTP errors followed by a good answer: push the whole list for a retry test."""
    return [http_error(status, retry_delay=retry_delay) for _ in range(n)] + [then or Scenario()]


# Model ids that select a scenario by name (for a server in another process).
# "fake-404" and "fake-flaky" are handled by the server itself; see gemini_server.
FAKE_MODEL_SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "fake-echo": Scenario,
    "fake-blocked": blocked,
    "fake-no-candidates": no_candidates,
    "fake-error-event": lambda: error_event_after(
        2, texts=("Partial ", "answer ", "never finished.")
    ),
    "fake-no-finish": no_finish,
    "fake-hold": hold_open,
    "fake-finish-hold": finish_then_hold,
    "fake-slow": slow,
    "fake-huge": huge,
    "fake-thoughts": thinking,
    "fake-bad-json": malformed_json,
    "fake-abrupt": abrupt_close,
    "fake-content-less-finish": content_less_finish,
    "fake-empty-part-finish": empty_part_finish,
    "fake-max-tokens": lambda: stream(finish_reason="MAX_TOKENS"),
    "fake-safety": lambda: stream(finish_reason="SAFETY"),
    "fake-400": lambda: http_error(400),
    "fake-403": lambda: http_error(403),
    "fake-429": lambda: rate_limited(retry_delay="1s"),
    "fake-500": lambda: http_error(500),
    "fake-503": lambda: http_error(503),
    "fake-504": lambda: http_error(504),
}
