"""Image formats for ``rill.core.attachments.prepare``: what Gemini takes, sniffing, opening with
reasons, pixel modes and encoders.

Kept apart from the decisions (pass through, downscale, re-encode, upload) so the
byte-level details — MIME tables, HEIF brands, Pillow's many failure modes turned
into one human reason each, mode conversions, the quality ladder — read on their own.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rill.core.errors import InvalidRequestError

# Pillow is imported where an image is opened or resized: the window loads this module
# for its types and errors at start, and may never see an image (3.5 MB, ~10 ms).
if TYPE_CHECKING:
    from PIL import Image

MB = 1024 * 1024

# What Gemini accepts as image input (GEMINI-PROTOCOL.md), by Pillow format name.
PASSTHROUGH_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",  # a JPEG with extra frames appended (phones): valid JPEG bytes
    "WEBP": "image/webp",
    "HEIF": "image/heif",  # pillow-heif's name for HEIC and HEIF; refined by the brand
}
SUPPORTED_MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
# Formats Pillow recognises but cannot turn into pixels without outside programs.
UNDECODABLE_FORMATS = {"EPS": "it needs Ghostscript", "PDF": "it is a document"}

# ISO-BMFF brands (bytes 8..12, after "ftyp").
_HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"heif"}

_heif_lock = threading.Lock()
_heif_state: list[bool] = []  # [] not tried yet, [True] registered, [False] unavailable


def heif_mime_type(data: bytes) -> str | None:
    """image/heic or image/heif from an ISO-BMFF header, None for anything else."""
    if data[4:8] != b"ftyp":
        return None
    brand = data[8:12]
    if brand in _HEIC_BRANDS:
        return "image/heic"
    if brand in _HEIF_BRANDS:
        return "image/heif"
    return None


def heif_decoder_available() -> bool:
    """Register pillow-heif's opener once, if it is installed (the ``heif`` extra).

    Optional because its wheel bundles libheif and codecs (~26 MB); without it HEIC
    and HEIF files are sent as they are, unverified and never downscaled.
    """
    with _heif_lock:
        if not _heif_state:
            try:
                import pillow_heif  # type: ignore[import-not-found, unused-ignore]

                pillow_heif.register_heif_opener()
                _heif_state.append(True)
            except Exception:  # absent, or a broken native library: HEIF passes through
                _heif_state.append(False)
        return _heif_state[0]


def looks_like_svg(data: bytes) -> bool:
    """An SVG (vector XML) file: Pillow cannot rasterise it, so it deserves its own reason."""
    head = data[:512].lstrip().lower()
    return head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head)


def has_alpha(image: Image.Image) -> bool:
    """Whether the image has a transparency channel or a transparent palette entry."""
    return image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )


def normalise_mode(image: Image.Image, *, for_resize: bool) -> Image.Image:
    """An image in a mode every encoder and resampler handles (L, LA, RGB, RGBA, P).

    16-bit and float greyscale are scaled, not clipped, to 8 bits; palette and 1-bit
    images are expanded only when they will be resampled (a palette PNG stays small).
    """
    mode = image.mode
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image
    if mode in ("P", "1") and not for_resize:
        return image
    if mode in ("P", "PA"):
        return image.convert("RGBA" if has_alpha(image) else "RGB")
    if mode == "1":
        return image.convert("L")
    if mode.startswith("I;16") or mode == "I":
        wide = image.convert("I") if mode != "I" else image
        extrema = wide.getextrema()
        top = extrema[1] if isinstance(extrema[1], int | float) else 65535
        scale = 255.0 / 65535.0 if top > 255 else 1.0
        return wide.point(lambda v: v * scale).convert("L")
    if mode == "F":
        return image.convert("L")
    if mode in ("RGBa", "La"):
        return image.convert("RGBA" if mode == "RGBa" else "LA")
    return image.convert("RGBA" if has_alpha(image) else "RGB")  # CMYK, YCbCr, LAB, HSV…


@dataclass(frozen=True, slots=True)
class Encoded:
    """One encoding of an image and whether it met the byte goal."""

    data: bytes
    mime_type: str
    fits: bool


def encode_png(image: Image.Image) -> bytes:
    """``image`` as PNG bytes, keeping its colour profile."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", icc_profile=image.info.get("icc_profile"))
    return buffer.getvalue()


def encode_lossy(image: Image.Image, mime_type: str, quality: int) -> bytes:
    """JPEG (no alpha) or WebP (alpha kept) at ``quality``, ICC profile kept, no EXIF.

    EXIF is dropped on purpose: the orientation is already applied to the pixels,
    and a photo's GPS position has no business leaving the machine.
    """
    buffer = io.BytesIO()
    icc = image.info.get("icc_profile")
    if mime_type == "image/webp":
        image.save(buffer, format="WEBP", quality=quality, method=4, icc_profile=icc)
    else:
        rgb = image if image.mode in ("RGB", "L") else image.convert("RGB")
        rgb.save(buffer, format="JPEG", quality=quality, icc_profile=icc)
    return buffer.getvalue()


def encode_to_fit(
    image: Image.Image,
    *,
    lossless_first: bool,
    max_bytes: int,
    qualities: Sequence[int],
    skip_png: bool = False,
) -> Encoded:
    """The first encoding under ``max_bytes``, measured, not estimated.

    Line art, screenshots and converted formats try PNG first; photos and anything
    PNG cannot fit walk down a JPEG quality ladder (WebP when there is alpha, which
    JPEG would lose). When nothing fits, the best lossy rung is returned with
    ``fits=False``: that is what goes through the Files API.
    """
    if lossless_first and not skip_png:
        png = encode_png(image)
        if len(png) <= max_bytes:
            return Encoded(png, "image/png", True)
    lossy_mime = "image/webp" if has_alpha(image) else "image/jpeg"
    ready = image
    if lossy_mime == "image/jpeg" and image.mode not in ("RGB", "L"):
        ready = image.convert("RGB")
    best: bytes | None = None
    for quality in qualities:
        data = encode_lossy(ready, lossy_mime, quality)
        if len(data) <= max_bytes:
            return Encoded(data, lossy_mime, True)
        best = best or data
    assert best is not None  # AttachmentLimits guarantees at least one quality
    return Encoded(best, lossy_mime, False)


def contain(image: Image.Image, side: int) -> Image.Image:
    """A copy no larger than ``side`` on its longest edge, aspect kept."""
    image = normalise_mode(image, for_resize=True)
    width, height = image.size
    scale = side / max(width, height)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    from PIL import Image

    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def thumbnail_png(image: Image.Image) -> bytes:
    """A small image as PNG bytes any toolkit can show (alpha kept, CMYK etc. to RGB)."""
    if image.mode not in ("L", "LA", "RGB", "RGBA"):
        image = normalise_mode(image, for_resize=True)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


# ---------------------------------------------------------------- reading and opening


class AttachmentError(InvalidRequestError):
    """An attachment cannot be used; the message names the file and the reason.

    ``code`` is a stable word for programs (``not_found``, ``permission``,
    ``directory``, ``unreadable``, ``empty``, ``not_image``, ``unsupported``,
    ``truncated``, ``corrupt``, ``bomb``, ``too_large``, ``uri``).
    """

    kind = "attachment"

    def __init__(self, source: str, reason: str, *, code: str = "invalid") -> None:
        super().__init__(f"Cannot attach {source}: {reason}")
        self.source = source
        self.reason = reason
        self.code = code


def human_bytes(count: int) -> str:
    """``count`` bytes for people: "512 bytes", "14 KB", "3.2 MB", "2.0 GB"."""
    if count >= 1024 * MB:
        return f"{count / (1024 * MB):.1f} GB"
    if count >= MB:
        return f"{count / MB:.1f} MB"
    if count >= 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count} bytes"


def read_attached_file(path: Path, label: str, max_bytes: int) -> bytes:
    """The file's bytes, or an AttachmentError saying why they cannot be had."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise IsADirectoryError(path)
        if size > max_bytes:
            raise AttachmentError(
                label,
                f"the file is too large to open ({human_bytes(size)}; "
                f"the limit is {human_bytes(max_bytes)})",
                code="too_large",
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise AttachmentError(label, "file not found", code="not_found") from None
    except IsADirectoryError:
        raise AttachmentError(label, "it is a directory", code="directory") from None
    except PermissionError:
        raise AttachmentError(label, "permission denied (unreadable)", code="permission") from None
    except OSError as exc:
        reason = f"unreadable ({exc.strerror or exc})"
        raise AttachmentError(label, reason, code="unreadable") from None
    if not data:
        raise AttachmentError(label, "the file is empty", code="empty")
    return data


_BOMB_NUMBERS = re.compile(r"(\d+) pixels\) exceeds limit of (\d+)")


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1e6:.{0 if pixels >= 10_000_000 else 1}f} megapixels"


def _bomb_error(label: str, pixels: int | None, limit: int, size: str = "") -> AttachmentError:
    many = f"{size}{_megapixels(pixels)}" if pixels else "too many pixels"
    return AttachmentError(
        label,
        f"the image is too large to decode safely ({many}; the limit is "
        f"{_megapixels(limit)}; it may be a decompression bomb)",
        code="bomb",
    )


def open_image(data: bytes, label: str, max_pixels: int) -> Image.Image:
    """Identify ``data`` (headers only) or raise the AttachmentError that says why not."""
    from PIL import Image, UnidentifiedImageError

    if heif_mime_type(data) is not None and not heif_decoder_available():
        reason = "HEIC/HEIF images can only be sent as they are (pillow-heif is not installed)"
        raise AttachmentError(label, reason, code="unsupported")
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        if looks_like_svg(data):
            reason = "unsupported format SVG (a vector drawing); export it as PNG"
            raise AttachmentError(label, reason, code="unsupported") from None
        raise AttachmentError(
            label, "not an image (no known image format)", code="not_image"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        found = _BOMB_NUMBERS.search(str(exc))
        pixels = int(found.group(1)) if found else None
        limit = int(found.group(2)) if found else max_pixels
        raise _bomb_error(label, pixels, limit) from None
    except Exception as exc:  # Pillow's plugins raise many kinds on mangled headers
        raise AttachmentError(label, f"the image is corrupt ({exc})", code="corrupt") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise _bomb_error(label, width * height, max_pixels, f"{width}×{height} px = ")
    why_not = UNDECODABLE_FORMATS.get(image.format or "")
    if why_not:
        image.close()
        raise AttachmentError(
            label, f"unsupported format {image.format} ({why_not})", code="unsupported"
        )
    return image


def decode_failure(exc: Exception, label: str) -> AttachmentError:
    """Pillow's failure while decoding pixels, as a reason a person understands."""
    from PIL import Image

    text = str(exc)
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return _bomb_error(label, None, int(Image.MAX_IMAGE_PIXELS or 0))
    if "truncated" in text or "premature end" in text.lower():
        return AttachmentError(
            label, "the image data is truncated (the file ends early)", code="truncated"
        )
    reason = f"the image data is corrupt ({text or type(exc).__name__})"
    return AttachmentError(label, reason, code="corrupt")
