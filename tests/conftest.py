"""Shared fixtures: local fake API servers every network test talks to."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator

import pytest

from tests.fakes.gemini_process import FakeGeminiProcess
from tests.fakes.gemini_server import FakeGemini

# Qt tests draw offscreen unless told otherwise: `make test` from a terminal without a
# display (ssh, a container) must not abort creating the QApplication, and on a
# desktop no test windows flash up. The e2e tests start their own Xvfb and say so.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# And they paint on the UI thread alone, as the app does (NO_GUI_THREADPOOL in
# rill.gui.common.theme; named here because the core-only run has no Qt to import).
os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")

# A failure's report is cut to this many characters: one assertion once printed the
# repr of thumbnails (27 MB on one line, a 54 MB CI log) and hid every other result.
REPORT_LIMIT = 20_000


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Bound what a failing test prints: its head and tail, and how much was cut."""
    report = yield
    if report.longrepr is not None:
        text = str(report.longrepr)
        if len(text) > REPORT_LIMIT:
            report.longrepr = _bounded(text)
    # Captured output is printed beside the failure too.
    report.sections = [(title, _bounded(content)) for title, content in report.sections]
    return report


def _bounded(text: str) -> str:
    if len(text) <= REPORT_LIMIT:
        return text
    half = REPORT_LIMIT // 2
    return f"{text[:half]}\n… [{len(text) - REPORT_LIMIT:,} characters cut] …\n{text[-half:]}"


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    """A fresh in-process fake Gemini server (api key "test-key") for one test."""
    with FakeGemini() as server:
        yield server


@pytest.fixture(scope="session")
def fake_gemini_process() -> Iterator[FakeGeminiProcess]:
    """One fake Gemini server in a child process for the session; call .clear() first."""
    with FakeGeminiProcess() as server:
        yield server
