"""The Files API client (rill.core.providers.gemini_files) against the fake Gemini
server over real HTTP: the resumable upload as google-genai makes it, progress,
PROCESSING → ACTIVE polling, failures, cancellation, and the key kept out of URLs.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from rill.core.errors import (
    AuthError,
    InvalidRequestError,
    PermissionDeniedError,
    RequestTimeoutError,
)
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.gemini_files import (
    CHUNK_SIZE,
    FILES_URI_PREFIX,
    GeminiFiles,
    file_id,
    is_files_api_uri,
)
from rill.core.types import GenerateRequest, GenerationSettings, Message, Part, Role
from tests.fakes.gemini_server import FakeGemini, RecordedRequest

MODEL = "gemini-2.5-flash"


@pytest.fixture
async def provider(fake_gemini: FakeGemini) -> AsyncIterator[GeminiProvider]:
    p = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=10.0)
    yield p
    await p.aclose()


def fast(provider: GeminiProvider, **options: float) -> GeminiFiles:
    """The provider's Files API with test-sized polling."""
    files = provider.files
    files.poll_interval = 0.01
    files.max_poll_interval = 0.02
    for name, value in options.items():
        setattr(files, name, value)
    return files


def uploads(server: FakeGemini) -> list[RecordedRequest]:
    return [r for r in server.requests if r.path.startswith("/upload/")]


async def test_resumable_upload_polls_until_active(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.file_active_after_polls = 2
    data = os.urandom(700_000)
    seen: list[tuple[int, int]] = []
    remote = await fast(provider).upload(
        data, "image/png", "café.png", lambda s, t: seen.append((s, t))
    )

    assert remote.state == "ACTIVE" and remote.mime_type == "image/png"
    assert remote.uri.startswith(FILES_URI_PREFIX) and remote.name.startswith("files/")
    assert remote.display_name == "café.png" and remote.size_bytes == len(data)
    assert remote.expiration_time
    stored = fake_gemini.uploaded(remote.name)
    assert stored is not None and bytes(stored.data) == data
    # Progress: starts at 0, never goes back, ends exactly at the total.
    assert seen[0] == (0, len(data)) and seen[-1] == (len(data), len(data))
    sent = [s for s, _ in seen]
    assert sent == sorted(sent) and len(set(sent)) == len(sent) and len(seen) > 2
    assert {t for _, t in seen} == {len(data)}

    start, transfer = uploads(fake_gemini)
    assert start.headers["x-goog-upload-protocol"] == "resumable"
    assert start.headers["x-goog-upload-command"] == "start"
    assert start.headers["x-goog-upload-header-content-length"] == str(len(data))
    assert start.headers["x-goog-upload-header-content-type"] == "image/png"
    assert start.json == {"file": {"display_name": "café.png"}}
    assert transfer.query["upload_id"] and transfer.headers["x-goog-upload-offset"] == "0"
    assert transfer.headers["x-goog-upload-command"] == "upload, finalize"
    assert transfer.headers["content-length"] == str(len(data))
    polls = [r for r in fake_gemini.requests if r.method == "GET"]
    assert [r.path for r in polls] == [f"/v1beta/{remote.name}"] * 2
    for request in fake_gemini.requests:
        assert "test-key" not in request.target  # never in a URL
        assert request.headers.get("x-goog-api-key") == "test-key"


async def test_big_files_go_in_granularity_sized_chunks(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.file_active_after_polls = 0  # ACTIVE at finalize: no polling at all
    data = os.urandom(CHUNK_SIZE + 1_000_000)
    seen: list[int] = []
    remote = await fast(provider).upload(
        data, "image/jpeg", "big.jpg", lambda s, _t: seen.append(s)
    )
    _start, first, last = uploads(fake_gemini)
    assert (first.headers["x-goog-upload-command"], first.headers["x-goog-upload-offset"]) == (
        "upload",
        "0",
    )
    assert len(first.body) == CHUNK_SIZE
    assert last.headers["x-goog-upload-command"] == "upload, finalize"
    assert last.headers["x-goog-upload-offset"] == str(CHUNK_SIZE)
    stored = fake_gemini.uploaded(remote.name)
    assert stored is not None and bytes(stored.data) == data
    assert seen == sorted(seen) and seen[-1] == len(data) and CHUNK_SIZE in seen
    assert not [r for r in fake_gemini.requests if r.method == "GET"]


async def test_upload_file_part_is_sent_as_file_data(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    assert provider.can_upload_files
    fake_gemini.file_active_after_polls = 1
    part = await provider.upload_file(b"\x89PNG fake bytes", "image/png", "x.png")
    assert part.file_uri and part.file_uri.startswith(FILES_URI_PREFIX)
    # The part keeps its bytes (for a re-upload after the 48 hours) but goes as fileData.
    assert part.mime_type == "image/png" and part.data == b"\x89PNG fake bytes"
    user = Message(role=Role.USER, parts=[part, Part.from_text("What is this?")])
    request = GenerateRequest((user,), GenerationSettings(model=MODEL))
    answer = await provider.generate(request)
    assert answer.text  # the fake checked the file exists and is ACTIVE
    sent = fake_gemini.requests_for("generateContent")[-1].normalized
    assert sent["contents"][0]["parts"][0] == {
        "fileData": {"mimeType": "image/png", "fileUri": part.file_uri}
    }
    info = await provider.file_info(part.file_uri)
    assert (info.mime_type, info.state) == ("image/png", "ACTIVE")


async def test_failed_processing_is_an_error(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.files.final_state = "FAILED"
    fake_gemini.file_active_after_polls = 1
    with pytest.raises(InvalidRequestError, match=r"could not process the uploaded file bad\.png"):
        await fast(provider).upload(b"data", "image/png", "bad.png")


async def test_waiting_for_active_is_bounded(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.file_active_after_polls = 10_000
    with pytest.raises(RequestTimeoutError, match=r"still processing slow\.png after 0\.2 s"):
        await fast(provider, max_wait=0.2).upload(b"data", "image/png", "slow.png")


async def test_waiting_for_active_is_cancellable(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.file_active_after_polls = 10_000
    files = fast(provider, max_wait=60)
    task = asyncio.create_task(files.upload(b"data", "image/png", "wait.png"))
    # The fake records every request; wait (off the loop) until the first poll arrived.
    await asyncio.to_thread(
        lambda: fake_gemini.wait_for_requests(3)  # start, upload+finalize, first GET
    )
    assert fake_gemini.requests[-1].method == "GET"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=5)


async def test_cancelling_mid_upload_cancels_the_session(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    data = os.urandom(CHUNK_SIZE + 10)
    task: asyncio.Task[object] | None = None

    def progress(sent: int, _total: int) -> None:
        if sent >= CHUNK_SIZE and task is not None:
            task.cancel()  # lands at the upload's next await

    task = asyncio.create_task(fast(provider).upload(data, "image/png", "stop.png", progress))
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=10)
    commands = [r.headers.get("x-goog-upload-command") for r in uploads(fake_gemini)]
    # The cut-off chunk may be recorded after the cancel (its handler thread reads on).
    assert commands[0] == "start" and "cancel" in commands[1:]
    assert fake_gemini.files.all_files() == []


async def test_errors_are_mapped(fake_gemini: FakeGemini) -> None:
    bad = GeminiProvider("wrong-key", fake_gemini.base_url)
    try:
        with pytest.raises(AuthError):
            await bad.upload_file(b"x", "image/png", "x.png")
    finally:
        await bad.aclose()
    good = GeminiProvider("test-key", fake_gemini.base_url)
    try:
        with pytest.raises(PermissionDeniedError, match="nosuchfile"):
            await good.file_info(FILES_URI_PREFIX + "nosuchfile")
        with pytest.raises(InvalidRequestError, match="not a Gemini Files API URI"):
            await good.file_info("gs://bucket/x.png")
    finally:
        await good.aclose()


def test_file_ids_and_uris() -> None:
    assert file_id(FILES_URI_PREFIX + "abc-123") == "abc-123"
    assert file_id("files/abc") == "abc"
    assert file_id("http://127.0.0.1:9/v1beta/files/xyz?alt=json") == "xyz"
    assert file_id("gs://bucket/files/abc") is None
    assert file_id("https://example.com/cat.png") is None
    assert is_files_api_uri(FILES_URI_PREFIX + "abc")
    assert not is_files_api_uri("https://example.com/files/abc")


def test_odd_digit_strings_from_the_server_do_not_crash() -> None:
    """'²'.isdigit() is True but int('²') fails: only ASCII digits count as a size."""
    from rill.core.providers.gemini_files import RemoteFile, _positive_int

    assert _positive_int("²") is None and _positive_int("x") is None
    assert _positive_int("1" * 40) is None and _positive_int("4096") == 4096
    assert RemoteFile.from_json({"name": "files/a", "sizeBytes": "²"}).size_bytes is None
    assert RemoteFile.from_json({"name": "files/a", "sizeBytes": "12"}).size_bytes == 12
