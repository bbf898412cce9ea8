"""Benchmark rill.core.markdown.incremental: per-flush cost while an answer streams in.

Run: .venv/bin/python bench/bench_markdown.py [--quick]

Feeds generated answers in ~200-character deltas (what a 60 Hz flush sees) and reports
the median cost of IncrementalMarkdown.append() early (~2 KB of text) and late (~200 KB),
against re-rendering the whole text per flush, plus the pathological open tails.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable

from rill.core.markdown.incremental import IncrementalMarkdown, render_html
from rill.gui.common.theme import markdown_theme

THEME = markdown_theme(dark=False)  # the window's light theme, as it renders answers

DELTA = 200
TEXT = (
    "the model returns a stream of tokens and each flush renders only what changed while "
    "finished blocks stay cached so the cost of a frame depends on the open tail not on "
    "how long the answer has become which keeps the window smooth"
)
WORDS = TEXT.split(" ")


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(6, 18))]
    i = rng.randrange(len(words))
    words[i] = rng.choice([f"**{words[i]}**", f"*{words[i]}*", f"`{words[i]}()`", words[i]])
    if rng.random() < 0.1:
        words.append("(see https://example.com/docs/page)")
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return "\n".join(
        " ".join(_sentence(rng) for _ in range(rng.randint(1, 2))) for _ in range(rng.randint(1, 4))
    )


def _code(rng: random.Random) -> str:
    lang = rng.choice(["python", "javascript", "bash", "rust", ""])
    lines = []
    for i in range(rng.randint(8, 50)):
        indent = "    " * rng.randint(0, 2)
        lines.append(
            f'{indent}value_{i} = compute("{rng.choice(WORDS)}", {i}) # {rng.choice(WORDS)}'
        )
    return f"```{lang}\n" + "\n".join(lines) + "\n```"


def _list(rng: random.Random) -> str:
    ordered = rng.random() < 0.5
    items = []
    for i in range(rng.randint(3, 9)):
        mark = f"{i + 1}." if ordered else "-"
        items.append(f"{mark} {_sentence(rng)}")
        if rng.random() < 0.2:
            items.append(f"   - {_sentence(rng)}")
    return "\n".join(items)


def _table(rng: random.Random) -> str:
    cols = rng.randint(2, 5)
    rows = ["| " + " | ".join(f"Col {c}" for c in range(cols)) + " |"]
    rows.append("|" + "|".join("---" for _ in range(cols)) + "|")
    for _ in range(rng.randint(2, 8)):
        rows.append("| " + " | ".join(rng.choice(WORDS) for _ in range(cols)) + " |")
    return "\n".join(rows)


def realistic_answer(size: int, seed: int = 7) -> str:
    """Return a mixed Markdown answer of about `size` characters."""
    rng = random.Random(seed)
    kinds: list[Callable[[random.Random], str]] = [_paragraph] * 4 + [_code, _list, _table]
    parts: list[str] = []
    total = 0
    while total < size:
        if rng.random() < 0.08:
            block = "#" * rng.randint(1, 3) + " " + _sentence(rng).rstrip(".")
        elif rng.random() < 0.05:
            block = "> " + _sentence(rng)
        else:
            block = rng.choice(kinds)(rng)
        parts.append(block)
        total += len(block) + 2
    return "\n\n".join(parts)[:size]


def stream_costs(text: str, delta: int = DELTA) -> tuple[list[float], list[int], int]:
    """Stream `text`; return per-append seconds, text length after each, inexact tails."""
    md = IncrementalMarkdown(THEME)
    costs, sizes, inexact = [], [], 0
    for i in range(0, len(text), delta):
        t0 = time.perf_counter()
        update = md.append(text[i : i + delta])
        costs.append(time.perf_counter() - t0)
        sizes.append(i + delta)
        inexact += not update.tail_exact
    md.finish()
    return costs, sizes, inexact


def best_of(text: str, repeats: int) -> tuple[list[float], list[float], list[int], int]:
    """Stream `repeats` times; return the per-append minimum (for medians: filters
    scheduler noise), the last run's raw costs (for max, p99, total), sizes, stale tails.
    """
    runs = [stream_costs(text) for _ in range(repeats)]
    costs = [min(c) for c in zip(*(r[0] for r in runs), strict=True)]
    return costs, runs[-1][0], runs[-1][1], runs[-1][2]


def window(costs: list[float], sizes: list[int], lo: int, hi: int) -> list[float]:
    return [c for c, s in zip(costs, sizes, strict=True) if lo < s <= hi]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.3f} ms"


def main() -> None:
    quick = "--quick" in sys.argv
    repeats = 2 if quick else 5
    text = realistic_answer(200_000)
    stream_costs(text)  # warm up: lexer imports, regex compilation
    costs, raw, sizes, inexact = best_of(text, repeats)
    early = statistics.median(window(costs, sizes, 0, 4_000))
    late = statistics.median(window(costs, sizes, 190_000, 200_000))
    p99 = sorted(raw)[int(len(raw) * 0.99)]
    print(f"realistic 200 KB answer, {len(costs)} appends of {DELTA} chars, best of {repeats}")
    print(f"  incremental median append @~2 KB  : {ms(early)}")
    print(f"  incremental median append @~200 KB: {ms(late)}   ratio {late / early:.2f}")
    print(
        f"  incremental p99 / max append      : {ms(p99)} / {ms(max(raw))}"
        f"   total {sum(raw):.2f} s, inexact tails {inexact}"
    )
    naive_early = statistics.median(_naive(text, 2_000, 9))
    naive_late = statistics.median(_naive(text, 200_000, 3))
    print(f"  naive full re-render @~2 KB       : {ms(naive_early)}")
    ratio = naive_late / naive_early
    print(f"  naive full re-render @~200 KB     : {ms(naive_late)}   ratio {ratio:.0f}")

    for name, body in _pathological().items():
        # One run: checkpoint re-renders fall on different appends from run to run.
        _, raw, sizes, inexact = best_of(body, 1)
        first = statistics.median(window(raw, sizes, 0, 10_000))
        last = statistics.median(window(raw, sizes, len(body) - 10_000, len(body)))
        print(
            f"{name}: {len(raw)} appends, median first 10 KB {ms(first)}, last 10 KB"
            f" {ms(last)}, max {ms(max(raw))}, total {sum(raw):.2f} s,"
            f" stale tails {inexact}"
        )


def _naive(text: str, at: int, count: int) -> list[float]:
    out = []
    for k in range(count):
        prefix = text[: at - k * DELTA]
        t0 = time.perf_counter()
        render_html(prefix, THEME)
        out.append(time.perf_counter() - t0)
    return out


def _pathological() -> dict[str, str]:
    rng = random.Random(3)
    code = "\n".join(
        f"    result_{i} = transform(data[{i}], key='{rng.choice(WORDS)}')" for i in range(1800)
    )
    para_lines = "\n".join(_sentence(rng) for _ in range(1200))
    one_line = " ".join(_sentence(rng) for _ in range(1200))
    items = "\n".join(f"- {_sentence(rng)}" for _ in range(1200))
    rows = "\n".join(f"| {i} | {rng.choice(WORDS)} | {rng.choice(WORDS)} |" for i in range(2500))
    return {
        "100 KB fenced code block": ("```python\n" + code)[:100_000],
        "100 KB paragraph (soft line breaks)": para_lines[:100_000],
        "100 KB paragraph (one line)": one_line[:100_000],
        "100 KB list (1200 items)": items[:100_000],
        "100 KB table": ("| n | a | b |\n|---|---|---|\n" + rows)[:100_000],
        "100 KB block quote": "\n".join(f"> {_sentence(rng)}" for _ in range(1300))[:100_000],
    }


if __name__ == "__main__":
    main()
