"""Opening the store: migration from the first schema, damaged and newer files moved
aside (never deleted), and answers left streaming marked INTERRUPTED."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from rill.core.store import schema as store_schema
from rill.core.store.db import Store
from rill.core.store.open import INTERRUPTED_ERROR
from rill.core.store.records import OpenOutcome
from rill.core.store.schema import LATEST_VERSION, MIGRATIONS, migrate
from rill.core.types import Message, MessageStatus, Part, Role

FIXTURE = Path(__file__).parents[2] / "fixtures" / "store_v1.sqlite"


def fixture_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rill.sqlite"
    shutil.copyfile(FIXTURE, target)
    return target


def raw_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


# ---------------------------------------------------------------- migration


def test_the_fixture_is_the_first_schema() -> None:
    assert raw_version(FIXTURE) == 1
    assert LATEST_VERSION == len(MIGRATIONS) >= 2


def test_migrating_the_v1_fixture_keeps_everything(tmp_path: Path) -> None:
    path = fixture_copy(tmp_path)
    with Store(path) as store:
        report = store.report
        assert report.outcome is OpenOutcome.MIGRATED
        assert (report.previous_version, report.schema_version) == (1, LATEST_VERSION)
        assert "upgraded from schema 1" in report.message and not report.needs_attention
        assert report.interrupted == (4,)  # the answer v1 left streaming
        assert raw_version(path) == LATEST_VERSION

        listing = store.list_conversations()
        assert [(c.id, c.title, c.pinned, c.message_count) for c in listing] == [
            (1, "Cats", True, 4)
        ]
        assert [c.title for c in store.list_conversations(deleted=True)] == ["Old notes"]
        cats = store.get_conversation(1)
        assert cats.settings.temperature == 0.4 and cats.settings.stop_sequences == ("END",)

        # The v1 chain (with a gap in seq) became a single-branch tree, depth = position.
        path_ = store.path(1)
        assert [s.id for s in path_] == [1, 2, 3, 4]
        assert [s.depth for s in path_] == [0, 1, 2, 3]
        assert [s.parent_id for s in path_] == [None, 1, 2, 3]
        assert all((s.version, s.versions) == (1, 1) for s in path_)
        answer = path_[1].message
        assert answer.thought_text == "Looking at stripes"
        assert answer.parts[0].thought_signature == "c2lnMQ=="
        assert answer.usage is not None and answer.usage.total_tokens == 266
        assert path_[0].message.images[0].data == path_[2].message.images[0].data
        assert store.stats().blobs == 1
        last = path_[3].message
        assert (last.status, last.text, last.error) == (
            MessageStatus.INTERRUPTED,
            "It is also a tab",
            INTERRUPTED_ERROR,
        )

        # Search works over migrated rows, including the one that just settled.
        assert [h.message_id for h in store.search("tabby")] == [2]
        assert [h.message_id for h in store.search("tab", prefix=False)] == [4]
        assert store.search("milk") == []  # in the trash

        # And the new features work on migrated data.
        regenerated = store.add_version(4, Message(Role.MODEL, [Part.from_text("A zebra.")]))
        assert store.siblings(4) == [4, regenerated]
        assert store.integrity_check() == []


def test_a_fresh_store_and_a_migrated_one_have_the_same_schema(tmp_path: Path) -> None:
    def schema(path: Path) -> set[tuple[str, str]]:
        conn = sqlite3.connect(path)
        try:
            rows = conn.execute(
                "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            ).fetchall()
            columns = {
                (table, col[1])
                for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
                for col in conn.execute(f"PRAGMA table_info({table})")
            }
        finally:
            conn.close()
        return {(str(t), str(n)) for t, n in rows} | columns

    Store(fixture_copy(tmp_path)).close()
    Store(tmp_path / "fresh.sqlite").close()
    assert schema(tmp_path / "rill.sqlite") == schema(tmp_path / "fresh.sqlite")


def test_a_failing_migration_step_leaves_the_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = fixture_copy(tmp_path)
    conn = sqlite3.connect(path, isolation_level=None)

    def broken(c: sqlite3.Connection) -> None:
        c.execute("ALTER TABLE messages ADD COLUMN half_done INTEGER")
        raise RuntimeError("power cut")

    monkeypatch.setattr(store_schema, "MIGRATIONS", [MIGRATIONS[0], broken])
    with pytest.raises(RuntimeError):
        migrate(conn, target=2)
    assert raw_version(path) == 1
    columns = [r[1] for r in conn.execute("PRAGMA table_info(messages)")]
    assert "half_done" not in columns
    conn.close()


# ---------------------------------------------------------------- damaged and newer files


def moved_files(tmp_path: Path, reason: str) -> list[Path]:
    return sorted(tmp_path.glob(f"rill.sqlite.{reason}-*"))


def test_a_file_that_is_not_a_database_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "rill.sqlite"
    junk = b"this is not SQLite at all\n" * 400
    path.write_bytes(junk)
    (tmp_path / "rill.sqlite-wal").write_bytes(b"stale log")
    with Store(path) as store:
        report = store.report
        assert report.outcome is OpenOutcome.CORRUPT and report.needs_attention
        assert report.moved_to is not None and report.moved_to.read_bytes() == junk
        assert report.moved_to.name.startswith("rill.sqlite.corrupt-")
        assert "not a database" in report.detail and str(report.moved_to) in report.message
        assert Path(str(report.moved_to) + "-wal").read_bytes() == b"stale log"
        cid = store.create_conversation()  # the fresh store works
        store.append_message(cid, Message(Role.USER, [Part.from_text("after recovery")]))
        assert len(store.search("recovery")) == 1
    assert len(moved_files(tmp_path, "corrupt")) == 2  # the file and its log
    with Store(path) as again:
        assert again.report.outcome is OpenOutcome.OPENED


def test_a_damaged_database_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "rill.sqlite"
    with Store(path) as store:
        cid = store.create_conversation()
        for n in range(300):
            store.append_message(cid, Message(Role.USER, [Part.from_text(f"row {n} " * 40)]))
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data) - page, 2 * page):  # scribble over pages
        data[offset + 100 : offset + 400] = b"\xde\xad" * 150
    path.write_bytes(bytes(data))
    with Store(path) as store:
        assert store.report.outcome is OpenOutcome.CORRUPT
        assert store.report.moved_to is not None
        assert store.report.moved_to.read_bytes() == bytes(data)  # untouched, not deleted
        assert store.list_conversations() == []


def test_a_foreign_sqlite_file_is_not_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "rill.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE something_else (x)")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.report.outcome is OpenOutcome.CORRUPT
        assert "not a Rill chat history" in store.report.detail


def test_a_store_from_a_newer_rill_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "rill.sqlite"
    with Store(path) as store:
        store.create_conversation(title="from the future")
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 5}")
    conn.close()
    with Store(path) as store:
        report = store.report
        assert report.outcome is OpenOutcome.NEWER and report.needs_attention
        assert report.previous_version == LATEST_VERSION + 5
        assert report.moved_to is not None and report.moved_to.name.startswith("rill.sqlite.newer-")
        assert "newer version of Rill" in report.message
        assert store.list_conversations() == []
    assert raw_version(report.moved_to) == LATEST_VERSION + 5
    kept = sqlite3.connect(report.moved_to)
    assert kept.execute("SELECT title FROM conversations").fetchall() == [("from the future",)]
    kept.close()


def test_a_locked_store_is_an_error_not_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rill.core.store.open as store_open

    path = tmp_path / "rill.sqlite"
    Store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")

    def impatient(p: Path) -> sqlite3.Connection:  # the real one waits 10 s
        return sqlite3.connect(p, timeout=0.1, isolation_level=None)

    monkeypatch.setattr(store_open, "connect", impatient)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            Store(path)
    finally:
        monkeypatch.undo()
        holder.execute("ROLLBACK")
        holder.close()
    assert moved_files(tmp_path, "corrupt") == []
    with Store(path) as store:
        assert store.report.outcome is OpenOutcome.OPENED


# ---------------------------------------------------------------- interrupted answers


def test_answers_left_streaming_are_marked_interrupted_on_open(tmp_path: Path) -> None:
    path = tmp_path / "rill.sqlite"
    with Store(path) as store:
        cid = store.create_conversation()
        store.append_message(cid, Message(Role.USER, [Part.from_text("question")]))
        live = Message(Role.MODEL, [Part.from_text("half an ans")], status=MessageStatus.STREAMING)
        streaming = store.append_message(cid, live)
        pending = store.add_version(streaming, Message(Role.MODEL, status=MessageStatus.PENDING))
        done = store.add_version(streaming, Message(Role.MODEL, [Part.from_text("complete")]))
    with Store(path) as store:
        assert set(store.report.interrupted) == {streaming, pending}
        got = {s.id: s.message for s in store.get_messages([streaming, pending, done])}
        assert got[streaming].status is MessageStatus.INTERRUPTED
        assert got[streaming].text == "half an ans"
        assert got[streaming].error_kind == "interrupted"
        assert got[pending].status is MessageStatus.INTERRUPTED
        assert got[done].status is MessageStatus.COMPLETE
        assert [h.message_id for h in store.search("half")] == [streaming]  # now indexed
    with Store(path) as store:
        assert store.report.interrupted == ()


def test_auto_check_reads_every_page_only_after_an_unclean_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import rill.core.store.open as store_open

    path = tmp_path / "rill.sqlite"
    Store(path).close()  # a clean close removes the -wal
    modes: list[str] = []
    real = store_open._problem

    def spy(conn: sqlite3.Connection, check: store_open.Check) -> str:
        modes.append(check)
        return real(conn, check)

    monkeypatch.setattr(store_open, "_problem", spy)
    Store(path, check="auto").close()
    survivor = sqlite3.connect(path)  # like a crashed (or running) session: the log stays
    survivor.execute("SELECT count(*) FROM conversations").fetchone()
    assert path.with_name("rill.sqlite-wal").exists()
    Store(path, check="auto").close()
    survivor.close()
    Store(path).close()
    assert modes == ["none", "quick", "quick"]
