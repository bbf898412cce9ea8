"""How each attached file will be sent, said on its tile before Send, and what is refused.

Gemini reads PDFs, audio and video as they are (``Capabilities.documents``): inline
while the request's budget allows, through its Files API beyond. Providers that
cannot get PDFs and text files as their text, and refuse audio and video with the
reason. The same rules refuse a turn before it is recorded (``request_parts``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rill.core.attachments.documents import PreparedFile
from rill.core.attachments.formats import ImageError, human_bytes
from rill.core.attachments.media import clock
from rill.core.file_parts import FileKind


@dataclass(frozen=True, slots=True)
class Delivery:
    """``note``: how the file goes ("as text, 12 pages"); ``refusal``: why it cannot."""

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
        else:
            why = f"{who} cannot take {file.kind.value}; only Gemini hears audio and watches video"
        return Delivery("cannot be sent", why)
    length = f", {clock(file.duration)}" if file.duration is not None else ""
    what = {FileKind.PDF: "as a PDF", FileKind.AUDIO: "as audio", FileKind.VIDEO: "as video"}
    note = f"{what.get(file.kind, 'as a file')}{_pages(file.pages)}{length}"
    if file.needs_upload:
        if not can_upload:
            why = (
                f"it is {human_bytes(file.byte_size)}, over the request's inline limit, and "
                f"{who} cannot upload files"
            )
            return Delivery("cannot be sent", why)
        note += " (uploaded)"
    return Delivery(note)


def refuse_undeliverable(
    files: list[PreparedFile], *, native: bool, can_upload: bool, who: str
) -> None:
    """Raise AttachmentError for the first of ``files`` that ``who`` cannot take."""
    for file in files:
        refusal = delivery(file, native=native, can_upload=can_upload, who=who).refusal
        if refusal is not None:
            raise ImageError(file.name, refusal, code="unsupported")


def provider_facts(provider: object) -> tuple[bool, bool, str]:
    """(reads files natively, can upload, a name for sentences) of a provider."""
    capabilities = getattr(provider, "capabilities", None)
    native = bool(getattr(capabilities, "documents", False))
    can_upload = bool(getattr(provider, "can_upload_files", False))
    name = str(getattr(provider, "label", "") or getattr(provider, "name", "") or "this provider")
    return native, can_upload, {"local": "the offline model"}.get(name, name)
