"""Gemini's JSON on the wire: building request bodies, reading chunks and errors.

Pure functions, no I/O, so the framing and mapping can be tested and fuzzed alone.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import json
import re
import time
from typing import Any

from rill.core.errors import (
    AuthError,
    BlockedError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    RillError,
    ServerError,
    StreamInterruptedError,
)
from rill.core.file_parts import text_file_text
from rill.core.providers.gemini_parts import (
    decode_citations,
    decode_grounding,
    decode_tool_part,
    decode_url_context,
    encode_tool_part,
    encode_tools,
)
from rill.core.providers.gemini_tools import nests_tool_images, tool_refusal
from rill.core.providers.sse import END_GRACE, FINISH_GRACE
from rill.core.types import Chunk, GenerateRequest, Message, ModelInfo, Part, Role, Usage

JSON = dict[str, Any]


# ---------------------------------------------------------------- request


def encode_part(part: Part, *, file_uris: bool = True) -> JSON:
    """One of our parts as a Gemini part.

    A part with both bytes and a Files API URI (an upload that kept its bytes) goes
    as ``fileData`` when ``file_uris`` (the Developer API, which holds the upload),
    as ``inlineData`` otherwise (Vertex AI cannot read the Developer API's files).
    An attached text file goes as a text part framed by its file name.
    """
    out: JSON
    tool = encode_tool_part(part)
    text_file = text_file_text(part)
    if tool is not None:
        out = tool
        if part.thought:
            out["thought"] = True
    elif text_file is not None:
        out = {"text": text_file}
    elif part.file_uri is not None and (part.data is None or file_uris):
        out = {"fileData": {"mimeType": part.mime_type or "image/jpeg", "fileUri": part.file_uri}}
    elif part.data is not None:
        out = {
            "inlineData": {
                "mimeType": part.mime_type or "application/octet-stream",
                "data": base64.b64encode(part.data).decode("ascii"),
            }
        }
    else:
        out = {"text": part.text or ""}
        if part.thought:
            out["thought"] = True
    if part.thought_signature is not None:
        out["thoughtSignature"] = part.thought_signature
    return out


def encode_contents(
    messages: tuple[Message, ...] | list[Message], *, file_uris: bool = True, model: str = ""
) -> list[JSON]:
    """The request's ``contents``: one entry per message that has parts to send.

    An ``error`` part (one Rill could not read) stays in the store and the window;
    it never goes to the model. The images a tool returned go inside its
    ``functionResponse`` where ``model`` takes them there (``nests_tool_images``),
    else as ``inlineData`` beside it.
    """
    out: list[JSON] = []
    nest = nests_tool_images(model)
    for m in messages:
        for role, parts in _turns(m):
            encoded: list[JSON] = []
            for part in parts:
                wire = encode_part(part, file_uris=file_uris)
                reply = encoded[-1].get("functionResponse") if encoded else None
                if part.from_tool and nest and isinstance(reply, dict) and "inlineData" in wire:
                    reply.setdefault("parts", []).append({"inlineData": wire["inlineData"]})
                else:
                    encoded.append(wire)
            if out and out[-1]["role"] == role:
                # Responses to calls an answer ended on (a stop, the round limit) and the
                # next question: one user turn, as the roles must alternate.
                out[-1]["parts"] += encoded
            else:
                out.append({"role": role, "parts": encoded})
    return out


def _turns(message: Message) -> list[tuple[str, list[Part]]]:
    """``message``'s sendable parts as wire turns. An answer that ran tools holds the
    model's calls and Rill's responses in one Message; on the wire the responses (and
    the images the tools returned) are a ``user`` turn between the model's (its parts
    otherwise go back exactly)."""
    turns: list[tuple[str, list[Part]]] = []
    for part in message.parts:
        if part.error is not None:
            continue
        role = message.role.value
        if message.role is Role.MODEL and (part.function_response is not None or part.from_tool):
            role = Role.USER.value
        if turns and turns[-1][0] == role:
            turns[-1][1].append(part)
        else:
            turns.append((role, [part]))
    return turns


def encode_request(request: GenerateRequest, *, file_uris: bool = True) -> JSON:
    """The body of generateContent / streamGenerateContent (``file_uris``: see encode_part)."""
    s = request.settings
    contents = encode_contents(request.contents, file_uris=file_uris, model=s.model)
    body: JSON = {"contents": contents}
    if s.system_instruction:
        body["systemInstruction"] = {"parts": [{"text": s.system_instruction}]}
    config: JSON = {}
    if s.temperature is not None:
        config["temperature"] = s.temperature
    if s.top_p is not None:
        config["topP"] = s.top_p
    if s.top_k is not None:
        config["topK"] = s.top_k
    if s.max_output_tokens is not None:
        config["maxOutputTokens"] = s.max_output_tokens
    if s.stop_sequences:
        config["stopSequences"] = list(s.stop_sequences)
    if s.seed is not None:
        config["seed"] = s.seed
    if s.image_output:
        config["responseModalities"] = ["TEXT", "IMAGE"]
    if s.thinking_budget is not None or s.include_thoughts:
        thinking: JSON = {}
        if s.thinking_budget is not None:
            thinking["thinkingBudget"] = s.thinking_budget
        if s.include_thoughts:
            thinking["includeThoughts"] = True
        config["thinkingConfig"] = thinking
    if config:
        body["generationConfig"] = config
    if s.safety:
        body["safetySettings"] = [{"category": c, "threshold": t} for c, t in s.safety]
    tools = encode_tools(s, request.functions)
    if tools:
        body["tools"] = tools
    return body


# ---------------------------------------------------------------- response


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def decode_usage(meta: Any) -> Usage | None:
    """Token counts from ``usageMetadata`` (None when the chunk has none)."""
    if not isinstance(meta, dict):
        return None
    return Usage(
        prompt_tokens=_int(meta.get("promptTokenCount")),
        output_tokens=_int(meta.get("candidatesTokenCount")),
        thoughts_tokens=_int(meta.get("thoughtsTokenCount")),
        cached_tokens=_int(meta.get("cachedContentTokenCount")),
        tool_prompt_tokens=_int(meta.get("toolUsePromptTokenCount")),
        total_tokens=_int(meta.get("totalTokenCount")),
    )


BAD_IMAGE = "An image in this answer could not be read: the server sent invalid base64."


def decode_part(raw: Any) -> Part | None:
    """A Gemini part as ours (None for a part of a kind Rill does not know).

    An image that is not valid base64 becomes an ``error`` part in its place, so the
    rest of the answer stays.
    """
    if not isinstance(raw, dict):
        return None
    signature = raw.get("thoughtSignature")
    signature = signature if isinstance(signature, str) else None
    text = raw.get("text")
    if isinstance(text, str):
        return Part(text=text, thought=raw.get("thought") is True, thought_signature=signature)
    inline = raw.get("inlineData")
    if isinstance(inline, dict) and isinstance(inline.get("data"), str):
        try:
            data = base64.b64decode(inline["data"], validate=True)
        except (binascii.Error, ValueError):
            return Part(error=BAD_IMAGE, thought_signature=signature)
        mime = inline.get("mimeType")
        return Part(
            data=data,
            mime_type=mime if isinstance(mime, str) else None,
            thought_signature=signature,
        )
    tool = decode_tool_part(raw, signature)
    if tool is not None:
        return tool
    if signature is not None:
        # A signature on a part we do not display still has to go back to the model.
        return Part(text="", thought_signature=signature)
    return None


def decode_chunk(obj: Any) -> Chunk:
    """One streamed event (or a whole non-streamed response) as a :class:`Chunk`.

    Raises the mapped error for an ``{"error": …}`` event or a blocked prompt.
    """
    if not isinstance(obj, dict):
        raise ProtocolError("The server sent an event that is not a JSON object.")
    if "error" in obj:
        raise error_from_envelope(obj, http_status=None)
    candidates = obj.get("candidates")
    candidate = candidates[0] if isinstance(candidates, list) and candidates else None
    feedback = obj.get("promptFeedback")
    if candidate is None and isinstance(feedback, dict) and feedback.get("blockReason"):
        reason = str(feedback["blockReason"])
        raise BlockedError(f"Gemini blocked the prompt ({reason}).", reason=reason)
    parts: list[Part] = []
    finish: str | None = None
    candidate = candidate if isinstance(candidate, dict) else {}
    if candidate:
        content = candidate.get("content")
        raw_parts = content.get("parts") if isinstance(content, dict) else None
        if isinstance(raw_parts, list):
            for raw in raw_parts:
                part = decode_part(raw)
                if part is not None:
                    parts.append(part)
        raw_finish = candidate.get("finishReason")
        finish = raw_finish if isinstance(raw_finish, str) else None
    version = obj.get("modelVersion")
    response_id = obj.get("responseId")
    return Chunk(
        parts=tuple(parts),
        usage=decode_usage(obj.get("usageMetadata")),
        finish_reason=finish,
        model_version=version if isinstance(version, str) else None,
        response_id=response_id if isinstance(response_id, str) else None,
        grounding=decode_grounding(candidate.get("groundingMetadata")),
        url_context=decode_url_context(candidate.get("urlContextMetadata")),
        citations=decode_citations(candidate.get("citationMetadata")),
    )


def no_answer() -> ServerError:
    """A response with neither candidates nor a block reason, streamed or not: the
    server said nothing (retryable: Gemini does this now and then under load)."""
    return ServerError("Gemini returned no answer (no candidates and no block reason).")


def answered(chunk: Chunk) -> bool:
    """Whether ``chunk`` carries any of an answer: a part or candidate 0's finish."""
    return bool(chunk.parts) or chunk.finish_reason is not None


def decode_event(data: str) -> Chunk:
    """The ``data`` of one SSE event as a chunk."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):  # ValueError: JSONDecodeError, 4300+ digit ints
        raise ProtocolError(
            "The server sent an event that is not valid JSON.", detail=data[:200]
        ) from None
    return decode_chunk(obj)


class GeminiEvents:
    """Gemini's half of the read loop (an ``sse.EventReader``): each event one chunk.

    At the end, a body without a candidate is "no answer" and one without candidate
    0's finish a broken connection: a dropped stream must never look complete.
    """

    done = False  # Gemini's stream ends with its body

    def __init__(self, host: str, request: GenerateRequest) -> None:
        self._host = host
        self._request = request
        self._finished = self._usage_in = self._anything = False

    def event(self, data: str) -> Chunk:
        """The chunk ``data`` carries; a 400 in the stream names the tools asked for."""
        try:
            chunk = decode_event(data)
        except InvalidRequestError as error:
            raise tool_refusal(error, self._request) from None
        self._anything = self._anything or answered(chunk)
        self._finished = self._finished or chunk.finish_reason is not None
        self._usage_in = self._usage_in or (self._finished and chunk.usage is not None)
        return chunk

    def grace(self) -> float | None:
        """Past candidate 0's finish, only a moment more: for its usage if it did not
        come with it, then for the body's end (a well-behaved server's is on its way,
        and reading it keeps the connection for the next request)."""
        if not self._finished:
            return None
        return END_GRACE if self._usage_in else FINISH_GRACE

    def end(self) -> None:
        """Raise unless the body held an answer and its finish."""
        if not self._anything:  # the body ended cleanly without a candidate
            raise no_answer()
        if not self._finished:
            raise StreamInterruptedError(
                f"The connection to {self._host} closed before the answer was finished."
            )


def decode_model(raw: Any) -> ModelInfo | None:
    """A ``models`` list entry, or None if it cannot hold a chat."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        return None
    methods = raw.get("supportedGenerationMethods")
    if not isinstance(methods, list) or "generateContent" not in methods:
        return None

    def num(key: str) -> float | None:
        value = raw.get(key)
        return float(value) if isinstance(value, int | float) and value is not True else None

    model_id = raw["name"].removeprefix("models/")
    return ModelInfo(
        id=model_id,
        display_name=str(raw.get("displayName") or model_id),
        description=str(raw.get("description") or ""),
        input_token_limit=_int(raw.get("inputTokenLimit")),
        output_token_limit=_int(raw.get("outputTokenLimit")),
        temperature=num("temperature"),
        max_temperature=num("maxTemperature"),
        top_p=num("topP"),
        top_k=_int(raw.get("topK")),
        thinking=raw.get("thinking") is True,
        vision="embedding" not in model_id and not model_id.startswith("aqa"),
    )


# ---------------------------------------------------------------- errors

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def parse_duration(value: Any) -> float | None:
    """Google's protobuf Duration JSON ("15s", "57.2s") in seconds."""
    if not isinstance(value, str):
        return None
    match = _DURATION.match(value)
    return float(match.group(1)) if match else None


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """An HTTP Retry-After header (seconds or an HTTP date) in seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²".isdigit() is True too
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def error_from_envelope(
    envelope: Any,
    *,
    http_status: int | None,
    retry_after_header: str | None = None,
    model: str | None = None,
) -> RillError:
    """Map Google's ``{"error": {...}}`` (or its absence) onto the error hierarchy."""
    err = envelope.get("error") if isinstance(envelope, dict) else None
    err = err if isinstance(err, dict) else {}
    code = _int(err.get("code")) or http_status or 0
    status = str(err.get("status") or "")
    message = str(err.get("message") or "")
    raw_details = err.get("details")
    details: list[Any] = raw_details if isinstance(raw_details, list) else []
    reasons = {str(d.get("reason")) for d in details if isinstance(d, dict) and d.get("reason")}
    retry_delay: float | None = None
    for d in details:
        if isinstance(d, dict) and str(d.get("@type", "")).endswith("google.rpc.RetryInfo"):
            retry_delay = parse_duration(d.get("retryDelay"))
    if retry_delay is None:
        retry_delay = parse_retry_after(retry_after_header)
    said = _first_line(message)
    tail = f": {said}" if said else "."
    detail = message or None

    if "API_KEY_INVALID" in reasons or "API key not valid" in message:
        return AuthError(
            "Gemini rejected the API key (API_KEY_INVALID).", detail=detail, status=code
        )
    if code == 401 or status == "UNAUTHENTICATED":
        return AuthError(f"Gemini did not accept the credentials{tail}", detail=detail, status=code)
    if code == 403 or status == "PERMISSION_DENIED":
        return PermissionDeniedError(
            f"Gemini denied access (PERMISSION_DENIED){tail}", detail=detail, status=code
        )
    if code == 404 or status == "NOT_FOUND":
        what = f"The model '{model}' was not found" if model else "Not found"
        return NotFoundError(f"{what} (NOT_FOUND){tail}", detail=detail, status=code)
    if code == 429 or status == "RESOURCE_EXHAUSTED":
        return RateLimitedError(
            f"Gemini's rate limit or quota was reached (RESOURCE_EXHAUSTED){tail}",
            retry_after=retry_delay,
            detail=detail,
            status=code,
        )
    if code == 408:
        return RequestTimeoutError("The server timed out waiting for the request (408).")
    if code == 504 or status == "DEADLINE_EXCEEDED":
        return ServerError(
            f"Gemini timed out on its side (DEADLINE_EXCEEDED){tail}",
            detail=detail,
            status=code,
            retry_after=retry_delay,
        )
    if code == 503 or status == "UNAVAILABLE":
        return ServerError(
            f"Gemini is unavailable (UNAVAILABLE){tail}",
            detail=detail,
            status=code,
            retry_after=retry_delay,
        )
    if code >= 500 or status == "INTERNAL":
        label = status or str(code)
        return ServerError(
            f"Gemini had a server error ({label}){tail}",
            detail=detail,
            status=code,
            retry_after=retry_delay,
        )
    if code == 400 and status == "FAILED_PRECONDITION":
        return InvalidRequestError(
            f"Gemini cannot serve this request (FAILED_PRECONDITION){tail}",
            detail=detail,
            status=code,
        )
    if 400 <= code < 500 or status == "INVALID_ARGUMENT":
        label = status or str(code)
        return InvalidRequestError(
            f"Gemini rejected the request ({label}){tail}", detail=detail, status=code
        )
    return ServerError(
        f"Gemini reported an error ({status or code}){tail}", detail=detail, status=code or None
    )


def error_from_http(
    status: int, body: bytes, content_type: str, retry_after: str | None, model: str | None
) -> RillError:
    """An HTTP error response as a typed error, whether or not its body is JSON."""
    envelope: Any = None
    if "json" in content_type or body.lstrip().startswith(b"{"):
        try:
            envelope = json.loads(body.decode("utf-8", "replace"))
        except (ValueError, RecursionError):  # ValueError: JSONDecodeError, 4300+ digit ints
            envelope = None
    if isinstance(envelope, dict) and isinstance(envelope.get("error"), dict):
        return error_from_envelope(
            envelope, http_status=status, retry_after_header=retry_after, model=model
        )
    # Not Google's envelope: a proxy, a gateway or a captive portal answered.
    kind = content_type.split(";")[0].strip() or "no content type"
    base = error_from_envelope(
        {"error": {"code": status}},
        http_status=status,
        retry_after_header=retry_after,
        model=model,
    )
    base.message = base.message.rstrip(".") + f" — the server answered HTTP {status} ({kind})."
    base.args = (base.message,)
    return base
