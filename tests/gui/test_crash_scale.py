"""Crash recovery at scale (issue 8.3): 50 answers killed with SIGKILL at random moments.

Every life of the app is a child of ``crash_scale_driver`` (a fork server): the real
controller, persistence, store worker and store, streaming from the fake Gemini
server, killed at a random point of one of four phases:

* ``before_request``: the user turn is stored (the request gate passed), the request
  has not left;
* ``before_first_chunk``: the server has the request, no byte of the answer came;
* ``mid_stream``: after 0, 1 or 2 confirmed partial writes of the answer, plus a
  random 0-300 ms;
* ``final_write``: the answer finished and its final write was queued, plus 0-4 ms.

All lives share one profile, so the damage (if any) accumulates. After every kill the
store file is read directly: ``PRAGMA integrity_check`` is ok, every user turn sent
so far is there, and every answer holds a prefix of what the server streamed, at
least as long as the last write the dead app CONFIRMED (a "wrote" report: the commit
returned and the row was read back), and marked: still pending/streaming right after
the kill, then INTERRUPTED by the next life's open (whose report must name exactly
those answers), or COMPLETE when its final write was confirmed. Earlier lives' rows
never change again. The last kill is followed by a real app start on the profile.

The seed is random per run and printed in any failure; ``RILL_CRASH_SEED=<n>``
replays one.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from rill.core.types import MessageStatus
from tests.fakes.gemini_scenarios import Scenario, stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.history_support import MakeWindow, db_path, texts

ROOT = Path(__file__).resolve().parents[2]
KILLS = 50
PHASES = (
    ["before_request"] * 10
    + ["before_first_chunk"] * 10
    + ["mid_stream"] * 20
    + ["final_write"] * 10
)
UNSETTLED = ("pending", "streaming")
Event = dict[str, Any]


@dataclass
class Life:
    """One app life and what it reported before it was killed."""

    number: int
    phase: str
    prompt: str
    answer: str  # everything the server would stream for it
    events: list[Event] = field(default_factory=list)
    pid: int = 0
    depth: int = 0  # mid_stream: confirmed partial writes with text before the kill
    self_kill: dict[str, Any] | None = None  # the child kills itself in an answer write
    row: tuple[str, str] | None = None  # the answer's (status, text) at the last check
    died: str = ""  # where it really was: its request out? a chunk in? finished?

    def wrote(self, role: str) -> list[Event]:
        return [e for e in self.events if e["ev"] == "wrote" and e["role"] == role]

    @property
    def conversation(self) -> int:
        users = self.wrote("user")
        assert users, f"life {self.number} never confirmed its user turn"
        return int(users[0]["conv"])

    @property
    def confirmed(self) -> tuple[str, int]:
        """The answer's status and text length at its last confirmed write."""
        answers = self.wrote("model")
        return (answers[-1]["status"], answers[-1]["len"]) if answers else ("", 0)

    def has(self, name: str) -> bool:
        return any(e["ev"] == name for e in self.events)


class Driver:
    """The fork server's pipes: commands in, JSON events out (sorted by life)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.gui.support.crash_scale_driver"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
        )
        self.buffer = b""
        self.lives: dict[int, Life] = {}
        self.server: list[Event] = []
        self.wait(lambda: any(e["ev"] == "ready" for e in self.server), 30)

    def send(self, **command: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        self.proc.stdin.flush()

    def wait(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Read events until ``condition()`` holds."""
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        while not condition():
            left = deadline - time.monotonic()
            assert left > 0, f"timed out; last events: {self.recent()}"
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                continue
            data = os.read(self.proc.stdout.fileno(), 65536)
            assert data, f"the driver exited ({self.proc.poll()}): {self.stderr()}"
            self.buffer += data
            *lines, self.buffer = self.buffer.split(b"\n")
            for line in lines:
                event = json.loads(line)
                if event["ev"] == "error":
                    raise AssertionError(f"life {event['run']} failed: {event['error']}")
                life = self.lives.get(event.get("run", -1)) if event["ev"] != "child" else None
                (life.events if life is not None else self.server).append(event)

    def stderr(self) -> str:
        self.errors.seek(0)
        return self.errors.read()[-2000:].decode(errors="replace")

    def recent(self) -> list[Event]:
        return [e for life in list(self.lives.values())[-1:] for e in life.events[-5:]]

    def start(self, life: Life) -> None:
        self.lives[life.number] = life
        self.send(
            cmd="run",
            run=life.number,
            phase=life.phase,
            prompt=life.prompt,
            self_kill=life.self_kill,
        )
        self.wait(lambda: any(e.get("run") == life.number for e in self.server))
        life.pid = next(e["pid"] for e in self.server if e.get("run") == life.number)

    def kill(self, life: Life) -> None:
        """SIGKILL the life (unless it kills itself) and wait until it is gone."""
        if life.self_kill is None:
            os.kill(life.pid, signal.SIGKILL)
        self.send(cmd="reap", pid=life.pid)
        self.wait(lambda: self.reaped(life.pid) is not None)
        reaped = self.reaped(life.pid)
        assert reaped is not None
        assert reaped["signal"] == signal.SIGKILL, reaped
        self.drain()  # the pipe may still hold the dead life's last lines

    def reaped(self, pid: int) -> Event | None:
        return next((e for e in self.server if e["ev"] == "reaped" and e["pid"] == pid), None)

    def drain(self) -> None:
        """Read whatever is already in the pipe (a dead life writes nothing more)."""
        assert self.proc.stdout is not None
        while select.select([self.proc.stdout], [], [], 0)[0]:
            self.buffer += os.read(self.proc.stdout.fileno(), 65536)
            *lines, self.buffer = self.buffer.split(b"\n")
            for line in lines:
                event = json.loads(line)
                life = self.lives.get(event.get("run", -1)) if event["ev"] != "child" else None
                (life.events if life is not None else self.server).append(event)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.errors.close()


def scenario(life: Life) -> Scenario:
    """What the server streams for ``life`` (its full text is ``life.answer``)."""
    n = life.number
    if life.phase == "mid_stream":
        chunks = [f"r{n}w{i} " for i in range(60)]
        life.answer = "".join(chunks)
        return stream(chunks, delay=0.05)
    chunks = [f"r{n} done {i}. " for i in range(3)]
    life.answer = "".join(chunks)
    if life.phase == "before_first_chunk":
        return stream(chunks, first_delay=30.0)  # killed long before
    return stream(chunks)


def sent_prompts(server: FakeGemini) -> list[str]:
    return [
        r.json["contents"][-1]["parts"][0]["text"]
        for r in server.requests_for("streamGenerateContent")
    ]


def wait_for_prompt(server: FakeGemini, prompt: str, timeout: float = 10.0) -> None:
    """Wait until the server has received the request carrying ``prompt``."""
    deadline = time.monotonic() + timeout
    while prompt not in sent_prompts(server):
        left = deadline - time.monotonic()
        assert left > 0, f"the request for {prompt!r} never reached the server"
        with contextlib.suppress(TimeoutError):
            server.wait_for_requests(len(server.requests) + 1, timeout=min(left, 0.5))


def choose_self_kill(life: Life, rng: random.Random) -> None:
    """Half the mid-stream kills and three quarters of the final-write ones happen in
    the child itself, at a write: just before it, inside its transaction, or just
    after its COMMIT (the 1st or 2nd partial write; the final write)."""
    if life.phase == "mid_stream" and rng.random() < 0.5:
        point = rng.choice(["before", "inside", "after"])
        life.self_kill = {"status": "streaming", "nth": rng.randint(1, 2), "point": point}
    elif life.phase == "final_write":
        point = rng.choice(["outside", "before", "inside", "after"])
        if point != "outside":
            life.self_kill = {"status": "complete", "nth": 1, "point": point}


def kill_at_random_point(
    driver: Driver, life: Life, server: FakeGemini, rng: random.Random
) -> None:
    if life.self_kill is not None:
        pass  # it dies at its write
    elif life.phase == "before_request":
        driver.wait(lambda: life.has("gated"))
        time.sleep(rng.uniform(0, 0.03))  # the kill moment, not a wait for anything
    elif life.phase == "before_first_chunk":
        driver.wait(lambda: life.has("gated"))
        wait_for_prompt(server, life.prompt)
        time.sleep(rng.uniform(0, 0.1))
    elif life.phase == "mid_stream":
        life.depth = rng.randint(0, 2)
        driver.wait(lambda: life.has("streaming"))
        driver.wait(lambda: sum(1 for e in life.wrote("model") if e["len"]) >= life.depth)
        time.sleep(rng.uniform(0, 0.3))
    else:
        driver.wait(lambda: life.has("finished"))
        time.sleep(rng.choice([0.0, 0.0, rng.uniform(0, 0.004)]))
    driver.kill(life)


def check_store(home: Path, lives: list[Life], server: FakeGemini) -> None:
    """The store file as the dead app left it (read directly, nothing marked yet)."""
    conn = sqlite3.connect(db_path(home))
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        for life in lives:
            rows = conn.execute(
                "SELECT role, status, coalesce(text, '') FROM messages "
                "WHERE conversation_id = ? ORDER BY id",
                (life.conversation,),
            ).fetchall()
            assert [r[0] for r in rows] == ["user", "model"], (life.number, rows)
            assert rows[0][1:] == ("complete", life.prompt), life.number  # the user turn
            status, text = rows[1][1], rows[1][2]
            confirmed_status, confirmed_len = life.confirmed
            assert life.answer.startswith(text), (life.number, text)
            assert len(text) >= confirmed_len, (life.number, len(text), confirmed_len)
            if confirmed_status == "complete":
                assert (status, text) == ("complete", life.answer), life.number
            if life is lives[-1]:  # just killed: as the dead app left it
                assert status in (*UNSETTLED, "complete"), status
            else:  # the next life's open marked it, and nothing changed since
                previous = life.row
                assert previous is not None
                was = "interrupted" if previous[0] in UNSETTLED else previous[0]
                assert (status, text) == (was, previous[1]), (life.number, previous, status)
            life.row = (status, text)
    finally:
        conn.close()
    last = lives[-1]
    _, text = last.row or ("", "")
    in_final_write = last.self_kill is not None and last.self_kill["status"] == "complete"
    if last.has("finished") or in_final_write:  # (a kill in the write beats the report)
        last.died = "finished (final write)"
    elif last.has("streaming"):
        last.died = "mid-stream"
    elif last.prompt in sent_prompts(server):
        last.died = "request out, no chunk"
    else:
        last.died = "request not out"
    if last.phase == "before_request":
        assert last.prompt not in sent_prompts(server)
        assert last.row == ("pending", "")
    elif last.phase == "before_first_chunk":
        assert last.row is not None and last.row[1] == ""
    elif last.phase == "mid_stream" and last.depth > 0:
        assert text, "a confirmed partial write was lost"
    kill = last.self_kill
    if kill is not None:
        assert last.row is not None
        if kill["point"] == "after":  # committed, never reported: on disk all the same
            assert last.row[0] == kill["status"]
        else:  # never committed: exactly what the last confirmed write left
            assert (last.row[0], len(last.row[1])) == last.confirmed, (last.row, last.confirmed)


def check_open_report(lives: list[Life]) -> None:
    """A life's open marked exactly the answers the life before it left unsettled."""
    life = lives[-1]
    opened = next(e for e in life.events if e["ev"] == "opened")
    assert opened["outcome"] == ("created" if len(lives) == 1 else "opened"), opened
    if len(lives) > 1:
        before = lives[-2]
        assert before.row is not None
        unsettled = before.row[0] in UNSETTLED
        assert bool(opened["interrupted"]) == unsettled, (opened, before.row)
        if unsettled:
            assert opened["interrupted"] == [before.wrote("model")[0]["id"]]


def test_50_kills_at_random_moments_leave_a_sound_store_with_every_turn(  # noqa: PLR0915
    qtbot: QtBot, history_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    seed = int(os.environ.get("RILL_CRASH_SEED") or random.randrange(2**32))
    rng = random.Random(seed)
    phases = list(PHASES)
    rng.shuffle(phases)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "RILL_HOME": str(hermetic_profile),
        "GEMINI_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": fake_gemini.base_url,
    }
    started = time.monotonic()
    driver = Driver(env)
    lives: list[Life] = []
    try:
        for number, phase in enumerate(phases[:KILLS]):
            life = Life(number, phase, f"Question {number} ({phase})", "")
            lives.append(life)
            try:
                answer = scenario(life)
                choose_self_kill(life, rng)
                if fake_gemini.pending_scenarios:
                    # The last life died before its request left (a kill at its first
                    # write can come first): its answer must not answer this one.
                    assert lives[-2].prompt not in sent_prompts(fake_gemini)
                    fake_gemini.clear()
                if phase != "before_request":
                    fake_gemini.push(answer)
                driver.start(life)
                kill_at_random_point(driver, life, fake_gemini, rng)
                check_open_report(lives)
                check_store(hermetic_profile, lives, fake_gemini)
            except AssertionError as error:
                raise AssertionError(
                    f"[RILL_CRASH_SEED={seed}] kill {number} ({phase}): {error}"
                ) from error
    finally:
        driver.close()
    killed = time.monotonic() - started

    # The next start of the real app: it opens the store and shows the last answer.
    window = history_window()
    report = window.history.persistence.worker.report
    last = lives[-1]
    assert report is not None and report.outcome.value == "opened"
    assert last.row is not None
    assert bool(report.interrupted) == (last.row[0] in UNSETTLED), f"seed {seed}"
    sidebar = window.conversations
    qtbot.waitUntil(lambda: sidebar.model.rowCount() == KILLS, timeout=5000)
    window.history.loader.show(last.conversation)
    qtbot.waitUntil(lambda: texts(window) == [last.prompt, last.row[1]], timeout=5000)
    shown = window.view.messages[1].status
    expected = MessageStatus.COMPLETE if last.row[0] == "complete" else MessageStatus.INTERRUPTED
    assert shown is expected, f"seed {seed}"
    # And a partial answer from further back, as the user finds it: marked, with Retry.
    partial = next(lf for lf in lives if lf.row and lf.row[0] == "interrupted" and lf.row[1])
    assert partial.row is not None
    window.history.loader.show(partial.conversation)
    qtbot.waitUntil(lambda: texts(window) == [partial.prompt, partial.row[1]], timeout=5000)
    assert window.view.messages[1].status is MessageStatus.INTERRUPTED
    assert "Interrupted" in window.view.message_text(1), f"seed {seed}"

    outcomes = Counter(
        (
            life.phase,
            life.self_kill["point"] if life.self_kill else "outside",
            "complete" if life.row and life.row[0] == "complete" else "interrupted",
        )
        for life in lives
    )
    depths = Counter(
        sum(1 for e in life.wrote("model") if e["len"])
        for life in lives
        if life.phase == "mid_stream"
    )
    died = Counter(life.died for life in lives)
    print(
        f"\ncrash scale: seed {seed}, {len(lives)} kills in {killed:.1f} s; "
        f"where they died {dict(sorted(died.items()))}; "
        f"by phase and outcome {dict(sorted(outcomes.items()))}; "
        f"mid-stream kills by confirmed partial writes with text {dict(sorted(depths.items()))}; "
        f"longest partial kept {max(len((lf.row or ('', ''))[1]) for lf in lives)} chars"
    )
