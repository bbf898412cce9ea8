"""One error hierarchy the UIs can explain; every provider maps its failures onto it.

Each error's ``str()`` is one human line fit for a status bar or a terminal.
"""

from __future__ import annotations


class RillError(Exception):
    """Base of every failure a provider or the chat session reports.

    ``retryable`` says whether trying the same request again may succeed;
    ``detail`` keeps the server's own words for a "details" disclosure.
    """

    retryable = False
    kind = "error"

    def __init__(self, message: str, *, detail: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.status = status

    def __str__(self) -> str:
        return self.message


class AuthError(RillError):
    """The API key was rejected or is missing."""

    kind = "auth"


class PermissionDeniedError(RillError):
    """The key is valid but may not do this (HTTP 403)."""

    kind = "permission"


class NotFoundError(RillError):
    """Unknown model or resource (HTTP 404)."""

    kind = "not_found"


class InvalidRequestError(RillError):
    """The server refused the request as malformed or unsupported (HTTP 400)."""

    kind = "invalid_request"


class BlockedError(RillError):
    """The provider blocked the prompt or the answer; ``reason`` is its code."""

    kind = "blocked"

    def __init__(self, message: str, *, reason: str, detail: str | None = None):
        super().__init__(message, detail=detail)
        self.reason = reason


class RateLimitedError(RillError):
    """Too many requests or quota used up (HTTP 429); ``retry_after`` in seconds."""

    kind = "rate_limited"
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        detail: str | None = None,
        status: int | None = 429,
    ):
        super().__init__(message, detail=detail, status=status)
        self.retry_after = retry_after


class ServerError(RillError):
    """The provider failed on its side (HTTP 5xx, or an error event mid-stream)."""

    kind = "server"
    retryable = True

    def __init__(
        self,
        message: str,
        *,
        detail: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, detail=detail, status=status)
        self.retry_after = retry_after


class NetworkError(RillError):
    """The connection failed or broke (refused, DNS, TLS, reset)."""

    kind = "network"
    retryable = True


class StreamInterruptedError(NetworkError):
    """The answer stopped before the provider said it was finished."""

    kind = "interrupted"


class RequestTimeoutError(RillError):
    """Nothing arrived within the connect or idle-read timeout."""

    kind = "timeout"
    retryable = True


class ProtocolError(RillError):
    """The server answered with something that is not the protocol (bad JSON, HTML)."""

    kind = "protocol"


class CancelledByUserError(RillError):
    """The user stopped the request."""

    kind = "cancelled"

    def __init__(self, message: str = "Stopped.") -> None:
        super().__init__(message)


class ConfigurationError(RillError):
    """Rill itself is not set up for this (no key, unknown provider)."""

    kind = "configuration"
