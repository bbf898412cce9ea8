"""Function calling in OpenAI's Chat Completions JSON: the ``tools`` a request offers,
an answer's calls and Rill's responses as ``assistant`` / ``tool`` messages, and the
streamed ``tool_calls`` deltas put back together by index.

Pure functions and one small accumulator, no I/O. A malformed entry from a server is
left out, never raised, so the answer around it survives.
"""

from __future__ import annotations

import json
from typing import Any

from rill.core.answer_types import FunctionCall, FunctionDeclaration, FunctionResponse
from rill.core.types import Message, Part, Role

JSON = dict[str, Any]
# A call's arguments may stream in many deltas; a server that never stops is cut here.
MAX_ARGUMENT_CHARS = 1024 * 1024


def encode_declarations(functions: tuple[FunctionDeclaration, ...]) -> list[JSON]:
    """The request's ``tools``: one ``{"type": "function", ...}`` per declaration."""
    out: list[JSON] = []
    for function in functions:
        spec: JSON = {"name": function.name}
        if function.description:
            spec["description"] = function.description
        spec["parameters"] = _json_value(function.parameters)
        out.append({"type": "function", "function": spec})
    return out


def has_tool_parts(message: Message) -> bool:
    """Whether ``message`` is an answer that called functions (it needs :func:`encode_turns`)."""
    return message.role is Role.MODEL and any(
        p.function_call is not None or p.function_response is not None for p in message.parts
    )


def encode_turns(message: Message) -> list[JSON]:
    """An answer that called functions as messages: each ``assistant`` message with its
    text and ``tool_calls``, then one ``tool`` message per response (its
    ``tool_call_id`` the call's id). A call without an id (one from Gemini's older
    models) gets ``rill_call_N``, and the N-th response without one the same."""
    out: list[JSON] = []
    texts: list[str] = []
    calls: list[JSON] = []
    calls_seen = replies_seen = 0

    def flush() -> None:
        if texts or calls:
            entry: JSON = {"role": "assistant", "content": "".join(texts) or None}
            if calls:
                entry["tool_calls"] = list(calls)
            out.append(entry)
        texts.clear()
        calls.clear()

    for part in message.parts:
        if part.thought or part.error is not None:
            continue
        if part.function_call is not None:
            calls.append(_call(part.function_call, calls_seen))
            calls_seen += 1
        elif part.function_response is not None:
            flush()
            reply = part.function_response
            call_id = reply.id or f"rill_call_{replies_seen}"
            replies_seen += 1
            out.append({"role": "tool", "tool_call_id": call_id, "content": tool_content(reply)})
        elif part.text:
            texts.append(part.text)
    flush()
    return out


def _call(call: FunctionCall, index: int) -> JSON:
    return {
        "id": call.id or f"rill_call_{index}",
        "type": "function",
        "function": {"name": call.name, "arguments": call.args},
    }


def tool_content(reply: FunctionResponse) -> str:
    """A response as a ``tool`` message's text: the output itself, an error as
    "Error: …", anything else (structured content alone) as its JSON. The MCP
    specification has a tool that sends structured content send its text too, so the
    text alone is what goes when there is some."""
    value = _json_value(reply.response)
    if isinstance(value, dict):
        output, error = value.get("output"), value.get("error")
        if isinstance(error, str) and error:
            return f"Error: {error}"
        if isinstance(output, str) and output:
            return output
    return reply.response


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return {}


class ToolCallAssembler:
    """Streamed ``delta.tool_calls`` entries joined by ``index`` into whole calls.

    The first delta of a call carries its ``id`` and ``function.name``; the ones after
    carry pieces of ``function.arguments`` (a JSON text cut anywhere).
    """

    def __init__(self) -> None:
        self._calls: dict[int, dict[str, Any]] = {}

    def feed(self, deltas: Any) -> None:
        """Take in one delta's ``tool_calls`` list (anything malformed is skipped)."""
        if not isinstance(deltas, list):
            return
        for position, delta in enumerate(deltas):
            if not isinstance(delta, dict):
                continue
            index = delta.get("index")
            if not isinstance(index, int) or isinstance(index, bool):
                index = position  # servers that leave it out send whole calls
            call = self._calls.setdefault(index, {"id": None, "name": "", "args": []})
            if isinstance(delta.get("id"), str) and delta["id"]:
                call["id"] = delta["id"]
            function = delta.get("function")
            if not isinstance(function, dict):
                continue
            if isinstance(function.get("name"), str):
                call["name"] += function["name"]
            piece = function.get("arguments")
            if isinstance(piece, str) and sum(map(len, call["args"])) < MAX_ARGUMENT_CHARS:
                call["args"].append(piece)

    @property
    def empty(self) -> bool:
        """Whether no call has arrived."""
        return not self._calls

    def parts(self) -> list[Part]:
        """The calls as function-call parts, in index order (nameless ones left out)."""
        parts: list[Part] = []
        for index in sorted(self._calls):
            call = self._calls[index]
            if not call["name"]:
                continue
            args = "".join(call["args"]).strip() or "{}"
            parts.append(Part(function_call=FunctionCall(call["name"], args, call["id"])))
        self._calls.clear()
        return parts


def decode_tool_calls(raw: Any) -> list[Part]:
    """A whole message's ``tool_calls`` (a completion that was not streamed)."""
    assembler = ToolCallAssembler()
    assembler.feed(raw)
    return assembler.parts()
