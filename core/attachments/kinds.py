"""Which kind of file an attachment is: its first bytes first, its extension second.

The MIME types are the ones Google documents for Gemini (images, PDF, audio, video;
text files go to every provider as text, so their type only names them). A file whose
bytes and name say nothing known is text when it decodes as UTF-8, else refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from rill.core.file_parts import FileKind

# Text and code: the list plus near relatives; anything else that decodes as
# UTF-8 is text too. Gemini's documented text types where one fits, text/plain else.
TEXT_EXTENSIONS = {
    ".txt": "text/plain", ".md": "text/markdown", ".markdown": "text/markdown",
    ".csv": "text/csv", ".tsv": "text/tab-separated-values", ".json": "application/json",
    ".xml": "text/xml", ".html": "text/html", ".htm": "text/html", ".css": "text/css",
    ".py": "text/x-python", ".js": "text/javascript", ".ts": "text/x-typescript",
    ".java": "text/plain", ".c": "text/plain", ".h": "text/plain", ".cpp": "text/plain",
    ".hpp": "text/plain", ".go": "text/plain", ".rs": "text/plain", ".rb": "text/plain",
    ".sh": "text/plain", ".yaml": "text/plain", ".yml": "text/plain", ".toml": "text/plain",
    ".sql": "text/plain", ".log": "text/plain", ".ini": "text/plain", ".cfg": "text/plain",
}  # fmt: skip
# Gemini's audio types (ai.google.dev, audio understanding). M4A (AAC in an MP4
# container) is not on that list; Vertex AI documents it as audio/mp4.
AUDIO_EXTENSIONS = {
    ".mp3": "audio/mp3", ".wav": "audio/wav", ".aac": "audio/aac", ".m4a": "audio/mp4",
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".flac": "audio/flac", ".aiff": "audio/aiff",
    ".aif": "audio/aiff",
}  # fmt: skip
# Gemini's video types (ai.google.dev, video understanding).
VIDEO_EXTENSIONS = {
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/mov", ".webm": "video/webm",
    ".mpeg": "video/mpeg", ".mpg": "video/mpg", ".avi": "video/avi", ".wmv": "video/wmv",
    ".3gp": "video/3gpp", ".flv": "video/x-flv",
}  # fmt: skip
IMAGE_EXTENSIONS = frozenset({
    ".png", ".jpg", ".jpeg", ".jpe", ".webp", ".heic", ".heif", ".gif", ".bmp", ".tif",
    ".tiff", ".avif", ".ico", ".svg",
})  # fmt: skip

# What the picker offers, by kind (the lists).
PICKER_FILTERS = (
    ("Images", sorted(IMAGE_EXTENSIONS - {".svg", ".ico", ".jpe"})),
    ("PDF documents", [".pdf"]),
    ("Text and code", sorted(TEXT_EXTENSIONS)),
    ("Audio", sorted(AUDIO_EXTENSIONS)),
    ("Video", sorted(VIDEO_EXTENSIONS)),
)

# ISO-BMFF brands (bytes 8..12 after "ftyp") that are not a plain MP4 video.
_AUDIO_BRANDS = (b"M4A ", b"M4B ", b"F4A ")
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
_AVIF_BRANDS = (b"avif", b"avis")


@dataclass(frozen=True, slots=True)
class Kind:
    """A file's family, the MIME type it is sent as, and a short name for people."""

    kind: FileKind
    mime_type: str
    label: str  # "PDF", "MP3 audio", "MP4 video", "text"


def by_extension(name: str) -> Kind | None:
    """The kind a file name's extension names, or None."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".pdf":
        return Kind(FileKind.PDF, "application/pdf", "PDF")
    if suffix in TEXT_EXTENSIONS:
        return Kind(FileKind.TEXT, TEXT_EXTENSIONS[suffix], "text")
    if suffix in AUDIO_EXTENSIONS:
        return Kind(FileKind.AUDIO, AUDIO_EXTENSIONS[suffix], f"{suffix[1:].upper()} audio")
    if suffix in VIDEO_EXTENSIONS:
        return Kind(FileKind.VIDEO, VIDEO_EXTENSIONS[suffix], f"{suffix[1:].upper()} video")
    if suffix in IMAGE_EXTENSIONS:
        return Kind(FileKind.IMAGE, "image/" + suffix[1:], "image")
    return None


def _ftyp(head: bytes, suffix: str) -> Kind | None:
    """An ISO-BMFF file (MP4, MOV, M4A, 3GP, HEIC) from its ``ftyp`` brand."""
    brand = head[8:12]
    if brand in _HEIF_BRANDS or brand in _AVIF_BRANDS:
        return Kind(FileKind.IMAGE, "image/heif", "image")
    if brand in _AUDIO_BRANDS or suffix in AUDIO_EXTENSIONS:
        # A generic brand (isom, mp42) says nothing of the tracks: the extension does.
        return Kind(FileKind.AUDIO, "audio/mp4", "M4A audio")
    if brand == b"qt  ":
        return Kind(FileKind.VIDEO, "video/mov", "MOV video")
    if brand.startswith(b"3g"):
        return Kind(FileKind.VIDEO, "video/3gpp", "3GP video")
    return Kind(FileKind.VIDEO, "video/mp4", "MP4 video")


def _riff(head: bytes) -> Kind | None:
    form = head[8:12]
    if form == b"WAVE":
        return Kind(FileKind.AUDIO, "audio/wav", "WAV audio")
    if form == b"AVI ":
        return Kind(FileKind.VIDEO, "video/avi", "AVI video")
    if form == b"WEBP":
        return Kind(FileKind.IMAGE, "image/webp", "image")
    return None


# Strong signatures only: "BM" (BMP) or an ICO header could start a text file, and
# those formats are known by their extension instead.
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")


def sniff(head: bytes, name: str = "") -> Kind | None:
    """The kind the first bytes of a file show (at least 64 of them), or None."""
    suffix = PurePath(name).suffix.lower()
    if head[4:8] == b"ftyp":
        return _ftyp(head, suffix)
    if head.startswith(b"RIFF"):
        return _riff(head)
    if head.startswith(_IMAGE_MAGIC):
        return Kind(FileKind.IMAGE, "image/*", "image")
    if b"%PDF-" in head[:1024]:  # PDF readers allow junk before the header, so does PDFium
        return Kind(FileKind.PDF, "application/pdf", "PDF")
    return _sniff_media(head, suffix)


def _sniff_media(head: bytes, suffix: str) -> Kind | None:
    """Audio and video containers that do not start with ftyp or RIFF."""
    if head.startswith(b"fLaC"):
        return Kind(FileKind.AUDIO, "audio/flac", "FLAC audio")
    if head.startswith(b"OggS"):
        return Kind(FileKind.AUDIO, "audio/ogg", "OGG audio")
    if head.startswith(b"FORM") and head[8:12] in (b"AIFF", b"AIFC"):
        return Kind(FileKind.AUDIO, "audio/aiff", "AIFF audio")
    if head.startswith(b"ID3"):
        return Kind(FileKind.AUDIO, "audio/mp3", "MP3 audio")
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM (or Matroska)
        return Kind(FileKind.VIDEO, "video/webm", "WebM video")
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return Kind(FileKind.VIDEO, "video/mpeg", "MPEG video")
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):  # ASF
        return Kind(FileKind.VIDEO, "video/wmv", "WMV video")
    if head.startswith(b"FLV\x01"):
        return Kind(FileKind.VIDEO, "video/x-flv", "FLV video")
    if suffix in (".mp3", ".aac") and len(head) >= 2 and head[0] == 0xFF and head[1] >= 0xE0:
        # An MPEG frame sync; trusted only with an audio name (a UTF-16 text starts FF FE).
        if head[1] & 0x06 == 0:  # layer bits 00: ADTS, which is AAC
            return Kind(FileKind.AUDIO, "audio/aac", "AAC audio")
        return Kind(FileKind.AUDIO, "audio/mp3", "MP3 audio")
    return None


def utf8_problem(data: bytes) -> str | None:
    """Why ``data`` is not UTF-8 text (None when it is): the first bad byte's offset,
    or a NUL byte, which text never holds and binary files nearly always do."""
    nul = data.find(b"\x00", 0, 1 << 20)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"it is not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    if nul >= 0:
        return f"it is not text (a NUL byte at offset {nul})"
    return None
