"""Where the user writes: the input box, per-chat drafts, the edit banner, long-text
cards, and attachments (drop, paste, URIs, the attachment queue and its worker processes).

Every name loads on first use (PEP 562): the window paints with the composer before
it makes the edit banner and the drafts, which work on the chat controller (issue 14,
item 7), so naming ``Composer`` must not import them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rill.core.lazy_names import name_loader

if TYPE_CHECKING:
    from rill.gui.composer.attachment_queue import AttachmentQueue
    from rill.gui.composer.composer import Composer
    from rill.gui.composer.drafts import Drafts
    from rill.gui.composer.edit_banner import EditBanner
    from rill.gui.composer.image_drop import WindowImageDrop

__all__ = ["AttachmentQueue", "Composer", "Drafts", "EditBanner", "WindowImageDrop"]

_HOMES = {
    "AttachmentQueue": "attachment_queue",
    "Composer": "composer",
    "Drafts": "drafts",
    "EditBanner": "edit_banner",
    "WindowImageDrop": "image_drop",
}


__getattr__ = name_loader(__name__, _HOMES)
