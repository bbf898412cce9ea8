"""Parts of a Gemini answer as Rill holds them (code runs, tool calls and their
results), built one way for every test that shows, stores or streams them."""

from __future__ import annotations

import json
from typing import Any

from rill.core.answer_types import CodeResult, CodeRun, FunctionCall, FunctionResponse, Outcome
from rill.core.types import Part


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def tool_call(name: str, args: Any, call_id: str = "c1", *, offered: bool = True) -> Part:
    """A call of tool ``name`` with ``args`` (a dict, or JSON text kept as it is)."""
    return Part(function_call=FunctionCall(name, _json(args), call_id, offered=offered))


def tool_reply(name: str, response: Any, call_id: str = "c1", **fields: Any) -> Part:
    """The result of call ``call_id`` (``fields``: server, tool, decision, is_error)."""
    return Part(function_response=FunctionResponse(name, _json(response), call_id, **fields))


def code_run(code: str, outcome: Outcome = Outcome.OK, output: str = "") -> list[Part]:
    """Code the model ran and its result."""
    return [Part(code=CodeRun(code)), Part(code_result=CodeResult(outcome, output))]
