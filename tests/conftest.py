"""Shared fixtures: local fake API servers every network test talks to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.gemini_process import FakeGeminiProcess
from tests.fakes.gemini_server import FakeGemini


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
