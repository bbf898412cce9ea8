"""Documents, text, audio and video as attachments: checked and described when attached,
sent natively to Gemini (inline, or the Files API with PROCESSING → ACTIVE), as text to
OpenAI-compatible servers, refused with the reason where they cannot go.

Every file is made here (PDFs by pypdf, WAVs by ``wave``) or is a committed fixture (a
tiny MP4 and WebM); request bodies are read back from the fake servers.
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from rill.core.attachments import (
    AttachmentError,
    AttachmentLimits,
    Delivery,
    PreparedFile,
    attachments_to_parts,
    delivery,
    load_data,
    prepare_attachment,
)
from rill.core.attachments.delivery import uri_delivery
from rill.core.attachments.documents import DEFER_BYTES
from rill.core.attachments.request_parts import FILES_API_PREFIX, FileUri
from rill.core.chat import ChatSession
from rill.core.errors import InvalidRequestError
from rill.core.file_parts import FileKind, as_text
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.types import GenerationSettings, Message, Part, Role
from tests.core.attachments.files import TINY_MP4, TINY_WEBM, pdf_bytes, wav_bytes, write
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_server import FakeOpenAI

MODEL = "gemini-2.5-flash"


def refused(source: Path | bytes, *, name: str | None = None) -> AttachmentError:
    with pytest.raises(AttachmentError) as caught:
        prepare_attachment(source, name=name)
    return caught.value


# ---------------------------------------------------------------- preparing


def test_a_pdf_with_text_has_pages_text_and_a_first_page_thumbnail(tmp_path: Path) -> None:
    path = write(tmp_path, "report.pdf", pdf_bytes(3))
    file = prepare_attachment(path)
    assert isinstance(file, PreparedFile)
    assert (file.kind, file.mime_type, file.pages, file.has_text) == (
        FileKind.PDF,
        "application/pdf",
        3,
        True,
    )
    assert file.text is not None and "[Page 2]\nPage 2 says hello" in file.text
    assert file.thumbnail is not None
    thumb = Image.open(io.BytesIO(file.thumbnail))
    assert max(thumb.size) <= 256 and thumb.size[1] > thumb.size[0]  # a portrait page
    assert file.facts().startswith("PDF · ") and file.facts().endswith(" · 3 pages")
    part = file.to_part()
    assert part.file_name == "report.pdf" and part.extracted_text == file.text
    assert not part.is_image and part.is_file


def test_a_pdf_without_text_is_a_pdf_with_nothing_to_extract(tmp_path: Path) -> None:
    file = prepare_attachment(write(tmp_path, "scan.pdf", pdf_bytes(2, text=False)))
    assert isinstance(file, PreparedFile) and file.pages == 2
    assert not file.has_text and file.text is None


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        (
            "locked.pdf",
            pdf_bytes(1, password="secret"),
            "the PDF is encrypted (it needs a password)",
        ),
        ("cut.pdf", pdf_bytes(3)[:400], "the PDF is damaged"),
        ("empty.txt", b"", "the file is empty"),
        ("latin1.txt", b"caf\xe9 au lait", "not valid UTF-8 text (byte 0xe9 at offset 3)"),
        ("blob.bin", b"\x00\x01\x02\x03" * 64, "not a file Rill can send"),
        ("fake.mp4", b"just some words", "not valid MP4 video (its first bytes are not"),
    ],
)
def test_bad_files_are_refused_naming_the_file_and_the_reason(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    path = write(tmp_path, name, data)
    error = refused(path, name=name)
    assert str(error).startswith(f"Cannot attach {name}: ")
    assert reason in str(error)


def test_a_2_gb_video_is_refused_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "film.mp4"
    with path.open("wb") as out:  # sparse: two gigabytes that take no disk
        out.write(TINY_MP4.read_bytes()[:64])
        out.truncate(2 * 1024**3)
    error = refused(path, name="film.mp4")
    assert str(error) == (
        "Cannot attach film.mp4: the file is too large (2.0 GB; Rill attaches files up to 512.0 MB)"
    )


def test_text_and_code_are_text_and_anything_utf8_too(tmp_path: Path) -> None:
    code = prepare_attachment(write(tmp_path, "main.rs", b'fn main() {\n    println!("hi");\n}\n'))
    assert isinstance(code, PreparedFile) and code.kind is FileKind.TEXT and code.lines == 3
    odd = prepare_attachment(write(tmp_path, "NOTES.unknown", "Grüße\nzwei".encode()))
    assert isinstance(odd, PreparedFile) and odd.mime_type == "text/plain" and odd.lines == 2
    bom = prepare_attachment(write(tmp_path, "README", b"\xef\xbb\xbfhello"))
    assert isinstance(bom, PreparedFile) and bom.kind is FileKind.TEXT


def test_audio_and_video_are_known_by_their_bytes_with_durations(tmp_path: Path) -> None:
    wav = prepare_attachment(write(tmp_path, "memo", wav_bytes(1.5)))  # no extension at all
    assert isinstance(wav, PreparedFile)
    assert (wav.kind, wav.mime_type, wav.duration) == (FileKind.AUDIO, "audio/wav", 1.5)
    assert wav.facts().endswith(" · 0:02")
    mp4 = prepare_attachment(TINY_MP4)
    assert isinstance(mp4, PreparedFile) and (mp4.kind, mp4.mime_type) == (
        FileKind.VIDEO,
        "video/mp4",
    )
    assert mp4.duration is not None and 0.5 < mp4.duration < 3
    webm = prepare_attachment(TINY_WEBM)
    assert isinstance(webm, PreparedFile) and webm.mime_type == "video/webm"
    m4a = prepare_attachment(write(tmp_path, "voice.m4a", TINY_MP4.read_bytes()))
    assert isinstance(m4a, PreparedFile) and m4a.mime_type == "audio/mp4"
    assert TINY_MP4.stat().st_size < 100_000 and TINY_WEBM.stat().st_size < 100_000


def test_big_media_stays_on_disk_until_sent(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    path.write_bytes(wav_bytes(DEFER_BYTES / 16000 + 1))
    file = prepare_attachment(path)
    assert isinstance(file, PreparedFile) and file.data is None and file.duration is not None
    loaded = load_data(file)
    assert loaded.data == path.read_bytes()
    path.write_bytes(b"RIFF")  # changed since it was attached
    with pytest.raises(AttachmentError, match="changed since it was attached"):
        load_data(file)


def test_the_tile_says_how_each_file_will_be_sent(tmp_path: Path) -> None:
    pdf = prepare_attachment(write(tmp_path, "a.pdf", pdf_bytes(12)))
    scan = prepare_attachment(write(tmp_path, "s.pdf", pdf_bytes(1, text=False)))
    wav = prepare_attachment(write(tmp_path, "a.wav", wav_bytes(42)))
    assert isinstance(pdf, PreparedFile) and isinstance(scan, PreparedFile)
    assert isinstance(wav, PreparedFile)
    gemini = {"native": True, "can_upload": True, "who": "gemini"}
    other = {"native": False, "can_upload": False, "who": "Ollama"}
    assert delivery(pdf, **gemini).note == "as a PDF, 12 pages"  # type: ignore[arg-type]
    assert delivery(pdf, **other).note == "as text, 12 pages"  # type: ignore[arg-type]
    assert "no text to extract" in (delivery(scan, **other).refusal or "")  # type: ignore[arg-type]
    assert delivery(wav, **gemini).note == "as audio, 0:42"  # type: ignore[arg-type]
    assert delivery(wav, **other) == Delivery(  # type: ignore[arg-type]
        "audio: Gemini only", "Ollama cannot take audio; only Gemini hears audio and watches video"
    )


# ---------------------------------------------------------------- Gemini, over HTTP


@pytest.fixture
async def gemini(fake_gemini: FakeGemini) -> AsyncIterator[GeminiProvider]:
    provider = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=10.0)
    yield provider
    await provider.aclose()


async def test_gemini_gets_pdf_audio_and_video_inline_and_text_as_text(
    gemini: GeminiProvider, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    pdf = write(tmp_path, "report.pdf", pdf_bytes(2))
    wav = write(tmp_path, "memo.wav", wav_bytes(1))
    notes = write(tmp_path, "notes.md", b"# Plan\n- ship it\n")
    parts = await attachments_to_parts([pdf, wav, TINY_MP4, notes], gemini)
    session = ChatSession(gemini, GenerationSettings(model=MODEL))
    await session.send_message([*parts, "Summarise."])

    sent = fake_gemini.requests_for("generateContent")[-1].normalized["contents"][0]["parts"]
    blobs = [p["inlineData"] for p in sent if "inlineData" in p]
    assert [b["mimeType"] for b in blobs] == ["application/pdf", "audio/wav", "video/mp4"]
    for blob, path in zip(blobs, [pdf, wav, TINY_MP4], strict=True):
        assert base64.b64decode(blob["data"]) == path.read_bytes()
    assert sent[3] == {"text": "[File: notes.md]\n# Plan\n- ship it\n\n[End of notes.md]"}
    assert sent[4] == {"text": "Summarise."}
    assert not [r for r in fake_gemini.requests if r.path.startswith("/upload/")]


async def test_a_video_over_the_budget_is_uploaded_and_waited_for(
    gemini: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.file_active_after_polls = 3
    waits: list[float] = []
    sent: list[int] = []
    limits = AttachmentLimits(inline_request_bytes=70_000)
    parts = await attachments_to_parts(
        [TINY_MP4],
        gemini,
        limits,
        lambda item, done, total: sent.append(done),
        processing=lambda item, seconds: waits.append(seconds),
    )
    (part,) = parts
    assert part.file_uri is not None and part.mime_type == "video/mp4"
    assert part.data == TINY_MP4.read_bytes() and part.file_name == "tiny.mp4"
    assert sent[-1] == TINY_MP4.stat().st_size
    assert len(waits) >= 2 and waits == sorted(waits)  # told while PROCESSING, each poll
    stored = fake_gemini.uploaded("files/" + part.file_uri.rsplit("/", 1)[1])
    assert stored is not None and stored.state == "ACTIVE" and stored.mime_type == "video/mp4"

    session = ChatSession(gemini, GenerationSettings(model=MODEL))
    await session.send_message([part, "What happens?"])
    body = fake_gemini.requests_for("generateContent")[-1].normalized["contents"][0]["parts"]
    assert body[0] == {"fileData": {"mimeType": "video/mp4", "fileUri": part.file_uri}}


async def test_a_file_gemini_fails_to_process_is_named(
    gemini: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.file_active_after_polls = 1
    fake_gemini.files.final_state = "FAILED"
    limits = AttachmentLimits(inline_request_bytes=70_000)
    with pytest.raises(InvalidRequestError) as caught:
        await attachments_to_parts([TINY_MP4], gemini, limits)
    assert "Gemini could not process the uploaded file tiny.mp4" in str(caught.value)
    assert "The file could not be processed." in str(caught.value)
    assert not fake_gemini.requests_for("generateContent")


async def test_stop_while_gemini_processes_cancels_at_once(
    gemini: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    fake_gemini.file_active_after_polls = 10_000
    processing = asyncio.Event()
    task = asyncio.create_task(
        attachments_to_parts(
            [TINY_MP4],
            gemini,
            AttachmentLimits(inline_request_bytes=70_000),
            processing=lambda item, seconds: processing.set(),
        )
    )
    await asyncio.wait_for(processing.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    assert not fake_gemini.requests_for("generateContent")


# ---------------------------------------------------------------- OpenAI-compatible


async def test_openai_gets_text_files_and_pdf_text_and_audio_is_refused(tmp_path: Path) -> None:
    pdf = write(tmp_path, "report.pdf", pdf_bytes(3))
    code = write(tmp_path, "app.py", b"print('hi')\n")
    wav = write(tmp_path, "memo.wav", wav_bytes(1))
    with FakeOpenAI() as fake:
        provider = OpenAICompatProvider(fake.base_url, "test-key", label="Fake")
        try:
            with pytest.raises(AttachmentError) as caught:
                await attachments_to_parts([pdf, wav], provider)
            assert str(caught.value) == (
                "Cannot attach memo.wav: Fake cannot take audio; only Gemini hears audio and "
                "watches video"
            )
            assert fake.requests == []  # refused before anything was sent
            parts = await attachments_to_parts([pdf, code], provider)
            session = ChatSession(provider, GenerationSettings(model="fake-chat"))
            await session.send_message([*parts, "Explain."])
            content = fake.last_request.json["messages"][0]["content"]
        finally:
            await provider.aclose()
    assert isinstance(content, str)
    pdf_text, code_text, prompt = content.split("\n\n[", 1)[0], None, content.rsplit("\n\n", 1)[1]
    assert pdf_text.startswith("[File: report.pdf (text extracted from 3 pages)]\n[Page 1]\n")
    assert "[Page 3]\nPage 3 says hello\n[End of report.pdf]" in content
    assert "[File: app.py]\nprint('hi')\n\n[End of app.py]" in content
    assert prompt == "Explain." and code_text is None


async def test_openai_gets_image_links_and_files_by_link_are_refused_before_sending() -> None:
    refusals = {
        "https://example.com/docs/report.pdf": "Fake cannot fetch a PDF by its link; download "
        "it and attach the file itself to send its text",
        "https://example.com/talk.MP4": "Fake cannot take video; only Gemini hears audio and "
        "watches video",
        "https://example.com/notes.md": "Fake cannot fetch a text file by its link",
        "https://example.com/archive.zip": "no model here reads application/zip files",
        "gs://bucket/photo.png": "Fake cannot fetch gs:// links; only Gemini can",
        FILES_API_PREFIX + "abc123": "Fake cannot fetch Files API links",
    }
    with FakeOpenAI() as fake:
        provider = OpenAICompatProvider(fake.base_url, "test-key", label="Fake")
        try:
            for address, reason in refusals.items():
                with pytest.raises(AttachmentError) as caught:
                    await attachments_to_parts(["https://example.com/a.png", address], provider)
                assert caught.value.source == FileUri(address).name
                assert caught.value.reason.startswith(reason), caught.value.reason
            # A link whose type was given is judged by it, not by its missing extension.
            with pytest.raises(AttachmentError, match="cannot fetch a PDF"):
                await attachments_to_parts(
                    [FileUri("https://e.com/get?id=7", "application/pdf")], provider
                )
            assert fake.requests == []  # refused before anything was sent
            links = ["https://example.com/a.png", "https://example.com/get?id=7"]
            parts = await attachments_to_parts(links, provider)
            session = ChatSession(provider, GenerationSettings(model="fake-chat"))
            await session.send_message([*parts, "Compare."])
            content = fake.last_request.json["messages"][0]["content"]
        finally:
            await provider.aclose()
    assert [c.get("image_url", {}).get("url") for c in content] == [*links, None]


async def test_gemini_is_sent_files_by_link_by_reference(fake_gemini: FakeGemini) -> None:
    provider = GeminiProvider("test-key", fake_gemini.base_url)
    try:
        links = ["https://example.com/report.pdf", "gs://bucket/talk.mp4"]
        parts = await attachments_to_parts(links, provider)
    finally:
        await provider.aclose()
    assert [(p.file_uri, p.mime_type) for p in parts] == [
        (links[0], "application/pdf"),
        (links[1], "video/mp4"),
    ]
    for address in links:
        assert uri_delivery(address, None, native=True, who="Gemini").refusal is None


def test_history_audio_becomes_a_note_for_a_text_only_provider() -> None:
    audio = Part(data=wav_bytes(1), mime_type="audio/wav", file_name="memo.wav")
    text = as_text(audio)
    assert text == (
        "[memo.wav was attached here: audio, which this model cannot hear or watch; "
        "only Gemini can]"
    )
    message = Message(Role.USER, [audio, Part.from_text("hi")])
    assert message.files == [audio] and message.images == []
