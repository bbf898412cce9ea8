"""PDFs read with PDFium (pypdfium2): page count, text with page markers, first page.

Blocking and meant for the composer's worker processes (or a thread in the CLI):
PDFium is C, called through ctypes, which lets go of the GIL. PDFium is not
thread-safe, so one lock serialises its use within a process. An encrypted or
damaged file raises AttachmentError with the reason, before anything is sent.
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass

from rill.core.attachments.formats import AttachmentError

# Extracted text past this is cut (and the cut said): about two million tokens, more
# than any model reads in one request.
MAX_TEXT_CHARS = 8_000_000
_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class PdfFacts:
    """What a PDF holds, for its tile and for providers that take text only."""

    pages: int
    text: str  # "[Page 1]\n…\n\n[Page 2]\n…"; whitespace only when there is no text layer
    thumbnail: bytes | None  # PNG of the first page, longest side <= the asked size

    @property
    def has_text(self) -> bool:
        """Whether any page has text to extract (a scan has none)."""
        return any(not line.startswith("[Page ") and line.strip() for line in self.text.split("\n"))


def read_pdf(data: bytes, label: str, thumbnail_side: int = 256) -> PdfFacts:
    """Open ``data`` with PDFium and read its pages. Raises AttachmentError (code
    ``encrypted`` or ``corrupt``) for a file that needs a password or is damaged."""
    import pypdfium2 as pdfium  # loaded in the workers only, when a PDF comes

    with _lock:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as error:
            raise _open_error(error, label) from None
        try:
            pages = len(document)
            if pages == 0:
                raise AttachmentError(label, "the PDF has no pages", code="corrupt")
            text = _text(document, pages)
            thumb = _thumbnail(document, thumbnail_side)
        except pdfium.PdfiumError as error:
            raise AttachmentError(label, f"the PDF is damaged ({error})", code="corrupt") from None
        finally:
            document.close()
    return PdfFacts(pages, text, thumb)


def _open_error(error: Exception, label: str) -> AttachmentError:
    import pypdfium2.raw as raw

    code = getattr(error, "err_code", None)
    if code == raw.FPDF_ERR_PASSWORD:
        reason = "the PDF is encrypted (it needs a password); attach an unprotected copy"
        return AttachmentError(label, reason, code="encrypted")
    if code == raw.FPDF_ERR_SECURITY:
        return AttachmentError(label, "the PDF uses an unsupported encryption", code="encrypted")
    return AttachmentError(label, "the PDF is damaged (PDFium cannot read it)", code="corrupt")


def _text(document: object, pages: int) -> str:
    pieces: list[str] = []
    size = 0
    for index in range(pages):
        page = document[index]  # type: ignore[index]
        try:
            textpage = page.get_textpage()
            try:
                body = textpage.get_text_bounded().replace("\r\n", "\n").replace("\r", "\n")
            finally:
                textpage.close()
        finally:
            page.close()
        piece = f"[Page {index + 1}]\n{body.strip()}"
        size += len(piece)
        if size > MAX_TEXT_CHARS:
            pieces.append(f"[Text cut here: the rest, from page {index + 1}, is not included]")
            break
        pieces.append(piece)
    return "\n\n".join(pieces)


def _thumbnail(document: object, side: int) -> bytes | None:
    page = document[0]  # type: ignore[index]
    try:
        width, height = page.get_size()
        longest = max(width, height)
        if longest <= 0:
            return None
        image = page.render(scale=side / longest).to_pil()
    finally:
        page.close()
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
