"""What an attached file is, by its MIME type, and how it reads as text.

Shared by the attachments (which decide how a file will be sent) and the providers
(which send it): Gemini reads PDFs, audio and video as they are and gets text files
as text parts; OpenAI-compatible servers and the offline model get text files and a
PDF's extracted text as text, each framed by a header naming the file, and a short
note in place of what they cannot read.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:  # the composer names kinds at the first paint, before any message
    from rill.core.types import Part


class FileKind(StrEnum):
    """The families of attachments, each sent its own way."""

    IMAGE = "image"
    PDF = "pdf"
    TEXT = "text"
    AUDIO = "audio"
    VIDEO = "video"
    OTHER = "other"


# MIME types outside text/* whose content is text (what Gemini's document docs list,
# and what the text extensions map to).
TEXT_MIME_TYPES = frozenset({
    "application/json",
    "application/xml",
    "application/x-javascript",
    "application/x-typescript",
    "application/x-python-code",
    "application/x-yaml",
    "application/toml",
    "application/sql",
})  # fmt: skip


def kind_of(mime_type: str | None) -> FileKind:
    """The family a MIME type belongs to (no type at all counts as an image, as URIs did)."""
    mime = (mime_type or "image/").split(";", 1)[0].strip().lower()
    if mime.startswith("image/"):
        return FileKind.IMAGE
    if mime == "application/pdf":
        return FileKind.PDF
    if mime.startswith("text/") or mime in TEXT_MIME_TYPES:
        return FileKind.TEXT
    if mime.startswith("audio/"):
        return FileKind.AUDIO
    if mime.startswith("video/"):
        return FileKind.VIDEO
    return FileKind.OTHER


def part_kind(part: Part) -> FileKind | None:
    """The family of a file part; None for text, thoughts and other non-file parts."""
    return kind_of(part.mime_type) if part.is_file else None


def file_label(part: Part) -> str:
    """The name to show for a file part: its file name, else its URI's, else a phrase."""
    if part.file_name:
        return part.file_name
    if part.file_uri:
        name = PurePosixPath(unquote(urlsplit(part.file_uri).path)).name
        if name:
            return name
    return "the attached file"


def framed(name: str, body: str, detail: str = "") -> str:
    """``body`` between a header naming the file and an end line, so a model can tell
    where the file starts and stops among the turn's other text."""
    about = f" ({detail})" if detail else ""
    return f"[File: {name}{about}]\n{body}\n[End of {name}]"


def text_file_text(part: Part) -> str | None:
    """A text file's content, framed; None when ``part`` is not a text file with bytes.

    Attaching checked the bytes are UTF-8; a store edited by hand may hold others,
    which are replaced rather than refused.
    """
    if part.data is None or part_kind(part) is not FileKind.TEXT:
        return None
    return framed(file_label(part), part.data.decode("utf-8", errors="replace"))


def pdf_text(part: Part) -> str | None:
    """A PDF's extracted text, framed; None when it has none (a scan) or is no PDF."""
    if part_kind(part) is not FileKind.PDF or not (part.extracted_text or "").strip():
        return None
    assert part.extracted_text is not None
    pages = part.extracted_text.count("\n[Page ") + part.extracted_text.startswith("[Page ")
    detail = f"text extracted from {pages} page{'s' if pages != 1 else ''}" if pages else ""
    return framed(file_label(part), part.extracted_text.strip("\n"), detail)


def as_text(part: Part) -> str | None:
    """What a provider that cannot read the file itself gets instead: a text file's
    text, a PDF's extracted text, or a one-line note saying what could not be sent;
    None for images and non-file parts (those have their own way in)."""
    kind = part_kind(part)
    if kind is None or kind is FileKind.IMAGE:
        return None
    text = text_file_text(part) if kind is FileKind.TEXT else pdf_text(part)
    if text is not None:
        return text
    return f"[{file_label(part)} was attached here: {unreadable_reason(part)}]"


def unreadable_reason(part: Part) -> str:
    """Why a provider without native files cannot take ``part`` (for notes and refusals)."""
    kind = part_kind(part)
    if kind is FileKind.PDF:
        if part.data is None:
            return "a PDF by reference, which only Gemini can fetch"
        return "a PDF without text to extract (scanned pages?), which this model cannot read"
    if kind is FileKind.TEXT and part.data is None:
        return "a text file by reference, which only Gemini can fetch"
    if kind in (FileKind.AUDIO, FileKind.VIDEO):
        return f"{kind.value}, which this model cannot hear or watch; only Gemini can"
    return "a file this model cannot read"
