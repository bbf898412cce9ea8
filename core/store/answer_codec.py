"""The store's JSON for the answer kinds of ``rill.core.answer_types``.

Parts' code runs, results, function calls and responses sit inside the part's JSON;
an answer's grounding, URL context and citations in the message's ``meta`` column
(schema v3) and in the JSON export. Reading is forgiving: a value of the wrong type
(a hand-edited store, an export from elsewhere) is left out, never raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rill.core.answer_types import (
    Citation,
    CodeResult,
    CodeRun,
    FunctionCall,
    FunctionResponse,
    Grounding,
    Outcome,
    Source,
    Support,
    UrlRead,
)
from rill.core.types import Message, Part

JsonDict = dict[str, Any]


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _no_nulls(out: JsonDict) -> JsonDict:
    return {k: v for k, v in out.items() if v is not None}


# ---------------------------------------------------------------- parts


def tool_part_to_json(part: Part, out: JsonDict) -> None:
    """Add ``part``'s code run, result, call, response or error to its JSON ``out``."""
    if part.code is not None:
        out["code"] = {"language": part.code.language, "code": part.code.code}
    if part.code_result is not None:
        out["code_result"] = {
            "outcome": part.code_result.outcome.value,
            "output": part.code_result.output,
        }
    if part.function_call is not None:
        call = part.function_call
        out["function_call"] = _no_nulls({"name": call.name, "args": call.args, "id": call.id})
        if call.offered:
            out["function_call"]["offered"] = True
    if part.function_response is not None:
        reply = part.function_response
        out["function_response"] = _no_nulls(
            {
                "name": reply.name,
                "response": reply.response,
                "id": reply.id,
                "server": reply.server,
                "tool": reply.tool,
                "decision": reply.decision,
            }
        )
        if reply.is_error:
            out["function_response"]["is_error"] = True
    if part.error is not None:
        out["error"] = part.error


def tool_part_fields(data: Mapping[str, Any]) -> JsonDict:
    """The Part fields the JSON ``data`` holds of those kinds (keyword arguments)."""
    fields: JsonDict = {}
    code = data.get("code")
    if isinstance(code, Mapping):
        fields["code"] = CodeRun(
            code=_str(code.get("code")) or "", language=_str(code.get("language")) or "python"
        )
    result = data.get("code_result")
    if isinstance(result, Mapping):
        outcome = _str(result.get("outcome")) or ""
        fields["code_result"] = CodeResult(
            outcome=Outcome(outcome) if outcome in Outcome._value2member_map_ else Outcome.UNKNOWN,
            output=_str(result.get("output")) or "",
        )
    call = data.get("function_call")
    if isinstance(call, Mapping):
        fields["function_call"] = FunctionCall(
            name=_str(call.get("name")) or "",
            args=_str(call.get("args")) or "{}",
            id=_str(call.get("id")),
            offered=call.get("offered") is True,
        )
    reply = data.get("function_response")
    if isinstance(reply, Mapping):
        fields["function_response"] = FunctionResponse(
            name=_str(reply.get("name")) or "",
            response=_str(reply.get("response")) or "{}",
            id=_str(reply.get("id")),
            server=_str(reply.get("server")),
            tool=_str(reply.get("tool")),
            decision=_str(reply.get("decision")),
            is_error=reply.get("is_error") is True,
        )
    if isinstance(data.get("error"), str):
        fields["error"] = data["error"]
    return fields


# ---------------------------------------------------------------- answer metadata


def meta_to_json(message: Message) -> JsonDict | None:
    """``message``'s grounding, URL context and citations as JSON (None: none of them)."""
    out: JsonDict = {}
    if message.grounding is not None:
        out["grounding"] = grounding_to_json(message.grounding)
    if message.url_context:
        out["url_context"] = [{"url": r.url, "status": r.status} for r in message.url_context]
    if message.citations:
        out["citations"] = [
            _no_nulls(
                {
                    "uri": c.uri,
                    "title": c.title,
                    "license": c.license,
                    "start": c.start,
                    "end": c.end,
                }
            )
            for c in message.citations
        ]
    return out or None


def grounding_to_json(grounding: Grounding) -> JsonDict:
    """A Grounding as JSON, every field kept."""
    return _no_nulls(
        {
            "queries": list(grounding.queries),
            "sources": [
                _no_nulls({"uri": s.uri, "title": s.title, "kind": s.kind, "text": s.text})
                for s in grounding.sources
            ],
            "supports": [
                _no_nulls(
                    {
                        "start": s.start,
                        "end": s.end,
                        "text": s.text,
                        "part_index": s.part_index,
                        "sources": list(s.sources),
                        "confidence": list(s.confidence),
                    }
                )
                for s in grounding.supports
            ],
            "search_entry_point": grounding.search_entry_point,
        }
    )


def meta_fields(data: object) -> JsonDict:
    """The Message fields stored ``meta`` JSON holds (keyword arguments)."""
    meta = _dict(data)
    fields: JsonDict = {}
    grounding = grounding_from_json(meta.get("grounding"))
    if grounding is not None:
        fields["grounding"] = grounding
    reads = [
        UrlRead(url=url, status=_str(r.get("status")) or "unknown")
        for r in _list(meta.get("url_context"))
        if isinstance(r, Mapping) and (url := _str(r.get("url")))
    ]
    if reads:
        fields["url_context"] = tuple(reads)
    citations = [
        Citation(
            uri=_str(c.get("uri")),
            title=_str(c.get("title")),
            license=_str(c.get("license")),
            start=_int(c.get("start")),
            end=_int(c.get("end")),
        )
        for c in _list(meta.get("citations"))
        if isinstance(c, Mapping)
    ]
    if citations:
        fields["citations"] = tuple(citations)
    return fields


def grounding_from_json(data: object) -> Grounding | None:
    """A Grounding from its JSON (None when absent or empty)."""
    raw = _dict(data)
    if not raw:
        return None
    sources = tuple(
        Source(
            uri=_str(s.get("uri")),
            title=_str(s.get("title")),
            kind=_str(s.get("kind")) or "web",
            text=_str(s.get("text")),
        )
        for s in map(_dict, _list(raw.get("sources")))
    )
    supports = tuple(
        Support(
            end=end,
            start=_int(s.get("start")) or 0,
            text=_str(s.get("text")),
            part_index=_int(s.get("part_index")),
            sources=tuple(i for i in map(_int, _list(s.get("sources"))) if i is not None),
            confidence=tuple(
                float(c) for c in _list(s.get("confidence")) if isinstance(c, int | float)
            ),
        )
        for s in map(_dict, _list(raw.get("supports")))
        if (end := _int(s.get("end"))) is not None
    )
    grounding = Grounding(
        queries=tuple(q for q in _list(raw.get("queries")) if isinstance(q, str)),
        sources=sources,
        supports=supports,
        search_entry_point=_str(raw.get("search_entry_point")),
    )
    return None if grounding.empty else grounding
