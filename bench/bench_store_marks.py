"""What recording the store's high-water mark (``rill.sqlite-seen``) costs a write.

Each write that changes the chat count or the newest message id rewrites the mark
(``rill.core.store.marks.Keeper``). This appends messages and rewrites a streaming
answer with the keeper as shipped and with it switched off, alternating runs in one
process, and prints the medians per operation and their ratio.

    .venv/bin/python bench/bench_store_marks.py [--runs 7] [--ops 1500]
"""

from __future__ import annotations

import argparse
import platform
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rill.core.store.db import Store
from rill.core.types import Message, MessageStatus, Part, Role


def one_run(folder: Path, ops: int, marks: bool) -> tuple[float, float]:
    """Milliseconds per append and per streaming rewrite."""
    with Store(folder / f"{time.perf_counter_ns()}.sqlite") as store:
        if not marks:
            store._marks.after_write = lambda conn: None  # type: ignore[method-assign]
        chats = [store.create_conversation() for _ in range(200)]
        started = time.perf_counter()
        for n in range(ops):
            turn = Message(Role.USER, [Part.from_text("hello world " * 20)])
            store.append_message(chats[n % len(chats)], turn)
        append = (time.perf_counter() - started) * 1000 / ops
        answer = Message(Role.MODEL, [Part.from_text("x" * 2000)], status=MessageStatus.STREAMING)
        mid = store.append_message(chats[0], answer)
        started = time.perf_counter()
        for _ in range(ops):
            store.update_message(mid, answer)
        update = (time.perf_counter() - started) * 1000 / ops
    return append, update


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--ops", type=int, default=1500)
    args = parser.parse_args()
    print("command:", shlex.join([sys.executable, *sys.argv]))
    print("platform:", platform.platform(), "python", platform.python_version())
    results: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            for marks in (False, True):
                results[marks].append(one_run(Path(tmp), args.ops, marks))
    medians = {
        marks: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        for marks, runs in results.items()
    }
    for index, what in enumerate(("append", "streaming rewrite")):
        off, on = medians[False][index], medians[True][index]
        print(f"{what:18} without marks {off:.3f} ms  with marks {on:.3f} ms  ratio {on / off:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
