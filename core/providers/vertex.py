"""Gemini on Vertex AI: the same JSON as the Developer API, another address and OAuth.

Requests go to ``https://{location}-aiplatform.googleapis.com/v1/projects/{p}/
locations/{l}/publishers/google/models/{m}:streamGenerateContent?alt=sse`` with an
``Authorization: Bearer`` token from Application Default Credentials. ``google-auth``
is an optional extra (``pip install rill-chat[vertex]``), imported only when a
Vertex provider is made; refreshing a token is blocking HTTP, so it runs on a worker
thread. ``gs://`` URIs are native on Vertex.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from rill.core.errors import AuthError, ConfigurationError
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.model_choice import require_model
from rill.core.providers.sse import EventStream
from rill.core.types import GenerateRequest, Message, ModelInfo

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
DEFAULT_LOCATION = "us-central1"
# The official SDK's variables.
PROJECT_ENV_VARS = ("GOOGLE_CLOUD_PROJECT",)
LOCATION_ENV_VARS = ("GOOGLE_CLOUD_LOCATION", "GOOGLE_CLOUD_REGION")
# Vertex has no "list the models I may call" for publisher models in v1; these are the
# current Gemini models the UI offers (any other id can still be typed in).
KNOWN_MODELS = (
    ("gemini-2.5-pro", "Gemini 2.5 Pro", True),
    ("gemini-2.5-flash", "Gemini 2.5 Flash", True),
    ("gemini-2.5-flash-lite", "Gemini 2.5 Flash-Lite", True),
    ("gemini-2.0-flash", "Gemini 2.0 Flash", False),
    ("gemini-2.0-flash-lite", "Gemini 2.0 Flash-Lite", False),
)


class TokenSource(Protocol):
    """Gives a valid OAuth access token; may block (it is called off the event loop)."""

    def token(self) -> str:
        """A valid access token (refreshed first when it has expired)."""

    def quota_project(self) -> str | None:
        """The project to bill quota to (``x-goog-user-project``), if any."""


class StaticToken:
    """A fixed token (tests, or a token minted elsewhere)."""

    def __init__(self, token: str, quota_project: str | None = None) -> None:
        self._token = token
        self._quota_project = quota_project

    def token(self) -> str:
        """The fixed token."""
        return self._token

    def quota_project(self) -> str | None:
        """The fixed quota project, if any."""
        return self._quota_project


class AdcTokenSource:
    """Application Default Credentials through ``google-auth``, refreshed when stale."""

    def __init__(self, scopes: tuple[str, ...] = SCOPES) -> None:
        try:
            import google.auth
            import google.auth.exceptions
            import google.auth.transport.requests
        except ImportError:
            raise ConfigurationError(
                "Vertex AI needs google-auth: pip install 'rill-chat[vertex]'."
            ) from None
        self._transport = google.auth.transport.requests
        self._errors = google.auth.exceptions
        try:
            credentials, project = google.auth.default(scopes=list(scopes))
        except google.auth.exceptions.DefaultCredentialsError as exc:
            raise ConfigurationError(
                "No Google Cloud credentials found: run `gcloud auth application-default "
                "login`, or set GOOGLE_APPLICATION_CREDENTIALS.",
                detail=str(exc),
            ) from None
        self.credentials: Any = credentials
        self.project: str | None = project
        self._lock = threading.Lock()

    def token(self) -> str:
        """A valid access token, refreshed through google-auth when stale."""
        with self._lock:
            if not self.credentials.valid:
                try:
                    self.credentials.refresh(self._transport.Request())
                except self._errors.GoogleAuthError as exc:
                    raise AuthError(
                        "Google Cloud credentials could not be refreshed; sign in again "
                        "(gcloud auth application-default login).",
                        detail=str(exc),
                    ) from None
            return str(self.credentials.token)

    def quota_project(self) -> str | None:
        """The quota project of the credentials, if they name one."""
        value = getattr(self.credentials, "quota_project_id", None)
        return value if isinstance(value, str) and value else None


def env_project() -> str | None:
    """The Google Cloud project named in the environment, if any."""
    for name in PROJECT_ENV_VARS:
        if value := os.environ.get(name, "").strip():
            return value
    return None


def env_location() -> str | None:
    """The Vertex AI location named in the environment, if any."""
    for name in LOCATION_ENV_VARS:
        if value := os.environ.get(name, "").strip():
            return value
    return None


def vertex_base_url(location: str) -> str:
    """``https://{location}-aiplatform.googleapis.com`` (the global endpoint has no prefix)."""
    if location == "global":
        return "https://aiplatform.googleapis.com"
    return f"https://{location}-aiplatform.googleapis.com"


class VertexProvider(GeminiProvider):
    """Gemini through Vertex AI. Everything but the address and the auth is Gemini's."""

    name = "vertex"
    can_upload_files = False  # the Files API is the Developer API's; Vertex reads gs://

    def __init__(
        self,
        project: str | None = None,
        location: str | None = None,
        *,
        token_source: TokenSource | None = None,
        base_url: str | None = None,
        read_timeout: float = 60.0,
        connect_timeout: float = 10.0,
        proxy: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        source = token_source if token_source is not None else AdcTokenSource()
        project = project or env_project() or getattr(source, "project", None)
        if not project:
            raise ConfigurationError(
                "Vertex AI needs a Google Cloud project: set it in the provider's settings "
                "or GOOGLE_CLOUD_PROJECT."
            )
        self.project: str = project
        self.location: str = location or env_location() or DEFAULT_LOCATION
        self._source = source
        self._bearer: str | None = None
        super().__init__(
            None,
            base_url or vertex_base_url(self.location),
            read_timeout=read_timeout,
            connect_timeout=connect_timeout,
            api_version="v1",
            proxy=proxy,
            transport=transport,
        )

    # GeminiProvider's hooks: where requests go and what they carry.

    def _headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self._bearer:
            headers["authorization"] = f"Bearer {self._bearer}"
        quota = self._source.quota_project()
        if quota:
            headers["x-goog-user-project"] = quota
        return headers

    def _model_path(self, model: str, method: str) -> str:
        model_id = require_model(model, self.host)
        model_id = model_id.removeprefix("models/").removeprefix("publishers/google/models/")
        project, location = quote(self.project, safe=""), quote(self.location, safe="")
        model_part = quote(model_id, safe="-._~")
        return self._url(
            f"projects/{project}/locations/{location}/publishers/google/models/{model_part}:{method}"
        )

    async def _refresh(self) -> None:
        """A valid token, fetched on a worker thread (google-auth refreshes with blocking I/O)."""
        self._bearer = await asyncio.to_thread(self._source.token)

    # The protocol: the same calls, each with a fresh token first.

    async def _open_stream(self, request: GenerateRequest) -> EventStream:
        """Gemini's stream, opened with a fresh token (its chunks never come through here)."""
        await self._refresh()
        return await super()._open_stream(request)

    async def generate(self, request: GenerateRequest) -> Message:
        """Gemini's one-shot answer, with a fresh token first."""
        await self._refresh()
        return await super().generate(request)

    async def count_tokens(self, request: GenerateRequest) -> int:
        """Gemini's token count, with a fresh token first."""
        await self._refresh()
        return await super().count_tokens(request)

    async def list_models(self) -> list[ModelInfo]:
        """The current Gemini models (a fixed list: v1 has no listing for publisher models)."""
        return [
            ModelInfo(id=mid, display_name=name, max_temperature=2.0, thinking=thinking)
            for mid, name, thinking in KNOWN_MODELS
        ]
