"""Files the user attaches, made fit to send: images (verified, upright, small enough, no
metadata), PDFs, text, audio and video (checked, described), and attachments (files,
pasted bytes, URIs) turned into request parts.
"""

from rill.core.attachments.delivery import (
    FILES_API_PREFIX,
    Delivery,
    delivery,
    provider_facts,
    uri_delivery,
)
from rill.core.attachments.documents import (
    Prepared,
    PreparedFile,
    load_data,
    prepare_attachment,
)
from rill.core.attachments.formats import AttachmentError, human_bytes
from rill.core.attachments.kinds import PICKER_FILTERS
from rill.core.attachments.prepare import (
    AttachmentLimits,
    PreparedImage,
    make_thumbnail,
    prepare_image,
)
from rill.core.attachments.request_parts import (
    Attachment,
    FileUri,
    attachments_to_parts,
    inline_request_bytes,
    load_item,
    parse_file_uri,
)

__all__ = [
    "FILES_API_PREFIX",
    "PICKER_FILTERS",
    "Attachment",
    "AttachmentError",
    "AttachmentLimits",
    "Delivery",
    "FileUri",
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
    "parse_file_uri",
    "prepare_attachment",
    "prepare_image",
    "provider_facts",
    "uri_delivery",
]
