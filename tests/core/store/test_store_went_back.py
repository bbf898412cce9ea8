"""A write-ahead log cut short or damaged after a crash: SQLite drops its bad frames
without a word, so the store compares what it finds with what Rill last recorded
(``rill.sqlite-seen``) and says so, keeping a copy of the log."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rill.core.store import marks
from rill.core.store.db import Store
from rill.core.types import Message, Part, Role
from tests.core.cli.test_cli import cli_env

pytestmark = pytest.mark.skipif(os.name != "posix", reason="a process killed mid-session")

# One chat saved and closed cleanly (in the database file), then two more written to
# the log only: the process dies without closing, as a crash or a power cut would.
CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from rill.core.store.db import Store
    from rill.core.types import Message, Part, Role

    path = Path(sys.argv[1])
    with Store(path) as store:
        cid = store.create_conversation()
        store.append_message(cid, Message(Role.USER, [Part.from_text("safe in the file")]))
    store = Store(path)
    for n in range(2):
        cid = store.create_conversation()
        for k in range(20):
            store.append_message(cid, Message(Role.USER, [Part.from_text(f"in the log {n}.{k}")]))
    os._exit(0)
    """
)


@pytest.fixture
def crashed(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "rill.sqlite"
    subprocess.run([sys.executable, "-c", CRASHING_WRITER, str(path)], check=True, timeout=60)
    assert path.with_name("rill.sqlite-wal").stat().st_size > 0
    assert marks.read(path) == marks.Mark(3, 41)
    return path


def cut_log(path: Path, keep: float) -> None:
    log = path.with_name("rill.sqlite-wal")
    with log.open("r+b") as file:
        file.truncate(int(log.stat().st_size * keep))


def test_an_intact_log_opens_without_a_word(crashed: Path) -> None:
    with Store(crashed) as store:
        assert store.report.went_back == ""
        assert not store.report.needs_attention
        assert len(store.list_conversations()) == 3


def test_a_log_cut_short_is_reported_and_kept(crashed: Path) -> None:
    cut_log(crashed, 0.5)
    with Store(crashed) as store:
        report = store.report
        found = len(store.list_conversations())
    assert found < 3
    assert report.needs_attention
    assert "holds less than Rill last saved" in report.message
    assert "3 chats and messages up to #41 then" in report.message
    (copy,) = crashed.parent.glob("rill.sqlite-wal.damaged-*")
    assert str(copy) in report.message
    with Store(crashed) as store:  # said once: the mark now matches the history
        assert store.report.went_back == ""


def test_a_damaged_frame_drops_what_follows_and_is_reported(crashed: Path) -> None:
    log = crashed.with_name("rill.sqlite-wal")
    data = bytearray(log.read_bytes())
    middle = len(data) // 3
    data[middle : middle + 64] = bytes(64)  # a frame whose checksum no longer matches
    log.write_bytes(bytes(data))
    with Store(crashed) as store:
        assert "holds less than Rill last saved" in store.report.message


def test_deleting_a_chat_for_good_is_not_mistaken_for_a_loss(tmp_path: Path) -> None:
    path = tmp_path / "rill.sqlite"
    with Store(path) as store:
        ids = [store.create_conversation() for _ in range(3)]
        message = Message(Role.USER, [Part.from_text("last")])
        last = store.append_message(ids[-1], message)
        store.delete_message(last)
        store.purge_conversation(ids[0])
    with Store(path) as store:
        assert store.report.went_back == ""


def test_rill_history_says_so_too(crashed: Path, tmp_path: Path) -> None:
    cut_log(crashed, 0.5)
    home = crashed.parent.parent
    done = subprocess.run(
        [str(Path(sys.executable).with_name("rill")), "history"],
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert "warning: The chat history holds less than Rill last saved" in done.stderr
