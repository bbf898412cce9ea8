"""How fast the conversation store answers what the window asks of it.

Builds stores in a temporary folder, then measures (medians unless said otherwise):

- opening a 5,000-message conversation: the path's ids, then the first screenful
  (the last 50 messages, bodies included), and scrolling through all of it 50 at a time;
- switching between two such conversations;
- listing 100 conversations x 200 messages (the sidebar), and the RSS that costs
  over an empty profile;
- full-text search over 100,000 messages (a mix of common, rare, two-word, prefix and
  phrase queries);
- the partial write of a streaming answer (1 KB to 1 MB of text);
- opening the 100,000-message store (schema check, quick_check, interrupted scan).

    .venv/bin/python bench/bench_store.py [--scale 1.0] [--keep DIR]

Building the 100,000-message store takes about a minute; ``--keep DIR`` reuses it.
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from rill.core.store.db import Store
from rill.core.store.open import Check
from rill.core.types import GenerationSettings, Message, MessageStatus, Part, Role, Usage

SCREENFUL = 50


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))))
    return sorted(words)


class Writer:
    """Zipf-distributed text, like real prose: a few very common words, a long tail."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.weights = [1.0 / (rank + 1) for rank in range(len(self.words))]

    def text(self, low: int = 20, high: int = 160) -> str:
        n = self.rng.randint(low, high)
        return " ".join(self.rng.choices(self.words, self.weights, k=n)) + "."


def fill(store: Store, writer: Writer, conversations: int, messages: int) -> list[int]:
    """Add conversations of alternating prompts and answers; reuses what a kept
    store already holds (``--keep``)."""
    existing = [c.id for c in store.list_conversations()]
    if len(existing) == conversations:
        return sorted(existing)
    ids = []
    settings = GenerationSettings(model="gemini-2.5-flash", temperature=0.7)
    for _ in range(conversations):
        cid = store.create_conversation(provider="gemini", settings=settings)
        with store.batch():
            for n in range(messages):
                if n % 2 == 0:
                    message = Message(Role.USER, [Part.from_text(writer.text(5, 60))])
                else:
                    message = Message(
                        Role.MODEL,
                        [Part.from_text(writer.text())],
                        usage=Usage(prompt_tokens=100, output_tokens=80, total_tokens=180),
                        finish_reason="STOP",
                        model="gemini-2.5-flash",
                    )
                store.append_message(cid, message)
        ids.append(cid)
    return ids


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds per call over ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def rss_mb() -> float:
    """Resident set size now (Linux /proc; else the peak from getrusage)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


def line(label: str, ms: list[float], extra: str = "") -> None:
    print(
        f"  {label:<46} median {statistics.median(ms):7.2f} ms   max {max(ms):7.2f} ms"
        + (f"   {extra}" if extra else "")
    )


def bench_long(folder: Path, writer: Writer, length: int) -> None:
    path = folder / "long.sqlite"
    with Store(path) as store:
        start = time.perf_counter()
        a, b = fill(store, writer, 2, length)
        build = time.perf_counter() - start
    print(f"\n[long conversations] 2 x {length} messages (built in {build:.1f} s)")
    with Store(path) as store:

        def first_paint(cid: int) -> None:
            ids = store.path_ids(cid)
            store.get_messages(ids[-SCREENFUL:])

        line("path ids only", timed(lambda: store.path_ids(a), 20))
        ids = store.path_ids(a)
        line(
            f"first screenful ({SCREENFUL} bodies)",
            timed(lambda: store.get_messages(ids[-50:]), 20),
        )
        line("open = path ids + first screenful", timed(lambda: first_paint(a), 20), "≤ 300 ms")
        windows = [ids[i : i + SCREENFUL] for i in range(0, len(ids), SCREENFUL)]
        scroll = [timed(partial(store.get_messages, w), 1)[0] for w in windows]
        line(f"scroll: each of {len(windows)} windows of {SCREENFUL}", scroll, "no stall > 50 ms")
        flip = [a, b] * 10
        switch = [timed(partial(first_paint, c), 1)[0] for c in flip]
        line("switch between the two (open the other)", switch, "≤ 100 ms")
        siblings = timed(lambda: store.siblings(ids[-1]), 50)
        line("siblings of a message (versions ‹n/m›)", siblings)
        version = store.add_version(ids[-1], Message(Role.MODEL, [Part.from_text("again")]))
        line(
            "select_version at the end of the path",
            timed(lambda: store.select_version(version), 10),
        )


_RSS_CHILD = """
import sys
sys.path.insert(0, {bench!r})
from bench_store import rss_mb
from pathlib import Path
from rill.core.store.db import Store
before = rss_mb()
store = Store(Path(sys.argv[1]))
rows = store.list_conversations()
first = store.path(rows[0].id)[-50:] if rows else []
print(before, rss_mb(), len(rows))
"""


def rss_after_listing(path: Path) -> tuple[float, float]:
    """(RSS after imports, RSS after opening and listing), in a fresh process."""
    import subprocess

    code = _RSS_CHILD.format(bench=str(Path(__file__).parent))
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def bench_list(folder: Path, writer: Writer, conversations: int, messages: int) -> None:
    empty = folder / "empty.sqlite"
    full = folder / "list.sqlite"
    with Store(full) as store:
        fill(store, writer, conversations, messages)
    Store(empty).close()
    with Store(full) as store:
        ms = timed(store.list_conversations, 20)
    print(f"\n[sidebar] {conversations} conversations x {messages} messages")
    line("list_conversations (all, with counts)", ms)
    base, empty_rss = rss_after_listing(empty)
    _, full_rss = rss_after_listing(full)
    print(
        f"  RSS of a fresh process: {base:.1f} MB after imports; after opening, listing and "
        f"loading the first chat's last 50 bodies: empty profile {empty_rss:.1f} MB, "
        f"this profile {full_rss:.1f} MB ({full_rss - empty_rss:+.1f} MB)   ≤ 100 MB more"
    )


def bench_search(folder: Path, writer: Writer, conversations: int, messages: int) -> None:
    path = folder / "search.sqlite"
    with Store(path) as store:
        start = time.perf_counter()
        fill(store, writer, conversations, messages)
        build = time.perf_counter() - start
        total = store.stats().messages
        size = store.stats().file_bytes / 1e6
    print(f"\n[search] {total} messages, {size:.0f} MB file (built in {build:.1f} s)")
    checks: tuple[Check, ...] = ("quick", "auto")
    for check in checks:
        start = time.perf_counter()
        Store(path, check=check).close()
        took = (time.perf_counter() - start) * 1000
        print(f"  open with check={check!r} after a clean close: {took:.0f} ms")
    store = Store(path)
    words = writer.words
    by_rank = sorted(words, key=lambda w: -writer.weights[words.index(w)])
    queries = {
        "most common word": by_rank[0],
        "common word (rank 10)": by_rank[10],
        "mid word (rank 300)": by_rank[300],
        "rare word (rank 5000)": by_rank[5000],
        "two common words": f"{by_rank[1]} {by_rank[2]}",
        "two mid words": f"{by_rank[200]} {by_rank[400]}",
        "prefix of 3 letters": by_rank[50][:3],
        "quoted phrase": f'"{by_rank[0]} {by_rank[1]}"',
        "no match": "zzzzzzzz",
        "special characters": 'c++ "e-mail -x NEAR(',
    }
    medians = []
    for label, query in queries.items():
        ms = timed(partial(store.search, query, limit=50), 15)
        hits = len(store.search(query, limit=50))
        medians.append(statistics.median(ms))
        line(f"{label} ({hits} hits shown)", ms)
    print(f"  median over the query mix: {statistics.median(medians):.2f} ms   ≤ 100 ms")
    store.close()


def bench_partial(folder: Path) -> None:
    print("\n[streaming] update_message of the growing answer (once a second in the app)")
    path = folder / "partial.sqlite"
    for old in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        old.unlink(missing_ok=True)
    with Store(path) as store:
        cid = store.create_conversation()
        store.append_message(cid, Message(Role.USER, [Part.from_text("go")]))
        for size in (1_000, 10_000, 100_000, 1_000_000):
            answer = Message(
                Role.MODEL, [Part.from_text("x" * size)], status=MessageStatus.STREAMING
            )
            mid = store.append_message(cid, answer)
            ms = timed(partial(store.update_message, mid, answer), 30)
            line(f"partial write of {size:>9,} characters", ms)
            answer.status = MessageStatus.COMPLETE
            done = timed(partial(store.update_message, mid, answer), 1)
            line("  final write (joins the search index)", done)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="shrink for a quick run")
    parser.add_argument(
        "--keep", metavar="DIR", help="build the stores here and keep them (reused next time)"
    )
    opts = parser.parse_args()
    print("command:", shlex.join([sys.executable, *sys.argv]))
    import sqlite3

    print(
        f"python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs"
    )
    s = opts.scale
    writer = Writer()
    folder = Path(opts.keep or tempfile.mkdtemp(prefix="rill-bench-store-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        bench_list(folder, writer, max(1, int(100 * s)), max(2, int(200 * s)))
        bench_long(folder, writer, max(2, int(5000 * s)))
        bench_search(folder, writer, max(1, int(500 * s)), 200)
        bench_partial(folder)
    finally:
        if not opts.keep:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
