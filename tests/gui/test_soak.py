"""Soak: 100,000 chunks through the real window in one process, without a crash.

Guards against the PySide6 6.12.0 reference-count bug ("Fatal Python error:
none_dealloc" after a few thousand C++ → Python callbacks under qasync). The app runs in
a child process so a hard abort becomes a test failure carrying the child's stderr
instead of killing pytest. The child streams ten answers of 10,000 tiny chunks each
from the fake Gemini server (in this process) through GeminiProvider, ChatSession,
the pane's frame timer and ChatView, with a 1 ms heartbeat timer and a paint hook
adding Python callbacks of their own; it reports its counts as one JSON line.

Run the child by hand: ``python tests/gui/test_soak.py --child http://127.0.0.1:PORT``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ANSWERS = 10
CHUNKS_PER_ANSWER = 10_000
CHILD_TIMEOUT_S = 150


def chunk_texts(answer: int) -> list[str]:
    """Tiny chunks that still make Markdown: words, bold, code, paragraph breaks."""
    texts: list[str] = []
    for i in range(CHUNKS_PER_ANSWER):
        if i % 40 == 39:
            texts.append("\n\n")
        elif i % 13 == 0:
            texts.append(f"**a{answer}** ")
        elif i % 17 == 0:
            texts.append("`c` ")
        else:
            texts.append(f"w{i % 10} ")
    return texts


@pytest.mark.slow
def test_100k_chunks_through_the_real_window(tmp_path: Path) -> None:
    from tests.fakes.gemini_scenarios import stream
    from tests.fakes.gemini_server import FakeGemini

    with FakeGemini() as server:
        server.push([stream(chunk_texts(n), label=f"soak-{n}") for n in range(ANSWERS)])
        env = dict(os.environ)
        env.update(
            QT_QPA_PLATFORM="offscreen",
            RILL_HOME=str(tmp_path / "home"),
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
            PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
            PYTHONFAULTHANDLER="1",
        )
        started = time.monotonic()
        try:
            child = subprocess.run(
                [sys.executable, __file__, "--child", server.base_url],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=CHILD_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired as expired:
            pytest.fail(f"the soak child hung for {CHILD_TIMEOUT_S} s:\n{expired.stderr!r}")
        elapsed = time.monotonic() - started
    if child.returncode != 0:
        pytest.fail(
            f"the app process died with exit code {child.returncode} after {elapsed:.1f} s\n"
            f"--- stderr ---\n{child.stderr[-8000:]}\n--- stdout ---\n{child.stdout[-2000:]}"
        )
    report = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"soak: {elapsed:.1f} s, {report}")  # shown with -s / on failure
    assert report["chunks"] == ANSWERS * CHUNKS_PER_ANSWER
    assert report["answers_ok"] == ANSWERS
    # Thousands of C++ -> Python callbacks: timer slots, signal slots, paint overrides.
    callbacks = report["heartbeats"] + report["flushes"] + 2 * report["paints"]
    # (A floor, not a rate: a window that streams faster makes fewer of them; at the
    # card surface's slices of 4.5 ms the soak took 6.3 s and made 1,917.)
    assert callbacks > 1_500, report
    assert report["flushes"] > ANSWERS and report["paints"] > ANSWERS
    assert report["last_answer_shown"]


# ------------------------------------------------------------ the child process


def child_main(base_url: str) -> int:  # noqa: PLR0915 (the whole child, in order)
    """Build the window as ``rill`` does, stream every queued answer, print the counts."""
    import asyncio

    import qasync
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from rill.core.providers.gemini import GeminiProvider
    from rill.core.settings import Settings
    from rill.core.types import Chunk, GenerateRequest, GenerationSettings, Message
    from rill.gui.common.tasks import TaskLauncher
    from rill.gui.common.theme import ThemeManager
    from rill.gui.window.main_window import MainWindow

    app = QApplication([sys.argv[0]])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    counts: dict[str, Any] = {"chunks": 0, "heartbeats": 0, "flushes": 0, "paints": 0}

    provider = GeminiProvider("test-key", base_url)
    original_stream = provider.stream

    async def counted(request: GenerateRequest) -> Any:
        chunk: Chunk
        async for chunk in original_stream(request):
            counts["chunks"] += 1
            yield chunk

    provider.stream = counted  # type: ignore[method-assign]
    launcher = TaskLauncher()
    theme = ThemeManager(app, "light")
    window = MainWindow(
        Settings(), launcher, theme, provider, GenerationSettings(model="gemini-2.5-flash")
    )
    window.resize(900, 700)
    window.show()
    view, controller = window.view, window.controller
    original_flush = view.flush_answer

    def counted_flush() -> None:
        counts["flushes"] += 1
        original_flush()

    view.flush_answer = counted_flush  # type: ignore[method-assign]
    view.surface.viewport_painted.connect(
        lambda: counts.__setitem__("paints", counts["paints"] + 1)
    )
    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.setInterval(1)
    heartbeat.timeout.connect(lambda: counts.__setitem__("heartbeats", counts["heartbeats"] + 1))

    async def run() -> None:
        finished: asyncio.Queue[Message] = asyncio.Queue()
        controller.answer_finished.connect(lambda _chat, message: finished.put_nowait(message))
        heartbeat.start()
        ok = 0
        for n in range(ANSWERS):
            controller.send(f"Soak round {n}")
            message = await asyncio.wait_for(finished.get(), 60)
            ok += message.text == "".join(chunk_texts(n))
        heartbeat.stop()
        counts["answers_ok"] = ok
        last = "".join(chunk_texts(ANSWERS - 1)).split("\n\n")[-2].replace("**", "")
        counts["last_answer_shown"] = last.replace("`", "").strip() in view.plain_text()
        await controller.shutdown()
        await launcher.shutdown()

    with loop:
        loop.run_until_complete(run())
    window.close()
    print(json.dumps(counts), flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        raise SystemExit(child_main(sys.argv[2]))
    raise SystemExit(f"usage: {sys.argv[0]} --child BASE_URL")
