"""Every lexer Pygments ships over adversarial shapes, in child processes with a timeout.

    .venv/bin/python -m tests.lexers.sweep                      # quick: what make test runs
    .venv/bin/python -m tests.lexers.sweep --profile long       # every shape, three sizes
    .venv/bin/python -m tests.lexers.sweep --profile long --write   # ... into RESULTS.md

Three modes time one call each, in the child's main thread, in its CPU time:
``raw`` is Pygments' ``get_tokens`` as Rill called it before (the "before" figures);
``rill`` is ``rill.core.markdown.highlight.highlight`` with its CPU timer (Linux, macOS);
``portable`` is the same without the timer, as on Windows or off the main thread
(``highlight_budget``'s lexer list, line cap and checks between tokens).
A call still running after the timeout is killed with its child; a new child carries on.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from rill.core.markdown.highlight import PIECE_MAX_CHARS
from rill.core.markdown.highlight_budget import PORTABLE_LINE_CAP

REPO_ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).with_name("RESULTS.md")
PORTABLE_GAP_MS = 15.0  # more inside one token than this puts a lexer on the portable list
MODES = ("raw", "rill", "portable")

# One character repeated: the runs that made lexers backtrack in the first sweeps.
RUN_CHARS = "a0 \t()[]{}<>\"'`/\\*#-=.:;,|$@%!?&^~+_"


def shapes(n: int) -> dict[str, str]:
    """The adversarial inputs of about ``n`` characters, by name (deterministic)."""
    out = {f"run {c!r}": c * n for c in RUN_CHARS}
    out["spaces between words"] = "x" + " " * n + "x"
    for o, c in ("()", "[]", "{}", "<>"):
        out[f"deep {o}{c}"] = o * (n // 2) + c * (n // 2)
    for q in "\"'`":
        out[f"unterminated {q}"] = q + "a b " * (n // 4)
        out[f"escaped {q}"] = q + "\\" + q * (n // 2)
    out["words"] = "a " * (n // 2)
    lines = max(1, n // 40)
    out["lines of spaces"] = ("x" + " " * 38 + "\n") * lines
    out["unterminated over lines"] = '"' + "a b c d e f g h i j k l m n o p q r s t\n" * lines
    out["deep () over lines"] = "(\n" * (n // 4) + ")\n" * (n // 4)
    out["deep {} over lines"] = "{\n" * (n // 4) + "}\n" * (n // 4)
    out["open comment over lines"] = "/*" + "a\n" * (n // 2)
    return out


# The quick profile: shapes that between them catch each lexer the long run found taking
# seconds (tests/lexers/RESULTS.md), at one size.
QUICK_SHAPES = (
    "spaces between words",
    "run 'a'",
    "run '\\t'",
    "run '!'",
    'unterminated "',
    "unterminated over lines",
    "open comment over lines",
)


@dataclass(frozen=True, slots=True)
class Profile:
    sizes: tuple[int, ...]
    shapes: tuple[str, ...] | None  # None: all of them
    timeout_s: float  # wall clock per call, in the child


PROFILES = {
    "quick": Profile((1000,), QUICK_SHAPES, 20.0),
    "long": Profile((400, 1000, 4000), None, 20.0),
}


@dataclass(frozen=True, slots=True)
class Result:
    """One call: ``ms`` is its CPU time (None: killed at the timeout)."""

    mode: str
    lexer: str
    shape: str
    size: int
    ms: float | None
    highlighted: bool = False
    error: str = ""
    gap_ms: float | None = None  # raw: the longest time between two tokens
    limit_s: float | None = None  # the timeout that killed it (ms is None)


def lexer_aliases() -> list[str]:
    """The first alias of every lexer that has one (how Rill looks lexers up)."""
    from pygments.lexers import get_all_lexers

    return sorted({aliases[0] for _, aliases, _, _ in get_all_lexers() if aliases})


# ------------------------------------------------------------------ the child


def _worker(mode: str) -> None:
    """Read ``alias<TAB>shape<TAB>size`` lines; answer each with one JSON line."""
    from pygments.lexers import get_lexer_by_name

    from rill.core.markdown import highlight, highlight_budget

    if mode == "portable":
        highlight_budget._timer_available = lambda: False  # type: ignore[attr-defined]
    for line in sys.stdin:
        alias, shape, size = line.rstrip("\n").split("\t")
        text = shapes(int(size))[shape]
        out: dict[str, object] = {}
        try:
            if mode == "raw":
                lexer = get_lexer_by_name(alias, stripnl=False, ensurenl=False, tabsize=0)
                started = last = time.thread_time()
                gap = 0.0
                for _ in lexer.get_tokens(text):
                    now = time.thread_time()
                    gap, last = max(gap, now - last), now
                out["gap_ms"] = max(gap, time.thread_time() - last) * 1000
                out["highlighted"] = True
            else:
                highlight._lexer(alias)  # loading the lexer is not what is measured
                highlight_budget.forget()
                started = time.thread_time()
                out["highlighted"] = "<span" in highlight.highlight(text, alias, "default")
        except Exception as error:  # a lexer's own failure is a finding, not a crash
            out["error"] = f"{type(error).__name__}: {error}"[:120]
        out["ms"] = (time.thread_time() - started) * 1000
        print(json.dumps(out), flush=True)


# ------------------------------------------------------------------ the pool


class _Child:
    def __init__(self, mode: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.lexers.sweep", "--worker", mode],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        self.task: tuple[str, str, int] | None = None
        self.started = 0.0

    def send(self, task: tuple[str, str, int]) -> None:
        assert self.proc.stdin is not None
        self.task, self.started = task, time.monotonic()
        self.proc.stdin.write("\t".join(map(str, task)) + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


def run(
    mode: str,
    tasks: Iterable[tuple[str, str, int]],
    *,
    timeout_s: float,
    jobs: int = 2,
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Time every (lexer, shape, size) task in ``mode`` with ``jobs`` children."""
    todo = list(tasks)[::-1]
    results: list[Result] = []
    selector = selectors.DefaultSelector()
    children: list[_Child] = []

    def start() -> None:
        child = _Child(mode)
        assert child.proc.stdout is not None
        selector.register(child.proc.stdout, selectors.EVENT_READ, child)
        children.append(child)
        if todo:
            child.send(todo.pop())

    def done(child: _Child, result: Result) -> None:
        results.append(result)
        if progress is not None:
            progress(result)
        child.task = None
        if todo:
            child.send(todo.pop())

    try:
        for _ in range(min(jobs, len(todo))):
            start()
        while any(child.task is not None for child in children):
            for key, _ in selector.select(timeout=0.2):
                child = key.data
                line = child.proc.stdout.readline()
                if not line or child.task is None:
                    raise RuntimeError(f"a sweep child died on {child.task}")
                answer = json.loads(line)
                lexer, shape, size = child.task
                shown, error = answer.get("highlighted", False), answer.get("error", "")
                gap = answer.get("gap_ms")
                done(child, Result(mode, lexer, shape, size, answer["ms"], shown, error, gap))
            now = time.monotonic()
            for child in [c for c in children if c.task and now - c.started > timeout_s]:
                lexer, shape, size = child.task  # type: ignore[misc]
                selector.unregister(child.proc.stdout)  # type: ignore[arg-type]
                child.close()
                children.remove(child)
                results.append(
                    Result(mode, lexer, shape, size, None, error="timeout", limit_s=timeout_s)
                )
                if progress is not None:
                    progress(results[-1])
                start()
    finally:
        for child in children:
            child.close()
        selector.close()
    return results


def tasks_for(profile: Profile, lexers: Iterable[str]) -> Iterator[tuple[str, str, int]]:
    for size in profile.sizes:
        names = profile.shapes or tuple(shapes(size))
        for lexer in lexers:
            for shape in names:
                yield lexer, shape, size


# ------------------------------------------------------------------ the report


def worst(results: Iterable[Result]) -> dict[str, Result]:
    """Each lexer's slowest call (a timeout counts as its limit: a call measured at
    190 s is slower than one killed at 20 s)."""
    out: dict[str, Result] = {}
    for r in results:
        if r.lexer not in out or _key(r) > _key(out[r.lexer]):
            out[r.lexer] = r
    return out


def _ms(r: Result | None, timeout_s: float) -> str:
    if r is None:
        return "—"
    if r.ms is None:
        return f"> {r.limit_s or timeout_s:,.0f} s"
    return f"{r.ms:,.0f} ms" if r.ms < 10_000 else f"{r.ms / 1000:,.1f} s"


def load(paths: Iterable[Path]) -> list[Result]:
    """Results kept by earlier runs (``--json``); a later run's call wins."""
    found: dict[tuple[str, str, str, int], Result] = {}
    for path in paths:
        for line in path.read_text().splitlines():
            r = Result(**json.loads(line))
            found[(r.mode, r.lexer, r.shape, r.size)] = r
    return list(found.values())


def report(
    results: list[Result], timeout_s: float, slow_ms: float, command: str, note: str = ""
) -> str:
    """RESULTS.md: the lexers slow before, with their worst shape and times per mode."""
    by_mode = {m: worst(r for r in results if r.mode == m) for m in MODES}
    raw = by_mode["raw"]
    slow = sorted(
        (r for r in raw.values() if r.ms is None or r.ms >= slow_ms),
        key=lambda r: -_key(r),
    )
    sizes = sorted({r.size for r in results})
    after = {m: _ms(max(by_mode[m].values(), key=_key, default=None), timeout_s) for m in MODES}
    lines = [
        "# Pygments lexers on adversarial input: before and after the highlighting budget",
        "",
        f"Generated by `{command}` on {time.strftime('%Y-%m-%d')}: {len(raw)} lexers, "
        f"{len(shapes(100))} shapes of `tests/lexers/sweep.py` at "
        f"{', '.join(f'{n:,}' for n in sizes)} characters; the UI thread's CPU time for one "
        f"call, killed after {timeout_s:.0f} s of wall clock; a shared 2-core VM. {note}".strip(),
        "",
        "*Before* is Pygments' `get_tokens` as Rill called it on the UI thread. *After* is "
        "`rill.core.markdown.highlight.highlight` with its CPU timer (Linux, macOS); *portable* "
        "is the same without the timer (Windows, other threads): the lexers listed in "
        "`core/markdown/highlight_budget.py` and long lines are plain, the budget is checked "
        f"between tokens. Slowest call of any lexer after: {after['rill']} with the timer, "
        f"{after['portable']} portable.",
        "",
        f"Lexers with a call of {slow_ms:,.0f} ms or more before, slowest first:",
        "",
        "| lexer | worst shape (size) | before | after | portable |",
        "|---|---|---|---|---|",
    ]
    for r in slow:
        shape = f"{r.shape} ({r.size:,})".replace("|", "\\|")
        cells = [_ms(by_mode[m].get(r.lexer), timeout_s) for m in MODES]
        lines.append(f"| {r.lexer} | `{shape}` | " + " | ".join(cells) + " |")
    inside = portable_slow(results, PORTABLE_LINE_CAP, PORTABLE_GAP_MS)
    if inside:
        lines += [
            "",
            f"Spending over {PORTABLE_GAP_MS:.0f} ms inside one token on lines of at most "
            f"{PORTABLE_LINE_CAP} characters, which checks between tokens cannot cut short "
            "(so plain without the timer: `PORTABLE_SLOW_LEXERS`): " + ", ".join(inside) + ".",
        ]
    errors = sorted({(r.lexer, r.error) for r in results if r.mode == "raw" and r.error
                     and r.error != "timeout"})  # fmt: skip
    if errors:
        lines += ["", "Lexers that raised (Rill shows that code plain):", ""]
        lines += [f"- {lexer}: `{error}`" for lexer, error in errors]
    return "\n".join(lines) + "\n"


def _key(r: Result) -> float:
    if r.ms is not None:
        return r.ms
    return (r.limit_s or PROFILES["long"].timeout_s) * 1000 + 1  # just past its limit


def portable_slow(results: Iterable[Result], line_cap: int, gap_ms: float) -> list[str]:
    """Lexers that spend more than ``gap_ms`` inside one token (raw calls that measured
    it, or timed out) on input the portable path still lexes: lines up to ``line_cap``,
    a piece of code of up to ~1 KB. Checks between tokens cannot cut those short."""
    found = set()
    for r in results:
        inside = r.gap_ms if r.ms is not None else float("inf")
        if r.mode != "raw" or inside is None or inside <= gap_ms or r.size > PIECE_MAX_CHARS:
            continue
        if max(map(len, shapes(r.size)[r.shape].split("\n"))) <= line_cap:
            found.add(r.lexer)
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--lexers", default="", help="comma-separated aliases (default: all)")
    parser.add_argument("--sizes", default="", help="comma-separated, instead of the profile's")
    parser.add_argument("--shapes", default="", help="comma-separated, instead of the profile's")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, help="seconds per call (wall clock)")
    parser.add_argument("--slow-ms", type=float, default=100.0)
    parser.add_argument("--json", type=Path, help="keep every call in this file")
    parser.add_argument("--load", type=Path, nargs="*", default=[], help="earlier --json files")
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.name}")
    parser.add_argument("--note", default="", help="a sentence for the report's header")
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.worker)
        return 0
    profile = PROFILES[args.profile]
    sizes = tuple(map(int, args.sizes.split(","))) if args.sizes else profile.sizes
    names = tuple(args.shapes.split(",")) if args.shapes else profile.shapes
    profile = Profile(sizes, names, args.timeout or profile.timeout_s)
    lexers = args.lexers.split(",") if args.lexers else lexer_aliases()
    results = {(r.mode, r.lexer, r.shape, r.size): r for r in load(args.load)}
    for mode in filter(None, args.modes.split(",")):
        started = time.monotonic()
        for r in run(mode, tasks_for(profile, lexers), timeout_s=profile.timeout_s,
                     jobs=args.jobs):  # fmt: skip
            results[(r.mode, r.lexer, r.shape, r.size)] = r  # a later run's call wins
        print(f"{mode}: {time.monotonic() - started:.0f} s", file=sys.stderr)
    if args.json:
        args.json.write_text("".join(json.dumps(asdict(r)) + "\n" for r in results.values()))
    command = f"python -m tests.lexers.sweep --profile {args.profile}"
    text = report(list(results.values()), profile.timeout_s, args.slow_ms, command, args.note)
    if args.write:
        RESULTS.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
