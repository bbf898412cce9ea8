"""Conversation rows and store upkeep: the SQL behind ``Store``'s conversation methods.

Functions take a connection (inside the caller's transaction for writes); ``Store``
owns transactions and threads.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from rill.core.store.codec import settings_from_json, settings_to_json
from rill.core.store.records import Conversation, ConversationSummary, StoreStats
from rill.core.store.schema import user_version
from rill.core.types import GenerationSettings

# Columns a caller may set one at a time (never interpolate anything else into SQL).
SETTABLE = frozenset(
    {"title", "pinned", "settings", "model", "provider", "deleted_at", "tool_grants"}
)


def insert(
    conn: sqlite3.Connection,
    *,
    title: str,
    provider: str,
    settings: GenerationSettings,
    created_at: float,
) -> int:
    """Insert a conversation row; returns its id."""
    cursor = conn.execute(
        "INSERT INTO conversations (title, provider, model, settings, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            title,
            provider,
            settings.model,
            dumps(settings_to_json(settings)),
            created_at,
            created_at,
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def get(conn: sqlite3.Connection, conversation_id: int) -> Conversation:
    """LookupError when there is no such conversation."""
    row = conn.execute("SELECT * FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
    if row is None:
        raise LookupError(f"no conversation {conversation_id}")
    notes: list[str] = []
    try:
        stored = json.loads(row["settings"])
    except (TypeError, ValueError):
        stored = None  # a damaged column: the defaults, and a note saying so
    settings = settings_from_json(stored, notes)
    return Conversation(
        id=row["id"],
        title=row["title"],
        provider=row["provider"],
        model=row["model"],
        settings=settings,
        pinned=bool(row["pinned"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        deleted_at=row["deleted_at"],
        leaf_id=row["leaf_id"],
        notes=tuple(notes),
        tool_grants=grants_from_json(row["tool_grants"]),
    )


def grants_from_json(text: str | None) -> tuple[tuple[str, str], ...]:
    """The ``tool_grants`` column read: every well-formed ``[server, tool]`` pair of it,
    sorted; a damaged column grants nothing (the chat asks again)."""
    try:
        value = json.loads(text) if text else []
    except (TypeError, ValueError, RecursionError):
        return ()
    if not isinstance(value, list):
        return ()
    pairs = {
        (pair[0], pair[1])
        for pair in value
        if isinstance(pair, list)
        and len(pair) == 2
        and all(isinstance(name, str) and name for name in pair)
    }
    return tuple(sorted(pairs))


def set_grants(
    conn: sqlite3.Connection, conversation_id: int, grants: Sequence[tuple[str, str]]
) -> None:
    """Replace a conversation's "Allow in this chat" tools; LookupError when it is gone."""
    value = dumps(sorted([server, tool] for server, tool in grants)) if grants else None
    set_column(conn, conversation_id, "tool_grants", value)


_SUMMARY = (
    "SELECT c.id, c.title, c.provider, c.model, c.pinned, c.created_at, c.updated_at, "
    "c.deleted_at, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) "
    "FROM conversations c "
)
_LISTING_ORDER = "ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC"


def listing(
    conn: sqlite3.Connection, *, deleted: bool, limit: int, offset: int
) -> list[ConversationSummary]:
    """Pinned first, then the most recently active; the count is every message stored."""
    rows = conn.execute(
        f"{_SUMMARY} WHERE c.deleted_at IS {'NOT ' if deleted else ''}NULL "
        f"{_LISTING_ORDER} LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return _summaries(rows)


def listing_keys(conn: sqlite3.Connection) -> list[tuple[int, bool, float]]:
    """(id, pinned, updated_at) of what ``listing`` would give, in its order; no counts."""
    rows = conn.execute(
        "SELECT c.id, c.pinned, c.updated_at FROM conversations c "
        f"WHERE c.deleted_at IS NULL {_LISTING_ORDER}"
    )
    return [(int(r[0]), bool(r[1]), float(r[2])) for r in rows]


def summaries(conn: sqlite3.Connection, ids: list[int]) -> dict[int, ConversationSummary]:
    """The summaries of ``ids`` (those that exist, trash included), by id."""
    marks = ", ".join("?" * len(ids))
    return {s.id: s for s in _summaries(conn.execute(f"{_SUMMARY} WHERE c.id IN ({marks})", ids))}


def _summaries(rows: sqlite3.Cursor) -> list[ConversationSummary]:
    return [
        ConversationSummary(
            id=r[0],
            title=r[1],
            provider=r[2],
            model=r[3],
            pinned=bool(r[4]),
            created_at=r[5],
            updated_at=r[6],
            deleted_at=r[7],
            message_count=r[8],
        )
        for r in rows
    ]


def latest_id(conn: sqlite3.Connection) -> int | None:
    """The most recently active conversation not in the trash (None when there is none)."""
    row = conn.execute(
        "SELECT id FROM conversations WHERE deleted_at IS NULL "
        "ORDER BY updated_at DESC, id DESC LIMIT 1"
    ).fetchone()
    return None if row is None else int(row[0])


def set_column(conn: sqlite3.Connection, conversation_id: int, column: str, value: object) -> None:
    """Set one of SETTABLE; LookupError when there is no such conversation."""
    if column not in SETTABLE:
        raise ValueError(f"not a settable column: {column}")
    cursor = conn.execute(
        f"UPDATE conversations SET {column} = ? WHERE id = ?", (value, conversation_id)
    )
    if cursor.rowcount != 1:
        raise LookupError(f"no conversation {conversation_id}")


def purge(conn: sqlite3.Connection, conversation_id: int | None, cutoff: float) -> int:
    """Delete one conversation (or, with None, the trash up to ``cutoff``) for good."""
    if conversation_id is not None:
        cursor = conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
    else:
        cursor = conn.execute(
            "DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at <= ?",
            (cutoff,),
        )
    collect_garbage(conn)
    return cursor.rowcount


def collect_garbage(conn: sqlite3.Connection) -> None:
    """Drop images no message references any more (content addressing's refcount)."""
    conn.execute(
        "DELETE FROM blobs WHERE NOT EXISTS "
        "(SELECT 1 FROM message_blobs mb WHERE mb.sha256 = blobs.sha256)"
    )


def stats(conn: sqlite3.Connection, path: Path) -> StoreStats:
    """Row counts and the file's size on disk (with its write-ahead log)."""

    def one(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0] or 0)

    size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    return StoreStats(
        schema_version=user_version(conn),
        conversations=one("SELECT count(*) FROM conversations WHERE deleted_at IS NULL"),
        deleted_conversations=one(
            "SELECT count(*) FROM conversations WHERE deleted_at IS NOT NULL"
        ),
        messages=one("SELECT count(*) FROM messages"),
        blobs=one("SELECT count(*) FROM blobs"),
        blob_bytes=one("SELECT sum(size) FROM blobs"),
        file_bytes=size,
    )


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """What SQLite's integrity_check and FTS5's own check report; [] when sound."""
    problems = [str(r[0]) for r in conn.execute("PRAGMA integrity_check")]
    problems = [] if problems == ["ok"] else problems
    try:
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
    except sqlite3.DatabaseError as error:
        problems.append(f"search index: {error}")
    return problems


def dumps(value: object) -> str:
    """Compact JSON, non-ASCII kept as it is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
