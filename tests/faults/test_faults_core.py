"""Every fault case against GeminiProvider and OpenAICompatProvider through ChatSession.

For each: the error is the right type with a clear one-line message, the partial
answer stays in the history (marked failed), retries are bounded and honour the
server's delay, and Retry succeeds once the fault is gone.
"""

from __future__ import annotations

import itertools
import ssl

import pytest

from rill.core.errors import RateLimitedError
from rill.core.providers.gemini import GeminiProvider
from rill.core.types import MessageStatus
from tests.fakes.fault_payloads import DIALECTS, GEMINI, Dialect
from tests.faults.cases import CASES, HEALTHY, Case, CoreOutcome, by_name, run_core, setting

_OUTCOMES: dict[tuple[str, str], CoreOutcome] = {}


async def outcome_of(case: Case, dialect: Dialect) -> CoreOutcome:
    """Each case runs once per provider; the focused tests below reuse the outcome."""
    if (case.name, dialect.name) not in _OUTCOMES:
        _OUTCOMES[case.name, dialect.name] = await run_core(case, dialect)
    return _OUTCOMES[case.name, dialect.name]


PARAMS = [pytest.param(case, d, id=f"{case.name}-{d.name}") for case in CASES for d in DIALECTS]


@pytest.mark.parametrize(("case", "dialect"), PARAMS)
async def test_fault(case: Case, dialect: Dialect) -> None:
    outcome = await outcome_of(case, dialect)
    if case.error is None:
        assert outcome.error is None, str(outcome.error)
        assert outcome.status is MessageStatus.COMPLETE
        assert outcome.kept == case.success_text
        return
    error = outcome.error
    assert isinstance(error, case.error), repr(error)
    host = outcome.host
    message = str(error)
    assert "\n" not in message
    assert message.startswith(case.expected_message(dialect, host)), message
    assert not message.endswith(("?.", "!.", "..")), message  # one sentence, one stop
    # The partial answer is kept, marked failed, with the message.
    assert outcome.status is MessageStatus.FAILED
    assert outcome.kept == case.partial
    assert outcome.history_roles == ["user", "model"]
    # Retry works once the fault is gone, without a second copy of the question.
    assert outcome.retry_status is MessageStatus.COMPLETE
    assert outcome.retry_text == "".join(HEALTHY)
    assert outcome.user_turns_after_retry == 1


async def test_the_429_storm_is_bounded_and_each_delay_honoured() -> None:
    for dialect in DIALECTS:
        outcome = await outcome_of(by_name("429-storm"), dialect)
        assert isinstance(outcome.error, RateLimitedError)
        assert len(outcome.requests) == 3  # max_attempts, no more
        asked = 0.2 if dialect.name == "gemini" else 1.0
        assert [n.delay for n in outcome.notices] == [asked, asked]
        gaps = [b.received_at - a.received_at for a, b in itertools.pairwise(outcome.requests)]
        assert all(gap >= asked * 0.9 for gap in gaps), gaps


async def test_500_then_success_retries_once_before_the_first_chunk() -> None:
    for dialect in DIALECTS:
        outcome = await outcome_of(by_name("500-then-ok"), dialect)
        assert len(outcome.requests) == 2
        assert len(outcome.notices) == 1


async def test_a_redirect_is_not_followed() -> None:
    for dialect in DIALECTS:
        outcome = await outcome_of(by_name("redirect"), dialect)
        assert len(outcome.requests) == 1


async def test_tls_verification_is_on_and_nothing_is_sent() -> None:
    case = by_name("tls")
    with setting(case, GEMINI) as where:
        provider = GeminiProvider("k", where.base_url)
        pool = provider._client._transport._pool  # type: ignore[attr-defined]
        assert pool._ssl_context.verify_mode is ssl.CERT_REQUIRED
        assert pool._ssl_context.check_hostname is True
        await provider.aclose()
    outcome = await outcome_of(case, GEMINI)
    assert outcome.requests == []  # no request was sent over the untrusted connection
