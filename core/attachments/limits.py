"""How big an attachment may be (``AttachmentLimits``): a setting with safe defaults.

Apart from ``prepare`` so the composer's queue can hold its limits from the first
paint without loading Pillow's helpers, the documents, PDF and media modules (issue
14, item 7).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from rill.core.attachments.formats import MB

# Pillow's own decompression-bomb threshold, Image.MAX_IMAGE_PIXELS (about 89.5
# megapixels), written out so this module loads without Pillow; a test keeps it equal.
DEFAULT_MAX_PIXELS = 89_478_485


@dataclass(frozen=True, slots=True)
class AttachmentLimits:
    """How big an attachment may be, and where it goes; a setting with safe defaults.

    ``inline_request_bytes`` is the whole request's budget for inline data (base64
    included): Gemini took 20 MB per request, raised to 100 MB in 2026; 20 MB is
    the default that works everywhere. ``max_image_bytes`` (7 MiB, Vertex AI's
    per-image inline limit) is the goal a single image is re-encoded towards; one
    that cannot reach it goes through the Files API (``allow_upload``), which takes
    up to 2 GB per file.
    """

    max_side: int = 3072
    max_image_bytes: int = 7 * MB
    inline_request_bytes: int = 20_000_000
    allow_upload: bool = True
    max_upload_bytes: int = 2 * 1024 * MB
    max_file_bytes: int = 512 * MB  # a file larger than this is not even read
    max_pixels: int = DEFAULT_MAX_PIXELS
    jpeg_qualities: tuple[int, ...] = (90, 85, 80, 70, 60, 50)
    thumbnail_side: int = 256

    def __post_init__(self) -> None:
        if self.max_side < 16:
            raise ValueError(f"max_side must be at least 16 px, not {self.max_side}")
        if self.max_image_bytes < 1024 or self.inline_request_bytes < 1024:
            raise ValueError("byte limits must be at least 1 KiB")
        if not self.jpeg_qualities or not all(1 <= q <= 100 for q in self.jpeg_qualities):
            raise ValueError("jpeg_qualities needs at least one quality from 1 to 100")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> AttachmentLimits:
        """Defaults overridden by RILL_IMAGE_MAX_SIDE, RILL_IMAGE_MAX_BYTES and
        RILL_INLINE_REQUEST_BYTES (for the CLI and tests until the settings file has them).
        """
        env = os.environ if environ is None else environ
        base = cls()

        def number(var: str, default: int) -> int:
            raw = env.get(var, "").strip()
            if raw and not raw.isdigit():
                raise ValueError(f"{var} must be a whole number, not {raw!r}")
            return int(raw) if raw else default

        return cls(
            max_side=number("RILL_IMAGE_MAX_SIDE", base.max_side),
            max_image_bytes=number("RILL_IMAGE_MAX_BYTES", base.max_image_bytes),
            inline_request_bytes=number("RILL_INLINE_REQUEST_BYTES", base.inline_request_bytes),
        )


DEFAULT_LIMITS = AttachmentLimits()
