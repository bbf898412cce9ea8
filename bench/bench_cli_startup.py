"""How long `rill ask` takes from process start to its request reaching the server.

Runs the CLI N times (default 10) against a minimal local Gemini-shaped SSE server and
prints the median, with the exact command used. The clock starts just before the
process is spawned and stops when the server has read the request, so it covers
interpreter start, imports, settings, key lookup and the HTTP connect.

    .venv/bin/python bench/bench_cli_startup.py [--runs 10] [--cli rill-cli|module]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

ANSWER = {
    "candidates": [
        {"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}
    ],
    "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2},
    "modelVersion": "bench",
}


class _Handler(BaseHTTPRequestHandler):
    received: ClassVar[list[float]] = []
    got_request: ClassVar[threading.Event] = threading.Event()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        _Handler.received.append(time.perf_counter())
        _Handler.got_request.set()
        body = f"data: {json.dumps(ANSWER)}\r\n\r\n".encode()
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _command(kind: str, base_url: str) -> list[str]:
    if kind == "rill-cli":
        exe = shutil.which("rill-cli", path=os.path.dirname(sys.executable))
        if exe is None:
            raise SystemExit("rill-cli is not installed next to this Python; use --cli module")
        head = [exe]
    else:
        head = [sys.executable, "-m", "rill.core.cli"]
    return [*head, "ask", "--base-url", base_url, "--model", "bench-model", "hello"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--cli", choices=("rill-cli", "module"), default="rill-cli")
    opts = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    command = _command(opts.cli, base_url)
    home = tempfile.mkdtemp(prefix="rill-bench-")
    env = {**os.environ, "RILL_HOME": home, "GEMINI_API_KEY": "bench-key", "RILL_MAX_ATTEMPTS": "1"}
    env.pop("GOOGLE_GEMINI_BASE_URL", None)

    # One untimed run fills the OS file cache and writes .pyc files.
    timings: list[float] = []
    for i in range(opts.runs + 1):
        _Handler.got_request.clear()
        start = time.perf_counter()
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        if proc.returncode != 0 or not _Handler.got_request.is_set():
            print(proc.stderr, file=sys.stderr)
            raise SystemExit(f"run {i} failed with exit status {proc.returncode}")
        if i > 0:
            timings.append(_Handler.received[-1] - start)
    server.shutdown()
    shutil.rmtree(home, ignore_errors=True)

    ms = sorted(t * 1000 for t in timings)
    print(f"command: {shlex.join(command)}")
    print(f"runs: {len(ms)}  min {ms[0]:.0f} ms  max {ms[-1]:.0f} ms")
    print(f"median time from process start to request received: {statistics.median(ms):.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
