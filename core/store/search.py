"""Full-text search over every stored message (FTS5), safe for whatever the user types.

User input never reaches FTS5's query language: each word (or "quoted phrase") becomes
a quoted FTS5 phrase, so ``-``, ``:``, ``*``, ``(``, ``NEAR`` or an odd ``"`` are just
text. Words are ANDed; the last one also matches as a prefix, for search-as-you-type.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata

from rill.core.store.records import MARK_END, MARK_START, SearchHit
from rill.core.store.tree import chunks
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


# A query matching more messages than this ranks only the newest this many of them:
# bm25 costs a little per match, and a word in most messages ranks poorly anyway.
# It keeps the commonest query within ~50 ms over 100,000 messages.
RANK_WINDOW = 10_000

# Hits in the trash are dropped after ranking, so rank a few more than asked for.
_SLACK = 50

_DETAILS = """
SELECT m.id, m.conversation_id, c.title, m.role, m.created_at, c.deleted_at IS NULL
FROM messages m JOIN conversations c ON c.id = m.conversation_id
WHERE m.id IN ({marks})
"""
_SCOPED = """
SELECT messages_fts.rowid, bm25(messages_fts) AS score
FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
WHERE messages_fts MATCH ? AND m.conversation_id = ?
ORDER BY score LIMIT ?
"""


def search(
    conn: sqlite3.Connection,
    text: str,
    *,
    limit: int = 50,
    prefix: bool = True,
    conversation_id: int | None = None,
) -> list[SearchHit]:
    """Best matches first (bm25), newer first among equals; [] for nothing searchable.

    Two small queries instead of one join: rank message ids inside the FTS index,
    then fetch just those rows; snippets are cut here from the hits' text. (FTS5's
    own snippet() re-expands a prefix query for every row: 300 ms for 50 hits of a
    common word.)
    """
    query = fts_query(text, prefix=prefix)
    if query is None or limit <= 0:
        return []
    wanted = limit + _SLACK
    while True:
        ranked = _ranked(conn, query, conversation_id, wanted)
        scores = {int(r[0]): float(r[1]) for r in ranked}
        details = {
            int(r[0]): r
            for chunk in chunks(list(scores))
            for r in conn.execute(_DETAILS.format(marks=", ".join("?" * len(chunk))), chunk)
            if r[5]  # not in the trash
        }
        if len(details) >= limit or len(ranked) < wanted:
            break
        wanted *= 4  # the trash took too many of the best: rank deeper
    chosen = sorted(details, key=lambda i: (scores[i], -details[i][4], -i))[:limit]
    if not chosen:
        return []
    terms = query_terms(query)
    texts: dict[int, str] = {}
    for chunk in chunks(chosen):  # bodies only for the hits shown
        marks = ", ".join("?" * len(chunk))
        texts.update(conn.execute(f"SELECT id, text FROM messages WHERE id IN ({marks})", chunk))
    return [
        SearchHit(
            conversation_id=int(details[i][1]),
            message_id=i,
            title=str(details[i][2]),
            role=Role(details[i][3]),
            created_at=float(details[i][4]),
            snippet=snippet(texts.get(i, ""), terms),
            score=scores[i],
        )
        for i in chosen
    ]


def _ranked(
    conn: sqlite3.Connection, query: str, conversation_id: int | None, wanted: int
) -> list[tuple[int, float]]:
    """(message id, bm25 score), best first, at most ``wanted``."""
    if conversation_id is not None:
        return conn.execute(_SCOPED, (query, conversation_id, wanted)).fetchall()
    bound = conn.execute(
        "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? "
        "ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (query, RANK_WINDOW - 1),
    ).fetchone()
    return conn.execute(
        "SELECT rowid, bm25(messages_fts) AS score FROM messages_fts "
        "WHERE messages_fts MATCH ? AND rowid >= ? ORDER BY score LIMIT ?",
        (query, 0 if bound is None else bound[0], wanted),
    ).fetchall()


# unicode61's tokens: runs of letters and digits (an underscore separates, as in FTS5).
_TOKEN = re.compile(r"[^\W_]+")
_PHRASE = re.compile(r'"((?:[^"]|"")*)"(\*?)')


def _fold(token: str) -> str:
    """What unicode61 with remove_diacritics compares: case-folded, accents dropped."""
    decomposed = unicodedata.normalize("NFKD", token.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_terms(query: str) -> list[tuple[str, bool]]:
    """(folded token, is a prefix) for every token of an ``fts_query`` result."""
    terms: list[tuple[str, bool]] = []
    for match in _PHRASE.finditer(query):
        tokens = [_fold(t) for t in _TOKEN.findall(match.group(1).replace('""', '"'))]
        terms += [(t, False) for t in tokens]
        if match.group(2) and terms:
            terms[-1] = (terms[-1][0], True)
    return terms


def snippet(text: str, terms: list[tuple[str, bool]], size: int = SNIPPET_TOKENS) -> str:
    """The ``size`` tokens of ``text`` holding the most hits, hits between the markers.

    "…" marks text left out at either end, as FTS5's snippet() does.
    """
    spans = [(m.start(), m.end(), _fold(m.group())) for m in _TOKEN.finditer(text)]
    if not spans:
        return text[:200]
    exact = {t for t, prefix in terms if not prefix}
    prefixes = tuple(t for t, prefix in terms if prefix)
    hits = [
        i
        for i, (_, _, tok) in enumerate(spans)
        if tok in exact or tok.startswith(prefixes or ("\0",))
    ]
    start = 0
    if hits and len(spans) > size:
        best = max(hits, key=lambda h: (sum(1 for x in hits if h <= x < h + size), -h))
        start = max(0, min(best - 2, len(spans) - size))  # a little lead-in before the hit
    end = min(len(spans), start + size)
    begin_at = 0 if start == 0 else spans[start][0]
    stop_at = len(text) if end == len(spans) else spans[end - 1][1]
    out = ["…" if start > 0 else ""]
    cursor = begin_at
    for i in hits:
        if start <= i < end:
            a, b, _ = spans[i]
            out += [text[cursor:a], MARK_START, text[a:b], MARK_END]
            cursor = b
    out.append(text[cursor:stop_at])
    out.append("…" if end < len(spans) else "")
    return "".join(out)
