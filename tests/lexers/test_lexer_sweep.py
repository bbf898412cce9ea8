"""Every lexer Pygments ships, over adversarial shapes: highlighting stays within budget.

Before the budget, seven lexers took longer than 20 s on one of these shapes and 130
took 100 ms or more (RESULTS.md). Now no call may take more than 50 ms of CPU, with the
CPU timer (``rill``) or without it (``portable``: Windows, other threads).

* **Quick** (default, part of ``make test``): the shapes that catch every lexer the
  long run found taking seconds, at one size, each path; all ~600 lexers, in two child
  processes (a call past its timeout is killed with its child).
* **Long**, on demand: ``RILL_LEXER_SWEEP=long .venv/bin/python -m pytest tests/lexers``
  (every shape at three sizes, minutes). ``python -m tests.lexers.sweep --help`` runs
  the same sweep by hand and writes RESULTS.md with the figures before and after.
"""

from __future__ import annotations

import math
import os

import pytest

from rill.core.markdown.highlight_budget import PORTABLE_LINE_CAP
from tests.lexers.sweep import PROFILES, Profile, lexer_aliases, run, shapes, tasks_for

LONG = os.environ.get("RILL_LEXER_SWEEP", "").strip().lower() == "long"
MAX_MS = 50.0


def profile(mode: str) -> Profile:
    chosen = PROFILES["long" if LONG else "quick"]
    if mode == "portable" and not LONG:
        # Without the timer longer lines are plain at once: lex lines at the cap.
        return Profile((PORTABLE_LINE_CAP,), chosen.shapes, chosen.timeout_s)
    return chosen


@pytest.mark.timeout(3600 if LONG else 600)
@pytest.mark.parametrize("mode", ["rill", "portable"])
def test_every_lexer_stays_within_its_budget(mode: str) -> None:
    chosen = profile(mode)
    lexers = lexer_aliases()
    results = run(mode, tasks_for(chosen, lexers), timeout_s=chosen.timeout_s)
    per_size = len(chosen.shapes or shapes(100))
    assert len(results) == len(lexers) * len(chosen.sizes) * per_size
    assert not [r for r in results if r.error], "highlight() raised"
    over = sorted(
        (r.ms if r.ms is not None else math.inf, r.lexer, r.shape, r.size)
        for r in results
        if r.ms is None or r.ms > MAX_MS
    )
    listed = "; ".join(
        f"{lexer} on {shape} ({size}): {ms:.0f} ms" for ms, lexer, shape, size in over
    )
    assert not over, f"{len(over)} calls over {MAX_MS:.0f} ms: {listed[:600]}"
