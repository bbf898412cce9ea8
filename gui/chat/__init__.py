"""Chats in flight: the controller that sends turns and streams answers to the view,
the per-chat state, and the images a turn carries.
"""

from rill.gui.chat.controller import ChatController
from rill.gui.chat.state import Chat
from rill.gui.chat.turn_attachments import image_limits, image_refusal

__all__ = ["Chat", "ChatController", "image_limits", "image_refusal"]
