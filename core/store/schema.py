"""The store's schema as a list of forward migrations, numbered by ``PRAGMA user_version``.

``MIGRATIONS[n]`` turns a version-n database into version n + 1, so a fresh file runs
every step and an old one runs only what it lacks: the upgrade path is the path every
new install takes, and it is exercised on every test run. Never edit a released step;
append a new one.

v1  conversations, linear messages (``seq`` = position), content-addressed blobs, the
    FTS5 index over visible message text kept in sync by triggers.
v2  versions and branches: messages form a tree (``parent_id``); a parent remembers
    its selected child (``active_child_id``) and a conversation its selected root and
    leaf. ``seq`` becomes the depth in the tree. v1 chains become single-branch trees.
v3  an answer's metadata beside its parts: ``messages.meta`` holds the JSON of its
    grounding (search queries, sources, supports), URL context and citations
    (``rill.core.store.answer_codec``); NULL for every message before it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]

# Answers in these states change every second; they join the search index when they
# settle (the triggers below), so streaming never pays for re-indexing.
UNSETTLED = ("pending", "streaming")
_UNSETTLED_SQL = "('pending', 'streaming')"

V1 = f"""
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    provider TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    settings TEXT NOT NULL DEFAULT '{{}}',
    pinned INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    deleted_at REAL
);
CREATE INDEX conversations_listing ON conversations (pinned DESC, updated_at DESC);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    parts TEXT NOT NULL DEFAULT '[]',
    usage TEXT,
    finish_reason TEXT,
    model TEXT,
    model_version TEXT,
    error TEXT,
    error_kind TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    first_token_at REAL,
    finished_at REAL
);
CREATE UNIQUE INDEX messages_order ON messages (conversation_id, seq);
CREATE INDEX messages_unsettled ON messages (status) WHERE status IN {_UNSETTLED_SQL};

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    mime_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE message_blobs (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    PRIMARY KEY (message_id, sha256)
) WITHOUT ROWID;
CREATE INDEX message_blobs_sha256 ON message_blobs (sha256);

CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text, content = 'messages', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN new.status NOT IN {_UNSETTLED_SQL} BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN old.status NOT IN {_UNSETTLED_SQL} BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
-- One trigger, two statements in a fixed order: the old entry must leave the
-- external-content index before the new one enters.
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, status ON messages
WHEN (old.status NOT IN {_UNSETTLED_SQL} OR new.status NOT IN {_UNSETTLED_SQL})
 AND (old.text IS NOT new.text
      OR (old.status IN {_UNSETTLED_SQL}) <> (new.status IN {_UNSETTLED_SQL})) BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text)
        SELECT 'delete', old.id, old.text WHERE old.status NOT IN {_UNSETTLED_SQL};
    INSERT INTO messages_fts (rowid, text)
        SELECT new.id, new.text WHERE new.status NOT IN {_UNSETTLED_SQL};
END;
"""

V2 = """
ALTER TABLE messages ADD COLUMN parent_id INTEGER;
ALTER TABLE messages ADD COLUMN active_child_id INTEGER;
ALTER TABLE conversations ADD COLUMN active_root_id INTEGER;
ALTER TABLE conversations ADD COLUMN leaf_id INTEGER;
DROP INDEX messages_order;
CREATE INDEX messages_depth ON messages (conversation_id, seq);
CREATE INDEX messages_parent ON messages (parent_id);

-- v1 chains: each message's parent is the one before it, its selected child the one
-- after, and seq (which may have gaps) becomes the depth.
CREATE TEMP TABLE v2_chain (id INTEGER PRIMARY KEY, depth INTEGER, parent INTEGER, child INTEGER);
INSERT INTO v2_chain
SELECT id,
       row_number() OVER w - 1,
       lag(id) OVER w,
       lead(id) OVER w
FROM messages WINDOW w AS (PARTITION BY conversation_id ORDER BY seq);
UPDATE messages SET
    seq = (SELECT depth FROM v2_chain c WHERE c.id = messages.id),
    parent_id = (SELECT parent FROM v2_chain c WHERE c.id = messages.id),
    active_child_id = (SELECT child FROM v2_chain c WHERE c.id = messages.id);
UPDATE conversations SET
    active_root_id = (SELECT id FROM messages m
                      WHERE m.conversation_id = conversations.id AND m.parent_id IS NULL),
    leaf_id = (SELECT id FROM messages m
               WHERE m.conversation_id = conversations.id ORDER BY seq DESC LIMIT 1);
DROP TABLE v2_chain;
"""


def _script(sql: str) -> Migration:
    def run(conn: sqlite3.Connection) -> None:
        # execute() one statement at a time: executescript() would COMMIT the open
        # transaction and break the all-or-nothing step.
        for statement in _statements(sql):
            conn.execute(statement)

    return run


def _statements(sql: str) -> list[str]:
    """Split a script into statements; triggers' inner semicolons stay inside."""
    out: list[str] = []
    current = ""
    for line in sql.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        current += line
        if sqlite3.complete_statement(current):
            out.append(current.strip())
            current = ""
    if current.strip():
        raise ValueError(f"incomplete SQL statement in migration: {current.strip()[:60]}")
    return out


V3 = """
ALTER TABLE messages ADD COLUMN meta TEXT;
"""

MIGRATIONS: list[Migration] = [_script(V1), _script(V2), _script(V3)]
LATEST_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, *, target: int = LATEST_VERSION) -> int:
    """Bring ``conn``'s database up to ``target``; returns the version it started at.

    Each step runs in its own IMMEDIATE transaction together with the new
    ``user_version``, so a crash mid-upgrade leaves the previous version intact.
    Raises ValueError for a database newer than ``target``.
    """
    start = user_version(conn)
    if start > target:
        raise ValueError(f"schema version {start} is newer than {target}")
    for version in range(start, target):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if user_version(conn) != version:  # another process upgraded meanwhile
                conn.execute("ROLLBACK")
                continue
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return start


def user_version(conn: sqlite3.Connection) -> int:
    """The schema version stored in the database header (0 for a new file)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])
