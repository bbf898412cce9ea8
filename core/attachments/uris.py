"""Files attached by their address (``https://``, ``gs://``, Gemini's Files API):
what such a link is, and which text names one.

Apart from ``request_parts`` so the composer can take a link (typed, pasted or dropped)
without loading the documents, PDF and media modules (issue 14, item 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from rill.core.attachments.delivery import FILES_API_PREFIX
from rill.core.attachments.formats import AttachmentError
from rill.core.attachments.kinds import by_extension
from rill.core.file_parts import FileKind, kind_of

if TYPE_CHECKING:
    from rill.core.types import Part

# A URI without a telling extension (many CDN links) is assumed to be a JPEG, the
# commonest photo format, unless the caller says otherwise; Files API URIs are asked.
DEFAULT_URI_MIME_TYPE = "image/jpeg"
# Extensions are looked up here first: the stdlib table varies with /etc/mime.types.
_EXTENSION_MIME = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".heif": "image/heif",
    ".pdf": "application/pdf",
}

_LINK_LABELS = {
    FileKind.IMAGE: "Image",
    FileKind.PDF: "PDF",
    FileKind.TEXT: "Text",
    FileKind.AUDIO: "Audio",
    FileKind.VIDEO: "Video",
}


@dataclass(frozen=True, slots=True)
class FileUri:
    """An image by reference: ``https://``, ``gs://`` or a Gemini Files API URI."""

    uri: str
    mime_type: str | None = None  # None: asked (Files API) or guessed at send time

    @property
    def name(self) -> str:
        """The file name at the end of the URI (the URI itself when it has none)."""
        return PurePosixPath(unquote(urlsplit(self.uri).path)).name or self.uri

    @property
    def known_mime_type(self) -> str | None:
        """The MIME type given, else the one the address's extension names (a JPEG when
        it names none); None for a Files API URI of unknown type, asked when sent."""
        if self.mime_type or self.uri.startswith(FILES_API_PREFIX):
            return self.mime_type
        return guess_uri_mime_type(self.uri)

    @property
    def kind(self) -> FileKind | None:
        """The file's family by its MIME type (None: a Files API URI not asked yet)."""
        mime = self.known_mime_type
        return kind_of(mime) if mime else None

    def facts(self) -> str:
        """What a link's tile says it is: "PDF link · example.com"."""
        kind = self.kind
        mime = self.known_mime_type or ""
        what = (
            mime if kind is FileKind.OTHER else _LINK_LABELS.get(kind, "File") if kind else "File"
        )
        parts = urlsplit(self.uri)
        where = "Gemini Files API" if self.uri.startswith(FILES_API_PREFIX) else parts.netloc
        return f"{what} link · {where}" if where else f"{what} link"

    def to_part(self) -> Part:
        """This URI as a request part, with its MIME type (guessed from the name if unknown)."""
        from rill.core.types import Part  # the message types load after the first paint

        return Part.from_uri(self.uri, self.mime_type or guess_uri_mime_type(self.uri))


def parse_file_uri(text: str, mime_type: str | None = None) -> FileUri | None:
    """An FileUri for ``https://`` and ``gs://``; None for a local path or ``file:``.

    Raises AttachmentError (code ``uri``) for ``http://`` and other schemes.
    """
    source = text.strip()
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("https", "gs"):
        return FileUri(source, mime_type)
    if scheme == "http":
        raise AttachmentError(
            source, "plain http:// URLs are not accepted; use https://", code="uri"
        )
    if len(scheme) > 1 and scheme not in ("file", "data"):  # "c:" is a Windows drive
        raise AttachmentError(source, f"the {scheme}:// scheme is not supported", code="uri")
    return None


def guess_uri_mime_type(uri: str) -> str:
    """The MIME type a URI's extension names; DEFAULT_URI_MIME_TYPE when it names none."""
    suffix = PurePosixPath(unquote(urlsplit(uri).path)).suffix.lower()
    if suffix in _EXTENSION_MIME:
        return _EXTENSION_MIME[suffix]
    known = by_extension(suffix)  # Gemini's documented types for documents and media
    if known is not None and known.kind is not FileKind.IMAGE:
        return known.mime_type
    if suffix:
        import mimetypes

        guessed, _ = mimetypes.guess_type(f"x{suffix}")
        if guessed:
            return guessed
    return DEFAULT_URI_MIME_TYPE
