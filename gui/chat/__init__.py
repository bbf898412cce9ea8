"""Chats in flight: the controller that sends turns and streams answers to the view,
the per-chat state, and the images a turn carries.
"""

from rill.gui.chat.consent_bar import ConsentBar
from rill.gui.chat.controller import ChatController
from rill.gui.chat.state import Chat
from rill.gui.chat.tool_host import ToolHost
from rill.gui.chat.turn_attachments import image_limits, image_refusal

__all__ = ["Chat", "ChatController", "ConsentBar", "ToolHost", "image_limits", "image_refusal"]
