"""The fault cases, and how each runs in the core (ChatSession) and through `rill ask`.

Shared by the tests (which assert on the outcomes) and by ``make_results.py`` (which
writes the outcome table to RESULTS.md), so the table is what the tests check.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rill.core.chat import ChatSession
from rill.core.errors import (
    NetworkError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    RillError,
    ServerError,
    StreamInterruptedError,
)
from rill.core.providers.base import Provider
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.retry import RetryNotice, RetryPolicy
from rill.core.types import GenerationSettings, MessageStatus
from tests.fakes import faulty_server as fs
from tests.fakes.fault_payloads import Dialect

KEY = "fault-test-key"
PARTIAL = "Partial "
ONE_SHOT = RetryPolicy(max_attempts=1)
FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)
DNS_HOST = "rill-fault-test.invalid"


@dataclass(frozen=True)
class Case:
    name: str
    title: str
    setup: Callable[[fs.FaultyServer, Dialect], None] = lambda server, d: None
    address: str = "server"  # server | refused | dns | tls | backlog
    error: type[RillError] | None = None
    # The message's start, per dialect ("*" for both); {host} is the server's host:port.
    message: dict[str, str] = field(default_factory=dict)
    partial: str = ""  # the answer text that must survive the fault
    success_text: str = ""  # for cases that end well
    read_timeout: float = 5.0
    connect_timeout: float = 5.0
    policy: RetryPolicy = ONE_SHOT
    cli_exit: int | None = None  # None: not run through the CLI
    cli_read_timeout: float = 5.0

    def expected_message(self, dialect: Dialect, host: str) -> str:
        template = self.message.get(dialect.name, self.message.get("*", ""))
        return template.format(host=host)


def _push(*make: Callable[[Dialect], fs.Action]) -> Callable[[fs.FaultyServer, Dialect], None]:
    def setup(server: fs.FaultyServer, dialect: Dialect) -> None:
        server.push(*(m(dialect) for m in make))

    return setup


def _rate_limit(d: Dialect, delay: float) -> fs.Action:
    body, headers = d.error(429, "Quota exceeded.", retry_delay=delay)
    return fs.respond(429, body, "application/json", headers)


def _server_error(d: Dialect) -> fs.Action:
    body, headers = d.error(500, "Internal error.")
    return fs.respond(500, body, "application/json", headers)


HTML = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
BROKEN = "The connection to {host} broke before the answer was finished."
TEN_MB = 10 * 1024 * 1024
DRIP = "Drip"
RETRY_DELAY = {"gemini": 0.2, "openai": 1.0}  # Retry-After is whole seconds

CASES: tuple[Case, ...] = (
    Case(
        "refused",
        "Connection refused",
        address="refused",
        error=NetworkError,
        message={
            "gemini": "{host} refused the connection.",
            "openai": "{host} refused the connection; is the server running?",
        },
        cli_exit=8,
    ),
    Case(
        "dns",
        "DNS failure (.invalid)",
        address="dns",
        error=NetworkError,
        message={"*": "Could not find the server {host} (DNS lookup failed)."},
        cli_exit=8,
    ),
    Case(
        "tls",
        "TLS: self-signed certificate",
        address="tls",
        error=NetworkError,
        message={
            "*": "The TLS certificate of {host} could not be verified "
            "(self-signed certificate); Rill does not connect to it."
        },
        cli_exit=8,
    ),
    Case(
        "connect-timeout",
        "Connect timeout (accept queue full)",
        address="backlog",
        error=RequestTimeoutError,
        connect_timeout=0.3,
        message={"*": "Could not connect to {host} within 0.3 s."},
    ),
    Case(
        "idle-before-first-byte",
        "Idle timeout before the answer",
        setup=_push(lambda d: fs.hang_before_answering()),
        error=RequestTimeoutError,
        read_timeout=0.3,
        cli_read_timeout=1,
        message={"*": "{host} sent nothing for"},
        cli_exit=8,
    ),
    Case(
        "idle-mid-stream",
        "Idle timeout mid-stream",
        setup=_push(lambda d: fs.stream([d.event(PARTIAL)], then="hang")),
        error=RequestTimeoutError,
        read_timeout=0.3,
        cli_read_timeout=1,
        partial=PARTIAL,
        message={"*": "{host} sent nothing for"},
        cli_exit=8,
    ),
    Case(
        "drip-fast",
        "Drip, last 60 bytes at 1 byte / 20 ms (idle timeout 0.3 s)",
        setup=_push(
            lambda d: fs.drip(
                d.answer("Dr", "ip"), 0.02, fast_prefix=len(d.answer("Dr", "ip")) - 60
            )
        ),
        read_timeout=0.3,
        cli_read_timeout=1,
        success_text=DRIP,
        cli_exit=0,
    ),
    Case(
        "drip-1Bps",
        "Drip, 1 byte / s for the last 3 bytes (idle timeout 1.5 s)",
        setup=_push(
            lambda d: fs.drip(d.answer("Dr", "ip"), 1.0, fast_prefix=len(d.answer("Dr", "ip")) - 3)
        ),
        read_timeout=1.5,
        success_text=DRIP,
    ),
    Case(
        "reset-mid-event",
        "Reset (RST) mid-event",
        setup=_push(lambda d: fs.stream([d.event(PARTIAL), d.event("cut off")[:20]], then="reset")),
        error=StreamInterruptedError,
        partial=PARTIAL,
        message={"*": BROKEN},
        cli_exit=8,
    ),
    Case(
        "truncated-event",
        "Body ends mid-event (FIN)",
        setup=_push(lambda d: fs.stream([d.event(PARTIAL), d.event("cut off")[:20]])),
        error=StreamInterruptedError,
        partial=PARTIAL,
        message={"*": BROKEN},
        cli_exit=8,
    ),
    Case(
        "invalid-json",
        "Invalid JSON event",
        setup=_push(lambda d: fs.stream([d.event(PARTIAL), b'data: {"candidates": [\r\n\r\n'])),
        error=ProtocolError,
        partial=PARTIAL,
        message={"*": "The server sent an event that is not valid JSON."},
        cli_exit=7,
    ),
    Case(
        "10MB-event",
        "A 10 MB event (cap: 32 MB)",
        setup=_push(lambda d: fs.stream([d.last("x" * TEN_MB)])),
        success_text="x" * TEN_MB,
        cli_exit=0,
    ),
    Case(
        "invalid-utf8",
        "Invalid UTF-8 in an event",
        setup=_push(
            lambda d: fs.stream([d.event(PARTIAL), d.event("bad @@").replace(b"@@", b"\xff\xfe")])
        ),
        error=ProtocolError,
        partial=PARTIAL,
        message={"*": "The server sent text that is not valid UTF-8."},
        cli_exit=7,
    ),
    Case(
        "429-storm",
        "429 storm, retryDelay 0.2 s (OpenAI: Retry-After 1), 3 attempts",
        setup=_push(*[lambda d: _rate_limit(d, RETRY_DELAY[d.name])] * 3),
        error=RateLimitedError,
        policy=RetryPolicy(max_attempts=3),
        message={
            "gemini": "Gemini's rate limit or quota was reached (RESOURCE_EXHAUSTED): "
            "Quota exceeded.",
            "openai": "{host}'s rate limit or quota was reached (429): Quota exceeded.",
        },
        cli_exit=6,
    ),
    Case(
        "500-then-ok",
        "500, then success (retried before the first chunk)",
        setup=_push(_server_error),
        policy=FAST_RETRY,
        success_text="Fine now.",
        cli_exit=0,
    ),
    Case(
        "html-502",
        "HTML error page from a proxy (502)",
        setup=_push(lambda d: fs.respond(502, HTML, "text/html; charset=utf-8")),
        error=ServerError,
        message={
            "gemini": "Gemini had a server error (502) — the server answered HTTP 502 (text/html).",
            "openai": "{host} had a server error (502) — the server answered HTTP 502 (text/html).",
        },
        cli_exit=7,
    ),
    Case(
        "html-200",
        "HTML page with status 200 (captive portal)",
        setup=_push(lambda d: fs.respond(200, HTML, "text/html")),
        error=ProtocolError,
        message={"*": "{host} did not answer with an event stream (text/html)."},
        cli_exit=7,
    ),
    Case(
        "redirect",
        "Redirect (302 to another host), not followed",
        setup=_push(
            lambda d: fs.respond(
                302, b"", "text/plain", {"location": "https://elsewhere.example/v1beta"}
            )
        ),
        error=ProtocolError,
        message={
            "*": "{host} redirected the request (HTTP 302) to elsewhere.example; "
            "check the base URL."
        },
        cli_exit=7,
    ),
)
# What the healthy server answers once the fault is removed (and for success cases).
HEALTHY = ("Fine ", "now.")


def by_name(name: str) -> Case:
    return next(c for c in CASES if c.name == name)


def user_turns(dialect: Dialect, request: fs.RawRequest) -> list[str]:
    """The text of each user turn a recorded chat request carries, in order."""
    body = json.loads(request.body)
    if dialect.name == "gemini":
        turns = [c for c in body.get("contents", []) if c.get("role") == "user"]
        return ["".join(p.get("text", "") for p in c.get("parts", [])) for c in turns]
    turns = [m for m in body.get("messages", []) if m.get("role") == "user"]
    return [
        m["content"] if isinstance(m["content"], str) else json.dumps(m["content"]) for m in turns
    ]


# ---------------------------------------------------------------- addresses


@dataclass
class Setting:
    """The servers and address a case runs against."""

    server: fs.FaultyServer  # the one the fault lives on (and recorded requests)
    healthy: fs.FaultyServer  # answers well once the fault is removed
    base_url: str  # where the faulty request goes
    host: str  # as named in messages


@contextlib.contextmanager
def setting(case: Case, dialect: Dialect, *, armed: bool = True) -> Iterator[Setting]:
    """The servers of ``case``; with ``armed=False`` the fault is not queued yet (a
    caller whose client sends other requests first arms it with ``case.setup``)."""
    healthy_answer = fs.stream([dialect.answer(*HEALTHY)])
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(
            fs.FaultyServer(tls=case.address == "tls", default=healthy_answer)
        )
        healthy = server
        if case.address != "server":
            healthy = stack.enter_context(fs.FaultyServer(default=healthy_answer))
        if case.address == "refused":
            port = fs.refused_port()
            host = f"127.0.0.1:{port}"
            url = f"http://{host}"
        elif case.address == "dns":
            host = DNS_HOST
            url = f"http://{host}"
        elif case.address == "backlog":
            port = stack.enter_context(fs.backlog_full_port())
            host = f"127.0.0.1:{port}"
            url = f"http://{host}"
        else:
            host, url = server.host, server.base_url
        if armed:
            case.setup(server, dialect)
        yield Setting(server, healthy, dialect.api_root(url), host)


def make_provider(dialect: Dialect, url: str, case: Case) -> Provider:
    if dialect.name == "gemini":
        return GeminiProvider(
            KEY, url, read_timeout=case.read_timeout, connect_timeout=case.connect_timeout
        )
    return OpenAICompatProvider(
        url,
        KEY,
        read_timeout=case.read_timeout,
        connect_timeout=case.connect_timeout,
    )


# ---------------------------------------------------------------- the core


@dataclass
class CoreOutcome:
    error: RillError | None
    status: MessageStatus
    kept: str  # the answer's text in the history after the fault
    history_roles: list[str]
    notices: list[RetryNotice]
    requests: list[fs.RawRequest]
    retry_status: MessageStatus | None  # after the fault is removed
    retry_text: str
    user_turns_after_retry: int
    elapsed: float
    host: str  # the host:port messages name


async def run_core(case: Case, dialect: Dialect) -> CoreOutcome:
    with setting(case, dialect) as where:
        notices: list[RetryNotice] = []
        provider = make_provider(dialect, where.base_url, case)
        session = ChatSession(
            provider,
            GenerationSettings(model="m"),
            retry_policy=case.policy,
            on_retry=notices.append,
        )
        error: RillError | None = None
        started = time.monotonic()
        try:
            async for _chunk in session.send_message_stream("hi"):
                pass
        except RillError as exc:
            error = exc
        elapsed = time.monotonic() - started
        answer = session.history[-1]
        outcome = CoreOutcome(
            error=error,
            status=answer.status,
            kept=answer.text,
            history_roles=[m.role.value for m in session.history],
            notices=notices,
            requests=list(where.server.requests),
            retry_status=None,
            retry_text="",
            user_turns_after_retry=0,
            elapsed=elapsed,
            host=where.host,
        )
        if error is not None:
            # Remove the fault: the queue is drained, the healthy server answers.
            if where.healthy is not where.server:
                await provider.aclose()
                provider = make_provider(dialect, dialect.api_root(where.healthy.base_url), case)
                session.provider = provider
            async for _chunk in session.retry_stream():
                pass
            outcome.retry_status = session.history[-1].status
            outcome.retry_text = session.history[-1].text
            outcome.user_turns_after_retry = sum(m.role.value == "user" for m in session.history)
        await provider.aclose()
        return outcome


# ---------------------------------------------------------------- the CLI


@dataclass
class CliOutcome:
    host: str
    exit_code: int
    stdout: str
    stderr: str
    requests: list[fs.RawRequest]


def cli_env(home: Path, case: Case, dialect: Dialect) -> dict[str, str]:
    scrub = (
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        "GOOGLE_GEMINI_BASE_URL",
        "RILL_HOME",
        "RILL_DEBUG",
        "OPENAI_API_KEY",
    )
    env = {k: v for k, v in os.environ.items() if k not in scrub and "proxy" not in k.lower()}
    env.update(
        RILL_HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        RILL_MAX_ATTEMPTS=str(case.policy.max_attempts),
        PYTHONIOENCODING="utf-8",
        NO_COLOR="1",
    )
    if dialect.name == "gemini":
        env["GEMINI_API_KEY"] = KEY
    config = home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(
        json.dumps({"network": {"read_timeout": case.cli_read_timeout}})
    )
    return env


def run_cli(case: Case, dialect: Dialect, home: Path) -> CliOutcome:
    with setting(case, dialect) as where:
        args = [
            sys.executable,
            "-m",
            "rill.core.cli",
            "ask",
            "--no-save",
            "--base-url",
            where.base_url,
        ]
        if dialect.name == "openai":
            args += ["--provider", "openai", "--model", "m"]
        done = subprocess.run(
            [*args, "hi"],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=cli_env(home, case, dialect),
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        return CliOutcome(
            where.host, done.returncode, done.stdout, done.stderr, list(where.server.requests)
        )
