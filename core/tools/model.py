"""What the MCP layer hands the rest of Rill: a server's state, its tools, a tool's
result and a call's failure. Plain data, free of the SDK's types, so the chat loop,
the store and the window never see MCP's JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from rill.core.errors import RillError
from rill.core.types import Part


class ServerState(StrEnum):
    """Where a server stands; the Tools dialog shows it."""

    STOPPED = "stopped"  # not running (never started, stopped, or disabled)
    STARTING = "starting"  # the process or connection is being set up
    READY = "ready"  # connected; its tools are listed
    FAILED = "failed"  # see ServerStatus.reason (and restart_in when it comes back)


@dataclass(frozen=True)
class ToolInfo:
    """One tool as its server listed it. The texts are the server's own (untrusted).

    ``problem`` says why the model cannot be offered the tool (an input schema that
    is not a JSON Schema, say); "" when it can.
    """

    server: str
    name: str
    title: str = ""
    description: str = ""
    input_schema: Mapping[str, Any] | None = None
    problem: str = ""

    @property
    def usable(self) -> bool:
        """Whether the model may be offered this tool."""
        return not self.problem


@dataclass(frozen=True)
class ServerStatus:
    """A server as the Tools dialog shows it."""

    name: str
    state: ServerState = ServerState.STOPPED
    reason: str = ""  # why it failed (one line; its stderr is in stderr_tail)
    tools: tuple[ToolInfo, ...] = ()  # as last listed (kept while it restarts)
    stderr_tail: tuple[str, ...] = ()  # its last lines of stderr (stdio servers)
    restart_in: float | None = None  # seconds to the automatic restart, when one is due
    server_info: str = ""  # the name and version it gave, e.g. "mcp-time 2026.10.19"
    # What kind of failure: "auth" (credentials refused), "network" (unreachable or
    # no answer in time), "server" (anything else); "" unless FAILED.
    fault: str = ""


@dataclass(frozen=True)
class ToolResult:
    """A tool's answer in Rill's own types; the server's words, untrusted.

    ``parts`` holds its text and images in the order sent (``rill.core.types.Part``),
    ``structured`` its structured content as JSON text, ``notes`` what was cut or left
    out on the way (each a sentence the card shows and the model is told).
    """

    parts: tuple[Part, ...] = ()
    structured: str | None = None
    is_error: bool = False
    notes: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """All text parts and the notes, one paragraph each: what a model that reads
        only text is sent."""
        texts = [p.text for p in self.parts if p.text is not None]
        return "\n\n".join([*texts, *self.notes])

    @property
    def images(self) -> tuple[Part, ...]:
        """The image parts, in the order sent."""
        return tuple(p for p in self.parts if p.data is not None)

    def structured_value(self) -> Any:
        """The structured content parsed (None when there is none)."""
        return None if self.structured is None else json.loads(self.structured)


class ToolCallError(RillError):
    """A tool call that produced no result. ``failure`` says why, for the caller:

    - ``unavailable``: the server is disabled, unknown, or could not start;
    - ``unknown_tool``: the server does not list it, or it is disabled or unusable;
    - ``timeout``: no answer within the call's timeout (the server was asked to stop);
    - ``crashed``: the server went away during the call (it is restarted);
    - ``refused``: the server answered with a protocol error (bad arguments, say);
    - ``invalid``: the answer was not valid MCP;
    - ``stopped``: Rill stopped the server meanwhile.

    :meth:`as_result` turns it into the error result the model is sent back.
    """

    kind = "tool"

    def __init__(self, message: str, *, failure: str, detail: str | None = None) -> None:
        super().__init__(message, detail=detail)
        self.failure = failure

    def as_result(self) -> ToolResult:
        """The failure as a tool result with ``isError``, for the model."""
        return ToolResult(parts=(Part.from_text(self.message),), is_error=True)
