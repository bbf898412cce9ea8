"""The chat pane: message cards on a virtualised surface, one renderer per part kind.

Issues that add part kinds register a renderer (``register``) for the kind
``part_kind`` gives their parts; see ``renderers`` and docs/ARCHITECTURE.md.
"""

from rill.gui.transcript.message_html import SINGLE, TurnInfo
from rill.gui.transcript.renderers import Block, Context, Hit, PartView, part_kind, register
from rill.gui.transcript.view import ChatView

__all__ = [
    "SINGLE",
    "Block",
    "ChatView",
    "Context",
    "Hit",
    "PartView",
    "TurnInfo",
    "part_kind",
    "register",
]
