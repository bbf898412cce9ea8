"""Run every fault case (core, CLI and the real window, both providers) and write RESULTS.md.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.faults.make_results

The table is what tests/faults/test_faults_*.py assert, printed for people. The Window
columns come from running test_faults_window.py itself (pytest, in a subprocess), which
records each case's outcome as it checks it; the cells are the test's own checks.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.fakes.fault_payloads import DIALECTS
from tests.faults.cases import CASES, Case, CliOutcome, CoreOutcome, run_cli, run_core
from tests.faults.window_support import MAX_STALL_MS, OUT_ENV, WindowOutcome

OUT = Path(__file__).with_name("RESULTS.md")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def run_window_tests() -> tuple[dict[tuple[str, str], WindowOutcome], str]:
    """Run test_faults_window.py; each case's recorded outcome, and pytest's summary."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "window.jsonl"
        env = {**os.environ, OUT_ENV: str(out), "QT_QPA_PLATFORM": "offscreen"}
        test = Path(__file__).with_name("test_faults_window.py")
        done = subprocess.run(
            [sys.executable, "-m", "pytest", str(test), "-q", "-p", "no:cacheprovider"],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=False,
        )
        outcomes = WindowOutcome.load_all(out) if out.exists() else []
    summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    return {(o.case, o.provider): o for o in outcomes}, summary


def _window_cells(case: Case, window: WindowOutcome | None) -> list[str]:
    if window is None:
        return ["not run"] * 5
    if case.error is None:
        card = "—"
        retry = "—"
    else:
        card = "yes" if window.card_matches_core() else "NO"
        if not window.message_reads_well():
            card += f" (but it ends {window.error[-2:]!r})"
        retry = "ok" if window.retry_ok() else "FAILED"
    if not window.shown_ok(case):
        shown = "NO"
    elif case.error is not None:
        shown = f"`{case.partial!r}`" if case.partial else "(nothing had arrived)"
    elif len(window.shown) < len(case.success_text):
        shown = f"first {len(window.shown):,} chars, says so"
    else:
        shown = "whole answer"
    if not window.stored_ok(case):
        shown += " (NOT as stored)"
    worst, cpu, wall, _when = window.worst()
    stall = f"{worst:.0f} ({cpu:.0f}; {wall:.0f})"
    if not window.settled:
        stall = f"> {stall} (still drawing)"
    elif window.max_stall_ms > MAX_STALL_MS:
        stall += " (over the bound)"
    clean = "yes" if not window.stderr_traceback and not window.error_logs else "NO"
    return [card, shown, retry, stall, clean]


def _known() -> str:
    """The window test's known failures (its xfail marks), as a list for the page."""
    from tests.faults.test_faults_window import KNOWN_FAILURES

    lines = [
        f"- {case} ({provider}): {reason} ({'strict' if strict else 'not strict'} xfail)"
        for (case, provider), (_kind, reason, strict) in KNOWN_FAILURES.items()
    ]
    if not lines:
        return "Known failures, marked xfail in the window test: none.\n\n"
    return "Known failures, marked xfail in the window test:\n\n" + "\n".join(lines) + "\n\n"


def _row(
    title: str,
    provider: str,
    core: CoreOutcome,
    cli: CliOutcome | None,
    window: list[str],
) -> str:
    if core.error is None:
        outcome = f"answer complete ({len(core.kept):,} chars)"
        if core.notices:
            outcome += f", after {len(core.notices)} retry"
        message = "—"
        kept = "—"
        retry = "—"
    else:
        outcome = type(core.error).__name__
        message = "`" + str(core.error).replace(core.host, "{host}") + "`"
        kept = f"`{core.kept!r}`" if core.kept else "(nothing had arrived)"
        retry = "ok" if core.retry_text else "FAILED"
        if core.notices:
            delays = ", ".join(f"{n.delay:g} s" for n in core.notices)
            outcome += f" after {len(core.requests)} attempts (waited {delays})"
    exit_code = "not run" if cli is None else str(cli.exit_code)
    clean = "—" if cli is None else ("yes" if "Traceback" not in cli.stderr else "NO")
    cells = [title, provider, outcome, message, kept, retry, exit_code, clean, *window]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


async def main() -> None:
    print("running test_faults_window.py…", flush=True)
    windows, summary = run_window_tests()
    print(summary, flush=True)
    rows = [
        "| Case | Provider | Core outcome | Message (one line) | Partial kept | Retry | "
        "`rill ask` exit | No traceback | Window: card = core | Window: shown and stored | "
        "Window: Retry | Window: max stall ms (CPU; wall clock) | Window: no traceback |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case in CASES:
        for dialect in DIALECTS:
            core = await run_core(case, dialect)
            cli = None
            if case.cli_exit is not None:
                with tempfile.TemporaryDirectory() as home:
                    cli = run_cli(case, dialect, Path(home))
            window = _window_cells(case, windows.get((case.name, dialect.name)))
            rows.append(_row(case.title, dialect.name, core, cli, window))
            print(rows[-1], flush=True)
    OUT.write_text(
        "# Fault injection: case → outcome\n\n"
        "Generated by `python -m tests.faults.make_results` from the cases in "
        "`tests/faults/cases.py` (the same ones `tests/faults/test_faults_*.py` assert). "
        "`{host}` is the fault server's 127.0.0.1:PORT. Retry = `ChatSession.retry_stream()` "
        "after the fault is removed. The connect timeout is not run through `rill ask`: "
        "the CLI's connect timeout is fixed at 10 s. The core runs use an idle (read) timeout of "
        "0.3 s, the CLI runs 1 s (the settings file's minimum).\n\n"
        "The Window columns are `tests/faults/test_faults_window.py` (run for this table: "
        f'{summary}): "hi" typed into the composer of a real `MainWindow` (its store on '
        "disk) with the core runs' timeouts and retry policy. *card = core*: the error "
        "card's message line is the core's message, word for word. *shown and stored*: "
        "the chat pane shows what arrived (a huge answer: its first part and a line saying "
        "how much) and the store holds it with its status. *Retry*: the card's Retry "
        "clicked once the fault is removed gives the whole answer, on screen and stored, "
        "and the request carries the question once. *max stall*: the longest the UI "
        "thread went without running its event loop (a 5 ms heartbeat timer), from Enter "
        "until the answer is on screen and again for Retry, less the time the kernel kept "
        "the thread queued for a CPU (the machine's load: 2 shared cores); in brackets the "
        "thread's own CPU time within that stall and the worst wall-clock gap. The bound "
        f"is {MAX_STALL_MS:.0f} ms; the figures vary a little from run to run. *no "
        "traceback*: nothing "
        "on stderr, nothing logged at ERROR.\n\n" + _known() + "\n".join(rows) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    asyncio.run(main())
