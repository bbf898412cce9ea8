"""The sidebar's conversations as a list model that holds ids and loads rows lazily.

Like Anki's browser table: the model keeps only each conversation's id and its sort
key (pinned, last active); the line a row shows (title, model, date) is read from the
store a page at a time, when the view first asks for a row of that page, and kept
in a bounded cache. Ten thousand conversations cost ten thousand small tuples, not
ten thousand summaries, and the first paint reads one page.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from rill.gui.common import plain_tip

if TYPE_CHECKING:
    from rill.core.store import ConversationSummary

ID_ROLE = Qt.ItemDataRole.UserRole
SUMMARY_ROLE = Qt.ItemDataRole.UserRole + 1
STREAMING_ROLE = Qt.ItemDataRole.UserRole + 2  # True while an answer of it streams
PAGE = 64
CACHE_ROWS = 2048  # summaries kept; older ones are read again when scrolled back to

Index = QModelIndex | QPersistentModelIndex
Key = tuple[bool, float, int]  # sorts like the store's listing: pinned, newest, id


def sort_key(conversation_id: int, pinned: bool, updated_at: float) -> Key:
    """The list order: pinned first, then the most recently active, then newest id."""
    return (not pinned, -updated_at, -conversation_id)


class ConversationModel(QAbstractListModel):
    """Conversation ids in list order (pinned first, then the most recently active).

    Signals:
        rows_wanted(object ids): rows for these ids (a list) are needed; whoever owns
            the model reads them off the UI thread and hands them to :meth:`set_rows`.
        title_edited(int conversation_id, str title): the user renamed a row inline.
    """

    rows_wanted = Signal(object)
    title_edited = Signal(int, str)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._keys: list[Key] = []  # sorted; the id is the key's last item, negated
        self._rows: OrderedDict[int, ConversationSummary] = OrderedDict()
        self._asked: set[int] = set()
        self._streaming: set[int] = set()

    # ------------------------------------------------------------ filling

    def set_keys(
        self,
        keys: Iterable[tuple[int, bool, float]],
        rows: Mapping[int, ConversationSummary] | None = None,
    ) -> None:
        """Replace the whole list: (id, pinned, updated_at) in any order, and any rows
        already read (usually the first page)."""
        self.beginResetModel()
        self._keys = sorted(sort_key(*k) for k in keys)
        self._rows.clear()
        self._asked.clear()
        self.endResetModel()
        if rows:
            self.set_rows(rows)

    def set_rows(self, rows: Mapping[int, ConversationSummary]) -> None:
        """Rows read from the store; the span of rows they fill repaints once."""
        for cid, summary in rows.items():
            self._asked.discard(cid)
            self._rows[cid] = summary
            self._rows.move_to_end(cid)
        while len(self._rows) > CACHE_ROWS:
            self._rows.popitem(last=False)
        wanted = set(rows)
        filled = [row for row, key in enumerate(self._keys) if -key[2] in wanted]
        if filled:
            self.dataChanged.emit(self.index(filled[0]), self.index(filled[-1]))

    def upsert(self, summary: ConversationSummary) -> int:
        """Add or update a conversation and move it to where it now sorts; its row."""
        key = sort_key(summary.id, summary.pinned, summary.updated_at)
        old = self.row_of(summary.id)
        self._rows[summary.id] = summary
        self._rows.move_to_end(summary.id)
        if old is not None and self._keys[old] == key:
            index = self.index(old)
            self.dataChanged.emit(index, index)
            return old
        if old is None:
            row = bisect.bisect_left(self._keys, key)
            self.beginInsertRows(QModelIndex(), row, row)
            self._keys.insert(row, key)
            self.endInsertRows()
            return row
        without = self._keys[:old] + self._keys[old + 1 :]
        row = bisect.bisect_left(without, key)
        # beginMoveRows counts the destination before the move: below the old row, +1.
        destination = row + 1 if row > old else row
        if destination not in (old, old + 1):
            self.beginMoveRows(QModelIndex(), old, old, QModelIndex(), destination)
            self._keys = [*without[:row], key, *without[row:]]
            self.endMoveRows()
        else:
            self._keys[old] = key
        index = self.index(row)
        self.dataChanged.emit(index, index)
        return row

    def set_streaming(self, conversation_ids: Iterable[int]) -> None:
        """Mark these conversations as answering now (and no others)."""
        streaming = set(conversation_ids)
        changed, self._streaming = streaming ^ self._streaming, streaming
        for cid in changed:
            row = self.row_of(cid)
            if row is not None:
                self.dataChanged.emit(self.index(row), self.index(row))

    def remove(self, conversation_id: int) -> None:
        """Take a conversation out of the list."""
        row = self.row_of(conversation_id)
        if row is None:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._keys[row]
        self.endRemoveRows()
        self._rows.pop(conversation_id, None)

    # ------------------------------------------------------------ queries

    def ids(self) -> list[int]:
        """Every conversation id, in list order."""
        return [-key[2] for key in self._keys]

    def row_of(self, conversation_id: int) -> int | None:
        """The row of a conversation (None when it is not listed)."""
        for row, key in enumerate(self._keys):
            if key[2] == -conversation_id:
                return row
        return None

    def summary(self, conversation_id: int) -> ConversationSummary | None:
        """The row data of a conversation, once loaded."""
        return self._rows.get(conversation_id)

    def id_at(self, row: int) -> int:
        """The conversation id at ``row``."""
        return -self._keys[row][2]

    # ------------------------------------------------------------ Qt

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        """Qt: how many conversations are listed."""
        return 0 if parent.isValid() else len(self._keys)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt: a row's id, summary, title or tooltip; a row not loaded yet asks for its page."""
        if not index.isValid() or not 0 <= index.row() < len(self._keys):
            return None
        cid = self.id_at(index.row())
        if role == ID_ROLE:
            return cid
        if role == STREAMING_ROLE:
            return cid in self._streaming
        summary = self._rows.get(cid)
        if summary is None:
            self._want(index.row())
        if role == SUMMARY_ROLE:
            return summary
        title = (summary.title or "Untitled") if summary is not None else ""
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return title
        if role == Qt.ItemDataRole.ToolTipRole:
            shown = f"{title} (answering)" if cid in self._streaming else title
            return plain_tip(shown)  # a title is the user's words (or a model's)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{title} (answering)" if cid in self._streaming else title
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Qt: a title edited in place renames the conversation."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        title = " ".join(str(value).split())
        cid = self.id_at(index.row())
        summary = self._rows.get(cid)
        if not title or (summary is not None and title == summary.title):
            return False
        self.title_edited.emit(cid, title)
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Qt: titles are editable."""
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsEditable if index.isValid() else base

    def _want(self, row: int) -> None:
        """Ask for the page around ``row`` once."""
        start = row - row % PAGE
        wanted = [
            cid
            for cid in (self.id_at(r) for r in range(start, min(start + PAGE, len(self._keys))))
            if cid not in self._rows and cid not in self._asked
        ]
        if wanted:
            self._asked.update(wanted)
            self.rows_wanted.emit(wanted)
