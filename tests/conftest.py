"""Shared fixtures: local fake API servers every network test talks to."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.fakes.gemini_process import FakeGeminiProcess
from tests.fakes.gemini_server import FakeGemini

# Qt tests draw offscreen unless told otherwise: `make test` from a terminal without a
# display (ssh, a container) must not abort creating the QApplication, and on a
# desktop no test windows flash up. The e2e tests start their own Xvfb and say so.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
