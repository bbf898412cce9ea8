"""A fork server for test_crash_scale: many short app lives, each killed with SIGKILL.

Usage: ``python -m tests.gui.support.crash_scale_driver`` with RILL_HOME, GEMINI_API_KEY and
GOOGLE_GEMINI_BASE_URL set. It imports Rill and Qt once, prints ``{"ev": "ready"}``,
then reads one JSON command per line on stdin:

* ``{"cmd": "run", "run": N, "phase": P, "prompt": T, "self_kill": K}``: fork a child
  that lives as the app's store side does (below) and sends ``T``; prints
  ``{"ev": "child", ...}``. ``K`` (or null) makes the child SIGKILL itself at its
  ``K["nth"]`` write of the answer while the answer's status is ``K["status"]``:
  ``K["point"]`` "before" the write, "inside" its transaction (the UPDATE done, no
  COMMIT yet) or "after" its COMMIT (before reporting it): moments a kill from
  outside cannot aim at.
* ``{"cmd": "reap", "pid": PID}``: wait for that child (the test killed it) and print
  ``{"ev": "reaped", "pid": PID, "signal": S}``.

What a child exercises is the app's whole path from Send to the disk, without
widgets: ``ChatController`` (the real one: ChatSession, WatchedHistory, the request
gate) talking to ``GeminiProvider`` over HTTP, and ``Persistence``
with ``StoreWorker`` (the 250 ms tick, the writer thread, ``jobs.sync``,
``SessionRecorder``, ``Store``), all in a qasync loop on a QCoreApplication, as
``rill.gui.app`` builds them. The chat pane is a stub (``NullView``): it is not on
the way to the disk. Forking saves the 0.5 s import per life; nothing runs a thread
before the fork.

A child reports on stdout (one JSON object a line, written whole with ``os.write``):
``opened`` (the OpenReport: outcome, the ids it marked interrupted), ``recorded``
(the user turn is in the history), ``gated`` (the request gate let the request go:
the user turn's write is done), ``streaming`` (the first chunk arrived), ``wrote``
(a write of a message COMMITTED; its row as read back in the same thread right
after: id, conversation, role, status, length of its text) and ``finished`` (the
answer settled; its final write is queued). In the phase ``before_request`` the
gate holds the request forever once the user turn is stored. A child never exits by
itself: the test kills it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import QCoreApplication, QTimer

from rill.core.providers.gemini import GeminiProvider
from rill.core.store import tree as store_tree
from rill.core.store.db import Store, default_path
from rill.core.types import GenerationSettings, Message, Role
from rill.gui.chat.controller import ChatController
from rill.gui.chat.state import Chat
from rill.gui.common.tasks import TaskLauncher
from rill.gui.conversations.persistence import Persistence
from rill.gui.conversations.store_worker import StoreWorker
from rill.gui.transcript.message_html import TurnInfo

MODEL = "gemini-2.5-flash"


def emit(**fields: Any) -> None:
    """One line to the test, whole (a single write of less than PIPE_BUF bytes)."""
    os.write(1, (json.dumps(fields) + "\n").encode())


class NullView:
    """The chat pane's interface, doing nothing: the disk path does not go through it."""

    def set_messages(self, messages: Sequence[Message]) -> None: ...
    def add_user_message(self, message: Message) -> None: ...
    def begin_answer(self, message: Message) -> None: ...
    def finish_answer(self, message: Message) -> None: ...
    def show_retry_notice(self, text: str, seconds: float) -> None: ...
    def set_turn_info(self, info: Callable[[Message], TurnInfo]) -> None: ...
    def refresh_turn(self, message: Message) -> None: ...


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm_self_kill(kill: dict[str, Any]) -> None:
    """SIGKILL this process at the chosen moment of the chosen answer write."""
    armed = {"count": 0, "now": False}
    original_update = Store.update_message
    original_touch = store_tree.touch

    def update(self: Store, message_id: int, message: Message) -> None:
        if message.role is Role.MODEL and message.status.value == kill["status"]:
            armed["count"] += 1
            if armed["count"] == kill["nth"]:
                if kill["point"] == "before":
                    die()
                armed["now"] = kill["point"] == "inside"
                original_update(self, message_id, message)
                die()  # "after": committed, not reported
        original_update(self, message_id, message)

    def touch(conn: Any, conversation_id: int) -> None:
        original_touch(conn, conversation_id)
        if armed["now"]:
            assert conn.in_transaction
            die()  # the row is rewritten, the COMMIT never comes

    Store.update_message = update  # type: ignore[method-assign]
    store_tree.touch = touch


def observe_commits(run: int) -> None:
    """Report every message write once it is committed, with the row as stored."""
    for name in ("add_message", "update_message"):
        original = getattr(Store, name)

        def observed(self: Store, *args: Any, _original: Any = original, _name: str = name) -> Any:
            result = _original(self, *args)
            message_id = result if _name == "add_message" else args[0]
            conn = self._conn()
            if not conn.in_transaction:  # inside a batch it is not on disk yet
                row = conn.execute(
                    "SELECT conversation_id, role, status, length(coalesce(text, '')) "
                    "FROM messages WHERE id = ?",
                    (message_id,),
                ).fetchone()
                emit(
                    run=run,
                    ev="wrote",
                    id=message_id,
                    conv=row[0],
                    role=row[1],
                    status=row[2],
                    len=row[3],
                )
            return result

        setattr(Store, name, observed)


async def live(run: int, phase: str, prompt: str) -> None:
    view = NullView()
    launcher = TaskLauncher()
    provider = GeminiProvider(os.environ["GEMINI_API_KEY"], os.environ["GOOGLE_GEMINI_BASE_URL"])
    controller = ChatController(view, launcher, GenerationSettings(model=MODEL), provider)  # type: ignore[arg-type]
    persistence = Persistence(controller, view, StoreWorker(default_path()))  # type: ignore[arg-type]
    report = await persistence.start()
    assert report is not None
    emit(run=run, ev="opened", outcome=report.outcome.value, interrupted=list(report.interrupted))

    gate = controller.request_gate
    assert gate is not None

    async def gated(chat: Chat) -> None:
        await gate(chat)
        emit(run=run, ev="gated")
        if phase == "before_request":
            await asyncio.Event().wait()  # the request never leaves

    controller.request_gate = gated
    controller.turn_recorded.connect(lambda _chat_id: emit(run=run, ev="recorded"))
    controller.status_changed.connect(
        lambda text: emit(run=run, ev="streaming") if text.startswith("Streaming") else None
    )
    controller.answer_finished.connect(
        lambda _chat_id, message: emit(run=run, ev="finished", status=message.status.value)
    )
    assert controller.send(prompt)
    await asyncio.Event().wait()  # live until killed


def child(run: int, phase: str, prompt: str, kill: dict[str, Any] | None, parent: int) -> None:
    os.close(0)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    if kill is not None:
        arm_self_kill(kill)  # under the reporting: a write it kills is never reported
    observe_commits(run)
    app = QCoreApplication([sys.argv[0]])
    orphan = QTimer()  # the fork server died (the test crashed): so does this life
    orphan.timeout.connect(lambda: os._exit(3) if os.getppid() != parent else None)
    orphan.start(200)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            loop.run_until_complete(live(run, phase, prompt))
    except BaseException as error:  # a life that ends by itself is a failure to report
        emit(run=run, ev="error", error=repr(error))
    os._exit(2)


def serve() -> None:
    assert Path(os.environ["RILL_HOME"]).is_absolute()
    emit(ev="ready")
    children: set[int] = set()
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "run":
            sys.stdout.flush()
            pid = os.fork()
            if pid == 0:
                run, phase, prompt = command["run"], command["phase"], command["prompt"]
                child(run, phase, prompt, command.get("self_kill"), os.getppid())
            children.add(pid)
            emit(ev="child", run=command["run"], pid=pid)
        elif command["cmd"] == "reap":
            pid = command["pid"]
            _, status = os.waitpid(pid, 0)
            children.discard(pid)
            emit(ev="reaped", pid=pid, signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0)
    for pid in children:  # stdin closed: the test is over
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


if __name__ == "__main__":
    serve()
