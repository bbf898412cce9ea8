"""Chats in flight: the controller that sends turns and streams answers to the view,
the per-chat state, and the images a turn carries.

Every name loads on first use (PEP 562): the window paints before it makes its chat
half (issue 14, item 7), and importing a name this package gives must not bring the
controller, ``rill.core.chat``, the tool loop or asyncio with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rill.core.lazy_names import name_loader

if TYPE_CHECKING:
    from rill.gui.chat.consent_bar import ConsentBar
    from rill.gui.chat.controller import ChatController
    from rill.gui.chat.state import Chat
    from rill.gui.chat.tool_host import ToolHost
    from rill.gui.chat.turn_attachments import image_limits, image_refusal

__all__ = ["Chat", "ChatController", "ConsentBar", "ToolHost", "image_limits", "image_refusal"]

_HOMES = {
    "Chat": "state",
    "ChatController": "controller",
    "ConsentBar": "consent_bar",
    "ToolHost": "tool_host",
    "image_limits": "turn_attachments",
    "image_refusal": "turn_attachments",
}


__getattr__ = name_loader(__name__, _HOMES)
