"""Input limits: huge pastes, prompts and answers against the UI thread's heartbeat.

The real window (as ``rill`` builds it, over a store in a temporary RILL_HOME) talks to
the fake Gemini server in a child process. Each case runs several times in a fresh
chat; for each run the figure is the longest gap between ticks of a 1 ms heartbeat
timer on the UI thread, from the action until the window is quiet again (answer
settled, chat pane written, 200 ms more for paints). The report gives the median and
the worst run per case, next to baselines measured in the same run (a 1 KB paste, a
1 KB prompt and answer), so machine noise shows as a raised baseline.

Cases: paste 1 MB with spaces, paste 1 MB without spaces, send a 1 MB prompt, a 10 MB
answer in one event, a 1 MB single-line answer (no spaces), a 50 MB paste (refused).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_input_limits.py``
(``--runs N``, ``--only NAME``; ``--help``). Exits 1 when a median misses the target.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.fakes is not installed

import qasync  # noqa: E402
from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from rill.core.settings import load_settings  # noqa: E402
from rill.gui.app import connect_provider, create_window, present  # noqa: E402
from rill.gui.common.tasks import TaskLauncher, asyncgen_hooks  # noqa: E402
from rill.gui.common.theme import ThemeManager  # noqa: E402
from rill.gui.window.main_window import MainWindow  # noqa: E402
from tests.fakes.gemini_process import FakeGeminiProcess  # noqa: E402
from tests.fakes.gemini_scenarios import stream  # noqa: E402
from tests.heartbeat import Heartbeat  # noqa: E402

TARGET_MS = 100.0
QUIET_S = 0.2
MB = 1_048_576


class Watchdog(threading.Thread):
    """``BENCH_DEBUG=1``: samples the UI thread's Python stack whenever the heartbeat
    is more than 20 ms late, and counts where the samples fell (where to look first)."""

    def __init__(self, heartbeat: Heartbeat) -> None:
        super().__init__(name="bench-watchdog", daemon=True)
        self.heartbeat = heartbeat
        self.main = threading.main_thread().ident
        self.samples: collections.Counter[str] = collections.Counter()

    def run(self) -> None:
        while True:
            time.sleep(0.005)
            ticks = self.heartbeat.ticks
            if self.heartbeat.running and ticks and time.perf_counter() - ticks[-1] > 0.02:
                frame = sys._current_frames().get(self.main or 0)
                if frame is not None:
                    stack = traceback.extract_stack(frame)[-6:]
                    self.samples[
                        " < ".join(
                            f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(stack)
                        )
                    ] += 1

    def report(self) -> None:
        print("UI-thread stacks while the heartbeat was late (5 ms samples):")
        for stack, count in self.samples.most_common(12):
            print(f"  {count:4d}  {stack}")


def spaced(chars: int) -> str:
    """Prose-like text: words and spaces, no line break."""
    words = "the quick brown fox jumps over a lazy dog while rill keeps every word "
    return (words * (chars // len(words) + 1))[:chars]


def unbroken(chars: int) -> str:
    """One run with no break opportunity at all (base64-like)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return (alphabet * (chars // len(alphabet) + 1))[:chars]


def lines(chars: int) -> str:
    return ("y" * 79 + "\n") * (chars // 80)


async def wait_for(condition: Callable[[], bool], limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step timed out")
        await asyncio.sleep(0.005)


@dataclass
class Bench:
    window: MainWindow
    server: FakeGeminiProcess
    heartbeat: Heartbeat
    finished: int = 0

    def __post_init__(self) -> None:
        self.window.controller.answer_finished.connect(self._on_answer_finished)

    def _on_answer_finished(self, *_args: object) -> None:
        self.finished += 1

    def quiet(self) -> bool:
        chat = self.window.controller.current_chat
        return chat.answer is None and not self.window.view.busy

    async def measure(self, act: Callable[[], None], done: Callable[[], bool]) -> float:
        """The longest UI-thread gap from ``act`` until ``done`` and a quiet moment."""
        await asyncio.sleep(0.05)
        self.heartbeat.start()
        await asyncio.sleep(0.02)
        QTimer.singleShot(0, act)
        await asyncio.sleep(0.01)
        await wait_for(done)
        await asyncio.sleep(QUIET_S)
        self.heartbeat.tick()  # the gap up to now counts too
        return max(self.heartbeat.stop())

    async def fresh_chat(self) -> None:
        await wait_for(self.quiet)
        self.window.composer.clear_sent()
        self.window.new_chat()
        await asyncio.sleep(0.05)

    async def paste(self, text: str) -> float:
        QGuiApplication.clipboard().setText(text)
        await asyncio.sleep(0.05)
        edit = self.window.composer.edit
        edit.setFocus()
        gap = await self.measure(edit.paste, lambda: True)
        return gap

    async def send(self, prompt: str, answer: list[str]) -> float:
        self.server.push(stream(answer))
        composer = self.window.composer
        composer.set_text(prompt)
        await asyncio.sleep(0.05)
        finished = self.finished

        def done() -> bool:
            return self.quiet() and self.finished > finished

        return await self.measure(composer.send_button.click, done)


Case = Callable[[Bench], Awaitable[float]]


def cases() -> dict[str, Case]:
    big_spaced, big_unbroken = spaced(MB), unbroken(MB)
    huge_paste = lines(50 * MB)
    return {
        "baseline: paste 1 KB": lambda b: b.paste(spaced(1024)),
        "paste 1 MB with spaces": lambda b: b.paste(big_spaced),
        "paste 1 MB without spaces": lambda b: b.paste(big_unbroken),
        "paste 50 MB (refused)": lambda b: b.paste(huge_paste),
        "baseline: send 1 KB, 1 KB answer": lambda b: b.send(spaced(1024), [spaced(1024)]),
        "send a 1 MB prompt": lambda b: b.send(big_spaced, ["ok"]),
        "send a 1 MB prompt without spaces": lambda b: b.send(big_unbroken, ["ok"]),
        "10 MB answer in one event": lambda b: b.send("q", [spaced(10 * MB)]),
        "1 MB single-line answer (no spaces)": lambda b: b.send(
            "q", [big_unbroken[i : i + 4096] for i in range(0, MB, 4096)]
        ),
    }


async def run(args: argparse.Namespace, server: FakeGeminiProcess, app: QApplication) -> int:
    loaded = load_settings()
    theme = ThemeManager(app, "light")
    theme.apply()
    window = create_window(loaded, TaskLauncher(), theme)
    window.resize(1100, 760)
    present(window)
    await connect_provider(window)
    await window.history.start()
    await wait_for(lambda: window.composer.isVisible(), 10)
    bench = Bench(window, server, Heartbeat())
    watchdog = Watchdog(bench.heartbeat)
    if os.environ.get("BENCH_DEBUG"):
        watchdog.start()
    results: dict[str, list[float]] = {}
    try:
        await bench.send("warm up", ["Warm **up**."])  # the HTTP stack, Markdown, the store
        for name, case in cases().items():
            if args.only and args.only not in name:
                continue
            for _ in range(args.runs):
                await bench.fresh_chat()
                results.setdefault(name, []).append(await case(bench))
                print(f"  {name}: {results[name][-1]:.1f} ms", file=sys.stderr, flush=True)
        await bench.fresh_chat()
    finally:
        await window.controller.shutdown()
        window.close()
    if watchdog.is_alive():
        watchdog.report()
    return report(args, results)


def report(args: argparse.Namespace, results: dict[str, list[float]]) -> int:
    print(f"$ {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(
        f"{platform.platform()} · Python {platform.python_version()} · "
        f"QPA {os.environ.get('QT_QPA_PLATFORM', 'default')} · load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"longest UI-thread gap per run (1 ms heartbeat); {args.runs} runs; "
        f"target ≤ {TARGET_MS:.0f} ms"
    )
    print(f"{'case':<40} {'median':>9} {'worst':>9}  verdict")
    missed = False
    for name, gaps in results.items():
        median = statistics.median(gaps)
        ok = median <= TARGET_MS or name.startswith("baseline")
        missed |= not ok
        verdict = "ok" if ok else "MISSED"
        print(f"{name:<40} {median:7.1f}ms {max(gaps):7.1f}ms  {verdict}")
    return 1 if missed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per case (default 5)")
    parser.add_argument("--only", default="", help="only cases whose name contains this")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="rill-bench-limits-") as folder,
        FakeGeminiProcess() as server,
    ):
        os.environ["RILL_HOME"] = str(Path(folder) / "home")
        os.environ["GEMINI_API_KEY"] = "test-key"
        os.environ["GOOGLE_GEMINI_BASE_URL"] = server.base_url
        os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
        app = QApplication(sys.argv[:1])
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop, asyncgen_hooks(loop):
            return int(loop.run_until_complete(run(args, server, app)))


if __name__ == "__main__":
    raise SystemExit(main())
