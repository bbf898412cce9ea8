"""The bytes a faulty server sends, in Gemini's and in OpenAI's dialect.

Each dialect knows its stream events, its last event, its error envelope and where
its API lives, so one fault case runs against both providers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


def sse(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\r\n\r\n"


@dataclass(frozen=True)
class Dialect:
    name: str  # "gemini" or "openai"

    # ---- where the API lives

    def api_root(self, base_url: str) -> str:
        """What the provider (and `rill ask --base-url`) is given."""
        return base_url if self.name == "gemini" else f"{base_url}/v1"

    def is_stream_request(self, target: str) -> bool:
        return (
            ("streamGenerateContent" in target)
            if self.name == "gemini"
            else (target.endswith("/chat/completions"))
        )

    # ---- stream events

    def event(self, text: str) -> bytes:
        """One streamed text chunk, without a finish reason."""
        if self.name == "gemini":
            return sse({"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}}]})
        return sse(
            {
                "id": "c1",
                "object": "chat.completion.chunk",
                "model": "m",
                "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
            }
        )

    def last(self, text: str) -> bytes:
        """The final chunk(s): text plus the finish reason (and [DONE] for OpenAI)."""
        if self.name == "gemini":
            return sse(
                {
                    "candidates": [
                        {
                            "content": {"role": "model", "parts": [{"text": text}]},
                            "finishReason": "STOP",
                        }
                    ]
                }
            )
        return (
            sse(
                {
                    "id": "c1",
                    "object": "chat.completion.chunk",
                    "model": "m",
                    "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": "stop"}],
                }
            )
            + b"data: [DONE]\r\n\r\n"
        )

    def answer(self, *texts: str) -> bytes:
        """A complete, well-formed stream of ``texts``."""
        *first, final = texts
        return b"".join(self.event(t) for t in first) + self.last(final)

    # ---- errors

    def error(
        self, status: int, message: str, retry_delay: float | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """An error body in the dialect's envelope and its extra headers."""
        if self.name == "gemini":
            names = {429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
            err: dict[str, Any] = {
                "code": status,
                "message": message,
                "status": names.get(status, "UNKNOWN"),
            }
            if retry_delay is not None:
                err["details"] = [
                    {
                        "@type": "type.googleapis.com/google.rpc.RetryInfo",
                        "retryDelay": f"{retry_delay:g}s",
                    }
                ]
            return json.dumps({"error": err}).encode(), {}
        headers = {} if retry_delay is None else {"retry-after": f"{retry_delay:g}"}
        body = {
            "error": {
                "message": message,
                "type": "rate_limit_exceeded" if status == 429 else "server_error",
                "code": None,
            }
        }
        return json.dumps(body).encode(), headers


GEMINI = Dialect("gemini")
OPENAI = Dialect("openai")
DIALECTS = (GEMINI, OPENAI)
