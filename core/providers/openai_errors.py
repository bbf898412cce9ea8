"""OpenAI-compatible servers' errors, whatever shape they come in, as Rill's hierarchy.

OpenAI sends ``{"error": {"message", "type", "code"}}``; vLLM puts those at the top
level; Ollama sends ``{"error": "text"}``; FastAPI servers ``{"detail": …}``; Gemini's
OpenAI face wraps the envelope in a list; proxies send HTML. All of them end here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rill.core.errors import (
    AuthError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeoutError,
    RillError,
    ServerError,
)
from rill.core.providers.gemini_wire import parse_retry_after


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """The parts of an error body that say what went wrong, whatever its shape."""

    message: str = ""
    type: str = ""
    code: str = ""


def _error_info(body: Any) -> ErrorInfo:
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, dict):
        return ErrorInfo()
    err = body.get("error")
    if isinstance(err, str):  # Ollama, some proxies: {"error": "model not found"}
        return ErrorInfo(message=err)
    if not isinstance(err, dict):
        # vLLM: {"object": "error", "message": ..., "type": ..., "code": ...};
        # FastAPI: {"detail": ...}
        if body.get("object") == "error" or "message" in body:
            err = body
        elif "detail" in body:
            return ErrorInfo(message=str(body["detail"]))
        else:
            return ErrorInfo()
    code = err.get("code")
    return ErrorInfo(
        message=str(err.get("message") or ""),
        type=str(err.get("type") or err.get("status") or ""),
        code="" if code is None else str(code),
    )


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def error_from_body(
    body: Any,
    *,
    http_status: int | None,
    retry_after: str | None = None,
    model: str | None = None,
    label: str = "The server",
) -> RillError:
    """Map an error body (any of the shapes servers use) and status onto the hierarchy.

    ``http_status`` None means an error event after the stream had begun: a server
    fault unless its code says otherwise.
    """
    info = _error_info(body)
    # ASCII and short: "²" is a digit to isdigit(), and int() refuses 4300+ digits.
    numeric = (
        int(info.code)
        if info.code.isascii() and info.code.isdigit() and len(info.code) < 10
        else None
    )
    status = http_status or numeric or 0
    said = _first_line(info.message)
    tail = f": {said}" if said else "."
    detail = info.message or None
    wait = parse_retry_after(retry_after)
    code_text = f"{info.code} {info.type}".lower()

    if status == 401 or "invalid_api_key" in code_text or info.type == "authentication_error":
        return AuthError(
            f"{label} did not accept the API key (401){tail}", detail=detail, status=401
        )
    if status == 402:
        return PermissionDeniedError(
            f"{label} refused: payment required (402){tail}", detail=detail, status=402
        )
    if status == 403:
        return PermissionDeniedError(
            f"{label} denied access (403){tail}", detail=detail, status=403
        )
    if status == 404 or "model_not_found" in code_text:
        what = f"The model '{model}' was not found" if model else "Not found"
        return NotFoundError(f"{what} (404){tail}", detail=detail, status=404)
    if status == 429 or "rate_limit" in code_text or "insufficient_quota" in code_text:
        return RateLimitedError(
            f"{label}'s rate limit or quota was reached (429){tail}",
            retry_after=wait,
            detail=detail,
            status=429,
        )
    if status == 408:
        return RequestTimeoutError(f"{label} timed out waiting for the request (408).")
    if status >= 500 or http_status is None:
        shown = status or "error event"
        return ServerError(
            f"{label} had a server error ({shown}){tail}",
            detail=detail,
            status=status or None,
            retry_after=wait,
        )
    if 400 <= status < 500:
        return InvalidRequestError(
            f"{label} rejected the request ({status}){tail}", detail=detail, status=status
        )
    return ServerError(f"{label} reported an error ({status}){tail}", detail=detail)


def error_from_http(
    status: int,
    body: bytes,
    content_type: str,
    retry_after: str | None,
    model: str | None,
    label: str = "The server",
) -> RillError:
    """An HTTP error response as a typed error, whether or not its body is JSON.

    A 404 whose body is not JSON usually means the base URL is wrong (a missing
    ``/v1``), so the message says so.
    """
    parsed: Any = None
    stripped = body.lstrip()
    if "json" in content_type or stripped.startswith((b"{", b"[")):
        try:
            parsed = json.loads(body.decode("utf-8", "replace"))
        except (ValueError, RecursionError):  # ValueError: JSONDecodeError, 4300+ digit ints
            parsed = None
    info = _error_info(parsed)
    if parsed is None or not (info.message or info.code or info.type):
        text = body.decode("utf-8", "replace")
        if status == 404:
            kind = content_type.split(";")[0].strip() or "no content type"
            return NotFoundError(
                f"{label} has no such endpoint (HTTP 404, {kind}); check the base URL "
                "(it usually ends in /v1).",
                detail=_first_line(text) or None,
                status=404,
            )
        parsed = {"error": {"message": _first_line(text) if "html" not in content_type else ""}}
        # Not an API error body: a proxy, gateway or captive portal answered. Say what
        # came back, as the Gemini provider does.
        kind = content_type.split(";")[0].strip() or "no content type"
        error = error_from_body(
            parsed, http_status=status, retry_after=retry_after, model=model, label=label
        )
        error.message = (
            error.message.rstrip(".") + f" — the server answered HTTP {status} ({kind})."
        )
        error.args = (error.message,)
        return error
    return error_from_body(
        parsed, http_status=status, retry_after=retry_after, model=model, label=label
    )


def rejects_stream_options(error: RillError) -> bool:
    """Whether a 400/422 is the server refusing ``stream_options`` (older servers do)."""
    if error.status not in (400, 422):
        return False
    text = f"{error.message} {error.detail or ''}".lower()
    return "stream_options" in text or "include_usage" in text
