"""Settings → Tools…: the dialog over the MCP servers whose tools chats offer, and the
form that adds or edits one.
"""

from rill.gui.tools.dialog import ToolsDialog

__all__ = ["ToolsDialog"]
