"""Messages as a tree: every message has a parent, the versions of a turn are siblings.

Regenerating an answer adds a sibling of the old answer; editing a user turn adds a
sibling of the old turn, so the later turns stay on the old branch: nothing is ever
overwritten. Each parent remembers its selected child (``active_child_id``, the
conversation's ``active_root_id`` for first turns) and the conversation remembers the
end of the selected path (``leaf_id``), so the path is a walk up from the leaf.

Functions here take a connection inside the caller's transaction; ``Store`` owns
transactions and threads.
"""

from __future__ import annotations

import itertools
import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import Any

from rill.core.store.codec import MESSAGE_COLUMNS, Blob, message_from_row, message_to_row
from rill.core.store.records import StoredMessage, TreeNode
from rill.core.types import Message

# SQLite's default limit on bound parameters is 999 on older builds.
_CHUNK = 500

_INSERT = (
    f"INSERT INTO messages (conversation_id, parent_id, seq, {', '.join(MESSAGE_COLUMNS)}) "
    f"VALUES (?, ?, ?, {', '.join('?' * len(MESSAGE_COLUMNS))})"
)
_UPDATE = (
    f"UPDATE messages SET {', '.join(f'{c} = ?' for c in MESSAGE_COLUMNS if c != 'role')} "
    "WHERE id = ?"
)
# Siblings share a parent within a conversation; first turns share a NULL parent.
_VERSION_COLUMNS = """
    (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id
        AND s.parent_id IS m.parent_id AND s.id <= m.id) AS version,
    (SELECT count(*) FROM messages s WHERE s.conversation_id = m.conversation_id
        AND s.parent_id IS m.parent_id) AS versions
"""


def insert_message(
    conn: sqlite3.Connection, conversation_id: int, message: Message, parent_id: int | None
) -> int:
    """Insert ``message`` under ``parent_id`` (None: a first turn); returns its id.

    Raises LookupError when the parent is not a message of that conversation.
    """
    depth = 0
    if parent_id is not None:
        row = conn.execute(
            "SELECT seq FROM messages WHERE id = ? AND conversation_id = ?",
            (parent_id, conversation_id),
        ).fetchone()
        if row is None:
            raise LookupError(f"message {parent_id} is not in conversation {conversation_id}")
        depth = int(row[0]) + 1
    values, blobs = message_to_row(message)
    cursor = conn.execute(_INSERT, (conversation_id, parent_id, depth, *values))
    message_id = cursor.lastrowid
    assert message_id is not None
    _link_blobs(conn, message_id, blobs)
    return message_id


def update_message(conn: sqlite3.Connection, message_id: int, message: Message) -> int:
    """Rewrite everything but the role and place; returns the conversation id.

    Raises LookupError for an unknown id.
    """
    values, blobs = message_to_row(message)
    cursor = conn.execute(_UPDATE, (*values[1:], message_id))
    if cursor.rowcount != 1:
        raise LookupError(f"no message {message_id}")
    _link_blobs(conn, message_id, blobs)
    row = conn.execute("SELECT conversation_id FROM messages WHERE id = ?", (message_id,))
    return int(row.fetchone()[0])


def _link_blobs(conn: sqlite3.Connection, message_id: int, blobs: dict[str, Blob]) -> None:
    for blob in blobs.values():
        conn.execute(
            "INSERT OR IGNORE INTO blobs (sha256, mime_type, size, data) VALUES (?, ?, ?, ?)",
            (blob.sha256, blob.mime_type, len(blob.data), blob.data),
        )
        conn.execute(
            "INSERT OR IGNORE INTO message_blobs (message_id, sha256) VALUES (?, ?)",
            (message_id, blob.sha256),
        )


def ancestry(conn: sqlite3.Connection, message_id: int) -> list[int]:
    """Ids from the first turn down to ``message_id`` (inclusive)."""
    rows = conn.execute(
        """WITH RECURSIVE up (id, parent_id) AS (
               SELECT id, parent_id FROM messages WHERE id = ?
               UNION ALL
               SELECT m.id, m.parent_id FROM messages m JOIN up ON m.id = up.parent_id)
           SELECT id FROM up""",
        (message_id,),
    ).fetchall()
    return [int(r[0]) for r in reversed(rows)]


def selected_leaf_below(conn: sqlite3.Connection, message_id: int) -> int:
    """Follow the selected children from ``message_id`` down to the end of its branch."""
    row = conn.execute(
        """WITH RECURSIVE down (id, child, depth) AS (
               SELECT id, active_child_id, 0 FROM messages WHERE id = ?
               UNION ALL
               SELECT m.id, m.active_child_id, down.depth + 1
               FROM messages m JOIN down ON m.id = down.child)
           SELECT id FROM down ORDER BY depth DESC LIMIT 1""",
        (message_id,),
    ).fetchone()
    return message_id if row is None else int(row[0])


def select(conn: sqlite3.Connection, message_id: int) -> tuple[int, int]:
    """Make the path run through ``message_id``; returns (conversation id, new leaf id).

    Every ancestor's selected child is pointed along the way, so a version deep in a
    branch that is not shown becomes reachable in one call. Below the message the
    path follows what was selected there before. Raises LookupError for an unknown id.
    """
    row = conn.execute(
        "SELECT conversation_id FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    if row is None:
        raise LookupError(f"no message {message_id}")
    conversation_id = int(row[0])
    chain = ancestry(conn, message_id)
    conn.executemany(
        "UPDATE messages SET active_child_id = ? WHERE id = ? AND active_child_id IS NOT ?",
        [(child, parent, child) for parent, child in itertools.pairwise(chain)],
    )
    leaf = selected_leaf_below(conn, message_id)
    conn.execute(
        "UPDATE conversations SET active_root_id = ?, leaf_id = ? WHERE id = ?",
        (chain[0], leaf, conversation_id),
    )
    return conversation_id, leaf


def leaf_id(conn: sqlite3.Connection, conversation_id: int) -> int | None:
    """The end of the selected path; LookupError for an unknown conversation."""
    row = conn.execute(
        "SELECT leaf_id FROM conversations WHERE id = ?", (conversation_id,)
    ).fetchone()
    if row is None:
        raise LookupError(f"no conversation {conversation_id}")
    return None if row[0] is None else int(row[0])


def siblings(conn: sqlite3.Connection, message_id: int) -> list[int]:
    """The versions of a turn, oldest first, ``message_id`` included."""
    row = conn.execute(
        "SELECT conversation_id, parent_id FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    if row is None:
        raise LookupError(f"no message {message_id}")
    rows = conn.execute(
        "SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS ? ORDER BY id",
        (row[0], row[1]),
    )
    return [int(r[0]) for r in rows]


def subtree(conn: sqlite3.Connection, message_id: int) -> list[int]:
    """``message_id`` and every message below it (all branches)."""
    rows = conn.execute(
        """WITH RECURSIVE down (id) AS (
               SELECT ? UNION ALL SELECT m.id FROM messages m JOIN down ON m.parent_id = down.id)
           SELECT id FROM down""",
        (message_id,),
    )
    return [int(r[0]) for r in rows]


def delete_subtree(conn: sqlite3.Connection, message_id: int) -> int:
    """Delete a message with everything below it and reselect; returns the count.

    The parent then selects its newest remaining child (or itself becomes the leaf),
    the way a UI shows the neighbouring version after one is deleted.
    """
    row = conn.execute(
        "SELECT conversation_id, parent_id FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    if row is None:
        raise LookupError(f"no message {message_id}")
    conversation_id, parent_id = int(row[0]), row[1]
    doomed = subtree(conn, message_id)
    for chunk in chunks(doomed):
        conn.execute(f"DELETE FROM messages WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
    leaf = leaf_id(conn, conversation_id)
    remaining = conn.execute(
        "SELECT max(id) FROM messages WHERE conversation_id = ? AND parent_id IS ?",
        (conversation_id, parent_id),
    ).fetchone()[0]
    if remaining is not None:
        if leaf is None or leaf in doomed:
            select(conn, int(remaining))
        elif parent_id is not None:
            conn.execute(
                "UPDATE messages SET active_child_id = ? WHERE id = ? AND active_child_id = ?",
                (remaining, parent_id, message_id),
            )
        else:
            conn.execute(
                "UPDATE conversations SET active_root_id = ? WHERE id = ? AND active_root_id = ?",
                (remaining, conversation_id, message_id),
            )
    elif parent_id is not None:
        conn.execute("UPDATE messages SET active_child_id = NULL WHERE id = ?", (parent_id,))
        if leaf is None or leaf in doomed:
            select(conn, int(parent_id))
    else:
        conn.execute(
            "UPDATE conversations SET active_root_id = NULL, leaf_id = NULL WHERE id = ?",
            (conversation_id,),
        )
    touch(conn, conversation_id)
    return len(doomed)


def insert_tree(
    conn: sqlite3.Connection,
    conversation_id: int,
    nodes: Sequence[TreeNode],
    selected_root: int | None,
) -> list[int]:
    """Insert a whole message tree with its selection as it was; returns the new ids.

    ``nodes`` refer to each other by index, parents before children. Raises
    ValueError for a parent or selection that does not fit the tree.
    """
    ids: list[int] = []
    for index, node in enumerate(nodes):
        if node.parent is not None and not 0 <= node.parent < index:
            raise ValueError(f"message {index}: its parent must come before it")
        parent = None if node.parent is None else ids[node.parent]
        ids.append(insert_message(conn, conversation_id, node.message, parent))
    for index, node in enumerate(nodes):
        child = node.selected_child
        if child is None:
            continue
        if not 0 <= child < len(nodes) or nodes[child].parent != index:
            raise ValueError(f"message {index}: its selected child is not its child")
        conn.execute(
            "UPDATE messages SET active_child_id = ? WHERE id = ?", (ids[child], ids[index])
        )
    if selected_root is not None:
        if not 0 <= selected_root < len(nodes) or nodes[selected_root].parent is not None:
            raise ValueError("the selected first turn is not a first turn")
        leaf = selected_leaf_below(conn, ids[selected_root])
        conn.execute(
            "UPDATE conversations SET active_root_id = ?, leaf_id = ? WHERE id = ?",
            (ids[selected_root], leaf, conversation_id),
        )
    return ids


def selected_children(conn: sqlite3.Connection, conversation_id: int) -> dict[int, int]:
    """Each message's selected child, for the messages that have children."""
    rows = conn.execute(
        "SELECT id, active_child_id FROM messages "
        "WHERE conversation_id = ? AND active_child_id IS NOT NULL",
        (conversation_id,),
    )
    return {int(r[0]): int(r[1]) for r in rows}


def load(conn: sqlite3.Connection, ids: Sequence[int]) -> list[StoredMessage]:
    """The messages with ``ids``, in that order, images included.

    Raises LookupError when one of them does not exist.
    """
    rows: dict[int, sqlite3.Row] = {}
    for chunk in chunks(list(ids)):
        query = (
            f"SELECT m.*, {_VERSION_COLUMNS} FROM messages m "
            f"WHERE m.id IN ({', '.join('?' * len(chunk))})"
        )
        for row in conn.execute(query, chunk):
            rows[int(row["id"])] = row
    missing = [i for i in ids if i not in rows]
    if missing:
        raise LookupError(f"no message {missing[0]}")
    blobs = _blobs_for(conn, list(rows))
    return [
        StoredMessage(
            id=i,
            conversation_id=int(rows[i]["conversation_id"]),
            parent_id=rows[i]["parent_id"],
            depth=int(rows[i]["seq"]),
            version=int(rows[i]["version"]),
            versions=int(rows[i]["versions"]),
            message=message_from_row(rows[i], blobs),
        )
        for i in ids
    ]


def _blobs_for(conn: sqlite3.Connection, message_ids: list[int]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for chunk in chunks(message_ids):
        rows = conn.execute(
            "SELECT b.sha256, b.data FROM message_blobs mb JOIN blobs b USING (sha256) "
            f"WHERE mb.message_id IN ({', '.join('?' * len(chunk))})",
            chunk,
        )
        out.update((str(r[0]), bytes(r[1])) for r in rows)
    return out


def touch(conn: sqlite3.Connection, conversation_id: int) -> None:
    """Mark a conversation as active now (the list is ordered by this)."""
    conn.execute(
        "UPDATE conversations SET updated_at = ? WHERE id = ?", (time.time(), conversation_id)
    )


def chunks(items: list[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    """``items`` in lists of at most ``size`` (SQLite caps the parameters of a query)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
