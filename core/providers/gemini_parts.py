"""Gemini's JSON for what an answer holds beyond text and images, both ways.

Parts: ``executableCode``, ``codeExecutionResult``, ``functionCall`` and
``functionResponse``. Candidate metadata: ``groundingMetadata``,
``urlContextMetadata`` and ``citationMetadata``. Request: the built-in ``tools`` and
``responseModalities``. Pure functions; a malformed field is dropped, never raised,
so the answer around it survives.
"""

from __future__ import annotations

import json
from typing import Any

from rill.core.answer_types import (
    Citation,
    CodeResult,
    CodeRun,
    FunctionCall,
    FunctionDeclaration,
    FunctionResponse,
    Grounding,
    Outcome,
    Source,
    Support,
    UrlRead,
)
from rill.core.types import GenerationSettings, Part

JSON = dict[str, Any]

# GenerationSettings field → the tool's REST name (Google's Tool message).
TOOL_KEYS = {
    "google_search": "googleSearch",
    "url_context": "urlContext",
    "code_execution": "codeExecution",
}
_OUTCOMES = {
    "OUTCOME_OK": Outcome.OK,
    "OUTCOME_FAILED": Outcome.FAILED,
    "OUTCOME_DEADLINE_EXCEEDED": Outcome.DEADLINE_EXCEEDED,
}
_OUTCOME_NAMES = {value: key for key, value in _OUTCOMES.items()}
# Google's UrlRetrievalStatus, shortened to what the UI says.
_URL_STATUS = {
    "URL_RETRIEVAL_STATUS_SUCCESS": "success",
    "URL_RETRIEVAL_STATUS_ERROR": "error",
    "URL_RETRIEVAL_STATUS_PAYWALL": "paywall",
    "URL_RETRIEVAL_STATUS_UNSAFE": "unsafe",
}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _json_text(value: Any) -> str:
    """A JSON value as compact text (``{}`` for one that is absent)."""
    return json.dumps({} if value is None else value, ensure_ascii=False, separators=(",", ":"))


def _json_value(text: str) -> Any:
    """Stored JSON text back as a value (an object when it is not valid JSON)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return {}


# ---------------------------------------------------------------- request


def encode_tools(
    settings: GenerationSettings, functions: tuple[FunctionDeclaration, ...] = ()
) -> list[JSON]:
    """The request's ``tools``: the built-in tools ``settings`` switch on, then the
    functions (tools from servers) as one ``functionDeclarations`` entry."""
    tools: list[JSON] = [{TOOL_KEYS[name]: {}} for name in settings.tools]
    if functions:
        tools.append({"functionDeclarations": [encode_declaration(f) for f in functions]})
    return tools


def encode_declaration(function: FunctionDeclaration) -> JSON:
    """One FunctionDeclaration, its parameters as ``parametersJsonSchema`` (JSON Schema)."""
    out: JSON = {"name": function.name}
    if function.description:
        out["description"] = function.description
    out["parametersJsonSchema"] = _json_value(function.parameters)
    return out


def encode_tool_part(part: Part) -> JSON | None:
    """A code run, result, function call or response as Gemini's part (else None)."""
    if part.code is not None:
        return {"executableCode": {"language": part.code.language.upper(), "code": part.code.code}}
    if part.code_result is not None:
        result: JSON = {
            "outcome": _OUTCOME_NAMES.get(part.code_result.outcome, "OUTCOME_UNSPECIFIED")
        }
        if part.code_result.output:
            result["output"] = part.code_result.output
        return {"codeExecutionResult": result}
    if part.function_call is not None:
        call = part.function_call
        out: JSON = {"name": call.name, "args": _json_value(call.args)}
        if call.id is not None:
            out = {"id": call.id, **out}
        return {"functionCall": out}
    if part.function_response is not None:
        reply = part.function_response
        body: JSON = {"name": reply.name, "response": _json_value(reply.response)}
        if reply.id is not None:
            body = {"id": reply.id, **body}
        return {"functionResponse": body}
    return None


# ---------------------------------------------------------------- parts


def decode_tool_part(raw: JSON, signature: str | None) -> Part | None:
    """One of the four kinds of ``raw`` as a Part (None when ``raw`` is none of them)."""
    thought = raw.get("thought") is True
    code = raw.get("executableCode")
    if isinstance(code, dict):
        language = (_str(code.get("language")) or "python").lower()
        if language == "language_unspecified":
            language = "python"
        run = CodeRun(code=_str(code.get("code")) or "", language=language)
        return Part(code=run, thought=thought, thought_signature=signature)
    result = raw.get("codeExecutionResult")
    if isinstance(result, dict):
        outcome = _OUTCOMES.get(_str(result.get("outcome")) or "", Outcome.UNKNOWN)
        done = CodeResult(outcome=outcome, output=_str(result.get("output")) or "")
        return Part(code_result=done, thought=thought, thought_signature=signature)
    call = raw.get("functionCall")
    if isinstance(call, dict):
        asked = FunctionCall(
            name=_str(call.get("name")) or "",
            args=_json_text(call.get("args")),
            id=_str(call.get("id")),
        )
        return Part(function_call=asked, thought=thought, thought_signature=signature)
    reply = raw.get("functionResponse")
    if isinstance(reply, dict):
        answer = FunctionResponse(
            name=_str(reply.get("name")) or "",
            response=_json_text(reply.get("response")),
            id=_str(reply.get("id")),
        )
        return Part(function_response=answer, thought=thought, thought_signature=signature)
    return None


# ---------------------------------------------------------------- candidate metadata


def decode_grounding(raw: Any) -> Grounding | None:
    """``groundingMetadata`` as a Grounding (None when absent or saying nothing)."""
    if not isinstance(raw, dict):
        return None
    entry = raw.get("searchEntryPoint")
    grounding = Grounding(
        queries=tuple(q for q in _list(raw.get("webSearchQueries")) if isinstance(q, str)),
        sources=tuple(_source(c) for c in _list(raw.get("groundingChunks"))),
        supports=tuple(s for s in map(_support, _list(raw.get("groundingSupports"))) if s),
        search_entry_point=_str(entry.get("renderedContent")) if isinstance(entry, dict) else None,
    )
    return None if grounding.empty else grounding


def _source(raw: Any) -> Source:
    """A groundingChunk; one of an unknown shape keeps its place (indices count it)."""
    if not isinstance(raw, dict):
        return Source()
    web = raw.get("web")
    if isinstance(web, dict):
        return Source(uri=_str(web.get("uri")), title=_str(web.get("title")))
    found = raw.get("retrievedContext")
    if isinstance(found, dict):
        return Source(
            uri=_str(found.get("uri")),
            title=_str(found.get("title")),
            kind="retrieved",
            text=_str(found.get("text")),
        )
    return Source()


def _support(raw: Any) -> Support | None:
    if not isinstance(raw, dict):
        return None
    segment = raw.get("segment")
    segment = segment if isinstance(segment, dict) else {}
    end = _int(segment.get("endIndex"))
    if end is None:
        return None  # nowhere to put a marker
    return Support(
        end=end,
        start=_int(segment.get("startIndex")) or 0,  # proto3 JSON leaves a 0 out
        text=_str(segment.get("text")),
        part_index=_int(segment.get("partIndex")),
        sources=tuple(
            i for i in map(_int, _list(raw.get("groundingChunkIndices"))) if i is not None
        ),
        confidence=tuple(
            float(c)
            for c in _list(raw.get("confidenceScores"))
            if isinstance(c, int | float) and not isinstance(c, bool)
        ),
    )


def decode_url_context(raw: Any) -> tuple[UrlRead, ...]:
    """``urlContextMetadata.urlMetadata`` as UrlReads (entries without a URL dropped)."""
    if not isinstance(raw, dict):
        return ()
    reads: list[UrlRead] = []
    for entry in _list(raw.get("urlMetadata")):
        url = _str(entry.get("retrievedUrl")) if isinstance(entry, dict) else None
        if url:
            status = _str(entry.get("urlRetrievalStatus")) or ""
            reads.append(UrlRead(url=url, status=_URL_STATUS.get(status, "unknown")))
    return tuple(reads)


def decode_citations(raw: Any) -> tuple[Citation, ...]:
    """``citationMetadata`` (``citationSources``, or Vertex AI's ``citations``)."""
    if not isinstance(raw, dict):
        return ()
    entries = _list(raw.get("citationSources")) or _list(raw.get("citations"))
    return tuple(
        Citation(
            uri=_str(entry.get("uri")),
            title=_str(entry.get("title")),
            license=_str(entry.get("license")),
            start=_int(entry.get("startIndex")),
            end=_int(entry.get("endIndex")),
        )
        for entry in entries
        if isinstance(entry, dict)
    )
