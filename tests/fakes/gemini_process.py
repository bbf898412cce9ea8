"""Run the fake Gemini server as a child process and drive it through /_fake/*.

CLI and end-to-end tests start Rill as another process, so the server they talk to
must not depend on the test process's threads; this module owns that child.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.fakes.gemini_scenarios import Scenario

REPO_ROOT = Path(__file__).resolve().parents[2]

# Control calls must never go through a proxy configured in the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class FakeGeminiProcess:
    """`python -m tests.fakes.gemini_server` in a child process, plus its control API."""

    def __init__(self, api_key: str = "test-key", extra_args: Iterable[str] = ()) -> None:
        self.api_key = api_key
        self._extra_args = list(extra_args)
        self._proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self, timeout: float = 15.0) -> FakeGeminiProcess:
        """Spawn the server and wait for its PORT=<n> line."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.fakes.gemini_server",
                "--port",
                "0",
                "--api-key",
                self.api_key,
                "--exit-on-stdin-eof",
                *self._extra_args,
            ],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert self._proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = b""
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([self._proc.stdout], [], [], max(remaining, 0))
            if not ready or self._proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"fake Gemini server did not start (got {line!r})")
            line += os.read(self._proc.stdout.fileno(), 1)
        if not line.startswith(b"PORT="):
            self.stop()
            raise RuntimeError(f"unexpected first line from fake Gemini server: {line!r}")
        self.port = int(line[5:].strip())
        return self

    def stop(self) -> None:
        """Close the child's stdin (it exits on EOF), then make sure it is gone."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        if proc.stdout:
            proc.stdout.close()

    def __enter__(self) -> FakeGeminiProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with _OPENER.open(request, timeout=10) as response:
            return json.loads(response.read() or b"null")

    def requests(self) -> list[dict[str, Any]]:
        """Recorded requests: method, path, target, query, headers, json, body_text."""
        result: list[dict[str, Any]] = self._call("GET", "/_fake/requests")
        return result

    def streams(self) -> list[dict[str, Any]]:
        """Stream records (see gemini_stream.StreamRecord) as dicts."""
        result: list[dict[str, Any]] = self._call("GET", "/_fake/streams")
        return result

    def push(self, *scenarios: Scenario | Iterable[Scenario] | dict[str, Any]) -> None:
        """Queue scenarios (Scenario objects, lists of them, or /_fake/push dicts)."""
        specs: list[dict[str, Any]] = []
        for item in scenarios:
            if isinstance(item, Scenario):
                specs.append(item.to_dict())
            elif isinstance(item, dict):
                specs.append(item)
            else:
                specs.extend(s.to_dict() for s in item)
        self._call("POST", "/_fake/push", specs)

    def clear(self) -> None:
        self._call("POST", "/_fake/clear", {})

    def release(self) -> None:
        self._call("POST", "/_fake/release", {})

    def wait_for_requests(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Poll until at least `count` requests were recorded; raise on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.requests()
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"expected {count} requests, got {len(found)}")
            time.sleep(0.02)
