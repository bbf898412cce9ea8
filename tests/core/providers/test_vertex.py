"""VertexProvider against the fake Gemini server in Vertex mode (bearer token, project path).

The ADC test uses real google-auth: a service-account credentials file (a key made
on the spot) whose token endpoint is a tiny local server, so the refresh is real
HTTP on 127.0.0.1.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from rill.core.errors import AuthError, ConfigurationError
from rill.core.providers.vertex import (
    AdcTokenSource,
    StaticToken,
    VertexProvider,
    vertex_base_url,
)
from rill.core.types import GenerateRequest, GenerationSettings, Message, Part, Role
from tests.fakes.gemini_server import FakeGemini

MODEL = "gemini-2.5-flash"


def request(*parts: Part) -> GenerateRequest:
    user = Message(role=Role.USER, parts=list(parts) or [Part.from_text("hello vertex")])
    return GenerateRequest(contents=(user,), settings=GenerationSettings(model=MODEL))


class CountingToken:
    """A token source that says which thread asked and hands out a new token each time."""

    def __init__(self) -> None:
        self.threads: list[str] = []

    def token(self) -> str:
        self.threads.append(threading.current_thread().name)
        return "tok"

    def quota_project(self) -> str | None:
        return None


async def test_streams_through_the_vertex_path_with_a_bearer_token(
    fake_gemini: FakeGemini,
) -> None:
    fake_gemini.bearer_token = "tok"
    source = CountingToken()
    provider = VertexProvider(
        "my-proj", "europe-west4", token_source=source, base_url=fake_gemini.base_url
    )
    image = Part.from_uri("gs://bucket/scones.jpg", "image/jpeg")
    try:
        chunks = [c async for c in provider.stream(request(image, Part.from_text("what is it")))]
        message = await provider.generate(request())
        total = await provider.count_tokens(request())
    finally:
        await provider.aclose()
    assert "".join(c.text for c in chunks) == "Echo: what is it"
    assert chunks[-1].finish_reason == "STOP"
    assert message.text == "Echo: hello vertex"
    assert total > 0
    sent = fake_gemini.requests[0]
    assert sent.path == (
        "/v1/projects/my-proj/locations/europe-west4/publishers/google/models/"
        f"{MODEL}:streamGenerateContent"
    )
    assert sent.query == {"alt": "sse"}
    assert sent.headers["authorization"] == "Bearer tok"
    assert "x-goog-api-key" not in sent.headers
    assert sent.json["contents"][0]["parts"][0] == {
        "fileData": {"mimeType": "image/jpeg", "fileUri": "gs://bucket/scones.jpg"}
    }
    assert [r.action for r in fake_gemini.requests] == [
        "streamGenerateContent",
        "generateContent",
        "countTokens",
    ]
    # Every call got its token on a worker thread, never on the event loop's.
    assert len(source.threads) == 3
    assert threading.main_thread().name not in source.threads


async def test_a_rejected_token_is_an_auth_error(fake_gemini: FakeGemini) -> None:
    fake_gemini.bearer_token = "right"
    provider = VertexProvider(
        "p", "us-central1", token_source=StaticToken("wrong"), base_url=fake_gemini.base_url
    )
    try:
        with pytest.raises(AuthError, match=r"UNAUTHENTICATED|credentials"):
            [c async for c in provider.stream(request())]
    finally:
        await provider.aclose()


def test_hosts_follow_the_location() -> None:
    assert vertex_base_url("europe-west4") == "https://europe-west4-aiplatform.googleapis.com"
    assert vertex_base_url("global") == "https://aiplatform.googleapis.com"
    provider = VertexProvider("p", "asia-northeast1", token_source=StaticToken("t"))
    assert provider.base_url == "https://asia-northeast1-aiplatform.googleapis.com/v1"
    assert provider.capabilities.file_uris


def test_project_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_CLOUD_PROJECT", raising=False)
    with pytest.raises(ConfigurationError, match="needs a Google Cloud project"):
        VertexProvider(None, "us-central1", token_source=StaticToken("t"))


def test_missing_google_auth_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "google.auth", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'rill-chat\[vertex\]'"):
        AdcTokenSource()


def test_no_credentials_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    with pytest.raises(ConfigurationError, match="No Google Cloud credentials"):
        AdcTokenSource()


class _TokenHandler(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.hits.append(self.rfile.read(length).decode())
        body = json.dumps({"access_token": f"adc-token-{len(self.hits)}", "expires_in": 3600})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def token_server() -> Iterator[str]:
    _TokenHandler.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token"
    server.shutdown()
    server.server_close()


async def test_application_default_credentials_end_to_end(
    fake_gemini: FakeGemini,
    token_server: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    creds = tmp_path / "adc.json"
    creds.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "sa-proj",
                "private_key_id": "kid",
                "private_key": pem,
                "client_email": "rill-test@sa-proj.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": token_server,
            }
        )
    )
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(creds))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-proj")
    monkeypatch.setenv("GOOGLE_CLOUD_QUOTA_PROJECT", "billing-proj")
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    fake_gemini.bearer_token = "adc-token-1"
    provider = VertexProvider(location="us-east5", base_url=fake_gemini.base_url)
    try:
        first = [c.text async for c in provider.stream(request())]
        second = [c.text async for c in provider.stream(request())]
    finally:
        await provider.aclose()
    assert "".join(first) == "".join(second) == "Echo: hello vertex"
    assert len(_TokenHandler.hits) == 1  # refreshed once, then reused while valid
    assert "grant_type=urn" in _TokenHandler.hits[0]  # a signed JWT was exchanged
    sent = fake_gemini.requests[-1]
    assert sent.path.startswith("/v1/projects/env-proj/locations/us-east5/")
    assert sent.headers["authorization"] == "Bearer adc-token-1"
    assert sent.headers["x-goog-user-project"] == "billing-proj"
