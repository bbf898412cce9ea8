"""Each chat keeps what its input held: switching chats swaps the composer's content.

A draft is the long-message card's text, the typed text with its cursor, the images
(still preparing or uploading: :meth:`AttachmentQueue.detach` does not stop them) and
any refusal shown above the input. It matters most for a turn whose images are still
going out: its input belongs to that chat, and must neither be sent again from another
chat nor be lost if the upload fails while another chat is on screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from rill.gui.composer.attachment_queue import QueuedFile

if TYPE_CHECKING:
    from rill.gui.chat import ChatController
    from rill.gui.composer.composer import Composer


@dataclass
class Draft:
    """What one chat's input holds while another chat is on screen."""

    long_text: str = ""
    typed: str = ""
    cursor: int = 0
    attachments: list[QueuedFile] = field(default_factory=list)
    notice: str = ""

    def __bool__(self) -> bool:
        return bool(self.long_text or self.typed or self.attachments or self.notice)


class Drafts(QObject):
    """Keeps one draft per chat not on screen, for as long as the window lives."""

    def __init__(self, composer: Composer, controller: ChatController) -> None:
        super().__init__(composer)
        self._composer = composer
        self._controller = controller
        self._shown = controller.current_chat.id
        self._kept: dict[int, Draft] = {}  # in the order the chats were left
        controller.current_chat_changed.connect(self._on_controller_current_chat_changed)
        controller.turn_recorded.connect(self._on_controller_turn_recorded)
        controller.turn_refused.connect(self._on_controller_turn_refused)

    def kept(self, chat_id: int) -> Draft | None:
        """The draft chat ``chat_id`` left behind (None for the chat on screen)."""
        return self._kept.get(chat_id)

    def waiting_new_chat(self) -> int | None:
        """The last chat left with a draft but no turn yet, if any.

        Such a chat is not in the list, so nothing else leads back to it: "New chat"
        goes there rather than to another empty chat, and the words are not lost.
        """
        untouched = [c for c in self._kept if self._controller.is_untouched(c)]
        return untouched[-1] if untouched else None

    def _on_controller_current_chat_changed(self, chat_id: int) -> None:
        if chat_id == self._shown:
            return
        draft = self._composer.take_draft()
        if draft:
            self._kept[self._shown] = draft
        self._shown = chat_id
        self._composer.put_draft(self._kept.pop(chat_id, Draft()))

    def _on_controller_turn_recorded(self, chat_id: int) -> None:
        # A chat off screen records a turn only when its images finished going out:
        # what it left behind was that turn, now sent (the composer clears the shown
        # chat's own input itself).
        if chat_id != self._shown:
            self._kept.pop(chat_id, None)

    def _on_controller_turn_refused(self, chat_id: int, reason: str) -> None:
        # The turn's input waits in its draft; the reason waits there with it.
        self._kept.setdefault(chat_id, Draft()).notice = reason
