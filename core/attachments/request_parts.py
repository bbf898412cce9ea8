"""What the user attached (files, pasted bytes, URIs) turned into the parts of a request.

``rill.core.attachments.prepare`` makes each local image fit (verified, upright, downscaled); this
module decides where each goes: inline data while the request stays within its inline
budget, the provider's Files API otherwise, and URIs by reference. The CLI's
``--image`` uses it now, the window's composer the same way.

History: inline images live in their Message's parts (bytes) and go back with every
later turn; an uploaded image's part holds its Files API URI, its expiry and its
bytes (stored with the conversation like inline ones), so later turns reuse the
upload while it lives. Google deletes uploaded files after 48 hours; the provider
then uploads the kept bytes again (``rill.core.providers.gemini_files.KeptUploads``),
and a provider without a Files API sends them inline.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from rill.core.attachments.delivery import (
    FILES_API_PREFIX,
    provider_facts,
    refuse_undeliverable,
)
from rill.core.attachments.documents import (
    Prepared,
    PreparedFile,
    load_data,
    prepare_attachment,
)
from rill.core.attachments.formats import SUPPORTED_MIME_TYPES
from rill.core.attachments.kinds import by_extension
from rill.core.attachments.prepare import (
    DEFAULT_LIMITS,
    AttachmentError,
    AttachmentLimits,
    PreparedImage,
    human_bytes,
    inline_cost,
)
from rill.core.errors import NotFoundError, PermissionDeniedError
from rill.core.file_parts import FileKind, kind_of
from rill.core.types import Message, Part

# A URI without a telling extension (many CDN links) is assumed to be a JPEG, the
# commonest photo format, unless the caller says otherwise; Files API URIs are asked.
DEFAULT_URI_MIME_TYPE = "image/jpeg"
# Room in the inline budget for the request's JSON, settings and this turn's text.
REQUEST_SLACK = 64 * 1024

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

UploadProgress = Callable[[Prepared, int, int], None]
"""Told (file, bytes sent, total bytes) while a file goes through the Files API."""
Processing = Callable[[Prepared, float], None]
"""Told (file, seconds waited) while Gemini processes an uploaded file (video)."""


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
        return Part.from_uri(self.uri, self.mime_type or guess_uri_mime_type(self.uri))


Attachment = PreparedImage | PreparedFile | FileUri | Part
AttachmentInput = Attachment | str | Path | bytes


@runtime_checkable
class FileUploader(Protocol):
    """A provider that can upload files (Gemini's Files API) and refer to them."""

    can_upload_files: bool

    async def upload_file(
        self,
        data: bytes,
        mime_type: str,
        display_name: str,
        progress: Callable[[int, int], None] | None = None,
        processing: Callable[[float], None] | None = None,
    ) -> Part:
        """Upload ``data`` and return the part that refers to the uploaded file."""


class RemoteFileInfo(Protocol):
    @property
    def mime_type(self) -> str: ...
    @property
    def state(self) -> str: ...


@runtime_checkable
class FileResolver(Protocol):
    """A provider that can look up a Files API URI (``GET files/{id}``)."""

    async def file_info(self, uri: str) -> RemoteFileInfo:
        """The Files API's record of ``uri`` (its MIME type and state)."""


# ---------------------------------------------------------------- one item


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


def _data_uri_bytes(uri: str) -> bytes:
    """The payload of a ``data:image/...;base64,`` URI (what browsers drag and drop)."""
    header, _, payload = uri.partition(",")
    try:
        if header.endswith(";base64"):
            return base64.b64decode(payload, validate=False)
        return unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise AttachmentError(
            "the dropped data: URI", "its base64 is invalid", code="corrupt"
        ) from None


def load_item(
    source: str | Path | bytes,
    limits: AttachmentLimits = DEFAULT_LIMITS,
    *,
    name: str | None = None,
    mime_type: str | None = None,
) -> Prepared | FileUri:
    """A path, ``file:``/``data:``/``https:``/``gs:`` URI or raw bytes, made ready to send.

    Blocking for local files (Pillow, PDFium): run it off the UI thread. ``name``
    names pasted bytes in messages; ``mime_type`` overrides the guess for a URI.
    """
    if isinstance(source, bytes | bytearray):
        return prepare_attachment(bytes(source), name=name or "the pasted file", limits=limits)
    if isinstance(source, Path):
        return prepare_attachment(source, name=name, limits=limits)
    text = source.strip()
    uri = parse_file_uri(text, mime_type)
    if uri is not None:
        return uri
    scheme = urlsplit(text).scheme.lower()
    if scheme == "data":
        label = name or "the dropped file"
        return prepare_attachment(_data_uri_bytes(text), name=label, limits=limits)
    path = Path(unquote(urlsplit(text).path)) if scheme == "file" else Path(text).expanduser()
    return prepare_attachment(path, name=name, limits=limits)


def load_attachment(path_or_uri: str, mime_type: str | None = None) -> Part:
    """A ready ``Part`` for a local image or a URI, synchronously (default limits).

    For callers without a provider at hand; an image that only fits through the
    Files API raises AttachmentError (``too_large``) — use :func:`attachments_to_parts`.
    """
    item = load_item(path_or_uri, mime_type=mime_type)
    if isinstance(item, FileUri):
        return item.to_part()
    if isinstance(item, PreparedFile):
        if item.needs_upload:
            raise AttachmentError(path_or_uri, "too large to send inline", code="too_large")
        return load_data(item).to_part()
    if item.needs_upload:
        raise AttachmentError(
            path_or_uri,
            f"too large to send inline even after downscaling ({human_bytes(item.byte_size)} "
            f"at {item.width}×{item.height} px, over the "
            f"{human_bytes(DEFAULT_LIMITS.max_image_bytes)} limit); it needs a Files API upload",
            code="too_large",
        )
    return item.to_part()


# ---------------------------------------------------------------- a request's worth


def inline_request_bytes(messages: Iterable[Message], *, file_uris: bool = True) -> int:
    """What ``messages`` already put into a request: inline images (base64) and text.

    An uploaded image that kept its bytes goes by its URI when ``file_uris`` (the
    provider has the Files API), inline otherwise.
    """
    total = 0
    for message in messages:
        for part in message.parts:
            if part.data is not None and not (file_uris and part.file_uri is not None):
                total += inline_cost(len(part.data))
            elif part.text is not None:
                total += len(part.text.encode("utf-8")) + 16
    return total


def plan_uploads(
    images: Sequence[Prepared], limits: AttachmentLimits, inline_bytes_used: int = 0
) -> list[bool]:
    """Which images go through the Files API (True) rather than inline.

    Those that cannot fit inline on their own, then the largest of the rest until
    the others fit the request's inline budget: fewest uploads for the bytes saved.
    """
    upload = [image.needs_upload for image in images]
    budget = limits.inline_request_bytes - inline_bytes_used - REQUEST_SLACK
    total = sum(img.inline_cost for img, up in zip(images, upload, strict=True) if not up)
    for index in sorted(range(len(images)), key=lambda i: -images[i].inline_cost):
        if total <= budget:
            break
        if not upload[index]:
            upload[index] = True
            total -= images[index].inline_cost
    return upload


async def resolve_uri(item: FileUri, provider: object) -> Part:
    """The part for a URI; a Files API URI without a MIME type is asked about it.

    Asking also proves the file exists: an expired upload (48 h) fails here, named,
    rather than as the model call's 403.
    """
    if item.mime_type or not item.uri.startswith(FILES_API_PREFIX):
        return item.to_part()
    if not isinstance(provider, FileResolver):
        return item.to_part()
    try:
        info = await provider.file_info(item.uri)
    except (PermissionDeniedError, NotFoundError):
        raise AttachmentError(
            item.uri,
            "the Files API has no such file (uploads are deleted after 48 hours)",
            code="uri",
        ) from None
    if info.state == "FAILED":
        raise AttachmentError(item.uri, "Gemini could not process this file", code="uri")
    return Part.from_uri(item.uri, info.mime_type)


async def attachments_to_parts(
    items: Sequence[AttachmentInput],
    provider: object,
    limits: AttachmentLimits = DEFAULT_LIMITS,
    progress: UploadProgress | None = None,
    *,
    inline_bytes_used: int = 0,
    processing: Processing | None = None,
) -> list[Part]:
    """The parts for one user turn's attachments, in the order given.

    Paths, URIs and bytes are prepared on a worker thread (pass prepared objects to
    reuse work already done for thumbnails). Files the provider cannot take are
    refused first (audio to a server without it, a scanned PDF to one that reads
    text only, a PDF or a video by its link to one that fetches only images).
    Images, and PDFs, audio and video for a provider that reads them, go inline
    while the request's inline budget allows (``inline_bytes_used``: what the
    history already carries, see :func:`inline_request_bytes`), the rest through
    ``provider``'s Files API, one after another, with ``progress`` and, while Gemini
    processes an upload, ``processing``. Text files and, for other providers, PDFs
    go as parts the provider sends as text. Raises AttachmentError naming the file,
    or a RillError from the upload.
    """
    import asyncio  # here: the window imports this module before its first paint

    uploader = (
        provider if isinstance(provider, FileUploader) and provider.can_upload_files else None
    )
    native, _, who = provider_facts(provider)
    effective = limits if uploader is not None else replace(limits, allow_upload=False)
    resolved: list[Attachment] = []
    for item in items:
        if isinstance(item, PreparedImage | PreparedFile | FileUri | Part):
            resolved.append(item)
        else:
            resolved.append(await asyncio.to_thread(load_item, item, effective))
    files = [item for item in resolved if isinstance(item, PreparedFile)]
    links = [(i.name, i.uri, i.known_mime_type) for i in resolved if isinstance(i, FileUri)]
    refuse_undeliverable(
        files, native=native, can_upload=uploader is not None, who=who, links=links
    )
    resolved = [
        await asyncio.to_thread(load_data, item) if isinstance(item, PreparedFile) else item
        for item in resolved
    ]
    as_bytes = [
        item
        for item in resolved
        if isinstance(item, PreparedImage)
        or (isinstance(item, PreparedFile) and native and item.kind is not FileKind.TEXT)
    ]
    used = inline_bytes_used + sum(_text_cost(i) for i in resolved if isinstance(i, PreparedFile))
    plan = plan_uploads(as_bytes, limits, used)
    to_upload = {id(item) for item, up in zip(as_bytes, plan, strict=True) if up}
    if uploader is None and to_upload:
        _raise_no_room(next(i for i in as_bytes if id(i) in to_upload), provider, limits)
    parts: list[Part] = []
    for item in resolved:
        if isinstance(item, Part):
            parts.append(item)
        elif isinstance(item, FileUri):
            parts.append(await resolve_uri(item, provider))
        elif id(item) in to_upload:
            assert uploader is not None
            parts.append(await _upload(uploader, item, progress, processing))
        else:
            parts.append(item.to_part())
    return parts


def _text_cost(file: PreparedFile) -> int:
    """Bytes a file sent as text adds to the request (its text, escaped as JSON)."""
    if file.kind is FileKind.TEXT:
        return file.byte_size + 64
    return len((file.text or "").encode("utf-8")) + 64 if file.kind is FileKind.PDF else 0


async def _upload(
    uploader: FileUploader,
    item: Prepared,
    progress: UploadProgress | None,
    processing: Processing | None,
) -> Part:
    def report(sent: int, total: int) -> None:
        if progress is not None:
            progress(item, sent, total)

    def waited(seconds: float) -> None:
        if processing is not None:
            processing(item, seconds)

    assert item.data is not None
    part = await uploader.upload_file(item.data, item.mime_type, item.name, report, waited)
    # Keep the bytes with the URI: the upload expires, the conversation does not.
    local = item.to_part()
    return replace(
        part,
        data=part.data if part.data is not None else item.data,
        # An image's name too: a re-upload after the 48-hour expiry is made under it.
        file_name=local.file_name or item.name,
        extracted_text=local.extracted_text,
    )


def _raise_no_room(item: Prepared, provider: object, limits: AttachmentLimits) -> None:
    who = getattr(provider, "name", "this provider")
    label = str(item.path) if item.path is not None else item.name
    if isinstance(item, PreparedFile):
        why = (
            f"it is {human_bytes(item.byte_size)}, over the request's "
            f"{human_bytes(limits.inline_request_bytes)} inline limit with what goes with it"
        )
    elif item.needs_upload:
        why = (
            f"too large even after downscaling: {human_bytes(item.byte_size)} at "
            f"{item.width}×{item.height} px, over the "
            f"{human_bytes(limits.max_image_bytes)} inline limit"
        )
    else:
        why = (
            f"the images together are over the request's "
            f"{human_bytes(limits.inline_request_bytes)} inline limit"
        )
    raise AttachmentError(label, f"{why}, and {who} cannot upload files", code="too_large")


__all__ = [
    "DEFAULT_URI_MIME_TYPE",
    "SUPPORTED_MIME_TYPES",
    "Attachment",
    "AttachmentError",
    "AttachmentInput",
    "FileResolver",
    "FileUploader",
    "FileUri",
    "UploadProgress",
    "attachments_to_parts",
    "guess_uri_mime_type",
    "inline_request_bytes",
    "load_attachment",
    "load_item",
    "parse_file_uri",
    "plan_uploads",
    "resolve_uri",
]
