"""Turn what the user attached (a local file or an image URI) into a ``Part``.

Minimal on purpose: local images are checked and sent as they are. Downscaling,
EXIF orientation and re-encoding come with ``rill.core.images``.
"""

from __future__ import annotations

import io
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from rill.core.errors import InvalidRequestError
from rill.core.types import Part

# What Gemini accepts as image input.
SUPPORTED_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
FILES_API_PREFIX = "https://generativelanguage.googleapis.com/v1beta/files/"
# A URI without a telling extension (every Files API URI, many CDN links) is assumed
# to be a JPEG, the commonest photo format; pass ``mime_type`` when it is not.
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
}
_PILLOW_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",
    "WEBP": "image/webp",
}
# ISO-BMFF brands (bytes 8..12 after "ftyp"); Pillow cannot open HEIF without a plugin.
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"heif"}


class AttachmentError(InvalidRequestError):
    """An attachment cannot be sent; the message names the file and the reason."""

    kind = "attachment"

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"Cannot attach {source}: {reason}")
        self.source = source
        self.reason = reason


def load_attachment(path_or_uri: str, mime_type: str | None = None) -> Part:
    """A ``Part`` for a local image file or an ``https://`` / ``gs://`` / Files API URI.

    URIs are passed by reference (``Part.from_uri``) with the MIME type from
    ``mime_type`` or the extension; local files are read, checked with Pillow and sent
    inline. Raises AttachmentError: not found, unreadable, empty, not an image,
    unsupported format, or an unsupported URI scheme.
    """
    source = path_or_uri.strip()
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("https", "gs"):
        return Part.from_uri(source, mime_type or guess_uri_mime_type(source))
    if scheme == "file":
        return load_local_image(Path(unquote(urlsplit(source).path)))
    if scheme == "http":
        raise AttachmentError(source, "plain http:// URLs are not accepted; use https://")
    if len(scheme) > 1:  # "c:" in a Windows path is a drive, not a scheme
        raise AttachmentError(source, f"the {scheme}:// scheme is not supported")
    return load_local_image(Path(source).expanduser())


def guess_uri_mime_type(uri: str) -> str:
    """The MIME type a URI's extension names; DEFAULT_URI_MIME_TYPE when it names none."""
    suffix = PurePosixPath(unquote(urlsplit(uri).path)).suffix.lower()
    if suffix in _EXTENSION_MIME:
        return _EXTENSION_MIME[suffix]
    if suffix:
        import mimetypes

        guessed, _ = mimetypes.guess_type(f"x{suffix}")
        if guessed:
            return guessed
    return DEFAULT_URI_MIME_TYPE


def load_local_image(path: Path) -> Part:
    """Read ``path`` and return it as inline image bytes with the MIME type of its content."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise AttachmentError(str(path), "file not found") from None
    except IsADirectoryError:
        raise AttachmentError(str(path), "it is a directory") from None
    except PermissionError:
        raise AttachmentError(str(path), "permission denied (unreadable)") from None
    except OSError as exc:
        raise AttachmentError(str(path), f"unreadable ({exc.strerror or exc})") from None
    if not data:
        raise AttachmentError(str(path), "the file is empty")
    return Part.from_bytes(data, sniff_image_mime_type(data, str(path)))


def sniff_image_mime_type(data: bytes, source: str) -> str:
    """The MIME type of image ``data`` from its content; AttachmentError if unusable."""
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in _HEIC_BRANDS:
            return "image/heic"
        if brand in _HEIF_BRANDS:
            return "image/heif"
    # Imported here: Pillow adds ~100 ms to startup and only image attachments need it.
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format or "unknown"
            image.verify()  # catches truncated and corrupt files before upload
    except UnidentifiedImageError:
        raise AttachmentError(source, "not an image (no known image format)") from None
    except Image.DecompressionBombError:
        raise AttachmentError(source, "the image has too many pixels to be safe") from None
    except Exception as exc:  # Pillow raises many kinds for broken data
        raise AttachmentError(source, f"not a valid image ({exc})") from None
    mime = _PILLOW_FORMATS.get(fmt)
    if mime is None:
        raise AttachmentError(
            source, f"unsupported format {fmt}; Gemini takes PNG, JPEG, WebP, HEIC or HEIF"
        )
    return mime
