"""A planted API key never leaves its request header: `rill ask`, `rill chat`, history,
search, export and import (successes and failures, both providers) are run as real
subprocesses with a unique key; every file under RILL_HOME, everything printed and
every recorded request is searched for it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.fakes import faulty_server as fs
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_scenarios import http_error as oai_http_error
from tests.fakes.openai_server import FakeOpenAI
from tests.security.secret_scan import (
    CLI,
    assert_only_key_file,
    assert_request_clean,
    files_holding,
    planted_key,
)

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX subprocess semantics")


def _env(home: Path, **extra: str) -> dict[str, str]:
    scrub = {"GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "OPENAI_API_KEY"}
    env = {k: v for k, v in os.environ.items() if k not in scrub and "proxy" not in k.lower()}
    env.update(
        RILL_HOME=str(home),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        RILL_MAX_ATTEMPTS="1",
        PYTHONIOENCODING="utf-8",
        **extra,
    )
    return env


class Runs:
    """Every CLI run of a test, with everything it printed."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.printed: list[str] = []

    def __call__(self, *args: str, stdin: str = "", ok: bool | None = True) -> str:
        done = subprocess.run(
            [*CLI, *args], input=stdin, capture_output=True, text=True, encoding="utf-8",
            env=self.env, timeout=60,
        )  # fmt: skip
        self.printed += [done.stdout, done.stderr]
        if ok is True:
            assert done.returncode == 0, done.stderr
        elif ok is False:
            assert done.returncode != 0, done.stdout
        return done.stdout


def test_gemini_key_stays_in_its_header(tmp_path: Path) -> None:
    key = planted_key()
    home = tmp_path / "home"
    run = Runs(_env(home, GEMINI_API_KEY=key))
    with FakeGemini(api_key=key) as fake, fs.FaultyServer(tls=True) as tls:
        url = fake.base_url
        run("ask", "--base-url", url, "--system", "be terse", "first question")
        run("ask", "--base-url", url, "--no-stream", "--stats", "second question")
        run("chat", "--base-url", url, stdin="hello there\n/retry\nand more\n/exit\n", ok=None)
        # Failures: server errors, a dropped stream, a bad JSON event, a block, a 404.
        for model in ("fake-500", "fake-abrupt", "fake-bad-json", "fake-blocked", "nope"):
            run("ask", "--base-url", url, "--model", model, "failing", ok=False)
        # Network failures name the host, never the key.
        run("ask", "--base-url", f"http://127.0.0.1:{fs.refused_port()}", "x", ok=False)
        run("ask", "--base-url", tls.base_url, "x", ok=False)
        run("ask", "--base-url", url, "--thoughts", "--model", "fake-thoughts", "think")
        # The store's way out and back in.
        run("history")
        run("search", "question")
        for fmt in ("md", "json"):
            run("export", "--latest", "--format", fmt)
        exported = tmp_path / "chat.json"
        run("export", "1", "--format", "json", "-o", str(exported))
        run("export", "--latest", "-o", str(tmp_path / "chat.md"))
        run("import", str(exported))
        requests = fake.requests
    assert requests and all(r.headers.get("x-goog-api-key") == key for r in requests)
    for r in requests:
        assert_request_clean(r.target, r.headers, r.body, key, "x-goog-api-key")
    assert tls.requests == []  # nothing, key included, went over the untrusted TLS
    for text in run.printed:
        assert key not in text
    assert "Echo: first question" in "".join(run.printed)
    assert assert_only_key_file(home, key) > 0
    assert assert_only_key_file(tmp_path, key) > 0  # the exports beside it too


def test_openai_key_stays_in_its_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = planted_key()
    home = tmp_path / "home"
    # Saved the way the app saves it: no keychain here, so the private key file.
    monkeypatch.setenv("RILL_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    from rill.core import secrets

    secrets.set_api_key("openai", key)
    key_file = secrets.key_file_path()
    run = Runs(_env(home))
    with FakeOpenAI(api_key=key) as fake:
        base = ["--provider", "openai", "--base-url", fake.base_url, "--model", "fake-chat"]
        run("ask", *base, "a question")
        run("ask", *base, "--no-stream", "another")
        run("chat", *base, stdin="hi\n/exit\n", ok=None)
        fake.push(oai_http_error(500))
        run("ask", *base, "fails", ok=False)
        fake.push(oai_http_error(401))
        run("ask", *base, "refused", ok=False)
        run("ask", "--provider", "openai", "--base-url", fake.base_url, "--model", "nope", "x",
            ok=False)  # fmt: skip
        run("export", "--latest", "--format", "json")
        run("export", "--latest", "--format", "md")
        requests = fake.requests
    assert requests
    for r in requests:
        assert_request_clean(r.target, r.headers, r.body, key, "authorization")
    assert any(r.headers.get("authorization") == f"Bearer {key}" for r in requests)
    for text in run.printed:
        assert key not in text
    assert files_holding(home, key) == [key_file]  # the scanner does see it there
    assert_only_key_file(home, key, allowed=[key_file])
