"""How each attached file will be sent, said on its tile before Send, and what is refused.

Gemini reads PDFs, audio and video as they are (``Capabilities.documents``): inline
while the request's budget allows, through its Files API beyond. Providers that
cannot get PDFs and text files as their text, and refuse audio and video with the
reason. The same rules refuse a turn before it is recorded (``request_parts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from rill.core.attachments.formats import AttachmentError, human_bytes
from rill.core.file_parts import FileKind, kind_of

# The composer says how a link goes at its first paint; a file's note needs a file,
# prepared by the documents module, which loads after the paint (issue 14, item 7).
if TYPE_CHECKING:
    from rill.core.attachments.documents import PreparedFile


@dataclass(frozen=True, slots=True)
class Delivery:
    """``note``: how the file goes ("as text, 12 pages"), or, when it cannot, a few
    words a tile has room for ("audio: Gemini only"); ``refusal``: the whole reason."""

    note: str
    refusal: str | None = None


def _pages(count: int | None) -> str:
    return f", {count} page{'s' if count != 1 else ''}" if count is not None else ""


def delivery(file: PreparedFile, *, native: bool, can_upload: bool, who: str) -> Delivery:
    """How ``file`` goes to the provider ``who`` names (``native``: it reads PDFs,
    audio and video; ``can_upload``: it has a Files API for what is too big inline)."""
    if file.kind is FileKind.TEXT:
        return Delivery(f"as text, {file.lines or 0:,} line{'s' if file.lines != 1 else ''}")
    if not native:
        if file.kind is FileKind.PDF and file.has_text:
            return Delivery(f"as text{_pages(file.pages)}")
        if file.kind is FileKind.PDF:
            why = f"it has no text to extract (scanned pages?), and {who} cannot read PDFs"
            return Delivery("no text to extract", why)
        why = f"{who} cannot take {file.kind.value}; only Gemini hears audio and watches video"
        return Delivery(f"{file.kind.value}: Gemini only", why)
    from rill.core.attachments.media import clock  # loaded with the file's documents module

    length = f", {clock(file.duration)}" if file.duration is not None else ""
    what = {FileKind.PDF: "as a PDF", FileKind.AUDIO: "as audio", FileKind.VIDEO: "as video"}
    note = f"{what.get(file.kind, 'as a file')}{_pages(file.pages)}{length}"
    if file.needs_upload:
        if not can_upload:
            why = (
                f"it is {human_bytes(file.byte_size)}, over the request's inline limit, and "
                f"{who} cannot upload files"
            )
            return Delivery("too big to send inline", why)
        note += " (uploaded)"
    return Delivery(note)


FILES_API_PREFIX = "https://generativelanguage.googleapis.com/v1beta/files/"
# What a file of each kind is called in a sentence about a link to it.
_LINKED = {
    FileKind.PDF: "a PDF",
    FileKind.TEXT: "a text file",
    FileKind.AUDIO: "audio",
    FileKind.VIDEO: "video",
}


def uri_delivery(address: str, mime_type: str | None, *, native: bool, who: str) -> Delivery:
    """How a file attached by its address goes to ``who``, decided by its MIME type
    (given, or named by the address's extension; None: a Files API URI Gemini is
    asked about at send time).

    Gemini fetches any kind it reads by reference. Other providers fetch only images,
    and only from ``https://``: they would get a PDF's or a video's link as an image
    link, so those are refused here, before sending, as local files they cannot read
    are (a local PDF still goes to them as its text).
    """
    scheme = urlsplit(address).scheme.lower()
    kind = kind_of(mime_type) if mime_type else None
    if kind is FileKind.OTHER:
        return Delivery("not a kind models read", f"no model here reads {mime_type} files")
    if native:
        return Delivery("by reference (Gemini fetches it)")
    if address.startswith(FILES_API_PREFIX) or scheme != "https":
        what = f"{scheme}:// link" if scheme != "https" else "Files API link"
        return Delivery(f"{what}: Gemini only", f"{who} cannot fetch {what}s; only Gemini can")
    if kind is None or kind is FileKind.IMAGE:
        return Delivery("as an image link (the server fetches it)")
    if kind in (FileKind.AUDIO, FileKind.VIDEO):
        why = f"{who} cannot take {kind.value}; only Gemini hears audio and watches video"
        return Delivery(f"{kind.value}: Gemini only", why)
    why = (
        f"{who} cannot fetch {_LINKED[kind]} by its link; download it and attach the "
        "file itself to send its text"
    )
    short = "PDF" if kind is FileKind.PDF else "text"
    return Delivery(f"{short} link: attach the file", why)


def refuse_undeliverable(
    files: list[PreparedFile],
    *,
    native: bool,
    can_upload: bool,
    who: str,
    links: Sequence[tuple[str, str, str | None]] = (),
) -> None:
    """Raise AttachmentError for the first of ``files`` that ``who`` cannot take, then
    for the first of ``links`` ((name, address, MIME type or None)) it cannot fetch."""
    for file in files:
        refusal = delivery(file, native=native, can_upload=can_upload, who=who).refusal
        if refusal is not None:
            raise AttachmentError(file.name, refusal, code="unsupported")
    for name, address, mime_type in links:
        refusal = uri_delivery(address, mime_type, native=native, who=who).refusal
        if refusal is not None:
            raise AttachmentError(name, refusal, code="unsupported")


def provider_facts(provider: object) -> tuple[bool, bool, str]:
    """(reads files natively, can upload, a name for sentences) of a provider."""
    capabilities = getattr(provider, "capabilities", None)
    native = bool(getattr(capabilities, "documents", False))
    can_upload = bool(getattr(provider, "can_upload_files", False))
    name = str(getattr(provider, "label", "") or getattr(provider, "name", "") or "this provider")
    return native, can_upload, {"local": "the offline model"}.get(name, name)
