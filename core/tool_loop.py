"""The tool side of the function-calling loop: which tools from servers a request
offers the model, and what Rill answers when the model calls them.

Provider-neutral: the chat session (``rill.core.chat``) hands this module the calls an
answer made and sends back the response parts it returns; the providers put both on
their wire. Each call is decided first (the user's consent, asked through an async
callback the caller supplies, unless a choice was remembered), one card at a time; the
allowed calls then run at once through the MCP layer (``ToolServers``, which this
module does not import: it loads the SDK), each with the per-call timeout. A denial,
a failure or a tool's own error goes back to the model as an error result: it never
ends the answer. Cancelling the answer cancels the running calls with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from rill.core.answer_types import FunctionCall, FunctionDeclaration, FunctionResponse
from rill.core.tool_settings import ToolSettings
from rill.core.tools import ChatGrants, Decision, ToolCallError, ToolInfo, ToolRef, ToolResult
from rill.core.tools.consent import denial, needs_asking, remember
from rill.core.types import Chunk, Message, Part

log = logging.getLogger(__name__)

# Gemini: a letter or "_" first, then letters, digits, "_", ".", ":", "-", at most 64;
# OpenAI: letters, digits, "_" and "-", at most 64. A name fits both.
_NOT_NAME = re.compile(r"[^A-Za-z0-9_-]")
_NAME_LIMIT = 64


class ToolRunner(Protocol):
    """What the loop needs of ``rill.core.tools.manager.ToolServers``."""

    async def call(
        self,
        server: str,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        limit: float | None = None,
    ) -> ToolResult:
        """Run one tool; ToolCallError when no result came."""
        ...


@dataclass(frozen=True)
class CallRequest:
    """One call waiting for the user's decision: what a consent card or prompt shows.

    ``arguments`` is the JSON text the model sent (untrusted; show it as plain text).
    """

    ref: ToolRef
    arguments: str
    call_id: str | None = None
    description: str = ""

    def pretty_arguments(self) -> str:
        """The arguments as indented JSON (as sent when they are not valid JSON)."""
        try:
            return json.dumps(json.loads(self.arguments), indent=2, ensure_ascii=False)
        except (ValueError, RecursionError):
            return self.arguments


Consent = Callable[[CallRequest], Awaitable[Decision]]
Remembered = Callable[[Decision, ToolRef], None]


def function_name(ref: ToolRef, taken: set[str]) -> str:
    """The name the model calls ``ref`` by: ``server__tool`` kept to the characters every
    provider takes, cut to 64 with a hash where it is longer or already taken."""
    name = _NOT_NAME.sub("_", f"{ref.server}__{ref.tool}")
    if not (name[0].isalpha() or name[0] == "_"):
        name = f"t_{name}"
    if len(name) > _NAME_LIMIT or name in taken:
        digest = hashlib.sha256(str(ref).encode()).hexdigest()[:8]
        name = f"{name[: _NAME_LIMIT - 9]}_{digest}"
    taken.add(name)
    return name


def response_json(result: ToolResult) -> str:
    """A tool's result as the function response the model gets: ``{"output": text}``, or
    ``{"error": text}``, with ``structuredContent`` where the tool sent some (Gemini's
    convention for ``functionResponse.response``; OpenAI's ``tool`` message gets the
    text alone)."""
    text = result.text
    if result.images:
        count = len(result.images)
        text += f"\n\n({count} image{'s' * (count > 1)} from the tool not sent to the model)"
    body: dict[str, Any] = {"error" if result.is_error else "output": text.strip()}
    if result.structured is not None:
        body["structuredContent"] = result.structured_value()
    return json.dumps(body, ensure_ascii=False)


def _error_json(text: str) -> str:
    return json.dumps({"error": text}, ensure_ascii=False)


class ToolLoop:
    """The tools one chat offers and the choices that decide their calls.

    ``settings`` and ``grants`` follow the user's answers ("Always allow" changes the
    settings, "Allow in this chat" the grants); ``on_remember`` hears each such answer
    so the caller can save it.
    """

    def __init__(
        self,
        runner: ToolRunner,
        tools: Sequence[ToolInfo],
        settings: ToolSettings,
        consent: Consent,
        *,
        grants: ChatGrants | None = None,
        on_remember: Remembered | None = None,
    ) -> None:
        self.runner = runner
        self.settings = settings
        self.grants = grants or ChatGrants()
        self._consent = consent
        self._on_remember = on_remember
        taken: set[str] = set()
        self._tools: dict[str, ToolInfo] = {}
        declared: list[FunctionDeclaration] = []
        for info in tools:
            name = function_name(ToolRef(info.server, info.name), taken)
            self._tools[name] = info
            schema = dict(info.input_schema or {"type": "object"})
            declared.append(
                FunctionDeclaration(
                    name=name,
                    description=info.description or info.title,
                    parameters=json.dumps(schema, ensure_ascii=False, separators=(",", ":")),
                )
            )
        self.functions = tuple(declared)

    @property
    def max_rounds(self) -> int:
        """Rounds of calls one answer may make (the ``tools.max_rounds`` setting)."""
        return self.settings.max_rounds

    def ref_for(self, name: str) -> ToolRef | None:
        """The tool the model calls by ``name`` (None: no such tool was offered)."""
        info = self._tools.get(name)
        return None if info is None else ToolRef(info.server, info.name)

    async def answer(self, calls: Sequence[FunctionCall]) -> list[Part]:
        """Decide every call (asking where needed, in order), run the allowed ones at
        once and return one response part per call, in the calls' order."""
        decided = [await self._decide(call) for call in calls]
        return list(await asyncio.gather(*(self._run(call, how) for call, how in decided)))

    def not_run(self, calls: Sequence[FunctionCall], why: str) -> list[Part]:
        """Responses for calls Rill will not run (the round limit, a stopped answer)."""
        parts = []
        for call in calls:
            ref = self.ref_for(call.name)
            parts.append(self._reply(call, ref, "not_run", _error_json(why), is_error=True))
        return parts

    async def _decide(self, call: FunctionCall) -> tuple[FunctionCall, str | Decision]:
        """How ``call`` is decided: a Decision, or why it cannot run (an error text)."""
        ref = self.ref_for(call.name)
        if ref is None:
            return call, f"There is no tool named {call.name!r}; it was not offered."
        try:
            arguments = json.loads(call.args)
        except (ValueError, RecursionError):
            arguments = None
        if not isinstance(arguments, dict):
            return call, f"The arguments for {ref} are not a JSON object; it did not run."
        if not needs_asking(self.settings, self.grants, ref):
            config = self.settings.servers.get(ref.server)
            always = config is not None and config.tool_prefs(ref.tool).always_allow
            return call, Decision.ALWAYS_ALLOW if always else Decision.ALLOW_IN_CHAT
        info = self._tools[call.name]
        request = CallRequest(ref, call.args, call.id, info.description)
        try:
            decision = await self._consent(request)
        except Exception:  # a broken prompt denies; it never runs a tool unasked
            log.exception("asking about a tool call failed")
            decision = Decision.DENY
        with contextlib.suppress(KeyError):  # the server was removed: nothing to remember
            self.settings, self.grants = remember(decision, ref, self.settings, self.grants)
        if self._on_remember is not None and decision in (
            Decision.ALLOW_IN_CHAT,
            Decision.ALWAYS_ALLOW,
        ):
            self._on_remember(decision, ref)
        return call, decision

    async def _run(self, call: FunctionCall, how: str | Decision) -> Part:
        ref = self.ref_for(call.name)
        if not isinstance(how, Decision):
            return self._reply(call, ref, "not_run", _error_json(how), is_error=True)
        if ref is None or how is Decision.DENY:
            result = denial(ref or ToolRef("", call.name))
            return self._reply(call, ref, how.value, response_json(result), is_error=True)
        try:
            result = await self.runner.call(
                ref.server, ref.tool, json.loads(call.args), limit=self.settings.call_timeout
            )
        except ToolCallError as error:
            result = error.as_result()
        except Exception as error:  # a bug in a layer below must not end the answer
            log.exception("the tool call %s failed", ref)
            result = ToolCallError(
                f"The tool {ref} failed inside Rill ({type(error).__name__})", failure="invalid"
            ).as_result()
        return self._reply(call, ref, how.value, response_json(result), is_error=result.is_error)

    @staticmethod
    def _reply(
        call: FunctionCall, ref: ToolRef | None, decision: str, response: str, *, is_error: bool
    ) -> Part:
        reply = FunctionResponse(
            name=call.name,
            response=response,
            id=call.id,
            server=ref.server if ref else None,
            tool=ref.tool if ref else None,
            decision=decision,
            is_error=is_error,
        )
        return Part(function_response=reply)


def unanswered(parts: Sequence[Part]) -> list[FunctionCall]:
    """The calls Rill offered tools for and has not answered yet, in order (responses
    follow their round's calls in order, so the count tells which)."""
    calls = [p.function_call for p in parts if p.function_call and p.function_call.offered]
    replies = sum(1 for p in parts if p.function_response and p.function_response.decision)
    return calls[replies:]


def rounds_note(limit: int) -> str:
    """The line an answer ends with when the model wanted more rounds than allowed."""
    return (
        f"Rill stopped the tool calls after {limit} round{'s' * (limit != 1)} in this answer "
        "(the limit is the tools.max_rounds setting)."
    )


# ---------------------------------------------------------------- the session's side

STOPPED_CALL = "The user stopped the answer; this call did not finish."


def mark_offered(tools: ToolLoop | None, chunk: Chunk) -> Chunk:
    """``chunk`` with its function calls marked offered when the session has ``tools``
    (Rill answers them; see ``FunctionCall.offered``); the same chunk otherwise."""
    if tools is None or not any(p.function_call for p in chunk.parts):
        return chunk
    parts = tuple(
        replace(p, function_call=replace(p.function_call, offered=True))
        if p.function_call is not None
        else p
        for p in chunk.parts
    )
    return replace(chunk, parts=parts)


async def tool_round(tools: ToolLoop | None, answer: Message, rounds: int) -> Chunk | None:
    """Answer the calls of the round that just ended: the chunk of responses added to
    ``answer`` (None: no calls, the answer is done). Past the round limit the calls do
    not run, the answer says so in an error line, and the chunk's finish reason is STOP
    (no request follows)."""
    calls = unanswered(answer.parts) if tools is not None else []
    if not calls or tools is None:
        return None
    if rounds >= tools.max_rounds:
        note = rounds_note(tools.max_rounds)
        parts = [*tools.not_run(calls, note), Part(error=note)]
        for part in parts:
            answer.append_part(part)
        answer.finish_reason = "STOP"
        return Chunk(parts=tuple(parts), finish_reason="STOP")
    replies = await tools.answer(calls)
    for part in replies:
        answer.append_part(part)
    return Chunk(parts=tuple(replies))


def close_calls(tools: ToolLoop | None, answer: Message, why: str = STOPPED_CALL) -> None:
    """Answer the calls a stop left open, so the history sent later stays whole (a
    call without its response is a request the provider refuses)."""
    calls = unanswered(answer.parts) if tools is not None else []
    if calls and tools is not None:
        for part in tools.not_run(calls, why):
            answer.append_part(part)
