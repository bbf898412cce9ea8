"""Files the document tests make: PDFs written with pypdf (with text, without, encrypted),
WAVs from the ``wave`` module, and the committed tiny video fixtures."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, StreamObject

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TINY_MP4 = FIXTURES / "tiny.mp4"
TINY_WEBM = FIXTURES / "tiny.webm"


def pdf_bytes(pages: int = 3, *, text: bool = True, password: str | None = None) -> bytes:
    """A letter-size PDF whose page N says "Page N says hello" (or nothing, like a scan)."""
    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        })
    )  # fmt: skip
    for number in range(1, pages + 1):
        page = writer.add_blank_page(612, 792)
        if not text:
            continue
        page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})
        })  # fmt: skip
        stream = StreamObject()
        stream.set_data(f"BT /F1 18 Tf 72 700 Td (Page {number} says hello) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(stream)
    if password is not None:
        writer.encrypt(password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def wav_bytes(seconds: float = 1.5, rate: int = 8000) -> bytes:
    """Mono 16-bit silence of ``seconds``."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(struct.pack("<h", 0) * int(seconds * rate))
    return buffer.getvalue()


def write(folder: Path, name: str, data: bytes) -> Path:
    """``data`` written to ``folder/name``."""
    path = folder / name
    path.write_bytes(data)
    return path
