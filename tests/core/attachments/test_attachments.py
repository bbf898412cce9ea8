"""Attachments: URIs by reference with a sensible MIME type, local images prepared,
and a turn's attachments turned into parts — inline within the request's budget,
through the Files API beyond it — checked in the request bodies the fake server got.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from rill.core.attachments import formats as image_formats
from rill.core.attachments.documents import PreparedFile
from rill.core.attachments.prepare import (
    DEFAULT_LIMITS,
    AttachmentLimits,
    PreparedImage,
    prepare_image,
)
from rill.core.attachments.request_parts import (
    DEFAULT_URI_MIME_TYPE,
    FILES_API_PREFIX,
    REQUEST_SLACK,
    AttachmentError,
    FileUri,
    attachments_to_parts,
    guess_uri_mime_type,
    inline_request_bytes,
    load_attachment,
    load_item,
    plan_uploads,
    resolve_uri,
)
from rill.core.chat import ChatSession
from rill.core.errors import InvalidRequestError, RillError
from rill.core.file_parts import FileKind
from rill.core.providers.gemini import GeminiProvider
from rill.core.types import GenerationSettings
from tests.core.attachments.test_images import encode, gradient, noise, oriented_jpeg
from tests.fakes.gemini_server import FakeGemini, RecordedRequest

MODEL = "gemini-2.5-flash"


def image_bytes(fmt: str, size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("uri", "mime"),
    [
        ("https://example.com/cat.png", "image/png"),
        ("https://example.com/photos/IMG_1.JPG?size=large#x", "image/jpeg"),
        ("https://example.com/a%20b.webp", "image/webp"),
        ("gs://bucket/scones.jpeg", "image/jpeg"),
        ("gs://bucket/shot.heic", "image/heic"),
        ("https://example.com/doc.pdf", "application/pdf"),
        ("https://example.com/no-extension", DEFAULT_URI_MIME_TYPE),
        ("https://generativelanguage.googleapis.com/v1beta/files/abc123", "image/jpeg"),
    ],
)
def test_uris_are_passed_by_reference(uri: str, mime: str) -> None:
    part = load_attachment(uri)
    assert part.file_uri == uri
    assert part.mime_type == mime
    assert part.data is None
    assert guess_uri_mime_type(uri) == mime


def test_an_explicit_mime_type_wins_for_uris() -> None:
    uri = "https://generativelanguage.googleapis.com/v1beta/files/abc123"
    assert load_attachment(uri, mime_type="image/png").mime_type == "image/png"


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("http://example.com/cat.png", "plain http:// URLs are not accepted"),
        ("ftp://example.com/cat.png", "the ftp:// scheme is not supported"),
    ],
)
def test_unsupported_uri_schemes(uri: str, reason: str) -> None:
    with pytest.raises(AttachmentError, match=reason) as caught:
        load_attachment(uri)
    assert uri in str(caught.value)


@pytest.mark.parametrize(
    ("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_local_images_are_sent_inline_with_the_content_type(
    tmp_path: Path, fmt: str, mime: str
) -> None:
    data = image_bytes(fmt)
    path = tmp_path / "misnamed.txt"  # the content decides, not the name
    path.write_bytes(data)
    part = load_attachment(str(path))
    assert part.data == data
    assert part.mime_type == mime
    assert part.file_uri is None


def test_file_uri_and_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "pic one.png"
    path.write_bytes(image_bytes("PNG"))
    assert load_attachment(path.as_uri()).mime_type == "image/png"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_attachment("~/pic one.png").mime_type == "image/png"


def test_heic_is_recognised_from_its_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_formats, "heif_decoder_available", lambda: False)
    path = tmp_path / "photo"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    assert load_attachment(str(path)).mime_type == "image/heic"
    path.write_bytes(b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1" + b"\x00" * 64)
    assert load_attachment(str(path)).mime_type == "image/heif"


def _write(path: Path, content: bytes | None) -> Path:
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("missing.png", "absent", "file not found"),
        ("folder.png", None, "it is a directory"),
        ("empty.png", b"", "the file is empty"),
        ("notes.png", b"just some text, not pixels\n", "not an image"),
        ("cut.png", image_bytes("PNG", (64, 64))[:60], "the image data is truncated"),
    ],
)
def test_local_file_problems_name_the_file_and_the_reason(
    tmp_path: Path, name: str, content: bytes | str | None, reason: str
) -> None:
    path = tmp_path / name
    if content != "absent":
        assert not isinstance(content, str)
        _write(path, content)
    with pytest.raises(AttachmentError) as caught:
        load_attachment(str(path))
    message = str(caught.value)
    assert message.startswith(f"Cannot attach {path}: ")
    assert reason in message
    assert caught.value.reason.startswith(reason)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.png"
    path.write_bytes(image_bytes("PNG"))
    path.chmod(0)
    with pytest.raises(AttachmentError, match="permission denied"):
        load_attachment(str(path))


def test_attachment_errors_belong_to_the_hierarchy() -> None:
    error = AttachmentError("x.png", "file not found")
    assert isinstance(error, InvalidRequestError) and isinstance(error, RillError)
    assert error.kind == "attachment"


def test_other_formats_are_converted_by_load_attachment(tmp_path: Path) -> None:
    for fmt in ("GIF", "BMP"):
        path = tmp_path / f"old.{fmt.lower()}"
        path.write_bytes(image_bytes(fmt))
        part = load_attachment(str(path))
        assert part.mime_type == "image/png" and part.data is not None
        assert Image.open(io.BytesIO(part.data)).format == "PNG"


def test_data_uris_are_decoded(tmp_path: Path) -> None:
    payload = base64.b64encode(image_bytes("PNG")).decode()
    item = load_item(f"data:image/png;base64,{payload}")
    assert isinstance(item, PreparedImage) and item.data == image_bytes("PNG")
    text = load_item("data:text/plain,hello")  # text is an attachment of its own now
    assert isinstance(text, PreparedFile) and text.kind is FileKind.TEXT and text.data == b"hello"
    with pytest.raises(AttachmentError, match="the dropped file: not a file Rill can send"):
        load_item(
            "data:application/octet-stream;base64," + base64.b64encode(b"\x00\x01" * 40).decode()
        )


# ---------------------------------------------------------------- to parts, over HTTP


@pytest.fixture
async def provider(fake_gemini: FakeGemini) -> AsyncIterator[GeminiProvider]:
    p = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=10.0)
    fake_gemini.file_active_after_polls = 1
    yield p
    await p.aclose()


def inline_parts(request: RecordedRequest, turn: int = 0) -> list[dict[str, str]]:
    parts = request.normalized["contents"][turn]["parts"]
    return [p["inlineData"] for p in parts if "inlineData" in p]


async def test_inline_images_in_the_request_body(
    provider: GeminiProvider, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    big = tmp_path / "sky 4000.png"
    big.write_bytes(encode(gradient((4000, 3000)), "PNG"))
    phone = tmp_path / "phone.jpg"
    phone.write_bytes(oriented_jpeg((1200, 800), 6))
    small = tmp_path / "small.webp"
    small.write_bytes(encode(noise((200, 100)), "WEBP"))
    parts = await attachments_to_parts([big, str(phone), small.as_uri()], provider)
    session = ChatSession(provider, GenerationSettings(model=MODEL))
    await session.send_message([*parts, "What are these?"])

    request = fake_gemini.requests_for("generateContent")[-1]
    sent = inline_parts(request)
    assert [b["mimeType"] for b in sent] == ["image/png", "image/jpeg", "image/webp"]
    expected = [prepare_image(big).data, prepare_image(phone).data, small.read_bytes()]
    sizes = [(3072, 2304), (800, 1200), (200, 100)]
    for blob, data, size in zip(sent, expected, sizes, strict=True):
        raw = base64.b64decode(blob["data"])
        assert raw == data  # the processed image, byte for byte
        assert Image.open(io.BytesIO(raw)).size == size
        assert len(raw) <= DEFAULT_LIMITS.max_image_bytes
    assert len(request.body) <= DEFAULT_LIMITS.inline_request_bytes
    assert not [r for r in fake_gemini.requests if r.path.startswith("/upload/")]


async def test_over_the_budget_the_largest_images_are_uploaded(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    images = [
        prepare_image(encode(noise(size), "PNG"), name=f"n{i}.png")
        for i, size in enumerate([(150, 100), (300, 200), (200, 150)])
    ]
    costs = [i.inline_cost for i in images]
    limits = AttachmentLimits(inline_request_bytes=costs[0] + costs[2] + REQUEST_SLACK + 100)
    seen: list[tuple[str, int, int]] = []
    parts = await attachments_to_parts(
        images, provider, limits, lambda img, sent, total: seen.append((img.name, sent, total))
    )
    # Uploaded parts keep their bytes too (for a re-upload), and carry the URI.
    assert [p.file_uri is not None for p in parts] == [False, True, False]
    assert [p.data for p in parts] == [i.data for i in images]
    uploaded = parts[1]
    assert uploaded.file_uri and uploaded.mime_type == "image/png"
    assert {name for name, _, _ in seen} == {"n1.png"}
    assert seen[-1][1:] == (images[1].byte_size, images[1].byte_size)
    stored = fake_gemini.uploaded("files/" + uploaded.file_uri.rsplit("/", 1)[1])
    assert stored is not None and bytes(stored.data) == images[1].data

    session = ChatSession(provider, GenerationSettings(model=MODEL))
    await session.send_message([*parts, "Compare them."])
    request = fake_gemini.requests_for("generateContent")[-1]
    body_parts = request.normalized["contents"][0]["parts"]
    assert body_parts[1] == {"fileData": {"mimeType": "image/png", "fileUri": uploaded.file_uri}}
    assert len(request.body) <= limits.inline_request_bytes


async def test_an_image_that_needs_upload_goes_through_the_files_api(
    provider: GeminiProvider, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    path = tmp_path / "dense.jpg"
    path.write_bytes(encode(noise((900, 600)), "JPEG", quality=95))
    limits = AttachmentLimits(max_image_bytes=10_000)
    (part,) = await attachments_to_parts([path], provider, limits)
    assert part.file_uri is not None and part.mime_type == "image/jpeg"


async def test_a_provider_without_uploads_gets_a_named_error(tmp_path: Path) -> None:
    path = tmp_path / "dense.jpg"
    path.write_bytes(encode(noise((900, 600)), "JPEG", quality=95))
    offline = object()  # e.g. the embedded model: no Files API
    with pytest.raises(AttachmentError) as caught:
        await attachments_to_parts([path], offline, AttachmentLimits(max_image_bytes=10_000))
    assert str(caught.value).startswith(f"Cannot attach {path}: too large even after downscaling")
    assert caught.value.code == "too_large"
    prepared = prepare_image(encode(noise((300, 300)), "PNG"), name="paste.png")
    tight = AttachmentLimits(inline_request_bytes=prepared.inline_cost + REQUEST_SLACK - 1)
    with pytest.raises(AttachmentError, match=r"paste\.png: the images together are over"):
        await attachments_to_parts([prepared], offline, tight)


async def test_files_api_uris_are_asked_for_their_mime_type(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    remote = await provider.files.upload(image_bytes("PNG"), "image/png", "p.png")
    (part, guessed) = await attachments_to_parts([remote.uri, "gs://b/x.webp"], provider)
    assert (part.file_uri, part.mime_type) == (remote.uri, "image/png")
    assert guessed.mime_type == "image/webp"
    given = FileUri(remote.uri, "image/jpeg")  # a caller's explicit type is not second-guessed
    assert (await resolve_uri(given, provider)).mime_type == "image/jpeg"
    with pytest.raises(AttachmentError, match=r"no such file .*48 hours") as caught:
        await attachments_to_parts([FILES_API_PREFIX + "gone123"], provider)
    assert caught.value.code == "uri"


async def test_history_resends_inline_images_and_reuses_uploads(
    provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    inline = prepare_image(encode(noise((120, 90)), "PNG"), name="a.png")
    big = prepare_image(encode(noise((300, 200)), "PNG"), name="b.png")
    limits = AttachmentLimits(inline_request_bytes=inline.inline_cost + REQUEST_SLACK + 10)
    parts = await attachments_to_parts([inline, big], provider, limits)
    session = ChatSession(provider, GenerationSettings(model=MODEL))
    await session.send_message([*parts, "First"])
    await session.send_message("And now?")
    first, second = fake_gemini.requests_for("generateContent")
    assert second.normalized["contents"][0] == first.normalized["contents"][0]
    assert inline_parts(second)[0]["data"] == base64.b64encode(inline.data).decode()
    assert len([r for r in fake_gemini.requests if r.path.startswith("/upload/")]) == 2  # once
    used = inline_request_bytes(session.history)
    assert used >= inline.inline_cost
    # The next turn's images count what the history already carries.
    again = await attachments_to_parts([inline], provider, limits, inline_bytes_used=used)
    assert again[0].file_uri is not None


def test_plan_uploads_takes_the_fewest_largest() -> None:
    images = [
        prepare_image(encode(noise(size), "PNG"), name=str(size))
        for size in [(50, 50), (200, 200), (100, 100)]
    ]
    costs = sum(i.inline_cost for i in images)
    roomy = AttachmentLimits(inline_request_bytes=costs + REQUEST_SLACK)
    assert plan_uploads(images, roomy) == [False, False, False]
    assert plan_uploads(images, roomy, inline_bytes_used=1) == [False, True, False]
    assert plan_uploads(images, AttachmentLimits(inline_request_bytes=2048)) == [True, True, True]
