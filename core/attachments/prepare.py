"""Images the user attaches, made fit to send: verified, upright, small enough.

Pure, blocking functions meant for a worker thread (``asyncio.to_thread``): Pillow
releases the GIL while it decodes, resamples and encodes, so the UI thread keeps
running. Nothing here touches the network; ``rill.core.attachments.request_parts`` decides where
each prepared image goes (inline data or the Files API) and sends it.

The rules, in order: the file must really be an image; EXIF orientation is applied to
the pixels; PNG, JPEG, WebP and HEIC/HEIF go out as they are when they are upright,
within ``max_side`` and within ``max_image_bytes`` (PNG, JPEG and WebP without their
metadata: EXIF with its GPS position, XMP, IPTC, text chunks are cut out losslessly,
see ``rill.core.attachments.metadata``; the compressed pixels are untouched); other formats
become PNG; anything too big is downscaled and re-encoded until it fits (measured), and
an image that cannot fit inline is marked ``needs_upload``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rill.core.attachments import formats as fmt
from rill.core.attachments.formats import (
    AttachmentError,
    human_bytes,
    open_image,
    read_attached_file,
)
from rill.core.attachments.limits import DEFAULT_LIMITS, AttachmentLimits
from rill.core.attachments.limits import DEFAULT_MAX_PIXELS as DEFAULT_MAX_PIXELS
from rill.core.attachments.metadata import strip_metadata
from rill.core.types import Part

if TYPE_CHECKING:  # Pillow itself loads with the first image (see formats.py)
    from PIL import Image

_ORIENTATION = 0x0112


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """An image ready to send, with what the attachment strip shows about it."""

    name: str  # for people: the file name, or what the caller called pasted data
    data: bytes  # what goes to the provider
    mime_type: str
    width: int | None  # pixels as sent; None only for HEIC/HEIF without pillow-heif
    height: int | None
    original_bytes: int
    original_width: int | None
    original_height: int | None
    original_format: str  # Pillow's name: "JPEG", "GIF", … ("HEIF" if undecoded)
    converted: bool  # the format changed (GIF → PNG, a big PNG → JPEG …)
    downscaled: bool
    rotated: bool  # an EXIF orientation was applied to the pixels
    reencoded: bool  # ``data`` is not the source's bytes
    needs_upload: bool  # too big for inline data even after processing
    thumbnail: bytes | None  # PNG, longest side <= limits.thumbnail_side
    path: Path | None = None

    @property
    def byte_size(self) -> int:
        """Size of the encoded image in bytes."""
        return len(self.data)

    @property
    def inline_cost(self) -> int:
        """Bytes this image adds to a request as inline data (base64 plus JSON)."""
        return inline_cost(len(self.data))

    def to_part(self) -> Part:
        """The image as inline data."""
        return Part.from_bytes(self.data, self.mime_type)

    def describe(self) -> str:
        """One line for a tooltip: name, pixel size, bytes and what was done."""
        size = f"{self.width}×{self.height} px, " if self.width and self.height else ""
        done = [
            what
            for what, flag in (
                (f"converted from {self.original_format}", self.converted),
                (f"downscaled from {self.original_width}×{self.original_height}", self.downscaled),
                ("rotated upright", self.rotated),
            )
            if flag
        ]
        extra = f" ({', '.join(done)})" if done else ""
        return f"{self.name} — {size}{human_bytes(self.byte_size)}{extra}"


def _source_bytes(
    source: Path | bytes, name: str | None, limits: AttachmentLimits
) -> tuple[bytes, str, str, Path | None]:
    """(data, label for errors, display name, path)."""
    if isinstance(source, bytes | bytearray | memoryview):
        label = name or "the pasted image"
        data = bytes(source)
        if not data:
            raise AttachmentError(label, "the image is empty", code="empty")
        return data, label, label, None
    path = Path(source)
    label = name or str(path)
    return (
        read_attached_file(path, label, limits.max_file_bytes),
        label,
        name or path.name or label,
        path,
    )


def _orientation(image: Image.Image, label: str) -> int:
    """The EXIF orientation (1 = upright); a mangled EXIF block counts as upright."""
    if image.format == "PNG":
        # PNG may keep its eXIf chunk after the pixels, so getexif() decodes them all:
        # do it here, where a decoding failure is reported rather than taken for "no EXIF".
        try:
            image.load()
        except Exception as exc:
            raise fmt.decode_failure(exc, label) from None
    try:
        value = image.getexif().get(_ORIENTATION, 1)
    except Exception:
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _shrink_and_upright(image: Image.Image, max_side: int, for_resize: bool) -> Image.Image:
    """Downscale (JPEG decodes at a reduced scale first) then apply EXIF orientation.

    Shrinking before rotating lets ``draft`` skip most of a big JPEG's decoding; the
    box is square, so the order does not change the result.
    """
    from PIL import Image, ImageOps

    image = fmt.normalise_mode(image, for_resize=for_resize) if for_resize else image
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    image.load()  # decode now, while the caller still catches Pillow's errors
    return ImageOps.exif_transpose(image)  # also drops the orientation tag


def make_thumbnail(source: Path | bytes, max_side: int = 256, *, name: str | None = None) -> bytes:
    """A small upright PNG of an image, fast (a big JPEG decodes at 1/4 or 1/8 scale).

    For the attachment strip to show something at once, before ``prepare_image``.
    Raises AttachmentError like ``prepare_image``; HEIC without pillow-heif raises
    ``unsupported`` (the strip shows a placeholder; ``prepare_image`` still sends it).
    """
    data, label, _, _ = _source_bytes(source, name, DEFAULT_LIMITS)
    image = open_image(data, label, DEFAULT_LIMITS.max_pixels)
    return _thumbnail(image, max_side, label)


def _thumbnail(image: Image.Image, max_side: int, label: str) -> bytes:
    try:
        with image:
            small = _shrink_and_upright(image, max_side, for_resize=True)
            return fmt.thumbnail_png(small)
    except AttachmentError:
        raise
    except Exception as exc:
        raise fmt.decode_failure(exc, label) from None


def prepare_image(
    source: Path | bytes, *, name: str | None = None, limits: AttachmentLimits = DEFAULT_LIMITS
) -> PreparedImage:
    """Verify, orient, convert, downscale and re-encode one image for sending.

    ``name`` names the image in messages (default: the path). Blocking and CPU-bound:
    call it from a worker thread. Raises :class:`AttachmentError`.
    """
    data, label, display, path = _source_bytes(source, name, limits)
    heif_mime = fmt.heif_mime_type(data)
    if heif_mime is not None and not fmt.heif_decoder_available():
        return _undecoded_heif(data, heif_mime, display, path, limits, label)
    image = open_image(data, label, limits.max_pixels)
    original_format = image.format or "unknown"
    width, height = image.size
    mime = fmt.PASSTHROUGH_FORMATS.get(original_format)
    if mime == "image/heif" and heif_mime is not None:
        mime = heif_mime
    rotated = _orientation(image, label) != 1
    if (
        mime is not None
        and not rotated
        and max(width, height) <= limits.max_side
        and len(data) <= limits.max_image_bytes
    ):
        # Sent as it is; decoding the thumbnail is what proves the data whole.
        thumb = _thumbnail(image, limits.thumbnail_side, label)
        return PreparedImage(
            display, strip_metadata(data, mime), mime, width, height, len(data), width,
            height, original_format,
            converted=False, downscaled=False, rotated=False, reencoded=False,
            needs_upload=False, thumbnail=thumb, path=path,
        )  # fmt: skip
    try:
        with image:
            downscale = max(width, height) > limits.max_side
            pixels = _shrink_and_upright(image, limits.max_side, for_resize=downscale)
    except AttachmentError:
        raise
    except Exception as exc:
        raise fmt.decode_failure(exc, label) from None
    photo = mime in ("image/jpeg", "image/heic", "image/heif") or original_format == "AVIF"
    encoded = fmt.encode_to_fit(
        pixels,
        lossless_first=not photo and mime != "image/webp",
        max_bytes=limits.max_image_bytes,
        qualities=limits.jpeg_qualities,
        # A PNG that was too big and only needed its bytes cut: PNG again cannot help.
        skip_png=mime == "image/png" and not downscale and not rotated,
    )
    out_w, out_h = pixels.size
    if not encoded.fits:
        _check_uploadable(label, encoded.data, out_w, out_h, limits)
    small = fmt.contain(pixels, limits.thumbnail_side)
    return PreparedImage(
        display, encoded.data, encoded.mime_type, out_w, out_h, len(data), width, height,
        original_format, converted=encoded.mime_type != mime, downscaled=downscale,
        rotated=rotated, reencoded=True, needs_upload=not encoded.fits,
        thumbnail=fmt.thumbnail_png(small), path=path,
    )  # fmt: skip


def _check_uploadable(
    label: str, data: bytes, width: int, height: int, lim: AttachmentLimits
) -> None:
    """Raise ``too_large`` when an image that cannot go inline cannot be uploaded either."""
    size = human_bytes(len(data))
    if not lim.allow_upload:
        raise AttachmentError(
            label,
            f"too large even after downscaling: {size} at {width}×{height} px, over the "
            f"{human_bytes(lim.max_image_bytes)} inline limit, and this provider cannot "
            "upload files",
            code="too_large",
        )
    if len(data) > lim.max_upload_bytes:
        raise AttachmentError(
            label,
            f"too large even after downscaling: {size} at {width}×{height} px, over the "
            f"{human_bytes(lim.max_upload_bytes)} upload limit",
            code="too_large",
        )


def _undecoded_heif(
    data: bytes, mime: str, name: str, path: Path | None, limits: AttachmentLimits, label: str
) -> PreparedImage:
    """HEIC/HEIF without pillow-heif: sent as it is (Gemini decodes it), unverified;
    its metadata blanked all the same (that needs no decoder)."""
    data = strip_metadata(data, mime)
    big = len(data) > limits.max_image_bytes
    if big:
        _check_uploadable(label, data, 0, 0, limits)
    return PreparedImage(
        name, data, mime, None, None, len(data), None, None, "HEIF", converted=False,
        downscaled=False, rotated=False, reencoded=False, needs_upload=big,
        thumbnail=None, path=path,
    )  # fmt: skip


def inline_cost(data_size: int) -> int:
    """Bytes ``data_size`` bytes of inline data add to a request (base64 plus JSON)."""
    return 4 * ((data_size + 2) // 3) + 64


__all__ = [
    "DEFAULT_LIMITS",
    "AttachmentError",
    "AttachmentLimits",
    "PreparedImage",
    "human_bytes",
    "inline_cost",
    "make_thumbnail",
    "prepare_image",
    "read_attached_file",
]
