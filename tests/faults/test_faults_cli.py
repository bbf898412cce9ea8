"""The fault cases through `rill ask` as a subprocess: the documented exit status, what
arrived kept on stdout, one clear line on stderr (after any retry notices), and never
a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fakes.fault_payloads import DIALECTS, Dialect
from tests.faults.cases import CASES, Case, run_cli

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX subprocess semantics")

PARAMS = [
    pytest.param(case, d, id=f"{case.name}-{d.name}")
    for case in CASES
    if case.cli_exit is not None
    for d in DIALECTS
]


@pytest.mark.parametrize(("case", "dialect"), PARAMS)
def test_fault_through_rill_ask(case: Case, dialect: Dialect, tmp_path: Path) -> None:
    outcome = run_cli(case, dialect, tmp_path / "home")
    assert "Traceback" not in outcome.stderr
    assert outcome.exit_code == case.cli_exit, outcome.stderr
    lines = outcome.stderr.splitlines()
    if case.error is None:
        assert outcome.stdout == case.success_text + "\n"
        assert all("Retrying in" in line for line in lines), lines
        return
    assert outcome.stdout == (case.partial + "\n" if case.partial else "")
    *notices, last = lines
    assert all("Retrying in" in line for line in notices), notices
    assert len(notices) == case.policy.max_attempts - 1
    assert last.startswith(case.expected_message(dialect, outcome.host)), last
