"""The conversation store: one SQLite file in the profile, its schema and migrations,
messages as a tree of versions, full-text search, and export/import (``export``).
"""

from rill.core.store import export
from rill.core.store.db import Store
from rill.core.store.export import ExportFormatError, import_json
from rill.core.store.records import (
    Conversation,
    ConversationSummary,
    OpenReport,
    SearchHit,
    StoredMessage,
)

__all__ = [
    "Conversation",
    "ConversationSummary",
    "ExportFormatError",
    "OpenReport",
    "SearchHit",
    "Store",
    "StoredMessage",
    "export",
    "import_json",
]
