"""What the store held when Rill last wrote to it, kept beside the database.

SQLite drops the frames of a write-ahead log that was cut short or damaged without a
word, and the last messages vanish with them. So every write that changes how many
chats there are or the newest message id records both in ``rill.sqlite-seen``; an
open that finds fewer says so (``OpenReport.went_back``) and keeps a copy of the log.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SUFFIX = "-seen"  # a companion of the database: moved aside with it
_WIDTH = 96  # bytes of every mark file: JSON padded with spaces


@dataclass(frozen=True, slots=True)
class Mark:
    """How many chats the store holds and its newest message id."""

    conversations: int
    last_message_id: int


def mark_path(db_path: Path) -> Path:
    """The file beside ``db_path`` that holds its mark."""
    return db_path.with_name(db_path.name + SUFFIX)


def current(conn: sqlite3.Connection) -> Mark | None:
    """The store's mark now (None for a file without Rill's tables)."""
    try:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM conversations), "
            "(SELECT coalesce(max(id), 0) FROM messages)"
        ).fetchone()
    except sqlite3.DatabaseError:
        return None
    return Mark(int(row[0]), int(row[1]))


def read(db_path: Path) -> Mark | None:
    """The mark last written beside ``db_path``; None when there is none or it is bad."""
    try:
        data = json.loads(mark_path(db_path).read_text(encoding="utf-8"))
        return Mark(int(data["conversations"]), int(data["last_message_id"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _encoded(mark: Mark) -> bytes:
    text = json.dumps(
        {"conversations": mark.conversations, "last_message_id": mark.last_message_id}
    )
    return text.encode().ljust(_WIDTH)  # one width: rewriting in place leaves no tail


def write(db_path: Path, mark: Mark) -> None:
    """Record ``mark`` (best effort, no fsync: a lost mark only means no warning)."""
    target = mark_path(db_path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        temporary.write_bytes(_encoded(mark))
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


def went_back(db_path: Path, before: Mark | None, now: Mark | None) -> str:
    """One sentence when ``now`` holds less than ``before`` ("" otherwise).

    The write-ahead log, which then holds what was lost, is copied aside first: SQLite
    rewrites it with the next writes.
    """
    if before is None or now is None:
        return ""
    if now.conversations >= before.conversations and now.last_message_id >= before.last_message_id:
        return ""
    log = db_path.with_name(db_path.name + "-wal")
    kept = ""
    if log.exists():
        copy = log.with_name(f"{log.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        with contextlib.suppress(OSError):
            shutil.copyfile(log, copy)
            kept = f" A copy of the log is kept as {copy}."
    return (
        f"The chat history holds less than Rill last saved ({before.conversations} chats and "
        f"messages up to #{before.last_message_id} then, {now.conversations} chats and "
        f"messages up to #{now.last_message_id} now): its log file ({log.name}) was cut "
        f"short or damaged, and the newest messages are lost.{kept}"
    )


class Keeper:
    """Writes the mark again after a write that changed it (any thread).

    In place, through a descriptor kept open: a new file and a rename per message
    cost a millisecond each, a write at offset 0 some microseconds. A mark is far
    smaller than a disk sector, so a crash leaves the old one or the new one.
    """

    def __init__(self, db_path: Path, mark: Mark | None) -> None:
        self.db_path = db_path
        self.mark = mark
        self._fd: int | None = None
        self._lock = threading.Lock()

    def after_write(self, conn: sqlite3.Connection) -> None:
        """Record the store's mark after a write (a no-op when it did not change)."""
        with self._lock:  # read under the lock too: a slower thread never writes an older mark
            now = current(conn)
            if now is None or now == self.mark:
                return
            self.mark = now
            try:
                if self._fd is None:
                    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)
                    self._fd = os.open(mark_path(self.db_path), flags, 0o600)
                os.lseek(self._fd, 0, os.SEEK_SET)  # not pwrite: Windows has none
                os.write(self._fd, _encoded(now))
            except OSError:
                pass  # no mark: a later open only cannot warn

    def close(self) -> None:
        """Close the mark file."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
