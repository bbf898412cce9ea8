"""How hard the fuzz tests try: a quick profile by default, a long one on demand.

    make test                                   # quick: a few hundred examples in all
    RILL_FUZZ=long .venv/bin/python -m pytest tests/fuzz     # long: thousands per test

``RILL_FUZZ_EXAMPLES=N`` sets the number of examples per test directly.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

_LONG = os.environ.get("RILL_FUZZ", "").strip().lower() == "long"
_EXAMPLES = int(os.environ.get("RILL_FUZZ_EXAMPLES", "0") or 0) or (20_000 if _LONG else 150)

# Applied per test (not a global profile, so other Hypothesis tests keep their own).
FUZZ = settings(
    max_examples=_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=not _LONG,  # the quick run is the same every time; the long one explores
    # The long run keeps failures to replay them next time; the quick one stores nothing.
    database=DirectoryBasedExampleDatabase(".hypothesis/examples") if _LONG else None,
)
