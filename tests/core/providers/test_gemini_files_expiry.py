"""Uploaded images outlive their 48-hour Files API upload (fake Gemini server, real HTTP).

An image that went through the Files API keeps its bytes and its ``expirationTime``
in the part (and in the store). While the URI lives the request names it
(``fileData``, never 20 MB of base64); once it expired, or when the server says the
file is gone (403 PERMISSION_DENIED "... the File ID or it may not exist."), the
kept bytes are uploaded again and the request is sent with the new URI.
"""

from __future__ import annotations

import base64
import io
import json
import random
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from rill.core.attachments.documents import prepare_attachment
from rill.core.attachments.prepare import AttachmentLimits, PreparedImage, prepare_image
from rill.core.attachments.request_parts import attachments_to_parts, inline_request_bytes
from rill.core.chat import ChatSession
from rill.core.errors import InvalidRequestError, PermissionDeniedError
from rill.core.providers import gemini_wire, openai_wire
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.gemini_files import (
    EXPIRY_MARGIN,
    FILES_URI_PREFIX,
    file_id,
    names_missing_file,
    parse_timestamp,
)
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.store.db import Store
from rill.core.types import (
    GenerateRequest,
    GenerationSettings,
    Message,
    MessageStatus,
    Part,
    Role,
)
from tests.core.attachments.files import pdf_bytes
from tests.fakes.gemini_server import FakeGemini, RecordedRequest
from tests.fakes.openai_server import FakeOpenAI

MODEL = "gemini-2.5-flash"
HOURS = 3600.0
# A tiny inline budget: any photo must go through the Files API.
UPLOAD_ALL = AttachmentLimits(inline_request_bytes=70_000)


@pytest.fixture
async def provider(fake_gemini: FakeGemini) -> AsyncIterator[GeminiProvider]:
    fake_gemini.file_active_after_polls = 0  # ACTIVE at finalize: no polling wait
    # The provider reads the fake's clock, so advance() moves both sides at once.
    p = GeminiProvider("test-key", fake_gemini.base_url, clock=fake_gemini.files.now)
    yield p
    await p.aclose()


def noise_jpeg(seed: int = 1, side: int = 160) -> bytes:
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


@pytest.fixture
def photo() -> PreparedImage:
    return prepare_image(noise_jpeg(), name="noise.jpg")


def upload_starts(server: FakeGemini) -> list[RecordedRequest]:
    return [
        r
        for r in server.requests
        if r.path.startswith("/upload/") and r.headers.get("x-goog-upload-command") == "start"
    ]


def streamed(server: FakeGemini) -> list[RecordedRequest]:
    return server.requests_for("streamGenerateContent")


def first_user_parts(request: RecordedRequest) -> list[dict[str, object]]:
    parts = request.json["contents"][0]["parts"]
    assert isinstance(parts, list)
    return parts


async def send(session: ChatSession, *message: str | Part) -> Message:
    async for _ in session.send_message_stream(list(message)):
        pass
    answer = session.history[-1]
    assert answer.status is MessageStatus.COMPLETE, answer.error
    return answer


async def uploaded_part(provider: GeminiProvider, photo: PreparedImage) -> Part:
    [part] = await attachments_to_parts([photo], provider, UPLOAD_ALL)
    return part


# ---------------------------------------------------------------- the part


async def test_upload_keeps_bytes_uri_and_expiry(
    provider: GeminiProvider, fake_gemini: FakeGemini, photo: PreparedImage
) -> None:
    part = await uploaded_part(provider, photo)
    assert part.data == photo.data
    assert part.file_uri is not None and part.file_uri.startswith(FILES_URI_PREFIX)
    assert part.mime_type == "image/jpeg"
    stored = fake_gemini.uploaded(f"files/{file_id(part.file_uri)}")
    assert stored is not None and bytes(stored.data) == photo.data
    # expirationTime from the File resource: 48 hours after the upload.
    assert part.file_expires_at is not None
    assert abs(part.file_expires_at - (fake_gemini.files.now() + 48 * HOURS)) < 60
    # Such a part goes by reference: it does not count against the inline budget.
    history = [Message(role=Role.USER, parts=[part])]
    assert inline_request_bytes(history) == 0
    assert inline_request_bytes(history, file_uris=False) > len(photo.data)


async def test_the_uri_is_sent_while_valid_not_the_bytes(
    provider: GeminiProvider, fake_gemini: FakeGemini, photo: PreparedImage
) -> None:
    part = await uploaded_part(provider, photo)
    session = ChatSession(provider, GenerationSettings(model=MODEL))
    await send(session, part, "What is this?")
    fake_gemini.files.advance(40 * HOURS)  # still 8 hours to go
    await send(session, "And the colours?")
    assert len(upload_starts(fake_gemini)) == 1  # no second upload
    for request in streamed(fake_gemini):
        assert first_user_parts(request)[0] == {
            "fileData": {"mimeType": "image/jpeg", "fileUri": part.file_uri}
        }
        assert "inlineData" not in request.body.decode()
        assert len(request.body) < 2000  # a reference, not the 20 kB image


async def test_an_expired_upload_is_uploaded_again_with_the_same_bytes(
    provider: GeminiProvider, fake_gemini: FakeGemini, photo: PreparedImage
) -> None:
    part = await uploaded_part(provider, photo)
    session = ChatSession(provider, GenerationSettings(model=MODEL))
    await send(session, part, "What is this?")
    fake_gemini.files.advance(48 * HOURS + 60)  # Google deleted it
    assert fake_gemini.uploaded(f"files/{file_id(part.file_uri or '')}") is None
    await send(session, "Still there?")
    starts = upload_starts(fake_gemini)
    assert len(starts) == 2
    second = streamed(fake_gemini)[-1]
    [ref] = [p["fileData"] for p in first_user_parts(second) if "fileData" in p]
    assert isinstance(ref, dict)
    new_uri = ref["fileUri"]
    assert new_uri != part.file_uri
    renewed = fake_gemini.uploaded(f"files/{file_id(new_uri)}")
    assert renewed is not None and bytes(renewed.data) == photo.data
    assert len(streamed(fake_gemini)) == 2  # the expiry was seen before sending: no 403
    # The renewed upload is reused by the next turn, not uploaded a third time.
    await send(session, "Once more")
    assert len(upload_starts(fake_gemini)) == 2
    assert first_user_parts(streamed(fake_gemini)[-1])[0]["fileData"] == ref


async def test_a_re_upload_after_the_expiry_keeps_the_file_s_own_name(
    provider: GeminiProvider, fake_gemini: FakeGemini, photo: PreparedImage
) -> None:
    pdf = prepare_attachment(pdf_bytes(30), name="Quarterly report.pdf")
    parts = await attachments_to_parts([photo, pdf], provider, UPLOAD_ALL)
    assert [p.file_name for p in parts] == ["noise.jpg", "Quarterly report.pdf"]
    session = ChatSession(provider, GenerationSettings(model=MODEL))
    await send(session, *parts, "What are these?")
    fake_gemini.files.advance(48 * HOURS + 60)
    await send(session, "Still there?")
    refs = [p["fileData"] for p in first_user_parts(streamed(fake_gemini)[-1]) if "fileData" in p]
    assert len(upload_starts(fake_gemini)) == 4
    names = [fake_gemini.uploaded(f"files/{file_id(r['fileUri'])}") for r in refs]
    assert [n.display_name if n else None for n in names] == ["noise.jpg", "Quarterly report.pdf"]


async def test_an_upload_about_to_expire_is_renewed_before_sending(
    provider: GeminiProvider, fake_gemini: FakeGemini, photo: PreparedImage
) -> None:
    part = await uploaded_part(provider, photo)
    fake_gemini.files.advance(48 * HOURS - EXPIRY_MARGIN / 2)  # alive, but not for long
    session = ChatSession(provider, GenerationSettings(model=MODEL))
    await send(session, part, "Quick")
    assert len(upload_starts(fake_gemini)) == 2
    sent = first_user_parts(streamed(fake_gemini)[-1])[0]["fileData"]
    assert isinstance(sent, dict) and sent["fileUri"] != part.file_uri


async def test_a_file_the_server_lost_is_uploaded_again_once_and_resent(
    provider: GeminiProvider, fake_gemini: FakeGemini, photo: PreparedImage
) -> None:
    part = await uploaded_part(provider, photo)
    assert fake_gemini.files.delete(file_id(part.file_uri or "") or "")  # gone early
    session = ChatSession(provider, GenerationSettings(model=MODEL))
    await send(session, part, "What is this?")
    first, second = streamed(fake_gemini)
    assert first_user_parts(first)[0]["fileData"] == {
        "mimeType": "image/jpeg",
        "fileUri": part.file_uri,
    }
    assert first.path == second.path
    new = first_user_parts(second)[0]["fileData"]
    assert isinstance(new, dict) and new["fileUri"] != part.file_uri
    renewed = fake_gemini.uploaded(f"files/{file_id(new['fileUri'])}")
    assert renewed is not None and bytes(renewed.data) == photo.data
    assert len(upload_starts(fake_gemini)) == 2


async def test_generate_renews_a_lost_file_too(
    provider: GeminiProvider, fake_gemini: FakeGemini, photo: PreparedImage
) -> None:
    part = await uploaded_part(provider, photo)
    fake_gemini.files.delete(file_id(part.file_uri or "") or "")
    request = GenerateRequest(
        (Message(role=Role.USER, parts=[part, Part.from_text("Hi")]),),
        GenerationSettings(model=MODEL, stream=False),
    )
    answer = await provider.generate(request)
    assert answer.text.startswith("Echo: Hi")
    assert len(fake_gemini.requests_for("generateContent")) == 2
    assert len(upload_starts(fake_gemini)) == 2


async def test_a_403_about_something_else_is_not_retried(
    provider: GeminiProvider, fake_gemini: FakeGemini, photo: PreparedImage
) -> None:
    part = await uploaded_part(provider, photo)
    request = GenerateRequest(
        (Message(role=Role.USER, parts=[part, Part.from_text("Hi")]),),
        GenerationSettings(model="fake-403"),
    )
    with pytest.raises(PermissionDeniedError):
        async for _ in provider.stream(request):
            pass
    assert len(streamed(fake_gemini)) == 1
    assert len(upload_starts(fake_gemini)) == 1


async def test_a_conversation_reloaded_from_the_store_resends_correctly(
    fake_gemini: FakeGemini, photo: PreparedImage, tmp_path: Path
) -> None:
    fake_gemini.file_active_after_polls = 0
    first = GeminiProvider("test-key", fake_gemini.base_url, clock=fake_gemini.files.now)
    part = await uploaded_part(first, photo)
    session = ChatSession(first, GenerationSettings(model=MODEL))
    await send(session, part, "What is this?")
    await first.aclose()
    store = Store(tmp_path / "rill.db")
    cid = store.create_conversation(title="photo")
    for message in session.history:
        store.append_message(cid, message)
    store.close()

    store = Store(tmp_path / "rill.db")
    history = store.history(cid)
    store.close()
    [kept] = history[0].images
    assert kept.data == photo.data  # the bytes came back from the store's blob
    assert kept.file_uri == part.file_uri
    assert kept.file_expires_at == part.file_expires_at
    # A new process (a provider without memory): the URI is still valid, so it is used.
    second = GeminiProvider("test-key", fake_gemini.base_url, clock=fake_gemini.files.now)
    try:
        resumed = ChatSession(second, GenerationSettings(model=MODEL), history=history)
        await send(resumed, "Next day")
        assert first_user_parts(streamed(fake_gemini)[-1])[0]["fileData"] == {
            "mimeType": "image/jpeg",
            "fileUri": part.file_uri,
        }
        assert len(upload_starts(fake_gemini)) == 1
        # Three days later: the stored bytes are uploaded again and sent by the new URI.
        fake_gemini.files.advance(72 * HOURS)
        await send(resumed, "Three days later")
        assert len(upload_starts(fake_gemini)) == 2
        sent = first_user_parts(streamed(fake_gemini)[-1])[0]["fileData"]
        assert isinstance(sent, dict) and sent["fileUri"] != part.file_uri
        renewed = fake_gemini.uploaded(f"files/{file_id(sent['fileUri'])}")
        assert renewed is not None and bytes(renewed.data) == photo.data
    finally:
        await second.aclose()


# ---------------------------------------------------------------- providers without the URI


def test_vertex_and_openai_send_the_kept_bytes_inline(photo: PreparedImage) -> None:
    part = Part(
        data=photo.data,
        mime_type="image/jpeg",
        file_uri=FILES_URI_PREFIX + "abc123",
        file_expires_at=1.0,
    )
    assert gemini_wire.encode_part(part) == {
        "fileData": {"mimeType": "image/jpeg", "fileUri": FILES_URI_PREFIX + "abc123"}
    }
    inline = gemini_wire.encode_part(part, file_uris=False)
    assert set(inline) == {"inlineData"}
    content = openai_wire.encode_content(Message(role=Role.USER, parts=[part]))
    assert isinstance(content, list)
    url = content[0]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    assert "files/abc123" not in json.dumps(content)


def test_missing_file_errors_are_recognised() -> None:
    uri = FILES_URI_PREFIX + "abc123"
    said = "You do not have permission to access the File abc123 or it may not exist."
    assert names_missing_file(PermissionDeniedError(said), [uri, FILES_URI_PREFIX + "x9"]) == [uri]
    general = PermissionDeniedError("Gemini denied access (PERMISSION_DENIED): Forbidden.")
    assert names_missing_file(general, [uri]) == []
    vague = PermissionDeniedError("The File may not exist.")
    assert names_missing_file(vague, [uri]) == [uri]


def test_rfc3339_timestamps() -> None:
    assert parse_timestamp("1970-01-01T00:00:10Z") == 10.0
    assert parse_timestamp("1970-01-01T00:00:10.123456789Z") == pytest.approx(10.123456)
    assert parse_timestamp("1970-01-01T01:00:10+01:00") == 10.0
    assert parse_timestamp("soon") is None
    assert parse_timestamp(None) is None


async def test_an_openai_compatible_provider_gets_the_kept_bytes_inline(
    photo: PreparedImage,
) -> None:
    kept = Part(
        data=photo.data,
        mime_type="image/jpeg",
        file_uri=FILES_URI_PREFIX + "abc123",
        file_expires_at=1.0,  # long expired: irrelevant here
    )
    with FakeOpenAI() as fake:
        provider = OpenAICompatProvider(fake.base_url, "test-key", label="Fake")
        try:
            session = ChatSession(provider, GenerationSettings(model="fake-chat"))
            await send(session, kept, "What is this?")
            content = fake.last_request.json["messages"][0]["content"]
            expected = "data:image/jpeg;base64," + base64.b64encode(photo.data).decode()
            assert content[0] == {"type": "image_url", "image_url": {"url": expected}}
            assert "files/abc123" not in fake.last_request.body.decode()
            # Over OpenAI's 20 MB per image: refused before anything is sent, naming it.
            count = len(fake.requests)
            huge = Part(
                data=b"\xff\xd8" + bytes(21_000_000),
                mime_type="image/jpeg",
                file_uri=FILES_URI_PREFIX + "big1",
            )
            request = GenerateRequest(
                (Message(role=Role.USER, parts=[huge, Part.from_text("Hi")]),),
                GenerationSettings(model="fake-chat"),
            )
            with pytest.raises(InvalidRequestError, match="up to 20 MB each"):
                async for _ in provider.stream(request):
                    pass
            assert len(fake.requests) == count
        finally:
            await provider.aclose()


async def test_closing_the_stream_still_hangs_up_at_once(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    """The retry wrapper around the stream closes the HTTP response when it is closed."""
    request = GenerateRequest(
        (Message(role=Role.USER, parts=[Part.from_text("Hi")]),),
        GenerationSettings(model="fake-hold"),
    )
    chunks = provider.stream(request)
    first = await anext(chunks)
    assert first.text == "Hello"
    await chunks.aclose()  # type: ignore[attr-defined]
    assert fake_gemini.wait_for_disconnect(timeout=2.0) is not None
