"""Files the user attaches, made fit to send: images (verified, upright, small enough, no
metadata), PDFs, text, audio and video (checked, described), and attachments (files,
pasted bytes, URIs) turned into request parts.

Every name loads its module on first use (PEP 562): the window's first paint shows the
composer, which names links, limits, errors and how a file will go, and must not load
the documents, PDF, media and image modules with them (issue 14, item 7); those load
with the chat half, right after the paint and before any input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# Loaded with the face: ``delivery`` is also the name of its module, which Python sets
# on this package when the module first loads; binding the function after that keeps
# the name the function's. The module is light (no documents, PDF or media).
from rill.core.attachments.delivery import (
    FILES_API_PREFIX,
    Delivery,
    delivery,
    provider_facts,
    uri_delivery,
)
from rill.core.lazy_names import name_loader

if TYPE_CHECKING:
    from rill.core.attachments.documents import (
        Prepared,
        PreparedFile,
        load_data,
        prepare_attachment,
    )
    from rill.core.attachments.formats import AttachmentError, human_bytes
    from rill.core.attachments.kinds import PICKER_FILTERS
    from rill.core.attachments.limits import AttachmentLimits
    from rill.core.attachments.prepare import PreparedImage, make_thumbnail, prepare_image
    from rill.core.attachments.request_parts import (
        Attachment,
        attachments_to_parts,
        inline_request_bytes,
        load_item,
    )
    from rill.core.attachments.uris import FileUri, parse_file_uri

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

_HOMES = {
    "Prepared": "documents",
    "PreparedFile": "documents",
    "load_data": "documents",
    "prepare_attachment": "documents",
    "AttachmentError": "formats",
    "human_bytes": "formats",
    "PICKER_FILTERS": "kinds",
    "AttachmentLimits": "limits",
    "PreparedImage": "prepare",
    "make_thumbnail": "prepare",
    "prepare_image": "prepare",
    "Attachment": "request_parts",
    "attachments_to_parts": "request_parts",
    "inline_request_bytes": "request_parts",
    "load_item": "request_parts",
    "FileUri": "uris",
    "parse_file_uri": "uris",
}


__getattr__ = name_loader(__name__, _HOMES)
