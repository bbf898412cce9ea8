"""Helpers for the function-calling loop's tests: a ToolLoop over real MCP servers,
consent callbacks that answer as told and record what they were asked, and readers of
what went to the fake servers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from rill.core.chat import ChatSession
from rill.core.tool_loop import CallRequest, ToolLoop
from rill.core.tools import Decision, ToolRef
from rill.core.tools.manager import ToolServers
from rill.core.types import Chunk


class Consent:
    """Answers every question with the next of ``answers`` (the last one repeats)."""

    def __init__(self, *answers: Decision) -> None:
        self.answers = list(answers) or [Decision.ALLOW_ONCE]
        self.asked: list[CallRequest] = []

    async def __call__(self, request: CallRequest) -> Decision:
        self.asked.append(request)
        index = min(len(self.asked), len(self.answers)) - 1
        return self.answers[index]


async def make_loop(
    servers: ToolServers,
    consent: Consent | None = None,
    names: Sequence[str] = ("fake",),
    remembered: list[tuple[Decision, ToolRef]] | None = None,
) -> ToolLoop:
    """A ToolLoop offering every usable tool of ``names``."""
    offered, failed = await servers.offered_tools(names)
    assert not failed, {name: str(error) for name, error in failed.items()}
    return ToolLoop(
        servers,
        offered,
        servers.settings,
        consent or Consent(),
        on_remember=(lambda d, r: remembered.append((d, r))) if remembered is not None else None,
    )


async def drain(stream: AsyncIterator[Chunk]) -> list[Chunk]:
    return [chunk async for chunk in stream]


def last_answer(session: ChatSession) -> Any:
    answer = session.last_answer
    assert answer is not None
    return answer


def response_of(part: dict[str, Any]) -> Any:
    """A functionResponse part's ``response`` object."""
    return part["functionResponse"]["response"]


def tool_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in body["messages"] if m["role"] == "tool"]


def args(**values: Any) -> str:
    return json.dumps(values)
