"""Images the user attaches, made fit to send (verified, upright, small enough, no
metadata), and attachments (files, pasted bytes, URIs) turned into request parts.
"""

from rill.core.attachments.formats import ImageError, human_bytes
from rill.core.attachments.prepare import ImageLimits, PreparedImage, make_thumbnail, prepare_image
from rill.core.attachments.request_parts import (
    FILES_API_PREFIX,
    Attachment,
    ImageUri,
    attachments_to_parts,
    inline_request_bytes,
    load_item,
    parse_image_uri,
)

__all__ = [
    "FILES_API_PREFIX",
    "Attachment",
    "ImageError",
    "ImageLimits",
    "ImageUri",
    "PreparedImage",
    "attachments_to_parts",
    "human_bytes",
    "inline_request_bytes",
    "load_item",
    "make_thumbnail",
    "parse_image_uri",
    "prepare_image",
]
