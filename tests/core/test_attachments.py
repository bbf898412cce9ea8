"""Attachments: URIs by reference with a sensible MIME type, local images checked."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from rill.core.attachments import (
    DEFAULT_URI_MIME_TYPE,
    AttachmentError,
    guess_uri_mime_type,
    load_attachment,
)
from rill.core.errors import InvalidRequestError, RillError


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


def test_heic_is_recognised_from_its_header(tmp_path: Path) -> None:
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
        ("anim.gif", image_bytes("GIF"), "unsupported format GIF"),
        ("old.bmp", image_bytes("BMP"), "unsupported format BMP"),
        ("cut.png", image_bytes("PNG", (64, 64))[:60], "not a valid image"),
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
