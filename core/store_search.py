"""Full-text search over every stored message (FTS5), safe for whatever the user types.

User input never reaches FTS5's query language: each word (or "quoted phrase") becomes
a quoted FTS5 phrase, so ``-``, ``:``, ``*``, ``(``, ``NEAR`` or an odd ``"`` are just
text. Words are ANDed; the last one also matches as a prefix, for search-as-you-type.
"""

from __future__ import annotations

import re
import sqlite3

from rill.core.store_types import MARK_END, MARK_START, SearchHit
from rill.core.types import Role

# A "quoted phrase" (closed or not) or a run of non-space characters.
_CHUNK = re.compile(r'"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
SNIPPET_TOKENS = 16


def fts_query(text: str, *, prefix: bool = True) -> str | None:
    """The FTS5 query for what the user typed, or None when it has no searchable word."""
    text = _CONTROL.sub(" ", text)  # FTS5 ends a query string at NUL
    phrases: list[str] = []
    last_is_word = False
    for match in _CHUNK.finditer(text):
        quoted = match.group(1) is not None
        chunk = match.group(1) if quoted else match.group(2)
        if not _WORD.search(chunk):
            continue  # only punctuation: the tokenizer would make an empty phrase
        phrases.append('"' + chunk.replace('"', '""') + '"')
        last_is_word = not quoted and match.end() == len(text)
    if not phrases:
        return None
    if prefix and last_is_word:  # still being typed: "regen" finds "regenerate"
        phrases[-1] += "*"
    return " ".join(phrases)


_SEARCH = f"""
SELECT m.conversation_id, m.id, c.title, m.role, m.created_at,
       snippet(messages_fts, 0, '{MARK_START}', '{MARK_END}', '…', {SNIPPET_TOKENS}) AS snippet,
       messages_fts.rank AS score
FROM messages_fts
JOIN messages m ON m.id = messages_fts.rowid
JOIN conversations c ON c.id = m.conversation_id
WHERE messages_fts MATCH ? AND c.deleted_at IS NULL {{scope}}
ORDER BY messages_fts.rank, m.created_at DESC, m.id DESC
LIMIT ?
"""


def search(
    conn: sqlite3.Connection,
    text: str,
    *,
    limit: int = 50,
    prefix: bool = True,
    conversation_id: int | None = None,
) -> list[SearchHit]:
    """Best matches first (bm25), newer first among equals; [] for nothing searchable."""
    query = fts_query(text, prefix=prefix)
    if query is None or limit <= 0:
        return []
    params: tuple[object, ...] = (query, limit)
    scope = ""
    if conversation_id is not None:
        scope = "AND m.conversation_id = ?"
        params = (query, conversation_id, limit)
    rows = conn.execute(_SEARCH.format(scope=scope), params)
    return [
        SearchHit(
            conversation_id=int(r[0]),
            message_id=int(r[1]),
            title=str(r[2]),
            role=Role(r[3]),
            created_at=float(r[4]),
            snippet=str(r[5]),
            score=float(r[6]),
        )
        for r in rows
    ]
