"""A chat's "Allow in this chat" tools are stored with its conversation (schema v4): set,
read back after the file is closed and opened again, replaced, cleared; a file from
before v4 gains the column empty; a damaged column grants nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rill.core.store import Store
from rill.core.store.schema import migrate


def test_grants_survive_closing_the_file_and_are_per_conversation(tmp_path: Path) -> None:
    path = tmp_path / "rill.sqlite"
    with Store(path) as store:
        granted = store.create_conversation(title="granted")
        other = store.create_conversation(title="other")
        store.set_tool_grants(granted, [("time", "get_current_time"), ("git", "git_log")])
    with Store(path) as store:
        assert store.get_conversation(granted).tool_grants == (
            ("git", "git_log"),
            ("time", "get_current_time"),
        )
        assert store.get_conversation(other).tool_grants == ()
        store.set_tool_grants(granted, [("git", "git_log")])
        assert store.get_conversation(granted).tool_grants == (("git", "git_log"),)
        store.set_tool_grants(granted, [])
        assert store.get_conversation(granted).tool_grants == ()


def test_a_v3_file_gains_empty_grants(tmp_path: Path) -> None:
    path = tmp_path / "rill.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=3)
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (1, 'a', 1, 1)"
    )
    conn.close()
    with Store(path) as store:
        assert store.get_conversation(1).tool_grants == ()
        store.set_tool_grants(1, [("time", "get_current_time")])
        assert store.get_conversation(1).tool_grants == (("time", "get_current_time"),)


def test_a_damaged_column_grants_nothing_and_opens(tmp_path: Path) -> None:
    path = tmp_path / "rill.sqlite"
    with Store(path) as store:
        cid = store.create_conversation()
    for damaged, kept in [
        ("not json", ()),
        ('{"time": "get"}', ()),
        ('[["time", "get"], ["x"], "y", [1, 2], ["", "t"], null]', (("time", "get"),)),
    ]:
        conn = sqlite3.connect(path)
        conn.execute("UPDATE conversations SET tool_grants = ? WHERE id = ?", (damaged, cid))
        conn.commit()
        conn.close()
        with Store(path) as store:
            assert store.get_conversation(cid).tool_grants == kept
