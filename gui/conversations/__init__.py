"""The chat list and everything behind it: the sidebar, search, the store's worker
thread, loading a stored chat into the pane, saving turns, export and import.
"""

from rill.gui.conversations.action_bar import ActionBar
from rill.gui.conversations.export_actions import ExportImport
from rill.gui.conversations.history import History
from rill.gui.conversations.sidebar import Sidebar

__all__ = ["ActionBar", "ExportImport", "History", "Sidebar"]
