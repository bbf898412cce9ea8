"""The chat list and everything behind it: the sidebar, search, the store's worker
thread, loading a stored chat into the pane, saving turns, export and import.

``History``, ``ExportImport`` (and the store's plumbing they import) and ``ActionBar``
load on first use of the name: the window makes them after its first paint (issue 14,
item 7), and importing the sidebar must not bring them in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rill.gui.conversations.sidebar import Sidebar

if TYPE_CHECKING:
    from rill.gui.conversations.action_bar import ActionBar
    from rill.gui.conversations.export_actions import ExportImport
    from rill.gui.conversations.history import History

__all__ = ["ActionBar", "ExportImport", "History", "Sidebar"]


def __getattr__(name: str) -> object:
    """Import ``History`` / ``ExportImport`` / ``ActionBar`` when first named (PEP 562)."""
    if name == "ActionBar":
        from rill.gui.conversations.action_bar import ActionBar

        return ActionBar
    if name == "History":
        from rill.gui.conversations.history import History

        return History
    if name == "ExportImport":
        from rill.gui.conversations.export_actions import ExportImport

        return ExportImport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
