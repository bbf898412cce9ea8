"""``kill -9`` mid-stream: the next open shows the user turn and the partial answer
marked INTERRUPTED, the file passes ``PRAGMA integrity_check``, and Retry works.

Two writers are killed: a bare loop writing through the store API every 50 ms, and the
real ``rill ask`` CLI streaming from the fake Gemini server (``fake-hold``).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from rill.core.chat import ChatSession
from rill.core.providers.gemini import GeminiProvider
from rill.core.recorder import SessionRecorder
from rill.core.retry import RetryPolicy
from rill.core.store.db import Store
from rill.core.types import MessageStatus, Role
from tests.core.cli.test_cli import Cli, cli_env
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from rill.core.store.db import Store
    from rill.core.types import Message, MessageStatus, Part, Role

    store = Store(Path(sys.argv[1]))
    cid = store.create_conversation(title="crash test")
    store.append_message(cid, Message(Role.USER, [Part.from_text("Write forever")]))
    answer = Message(Role.MODEL, status=MessageStatus.STREAMING)
    mid = store.append_message(cid, answer)
    n = 0
    while True:
        n += 1
        answer.append_part(Part.from_text(f"word{n} "))
        store.update_message(mid, answer)
        print(n, flush=True)
        time.sleep(0.05)
    """
)


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Poll ``condition`` until true; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.02)


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_kill_9_while_the_store_api_streams(tmp_path: Path) -> None:
    path = tmp_path / "rill.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    try:
        ticks = 0
        while ticks < 8:  # eight partial writes committed
            line = proc.stdout.readline()
            assert line, "the writer died on its own"
            ticks = int(line)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert integrity(path) == "ok"
    with Store(path) as store:
        (cid,) = [c.id for c in store.list_conversations()]
        user, answer = store.path(cid)
        assert user.message.text == "Write forever"
        assert answer.message.status is MessageStatus.INTERRUPTED
        assert store.report.interrupted == (answer.id,)
        words = answer.message.text.split()
        assert len(words) >= ticks  # every acknowledged write survived
        assert words == [f"word{n}" for n in range(1, len(words) + 1)]  # in order, no tear
        assert store.integrity_check() == []


async def test_kill_9_during_rill_ask_then_retry(fake_gemini: FakeGemini, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = cli_env(home)
    cli = Cli(["ask", "--base-url", fake_gemini.base_url, "--model", "fake-hold", "Say hi"], env)
    db = home / "data" / "rill.sqlite"

    def partial_answer_on_disk() -> bool:
        # Plain sqlite3, not Store: opening a Store would mark the live answer interrupted.
        if not db.exists():
            return False
        conn = sqlite3.connect(db)
        try:
            rows = conn.execute("SELECT role, text FROM messages ORDER BY id").fetchall()
        except sqlite3.OperationalError:  # the schema is still being created
            return False
        finally:
            conn.close()
        return rows == [("user", "Say hi"), ("model", "Hello")]

    try:
        assert cli.read_until("Hello") == "Hello"
        wait_for(partial_answer_on_disk)
    finally:
        cli.proc.send_signal(signal.SIGKILL)
        cli.proc.communicate()
    assert cli.proc.returncode == -signal.SIGKILL
    assert integrity(db) == "ok"

    with Store(db) as store:
        (conversation,) = store.list_conversations()
        assert conversation.title == "Say hi" and conversation.model == "fake-hold"
        user, answer = store.path(conversation.id)
        assert (user.message.role, user.message.text) == (Role.USER, "Say hi")
        assert answer.message.status is MessageStatus.INTERRUPTED
        assert answer.message.text == "Hello"
        assert store.integrity_check() == []

        # Retry works: rebuild the session from the store and send the turn again.
        # (On the echo model: fake-hold would hold the retry open too.)
        recorder, history = SessionRecorder.resume(store, conversation.id)
        settings = store.get_conversation(conversation.id).settings
        assert settings.model == "fake-hold"
        provider = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=5.0)
        session = ChatSession(
            provider,
            replace(settings, model="gemini-2.5-flash"),
            history=history,
            retry_policy=RetryPolicy(max_attempts=1),
        )
        try:
            chunks = [c.text async for c in session.retry_stream()]
        finally:
            await provider.aclose()
        recorder.sync(session.history, force=True)
        assert "".join(chunks) == "Echo: Say hi"
        sent = fake_gemini.requests_for("streamGenerateContent")[-1].json["contents"]
        assert sent == [{"role": "user", "parts": [{"text": "Say hi"}]}]  # not the partial
        retried = store.path(conversation.id)[-1]
        assert retried.message.status is MessageStatus.COMPLETE
        assert store.siblings(retried.id) == [answer.id, retried.id]  # ‹ 2/2 ›
        assert [s.message.role for s in store.path(conversation.id)] == [Role.USER, Role.MODEL]
