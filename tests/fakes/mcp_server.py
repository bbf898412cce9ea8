"""An MCP server written with the SDK's own server (``MCPServer``, FastMCP in mcp 1.x)
for the fault tests: a tool that hangs, one that kills its process mid-call, one that
answers 5 MB, one whose input schema is not a valid JSON Schema, one returning an image.

    python -m tests.fakes.mcp_server                 # stdio
    python -m tests.fakes.mcp_server --http --token T  # streamable HTTP on 127.0.0.1

Over HTTP it prints ``PORT=<n>`` once listening and refuses (401) any request without
``Authorization: Bearer T``. ``--exit-on-stdin-eof`` makes the HTTP server stop when
its parent goes away; ``--stubborn`` makes a stdio server that only SIGKILL stops.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.utilities.types import Image
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, Tool

# A 1x1 red PNG: small, valid, and recognisable in a test.
RED_PIXEL_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg=="
)
BIG_RESULT_CHARS = 5 * 1024 * 1024
# Not a JSON Schema: "minimum" must be a number.
BAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"n": {"type": "integer", "minimum": "zero"}},
}


class FaultyServer(MCPServer):
    """Lists ``bad_schema`` with :data:`BAD_SCHEMA` instead of the schema it was given."""

    async def list_tools(self) -> list[Tool]:
        tools = await super().list_tools()
        return [
            t.model_copy(update={"input_schema": BAD_SCHEMA}) if t.name == "bad_schema" else t
            for t in tools
        ]


def build() -> FaultyServer:
    server = FaultyServer("rill-test-faults")

    @server.tool()
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    @server.tool()
    async def hang(seconds: float = 3600.0) -> str:
        """Sleep for a long time (for timeouts and cancellation)."""
        await asyncio.sleep(seconds)
        return "woke up"

    @server.tool()
    def crash() -> str:
        """End this server's process in the middle of the call."""
        sys.stderr.write("fatal: the crash tool was called\n")
        sys.stderr.flush()
        os._exit(3)

    @server.tool()
    def big() -> str:
        """Answer five megabytes of text."""
        return "x" * BIG_RESULT_CHARS

    @server.tool(structured_output=False)
    def text_of(size: int) -> str:
        """Answer ``size`` characters of text (unstructured, as most servers answer)."""
        return "y" * size

    @server.tool()
    def picture() -> Image:
        """Answer a one-pixel PNG."""
        return Image(data=RED_PIXEL_PNG, format="png")

    @server.tool()
    def fail(reason: str) -> str:
        """Raise, so the result comes back with isError."""
        raise ToolError(reason)

    @server.tool()
    def refuse() -> str:
        """Answer with a protocol error instead of a result."""
        raise MCPError(code=INVALID_PARAMS, message="refused: this tool never runs")

    @server.tool()
    def bad_schema(n: int) -> int:
        """Listed with an input schema that is not a valid JSON Schema."""
        return n

    @server.tool()
    def environment() -> dict[str, str]:
        """This process's environment (for the no-secrets tests)."""
        return dict(os.environ)

    @server.tool()
    def pid() -> int:
        """This process's id (for reading /proc/<pid>/environ, and for kill checks)."""
        return os.getpid()

    @server.tool()
    def shout(text: str) -> str:
        """Write ``text`` to stderr (for the stderr tail) and return it."""
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
        return text

    return server


def _serve_http(server: FaultyServer, token: str, exit_on_eof: bool) -> None:
    import uvicorn
    from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response

    async def check_token(request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.headers.get("authorization") != f"Bearer {token}":
            return PlainTextResponse("missing or wrong token", status_code=401)
        return await call_next(request)

    app = server.streamable_http_app()
    app.add_middleware(BaseHTTPMiddleware, dispatch=check_token)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # connections made before uvicorn runs wait instead of being refused
    config = uvicorn.Config(app, log_level="warning", lifespan="on")
    http = uvicorn.Server(config)
    if exit_on_eof:

        def watch() -> None:
            sys.stdin.buffer.read()
            http.should_exit = True
            time.sleep(2.0)
            os._exit(0)

        threading.Thread(target=watch, daemon=True).start()
    print(f"PORT={sock.getsockname()[1]}", flush=True)
    asyncio.run(http.serve(sockets=[sock]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    parser.add_argument(
        "--stubborn", action="store_true", help="ignore SIGTERM and outlive a closed stdin"
    )
    args = parser.parse_args()
    server = build()
    if args.stubborn:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        # A non-daemon thread keeps the interpreter alive after the server returns.
        threading.Thread(target=time.sleep, args=(3600,), daemon=False).start()
    if args.http:
        _serve_http(server, args.token, args.exit_on_stdin_eof)
    else:
        server.run("stdio")


if __name__ == "__main__":
    main()
