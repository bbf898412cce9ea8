"""The chat pane: one document of messages (virtualised in a window of entries), live
Markdown for the streaming answer, message chrome, links and code-copy buttons.
"""

from rill.gui.transcript.message_html import SINGLE, TurnInfo
from rill.gui.transcript.view import ChatView

__all__ = ["SINGLE", "ChatView", "TurnInfo"]
