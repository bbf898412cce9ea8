"""Files the user attaches, made fit to send: images (verified, upright, small enough, no
metadata), PDFs, text, audio and video (checked, described), and attachments (files,
pasted bytes, URIs) turned into request parts.
"""

from rill.core.attachments.delivery import Delivery, delivery, provider_facts
from rill.core.attachments.documents import (
    Prepared,
    PreparedFile,
    load_data,
    prepare_attachment,
)
from rill.core.attachments.formats import ImageError, human_bytes
from rill.core.attachments.kinds import PICKER_FILTERS
from rill.core.attachments.prepare import ImageLimits, PreparedImage, make_thumbnail, prepare_image
from rill.core.attachments.request_parts import (
    FILES_API_PREFIX,
    Attachment,
    AttachmentError,
    ImageUri,
    attachments_to_parts,
    inline_request_bytes,
    load_item,
    parse_image_uri,
)

__all__ = [
    "FILES_API_PREFIX",
    "PICKER_FILTERS",
    "Attachment",
    "AttachmentError",
    "Delivery",
    "ImageError",
    "ImageLimits",
    "ImageUri",
    "Prepared",
    "PreparedFile",
    "PreparedImage",
    "attachments_to_parts",
    "delivery",
    "human_bytes",
    "inline_request_bytes",
    "load_data",
    "load_item",
    "make_thumbnail",
    "parse_image_uri",
    "prepare_attachment",
    "prepare_image",
    "provider_facts",
]
