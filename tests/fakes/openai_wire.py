"""The fake OpenAI server's JSON: validating requests, building chunks and errors.

Shapes follow OpenAI's own traffic: ``chat.completion.chunk`` objects with a
``delta``, a first chunk carrying only the role, a finish chunk with empty delta,
and (with ``stream_options.include_usage``) a last chunk with ``choices: []`` and
``usage``, then ``data: [DONE]``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

from tests.fakes.openai_scenarios import OAIScenario

MALFORMED = '{"id": "chatcmpl-x", "choices": [{"delta": {"content": "cut sh'


def error_body(message: str, code: str | None, kind: str = "invalid_request_error") -> Any:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _invalid(message: str, param: str | None = None) -> Any:
    return {
        "error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    }


def _check_content(content: Any, where: str) -> Any:
    if isinstance(content, str):
        return None
    if not isinstance(content, list) or not content:
        return _invalid(f"Invalid type for '{where}.content'.", f"{where}.content")
    for i, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            continue
        if kind == "image_url":
            url = (part.get("image_url") or {}).get("url")
            if isinstance(url, str) and url.startswith(("data:image/", "https://", "http://")):
                if url.startswith("data:") and ";base64," not in url:
                    return _invalid("Invalid image data URL.", f"{where}.content[{i}]")
                continue
            return _invalid(
                f"Invalid 'image_url': expected a URL or base64 data URL, got {url!r}.",
                f"{where}.content[{i}].image_url.url",
            )
        return _invalid(f"Invalid content part type {kind!r}.", f"{where}.content[{i}].type")
    return None


def _check_tools(req: dict[str, Any]) -> Any:
    """OpenAI's checks of ``tools`` and of the tool messages that answer calls."""
    tools = req.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            return _invalid("Invalid type for 'tools'.", "tools")
        for i, tool in enumerate(tools):
            function = tool.get("function") if isinstance(tool, dict) else None
            name = function.get("name") if isinstance(function, dict) else None
            if tool.get("type") != "function" or not isinstance(name, str):
                return _invalid(f"Missing required parameter: 'tools[{i}].function'.")
            if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", name):
                return _invalid(
                    f"Invalid 'tools[{i}].function.name': string does not match pattern.",
                    f"tools[{i}].function.name",
                )
            params = function.get("parameters")
            if params is not None and not (isinstance(params, dict) and params.get("type")):
                return _invalid(f"Invalid schema for function '{name}'.")
    open_ids: list[str] = []
    for i, message in enumerate(req["messages"]):
        if message.get("role") == "tool":
            if message.get("tool_call_id") not in open_ids:
                return _invalid(
                    "Invalid parameter: messages with role 'tool' must be a response to a "
                    "preceeding message with 'tool_calls'.",
                    f"messages[{i}].role",
                )
            open_ids.remove(message["tool_call_id"])
            continue
        if open_ids:
            return _invalid(
                "An assistant message with 'tool_calls' must be followed by tool messages "
                f"responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {', '.join(open_ids)}",
                f"messages[{i}]",
            )
        for call in message.get("tool_calls") or []:
            open_ids.append(call.get("id"))
    return None


def validate(req: Any, raw: bytes, reject_stream_options: bool) -> Any:
    """None when the body is a valid request, else OpenAI's 400 error body."""
    if not isinstance(req, dict):
        return _invalid(f"We could not parse the JSON body of your request: {raw[:40]!r}")
    if not isinstance(req.get("model"), str) or not req["model"]:
        return _invalid("you must provide a model parameter", "model")
    if reject_stream_options and "stream_options" in req:
        # vLLM before 0.5 / some gateways (pydantic's extra="forbid")
        return {
            "object": "error",
            "message": "[{'type': 'extra_forbidden', 'loc': ('body', "
            "'stream_options'), 'msg': 'Extra inputs are not permitted'}]",
            "type": "BadRequestError",
            "param": None,
            "code": 400,
        }
    if "stream_options" in req and not req.get("stream"):
        return _invalid(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
        )
    messages = req.get("messages")
    if not isinstance(messages, list) or not messages:
        return _invalid("'messages' must contain at least one message.", "messages")
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("system", "developer", "user", "assistant", "tool"):
            return _invalid(f"Invalid value for 'messages[{i}].role': {role!r}.")
        if role == "assistant" and message.get("tool_calls") and message.get("content") is None:
            continue  # an answer that is only calls has null content
        problem = _check_content(message.get("content"), f"messages[{i}]")
        if problem is not None:
            return problem
        content = message["content"]
        if (
            role in ("system", "assistant")
            and isinstance(content, list)
            and any(p.get("type") != "text" for p in content)
        ):
            return _invalid(f"Image parts are only allowed in user messages (messages[{i}]).")
    temperature = req.get("temperature")
    if temperature is not None and not (
        isinstance(temperature, int | float) and 0 <= temperature <= 2
    ):
        return _invalid(f"Invalid 'temperature': {temperature!r}.", "temperature")
    problem = _check_tools(req)
    if problem is not None:
        return problem
    max_tokens = req.get("max_tokens")
    if max_tokens is not None and not (isinstance(max_tokens, int) and max_tokens >= 1):
        return _invalid(f"Invalid 'max_tokens': {max_tokens!r}.", "max_tokens")
    return None


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return " ".join(p["text"] for p in content if isinstance(p, dict) and p.get("type") == "text")


def echo_texts(req: dict[str, Any]) -> list[str]:
    """ "Echo: <last user text>" in deltas of three words (spaces kept)."""
    last = next((m for m in reversed(req["messages"]) if m["role"] == "user"), None)
    words = f"Echo: {_text_of(last['content']) if last else ''}".split(" ")
    return [
        " ".join(words[i : i + 3]) + (" " if i + 3 < len(words) else "")
        for i in range(0, len(words), 3)
    ]


def prompt_tokens(req: dict[str, Any]) -> int:
    """A token count the tests can predict: words of every message, 85 per image."""
    total = 0
    for message in req["messages"]:
        content = message["content"]
        total += len(_text_of(content).split())
        if isinstance(content, list):
            total += 85 * sum(1 for p in content if p.get("type") == "image_url")
    return total


def _chunk(req: dict[str, Any], scenario: OAIScenario, delta: Any, finish: str | None) -> str:
    obj = {
        "id": "chatcmpl-fake123",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": scenario.model or req["model"],
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
    }
    return json.dumps(obj, ensure_ascii=False)


def _usage_chunk(scenario: OAIScenario, req: dict[str, Any], prompt: int, out: int) -> Any:
    """The last chunk with ``stream_options.include_usage``: no choices, the usage."""
    return {
        "id": "chatcmpl-fake123",
        "object": "chat.completion.chunk",
        "model": scenario.model or req["model"],
        "choices": [],
        "usage": {"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out},
    }


def _thinking_item(text: str, *, reference: bool) -> dict[str, Any]:
    """Mistral's thought: ``{"type": "thinking", "thinking": [typed items]}``."""
    inner: list[dict[str, Any]] = [{"type": "text", "text": text}]
    if reference:  # an item with no text, which a client must skip without losing the rest
        inner.append({"type": "reference", "reference_ids": [1]})
    return {"type": "thinking", "thinking": inner}


def build_events(  # noqa: C901 (one branch per scenario field, like the server's)
    scenario: OAIScenario, req: dict[str, Any], texts: list[str], prompt: int, usage: bool
) -> Iterator[tuple[str, str]]:
    """(kind, data) pairs: "data" events, "hold", and "abrupt" (half an event, then close)."""
    mistral = scenario.content_style == "mistral"
    if scenario.no_choices:
        if usage:
            yield "data", json.dumps(_usage_chunk(scenario, req, prompt, 0))
        yield "data", "[DONE]"
        return
    if scenario.role_chunk:
        yield "data", _chunk(req, scenario, {"role": "assistant", "content": ""}, None)
    for n, piece in enumerate(scenario.reasoning):
        if mistral:
            delta: Any = {"content": [_thinking_item(piece, reference=n == 0)]}
        else:
            delta = {scenario.reasoning_field: piece}
        yield "data", _chunk(req, scenario, delta, None)
    for n, text in enumerate(texts):
        if scenario.error_after == n:
            yield (
                "data",
                json.dumps(
                    error_body(
                        "The server had an error while processing your request.",
                        None,
                        "server_error",
                    )
                ),
            )
            return
        if scenario.hold_after == n:
            yield "hold", ""
        if scenario.abrupt_after == n:
            yield "abrupt", _chunk(req, scenario, {"content": text}, None)
            return
        if scenario.malformed_after == n:
            yield "data", MALFORMED
        # Mistral: the first piece after the thoughts comes as a list, the rest as strings.
        content: Any = [{"type": "text", "text": text}] if mistral and n == 0 else text
        yield "data", _chunk(req, scenario, {"content": content}, None)
    if scenario.hold_after is not None and scenario.hold_after >= len(texts):
        yield "hold", ""
    if scenario.error_after is not None and scenario.error_after >= len(texts):
        yield "data", json.dumps(error_body("Overloaded.", None, "server_error"))
        return
    for index, (call_id, name, args) in enumerate(scenario.tool_calls):
        first = {"index": index, "id": call_id, "type": "function"}
        first["function"] = {"name": name, "arguments": ""}
        yield "data", _chunk(req, scenario, {"tool_calls": [first]}, None)
        step = max(1, scenario.arg_piece)
        for at in range(0, len(args), step):
            piece = {"index": index, "function": {"arguments": args[at : at + step]}}
            yield "data", _chunk(req, scenario, {"tool_calls": [piece]}, None)
    if scenario.finish_reason is not None:
        yield "data", _chunk(req, scenario, {}, scenario.finish_reason)
    if usage and scenario.finish_reason is not None:
        out = sum(len(t.split()) for t in (*texts, *scenario.reasoning))
        body = _usage_chunk(scenario, req, prompt, out)
        if scenario.reasoning:
            reasoning = sum(len(t.split()) for t in scenario.reasoning)
            body["usage"]["completion_tokens_details"] = {"reasoning_tokens": reasoning}
        yield "data", json.dumps(body)
    if scenario.hold_before_done:
        yield "hold", ""
    if scenario.send_done:
        yield "data", "[DONE]"


def completion_body(scenario: OAIScenario, req: dict[str, Any], texts: list[str]) -> Any:
    """A whole ``chat.completion`` (stream false, or a server that ignores stream)."""
    prompt = prompt_tokens(req)
    out = 0 if scenario.no_choices else sum(len(t.split()) for t in texts)
    message: dict[str, Any] = {"role": "assistant", "content": "".join(texts)}
    if scenario.content_style == "mistral":
        thinking = [_thinking_item("".join(scenario.reasoning), reference=True)]
        message["content"] = [*thinking, {"type": "text", "text": "".join(texts)}]
    elif scenario.reasoning:
        message[scenario.reasoning_field] = "".join(scenario.reasoning)
    if scenario.tool_calls:
        message["content"] = message["content"] or None
        message["tool_calls"] = [
            {"id": i, "type": "function", "function": {"name": n, "arguments": a}}
            for i, n, a in scenario.tool_calls
        ]
    choices = [
        {"index": 0, "message": message, "logprobs": None, "finish_reason": scenario.finish_reason}
    ]
    return {
        "id": "chatcmpl-fake123",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": scenario.model or req["model"],
        "choices": [] if scenario.no_choices else choices,
        "usage": {"prompt_tokens": prompt, "completion_tokens": out, "total_tokens": prompt + out},
    }
