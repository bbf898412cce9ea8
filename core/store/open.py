"""Opening the store file safely: check it, move a bad one aside, migrate, recover.

A chat history is the user's data: a file Rill cannot use (damaged, not a database,
or written by a newer Rill) is never deleted or overwritten. It is renamed together
with its ``-wal``/``-shm`` companions, so ``sqlite3 rill.sqlite.corrupt-…`` still opens
it with whatever the log held, and a fresh store takes its place. A history in a
folder Rill cannot write to is opened read-only, to be read but not changed.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from pathlib import Path
from typing import Literal

from rill.core.paths import ProfileError, unusable, writable
from rill.core.store import marks
from rill.core.store.records import OpenOutcome, OpenReport
from rill.core.store.schema import LATEST_VERSION, UNSETTLED, migrate, user_version

# How hard to look at an existing file before trusting it. "quick" (PRAGMA quick_check)
# reads every page: ~3 ms per MB, 0.4 s for 100,000 messages. "auto" does that only
# when a -wal file is left over, i.e. the last session did not close cleanly (or one
# is running now); a clean close checkpoints and removes the log. "full" adds index
# cross-checks (integrity_check); "none" only reads the header and schema.
Check = Literal["quick", "full", "auto", "none"]
COMPANIONS = ("-wal", "-shm", "-journal", marks.SUFFIX)
INTERRUPTED_ERROR = "Rill closed before this answer finished."
SQLITE_HEADER = b"SQLite format 3\x00"


def connect(path: Path) -> sqlite3.Connection:
    """A connection with Rill's settings: autocommit (explicit BEGIN), WAL, foreign keys.

    synchronous=NORMAL in WAL mode: a commit survives the app being killed (it is in
    the log); only a power cut can lose the last commits, never corrupt the file.
    ``check_same_thread`` is off only so ``Store.close`` can close every thread's
    connection; each connection is otherwise used by the thread that opened it.
    """
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def open_database(path: Path, check: Check = "quick") -> tuple[sqlite3.Connection, OpenReport]:
    """Open (creating, migrating or replacing) the store at ``path``.

    Returns the connection and a report of what happened. Raises ProfileError when
    the folder is unusable (or read-only with no history in it), and sqlite3.Error for
    anything that is not damage to the file (a lock held too long, a full disk): a
    healthy file is never moved aside.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise unusable(path.parent, error, "data") from error
    exists = path.exists() and path.stat().st_size > 0
    if not (writable(path.parent) and (not exists or _file_writable(path))):
        if not exists:
            raise ProfileError(
                path.parent,
                f"Rill's data folder {path.parent} is read-only and holds no chat history "
                "yet, so chats cannot be saved.",
            )
        return open_read_only(path, check)
    if not exists:
        fresh = connect(path)
        migrate(fresh)
        marks.write(path, marks.Mark(0, 0))  # a history started afresh
        return fresh, OpenReport(OpenOutcome.CREATED, path, LATEST_VERSION)
    conn, problem, found = _inspect(path, check)
    if conn is not None and not problem and found <= LATEST_VERSION:
        # Compared before any write: the next one could rewrite the damaged log.
        went_back = marks.went_back(path, marks.read(path), marks.current(conn))
        try:
            start = migrate(conn)
            interrupted = tuple(mark_interrupted(conn))
        except sqlite3.DatabaseError as error:
            problem = _damage(error)
        else:
            if went_back:
                marks.write(path, marks.current(conn) or marks.Mark(0, 0))
            outcome = OpenOutcome.OPENED if start == LATEST_VERSION else OpenOutcome.MIGRATED
            previous = None if start == LATEST_VERSION else start
            return conn, OpenReport(
                outcome, path, LATEST_VERSION, previous, interrupted=interrupted,
                went_back=went_back,
            )  # fmt: skip
    if conn is not None:
        conn.close()
    outcome = OpenOutcome.CORRUPT if problem else OpenOutcome.NEWER
    moved = move_aside(path, outcome.value)
    fresh = connect(path)
    migrate(fresh)
    marks.write(path, marks.Mark(0, 0))
    previous = found if outcome is OpenOutcome.NEWER else None
    return fresh, OpenReport(outcome, path, LATEST_VERSION, previous, moved, problem)


def _file_writable(path: Path) -> bool:
    """Whether ``path`` opens for writing (tried: root ignores permission bits)."""
    try:
        os.close(os.open(path, os.O_RDWR))
    except OSError:
        return False
    return True


def connect_read_only(path: Path) -> tuple[sqlite3.Connection, bool]:
    """A read-only connection and whether it had to ignore the log ("immutable").

    ``mode=ro`` reads the write-ahead log too, but needs its ``-shm`` index to exist
    or be creatable; in a read-only folder after a clean exit neither is there, and
    ``immutable=1`` reads the database file alone (a clean exit left nothing in a log).
    """
    uri = path.absolute().as_uri()
    for flags, immutable in (("mode=ro", False), ("immutable=1", True)):
        conn = sqlite3.connect(
            f"{uri}?{flags}", uri=True, timeout=10.0, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            conn.close()
            if immutable:
                raise
            continue
        conn.row_factory = sqlite3.Row
        return conn, immutable
    raise AssertionError("unreachable")


def open_read_only(path: Path, check: Check) -> tuple[sqlite3.Connection, OpenReport]:
    """Open a history whose folder (or file) cannot be written: to read, never to change.

    Raises ProfileError when it cannot be read as it is (damaged, another schema): a
    read-only file can be neither repaired, upgraded nor moved aside.
    """
    try:
        conn, immutable = connect_read_only(path)
    except sqlite3.DatabaseError as error:
        raise ProfileError(
            path.parent,
            f"Rill's data folder {path.parent} is read-only and the chat history in it "
            f"cannot be opened ({error}).",
        ) from error
    log = path.with_name(path.name + "-wal")
    if check == "auto":  # as for a writable file: a full look only after an unclean exit
        check = "quick" if log.exists() else "none"
    try:
        problem = _problem(conn, check)
        found = user_version(conn)
    except sqlite3.DatabaseError as error:
        problem, found = str(error), 0
    if problem or found != LATEST_VERSION:
        conn.close()
        why = problem or f"it is from another version of Rill (schema {found})"
        raise ProfileError(
            path.parent,
            f"Rill's data folder {path.parent} is read-only and the chat history in it "
            f"cannot be read as it is ({why}).",
        )
    note = ""
    if immutable and log.exists() and log.stat().st_size > 0:
        note = f"The newest changes, still in {log.name}, cannot be read while it is read-only."
    return conn, OpenReport(OpenOutcome.OPENED, path, LATEST_VERSION, detail=note, read_only=True)


def _inspect(path: Path, check: Check) -> tuple[sqlite3.Connection | None, str, int]:
    """Connect and look: (connection or None, the damage found or "", schema version)."""
    with path.open("rb") as file:
        header = file.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        # Not opened at all: SQLite would treat a -wal beside it as its own and could
        # discard it on close, and that log may hold the user's last messages.
        return None, "file is not a database", 0
    if check == "auto":
        check = "quick" if path.with_name(path.name + "-wal").exists() else "none"
    conn: sqlite3.Connection | None = None
    try:
        conn = connect(path)
        problem = _problem(conn, check)
        found = user_version(conn)
        if not problem and found == 0 and _has_tables(conn):
            problem = "not a Rill chat history"
        return conn, problem, found
    except sqlite3.DatabaseError as error:
        if conn is not None:
            conn.close()
        return None, _damage(error), 0


def _damage(error: sqlite3.DatabaseError) -> str:
    """SQLite's words for a damaged file; re-raises any other error (locked, I/O, full)."""
    name: str | None = getattr(error, "sqlite_errorname", None)
    if name is None:  # SQLite did not say: only a non-operational error is damage
        damaged = not isinstance(error, sqlite3.OperationalError)
    else:
        damaged = name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    if not damaged:
        raise error
    return str(error) or "damaged file"


def _problem(conn: sqlite3.Connection, check: Check) -> str:
    """ "" when the file looks sound, else SQLite's first complaint."""
    # Reading the schema fails at once on a file that is not a database at all.
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    if check == "none":
        return ""
    pragma = "quick_check" if check == "quick" else "integrity_check"
    rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}(1)")]
    return "" if rows == ["ok"] else "; ".join(rows)


def _has_tables(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    return bool(row[0])


def move_aside(path: Path, reason: str) -> Path:
    """Rename ``path`` and its companions to ``<name>.<reason>-<timestamp>``; never delete.

    Returns the new path of the main file. A name already taken gets a counter.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{reason}-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.{reason}-{stamp}-{counter}")
    os.replace(path, target)
    for suffix in COMPANIONS:
        companion = path.with_name(path.name + suffix)
        with contextlib.suppress(FileNotFoundError):
            os.replace(companion, target.with_name(target.name + suffix))
    return target


def mark_interrupted(conn: sqlite3.Connection) -> list[int]:
    """Turn answers left pending or streaming by a dead process into INTERRUPTED.

    Returns their ids. Another Rill still streaming into the same file would see its
    answer marked too, but its next partial write restores the true status within
    a second, so no lock file is needed to tell the two cases apart.
    """
    placeholders = ", ".join("?" * len(UNSETTLED))
    conn.execute("BEGIN IMMEDIATE")
    try:
        ids = [
            int(r[0])
            for r in conn.execute(
                f"SELECT id FROM messages WHERE status IN ({placeholders})", UNSETTLED
            )
        ]
        if ids:
            conn.execute(
                f"UPDATE messages SET status = 'interrupted', "
                f"error = coalesce(error, ?), error_kind = coalesce(error_kind, 'interrupted') "
                f"WHERE status IN ({placeholders})",
                (INTERRUPTED_ERROR, *UNSETTLED),
            )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return ids
