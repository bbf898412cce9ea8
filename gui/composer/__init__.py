"""Where the user writes: the input box, per-chat drafts, the edit banner, long-text
cards, and attachments (drop, paste, URIs, the attachment queue and its worker processes).
"""

from rill.gui.composer.attachment_queue import AttachmentQueue
from rill.gui.composer.composer import Composer
from rill.gui.composer.drafts import Drafts
from rill.gui.composer.edit_banner import EditBanner
from rill.gui.composer.image_drop import WindowImageDrop

__all__ = ["AttachmentQueue", "Composer", "Drafts", "EditBanner", "WindowImageDrop"]
