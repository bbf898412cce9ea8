"""Response building for the fake Gemini server, plus the request reading it needs.

Everything here is pure (no sockets): how a body is normalised (snake_case → camelCase),
how tokens are counted, which events a Scenario turns into, and how stream chunks merge
into one unary answer.

Token counting is deliberately simple and documented so tests can predict it: one
token per whitespace-separated word of every text part (contents and
systemInstruction), plus one per inlineData/fileData part.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from tests.fakes.gemini_scenarios import DEFAULT_THOUGHT, Scenario

# Values under these keys are user data (schemas, function arguments), not API fields.
_OPAQUE_KEYS = {
    "args",
    "response",
    "responseSchema",
    "responseJsonSchema",
    "parametersJsonSchema",
    "parameters",
    "labels",
    "metadata",
}


def camel(name: str) -> str:
    """snake_case → camelCase; camelCase passes through unchanged."""
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def normalize(value: Any) -> Any:
    """The body with every API field name in camelCase, as Google reads either spelling."""
    if isinstance(value, list):
        return [normalize(v) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            name = camel(key)
            out[name] = inner if name in _OPAQUE_KEYS else normalize(inner)
        return out
    return value


def decode_bytes_field(text: Any) -> bytes | None:
    """Proto JSON bytes: standard or URL-safe base64, padding optional (the SDK sends URL-safe)."""
    if not isinstance(text, str):
        return None
    cleaned = text.replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        return None


@dataclass(frozen=True)
class PromptInfo:
    """What the answer depends on: token counts, the echo source, whether to show thoughts."""

    text_tokens: int
    media_tokens: int
    last_user_text: str
    include_thoughts: bool

    @property
    def total(self) -> int:
        return self.text_tokens + self.media_tokens


def words(text: str) -> int:
    return len(text.split())


def prompt_info(body: dict[str, Any]) -> PromptInfo:
    """Count a normalised generate/countTokens body and find the text to echo."""
    if isinstance(body.get("generateContentRequest"), dict):
        body = body["generateContentRequest"]
    text_tokens = media_tokens = 0
    contents = [c for c in body.get("contents") or [] if isinstance(c, dict)]
    system = body.get("systemInstruction")
    for content in [*contents, *([system] if isinstance(system, dict) else [])]:
        for part in content.get("parts") or []:
            if isinstance(part.get("text"), str):
                text_tokens += words(part["text"])
            elif "inlineData" in part or "fileData" in part:
                media_tokens += 1
    last_user = ""
    for content in reversed(contents):
        if content.get("role", "user") in ("user", "", None):
            texts = [
                p["text"]
                for p in content.get("parts") or []
                if isinstance(p.get("text"), str) and not p.get("thought")
            ]
            last_user = " ".join(texts)
            break
    thinking = (body.get("generationConfig") or {}).get("thinkingConfig") or {}
    include = bool(thinking.get("includeThoughts")) and thinking.get("thinkingBudget") != 0
    return PromptInfo(text_tokens, media_tokens, last_user, include)


def echo_chunks(text: str, words_per_chunk: int = 3) -> tuple[str, ...]:
    """Split text into chunks of a few words; joined again they give `text` exactly."""
    tokens = re.findall(r"\s+|\S+\s*", text)
    if tokens and tokens[0].isspace() and len(tokens) > 1:
        tokens[1] = tokens[0] + tokens[1]
        tokens = tokens[1:]
    return tuple(
        "".join(tokens[i : i + words_per_chunk]) for i in range(0, len(tokens), words_per_chunk)
    ) or ("",)


EventKind = Literal["data", "error", "malformed", "hold", "abrupt"]


@dataclass
class Event:
    """One step of a streamed answer: a JSON event, or a fault the writer acts out."""

    kind: EventKind
    payload: dict[str, Any] = field(default_factory=dict)


def _usage(prompt: PromptInfo, answer: int, thoughts: int, cached: int | None) -> dict[str, Any]:
    # proto3 JSON leaves zero counts out; clients must read a missing count as 0.
    usage: dict[str, Any] = {"promptTokenCount": prompt.total}
    if answer:
        usage["candidatesTokenCount"] = answer
    usage["totalTokenCount"] = prompt.total + answer + thoughts
    details = [{"modality": "TEXT", "tokenCount": prompt.text_tokens}]
    if prompt.media_tokens:
        details.append({"modality": "IMAGE", "tokenCount": prompt.media_tokens})
    usage["promptTokensDetails"] = details
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    if cached:
        usage["cachedContentTokenCount"] = cached
    return usage


def blocked_event(scenario: Scenario, prompt: PromptInfo, version: str, rid: str) -> Event:
    """The single event of a blocked prompt: promptFeedback and usage, no candidates."""
    feedback: dict[str, Any] = {"blockReason": scenario.block_reason}
    if scenario.block_reason == "SAFETY":
        feedback["safetyRatings"] = [
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}
        ]
    return Event(
        "data",
        {
            "promptFeedback": feedback,
            "usageMetadata": _usage(prompt, 0, 0, None),
            "modelVersion": version,
            "responseId": rid,
        },
    )


def _chunk_parts(
    scenario: Scenario, texts: tuple[str, ...], sent_thoughts: tuple[str, ...]
) -> tuple[list[list[dict[str, Any]]], str]:
    """The parts of each chunk (thoughts, then the answer's texts or raw parts, then an
    empty closing part where the style wants one), and the finish style left to apply."""
    parts_per_chunk: list[list[dict[str, Any]]] = [
        [{"text": t, "thought": True}] for t in sent_thoughts
    ]
    if scenario.raw_parts is not None:
        parts_per_chunk += [[dict(p) for p in chunk] for chunk in scenario.raw_parts]
    else:
        parts_per_chunk += [[{"text": t}] for t in texts]
    for after, mime, data in sorted(scenario.images, reverse=True):
        image = {"inlineData": {"mimeType": mime, "data": data}}
        parts_per_chunk.insert(len(sent_thoughts) + after, [image])
    style: str = scenario.finish_style
    has_answer = len(parts_per_chunk) > len(sent_thoughts)
    needs_part = style == "empty_part" or (not has_answer and style != "content_less")
    if scenario.finish_reason and needs_part:
        parts_per_chunk.append([{"text": ""}])
        style = "with_last_text"
    answer_parts = [p for chunk in parts_per_chunk for p in chunk if not p.get("thought")]
    if scenario.thought_signature and answer_parts:
        target = answer_parts[0] if scenario.signature_at == "first" else answer_parts[-1]
        target["thoughtSignature"] = scenario.thought_signature
    return parts_per_chunk, style


def build_events(scenario: Scenario, prompt: PromptInfo, version: str, rid: str) -> list[Event]:
    """The events of a streamed answer, faults included, in the order they are sent."""
    if scenario.block_reason:
        return [blocked_event(scenario, prompt, version, rid)]
    if scenario.no_candidates:
        usage = _usage(prompt, 0, 0, None)
        return [Event("data", {"usageMetadata": usage, "modelVersion": version, "responseId": rid})]
    texts = (
        scenario.texts
        if scenario.texts is not None
        else echo_chunks(f"Echo: {prompt.last_user_text}")
    )
    all_thoughts = (
        scenario.thoughts
        if scenario.thoughts is not None
        else ((DEFAULT_THOUGHT,) if prompt.include_thoughts else ())
    )
    sent_thoughts = all_thoughts if prompt.include_thoughts else ()
    thought_total = sum(words(t) for t in all_thoughts)

    parts_per_chunk, style = _chunk_parts(scenario, texts, sent_thoughts)

    chunks: list[dict[str, Any]] = []
    answer = thoughts_so_far = 0
    for parts in parts_per_chunk:
        for part in parts:
            if part.get("thought"):
                thoughts_so_far += words(part.get("text", ""))
            else:
                answer += words(part.get("text", "")) or (0 if "text" in part else 1)
        candidate = {"content": {"parts": parts, "role": "model"}, "index": 0}
        thoughts = thoughts_so_far if sent_thoughts else thought_total
        chunks.append(
            {
                "candidates": [candidate],
                "usageMetadata": _usage(prompt, answer, thoughts, scenario.cached_tokens),
                "modelVersion": version,
                "responseId": rid,
            }
        )
    if scenario.finish_reason:
        if style == "content_less" or not chunks:
            usage = _usage(prompt, answer, thought_total, scenario.cached_tokens)
            chunks.append(
                {
                    "candidates": [{"finishReason": scenario.finish_reason, "index": 0}],
                    "usageMetadata": usage,
                    "modelVersion": version,
                    "responseId": rid,
                }
            )
        candidate = chunks[-1]["candidates"][0]
        candidate["finishReason"] = scenario.finish_reason
        if scenario.candidate_meta:
            candidate.update(scenario.candidate_meta)
        if scenario.finish_reason == "SAFETY":
            candidate["safetyRatings"] = [
                {"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": True}
            ]
    if chunks:
        final = chunks[-1]["usageMetadata"]
        final.update(scenario.usage or {})
        if not scenario.usage_on_every_chunk:
            for chunk in chunks[:-1]:
                del chunk["usageMetadata"]
        if scenario.usage_after_finish:
            tail = {k: v for k, v in chunks[-1].items() if k != "candidates"}
            del chunks[-1]["usageMetadata"]
            chunks.append(tail)
    return _apply_faults(scenario, [Event("data", c) for c in chunks])


def _apply_faults(scenario: Scenario, events: list[Event]) -> list[Event]:
    if scenario.error_event is not None:
        events = [*events[: scenario.error_after], Event("error", scenario.error_event.envelope())]
    if scenario.malformed_after is not None:
        events.insert(scenario.malformed_after, Event("malformed"))
    if scenario.abrupt_after is not None:
        n = scenario.abrupt_after
        filler = events[n].payload if n < len(events) else {"candidates": []}
        events = [*events[:n], Event("abrupt", filler)]
    if scenario.hold_after is not None:
        events.insert(min(scenario.hold_after, len(events)), Event("hold"))
    return events


def merge_chunks(chunks: list[dict[str, Any]]) -> dict[str, Any]:
    """The unary `generateContent` answer equivalent to a list of stream chunks."""
    if not chunks:
        return {}
    merged: dict[str, Any] = {k: v for k, v in chunks[-1].items() if k != "candidates"}
    if not any("candidates" in c for c in chunks):
        return merged
    parts: list[dict[str, Any]] = []
    finish: str | None = None
    extra: dict[str, Any] = {}
    for chunk in chunks:
        for candidate in chunk.get("candidates", []):
            finish = candidate.get("finishReason", finish)
            extra.update(
                {
                    k: v
                    for k, v in candidate.items()
                    if k not in ("content", "finishReason", "index")
                }
            )
            for part in (candidate.get("content") or {}).get("parts", []):
                last = parts[-1] if parts else None
                if (
                    last is not None
                    and bool(last.get("thought")) == bool(part.get("thought"))
                    and "text" in part
                    and "text" in last
                ):
                    last["text"] += part["text"]
                    if "thoughtSignature" in part:
                        last["thoughtSignature"] = part["thoughtSignature"]
                else:
                    parts.append(dict(part))
    candidate_out: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
    if finish:
        candidate_out["finishReason"] = finish
    candidate_out.update(extra)
    candidate_out["index"] = 0
    merged["candidates"] = [candidate_out]
    return {"candidates": merged.pop("candidates"), **merged}
