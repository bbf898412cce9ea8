"""Documents, text, audio and video the user attaches, checked and described before Send.

:func:`prepare_attachment` takes any file (a path or pasted bytes) and hands it to
``prepare_image`` when it is an image, else reads it here: a PDF is opened with
PDFium (pages, text with page markers, first page as a thumbnail), a text file must
be UTF-8, audio and video must be a container Gemini reads (duration where cheap).
Anything else is refused with the reason. Blocking: run it in a worker.

Big audio and video files are not read into memory here: their bytes stay on disk
(``data`` None) until the turn is sent (:func:`load_data`), so attaching a long video
never copies hundreds of megabytes between processes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from rill.core.attachments import media
from rill.core.attachments.formats import AttachmentError, human_bytes, read_attached_file
from rill.core.attachments.kinds import Kind, by_extension, sniff, utf8_problem
from rill.core.attachments.pdf import read_pdf
from rill.core.attachments.prepare import (
    DEFAULT_LIMITS,
    AttachmentLimits,
    PreparedImage,
    inline_cost,
    prepare_image,
)
from rill.core.file_parts import FileKind
from rill.core.types import Part

MB = 1024 * 1024
# A text file past this is refused: about two million tokens, more than any model
# reads, and it goes into every later request of the chat as text.
MAX_TEXT_BYTES = 8 * MB
# Audio and video at least this big stay on disk until sent (see the module doc).
DEFER_BYTES = 8 * MB
# Room in the request for the JSON around a file, its turn's text and settings.
_REQUEST_SLACK = 64 * 1024


@dataclass(frozen=True, slots=True)
class PreparedFile:
    """A document, text file, audio or video, checked and ready to send."""

    name: str
    kind: FileKind
    mime_type: str
    label: str  # "PDF", "MP3 audio", "text"
    byte_size: int
    data: bytes | None  # None: still on disk at ``path`` (big audio and video)
    path: Path | None = None
    pages: int | None = None  # PDF
    has_text: bool = False  # PDF: some page has text to extract
    text: str | None = None  # PDF: its text with page markers
    lines: int | None = None  # text file
    duration: float | None = None  # audio, video: seconds, where cheap to read
    thumbnail: bytes | None = None  # PNG (a PDF's first page)
    needs_upload: bool = False  # too big for inline data even alone

    @property
    def inline_cost(self) -> int:
        """Bytes this file adds to a request as inline data (base64 plus JSON)."""
        return inline_cost(self.byte_size)

    def to_part(self) -> Part:
        """The file as an inline part (its bytes must be loaded: :func:`load_data`)."""
        if self.data is None:
            raise ValueError(f"{self.name}: its bytes were not loaded")
        return Part(
            data=self.data,
            mime_type=self.mime_type,
            file_name=self.name,
            extracted_text=self.text if self.kind is FileKind.PDF else None,
        )

    def facts(self) -> str:
        """What the tile's second line says: "PDF · 1.2 MB · 12 pages"."""
        bits = [self.label, human_bytes(self.byte_size)]
        if self.pages is not None:
            bits.append(f"{self.pages} page{'s' if self.pages != 1 else ''}")
        if self.lines is not None:
            bits.append(f"{self.lines:,} line{'s' if self.lines != 1 else ''}")
        if self.duration is not None:
            bits.append(media.clock(self.duration))
        return " · ".join(bits)

    def describe(self) -> str:
        """One line for a tooltip: the name and the facts."""
        return f"{self.name} — {self.facts()}"


Prepared = PreparedImage | PreparedFile


def prepare_attachment(
    source: Path | bytes, *, name: str | None = None, limits: AttachmentLimits = DEFAULT_LIMITS
) -> Prepared:
    """Any attached file made ready: images through ``prepare_image``, the rest here.

    Raises AttachmentError naming the file and the reason (empty, unreadable, too
    large, an encrypted or damaged PDF, text that is not UTF-8, a format no model
    here reads). Blocking: call it in a worker.
    """
    path = source if isinstance(source, Path) else None
    label = name or (str(path) if path is not None else "the pasted file")
    display = name or (path.name if path is not None else label)
    head, size = _head(source, label, limits)
    sniffed, named = sniff(head, display), by_extension(display)
    if sniffed is None and named is not None and named.kind in (FileKind.AUDIO, FileKind.VIDEO):
        why = f"not valid {named.label} (its first bytes are not that format's)"
        raise AttachmentError(label, why, code="corrupt")
    found = sniffed or named
    if found is None and _looks_binary(head):
        return _image_or_nothing(source, name, label, limits)
    if found is None:
        found = Kind(FileKind.TEXT, "text/plain", "text")  # no known format: text, if UTF-8
    if found.kind is FileKind.IMAGE:
        return prepare_image(source, name=name, limits=limits)
    if found.kind in (FileKind.AUDIO, FileKind.VIDEO):
        return _media(source, found, label, display, size, limits)
    if found.kind is FileKind.TEXT and size > MAX_TEXT_BYTES:
        raise AttachmentError(
            label,
            f"the text is too long ({human_bytes(size)}; text files go as text, up "
            f"to {human_bytes(MAX_TEXT_BYTES)}, about two million tokens)",
            code="too_large",
        )
    data = source if isinstance(source, bytes) else read_attached_file(source, label, size + 1)
    if found.kind is FileKind.PDF:
        return _pdf(data, found, label, display, path, limits)
    return _text(data, found, label, display, path)


def _head(source: Path | bytes, label: str, limits: AttachmentLimits) -> tuple[bytes, int]:
    """The first 1 KiB and the size, or the AttachmentError saying why not."""
    if isinstance(source, bytes):
        if not source:
            raise AttachmentError(label, "the file is empty", code="empty")
        return source[:1024], len(source)
    try:
        size = source.stat().st_size
        if source.is_dir():
            raise AttachmentError(label, "it is a directory", code="directory")
        with source.open("rb") as stream:
            head = stream.read(1024)
    except FileNotFoundError:
        raise AttachmentError(label, "file not found", code="not_found") from None
    except PermissionError:
        raise AttachmentError(label, "permission denied (unreadable)", code="permission") from None
    except OSError as exc:
        raise AttachmentError(
            label, f"unreadable ({exc.strerror or exc})", code="unreadable"
        ) from None
    if size == 0 or not head:
        raise AttachmentError(label, "the file is empty", code="empty")
    if size > limits.max_file_bytes:
        raise AttachmentError(
            label,
            f"the file is too large ({human_bytes(size)}; Rill attaches files up to "
            f"{human_bytes(limits.max_file_bytes)})",
            code="too_large",
        )
    return head, size


def _image_or_nothing(
    source: Path | bytes, name: str | None, label: str, limits: AttachmentLimits
) -> PreparedImage:
    """Binary data of no known kind: an image Pillow knows (GIF, BMP, TIFF…), or refused."""
    try:
        return prepare_image(source, name=name, limits=limits)
    except AttachmentError as error:
        if error.code != "not_image":
            raise
    raise AttachmentError(
        label,
        "not a file Rill can send (no known document, audio, video or image format, and not text)",
        code="unsupported",
    )


def _looks_binary(head: bytes) -> bool:
    """Bytes no text file starts with: a NUL, or not UTF-8 (a cut character at the end
    of the 1 KiB aside)."""
    if b"\x00" in head:
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 3
    return False


def _needs_upload(size: int, limits: AttachmentLimits) -> bool:
    return inline_cost(size) > limits.inline_request_bytes - _REQUEST_SLACK


def _media(
    source: Path | bytes, kind: Kind, label: str, name: str, size: int, limits: AttachmentLimits
) -> PreparedFile:
    data: bytes | None
    if isinstance(source, bytes):
        data = source
    elif size >= DEFER_BYTES:
        data = None
    else:
        data = read_attached_file(source, label, limits.max_file_bytes)
    needs_upload = _needs_upload(size, limits)
    if needs_upload and not limits.allow_upload:
        raise AttachmentError(
            label,
            f"too large to send inline ({human_bytes(size)}, over the request's "
            f"{human_bytes(limits.inline_request_bytes)} inline limit), and this provider "
            "cannot upload files",
            code="too_large",
        )
    return PreparedFile(
        name, kind.kind, kind.mime_type, kind.label, size, data,
        path=source if isinstance(source, Path) else None,
        duration=media.duration(source if data is None else data, kind.mime_type),
        needs_upload=needs_upload,
    )  # fmt: skip


def _pdf(
    data: bytes, kind: Kind, label: str, name: str, path: Path | None, limits: AttachmentLimits
) -> PreparedFile:
    facts = read_pdf(data, label, limits.thumbnail_side)
    return PreparedFile(
        name, kind.kind, kind.mime_type, kind.label, len(data), data, path=path,
        pages=facts.pages, has_text=facts.has_text, text=facts.text if facts.has_text else None,
        thumbnail=facts.thumbnail, needs_upload=_needs_upload(len(data), limits),
    )  # fmt: skip


def _text(data: bytes, kind: Kind, label: str, name: str, path: Path | None) -> PreparedFile:
    problem = utf8_problem(data)
    if problem is not None:
        if kind.kind is FileKind.TEXT and by_extension(name) is None:
            problem = "no known document, audio, video or image format, and " + problem
        raise AttachmentError(label, problem, code="not_text")
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    return PreparedFile(
        name, FileKind.TEXT, kind.mime_type, kind.label, len(data), data, path=path, lines=lines
    )


def load_data(file: PreparedFile) -> PreparedFile:
    """``file`` with its bytes read from disk (a no-op when it has them). Blocking.

    Raises AttachmentError when the file went away or changed size since it was
    attached (the size shown and the limits checked were for the old one).
    """
    if file.data is not None:
        return file
    assert file.path is not None
    data = read_attached_file(file.path, str(file.path), file.byte_size + 1)
    if len(data) != file.byte_size:
        raise AttachmentError(
            str(file.path),
            "the file changed since it was attached; attach it again",
            code="changed",
        )
    return replace(file, data=data)
