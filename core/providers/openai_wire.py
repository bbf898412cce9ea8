"""OpenAI Chat Completions JSON on the wire: request bodies, stream chunks, errors.

Pure functions and one small state machine (``ThinkSplitter``), no I/O, so the
mapping can be tested alone. Servers that speak "OpenAI-compatible" differ in the
details (vLLM puts its error at the top level, Gemini wraps it in a list, reasoning
arrives as ``reasoning_content``, ``reasoning`` or ``<think>`` tags, Mistral sends
``content`` as a list of typed items); this module
absorbs those differences so the provider sees one shape.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from rill.core.errors import (
    InvalidRequestError,
    ProtocolError,
    ServerError,
    StreamInterruptedError,
)
from rill.core.file_parts import as_text
from rill.core.providers.openai_errors import error_from_body
from rill.core.providers.openai_tools import (
    ToolCallAssembler,
    decode_tool_calls,
    encode_declarations,
    encode_turns,
    has_tool_parts,
)
from rill.core.providers.sse import END_GRACE, FINISH_GRACE
from rill.core.types import Chunk, GenerateRequest, Message, ModelInfo, Part, Role, Usage

JSON = dict[str, Any]
DONE = "[DONE]"  # the last event of a Chat Completions stream

# OpenAI's finish reasons in Rill's (Gemini's) vocabulary; others are upper-cased.
FINISH_REASONS = {
    "stop": "STOP",
    "length": "MAX_TOKENS",
    "content_filter": "SAFETY",
    "tool_calls": "TOOL_CALLS",
    "function_call": "TOOL_CALLS",
    "eos": "STOP",  # some servers (TGI) say "eos_token"/"eos"
    "eos_token": "STOP",
    "stop_sequence": "STOP",
}

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"

# OpenAI's image input limits: 20 MB per image, 50 MB of image bytes per request.
# Checked for images a Files API upload kept (a chat begun with Gemini): those
# skipped the inline budget, which keeps every other image far below these.
MAX_INLINE_IMAGE_BYTES = 20 * 1000 * 1000
MAX_INLINE_REQUEST_IMAGE_BYTES = 50 * 1000 * 1000


# ---------------------------------------------------------------- request


def encode_content(message: Message) -> str | list[JSON]:
    """A turn's parts as ``content``: a plain string when it is text only.

    Thoughts never go back (OpenAI-style servers do not take them), images become
    ``data:`` URLs, and ``https://`` URIs are passed as image URLs. Other files go
    as text (``rill.core.file_parts.as_text``): a text file's content, a PDF's
    extracted text, or a note saying what this server cannot read. Raises
    InvalidRequestError for a ``gs://`` or Files API image URI, which no such server
    reads.
    """
    parts = [p for p in message.parts if not p.thought]
    if not any(p.is_image for p in parts):
        texts = [_as_text(p) for p in parts]
        if any(p.is_file for p in parts):  # a file's text stands apart from the prompt
            return "\n\n".join(text for text in texts if text)
        return "".join(texts)
    out: list[JSON] = []
    for part in parts:
        if not part.is_image:
            text = _as_text(part)
            if text:
                out.append({"type": "text", "text": text})
        elif part.data is not None:
            mime = part.mime_type or "image/png"
            encoded = base64.b64encode(part.data).decode("ascii")
            out.append({"type": "image_url", "image_url": {"url": f"data:{mime};base64,{encoded}"}})
        elif part.file_uri is not None:
            if not part.file_uri.startswith(("https://", "http://", "data:")):
                raise InvalidRequestError(
                    f"This provider cannot read {part.file_uri.split(':', 1)[0]}:// files; "
                    "attach the image itself instead."
                )
            out.append({"type": "image_url", "image_url": {"url": part.file_uri}})
    return out


def _as_text(part: Part) -> str:
    """A non-image part's text: its own, or what a file reads as (see encode_content)."""
    if part.is_file:
        return as_text(part) or ""
    return part.text or ""


def check_kept_uploads(request: GenerateRequest) -> None:
    """Refuse, naming the limit, a request whose uploaded-then-kept images (sent here
    inline, as this API has no Files API) are over OpenAI's per-image or per-request
    limits; a request without such images is not checked (servers differ)."""
    parts = [p for m in request.contents for p in m.parts if p.data is not None and p.is_image]
    kept = [p for p in parts if p.keeps_upload]
    if not kept:
        return
    mb = 1000 * 1000
    largest = max(len(p.data or b"") for p in kept)
    if largest > MAX_INLINE_IMAGE_BYTES:
        raise InvalidRequestError(
            f"An image in this chat is {largest / mb:.1f} MB (it went to Gemini's Files "
            f"API); this provider takes images inline, up to "
            f"{MAX_INLINE_IMAGE_BYTES // mb} MB each."
        )
    total = sum(len(p.data or b"") for p in parts)
    if total > MAX_INLINE_REQUEST_IMAGE_BYTES:
        raise InvalidRequestError(
            f"The images in this chat come to {total / mb:.1f} MB; this provider takes "
            f"images inline, up to {MAX_INLINE_REQUEST_IMAGE_BYTES // mb} MB per request."
        )


def encode_messages(request: GenerateRequest) -> list[JSON]:
    """The ``messages`` array: the system instruction first, then the history.

    Raises InvalidRequestError for kept uploads over the inline limits (see
    :func:`check_kept_uploads`).
    """
    check_kept_uploads(request)
    messages: list[JSON] = []
    system = request.settings.system_instruction
    if system:
        messages.append({"role": "system", "content": system})
    for message in request.contents:
        if has_tool_parts(message):
            messages += encode_turns(message)
            continue
        content = encode_content(message)
        if not content:
            continue
        role = "assistant" if message.role is Role.MODEL else "user"
        messages.append({"role": role, "content": content})
    return messages


def encode_request(
    request: GenerateRequest,
    model: str,
    *,
    stream: bool,
    include_usage: bool = True,
    send_top_k: bool = True,
) -> JSON:
    """The body of ``POST chat/completions``.

    ``top_k`` is not in OpenAI's API (api.openai.com rejects it) but llama.cpp,
    vLLM, Ollama and OpenRouter take it, so it is sent only when ``send_top_k``.
    """
    s = request.settings
    body: JSON = {"model": model, "messages": encode_messages(request), "stream": stream}
    if stream and include_usage:
        body["stream_options"] = {"include_usage": True}
    if s.temperature is not None:
        body["temperature"] = s.temperature
    if s.top_p is not None:
        body["top_p"] = s.top_p
    if s.top_k is not None and send_top_k:
        body["top_k"] = s.top_k
    if s.max_output_tokens is not None:
        body["max_tokens"] = s.max_output_tokens
    if s.stop_sequences:
        body["stop"] = list(s.stop_sequences)
    if s.seed is not None:
        body["seed"] = s.seed
    if request.functions:
        body["tools"] = encode_declarations(request.functions)
    return body


# ---------------------------------------------------------------- thoughts


class ThinkSplitter:
    """Splits ``<think>…</think>`` out of streamed text, tags cut anywhere included.

    Text that could still be the start of a tag is held back until the next piece
    (or :meth:`flush`) decides it. The answer's leading blank lines after a closing
    tag are dropped, as every chat UI does.
    """

    def __init__(self) -> None:
        self.in_think = False
        self._held = ""
        self._strip_newlines = False

    def feed(self, text: str) -> list[Part]:
        """The parts ``text`` completes, in order (thoughts marked ``thought=True``)."""
        buf = self._held + text
        self._held = ""
        parts: list[Part] = []
        while buf:
            tag = THINK_CLOSE if self.in_think else THINK_OPEN
            at = buf.find(tag)
            if at >= 0:
                self._emit(parts, buf[:at])
                buf = buf[at + len(tag) :]
                self.in_think = not self.in_think
                self._strip_newlines = not self.in_think
                continue
            keep = _partial_suffix(buf, tag)
            self._emit(parts, buf[: len(buf) - keep])
            self._held = buf[len(buf) - keep :]
            break
        return parts

    def flush(self) -> list[Part]:
        """End of the answer: whatever was held back is plain text (or thought)."""
        held, self._held = self._held, ""
        parts: list[Part] = []
        self._emit(parts, held)
        return parts

    def _emit(self, parts: list[Part], text: str) -> None:
        if self._strip_newlines and not self.in_think:
            text = text.lstrip("\r\n")
            if not text:
                return
            self._strip_newlines = False
        if text:
            parts.append(Part(text=text, thought=self.in_think))


def _partial_suffix(text: str, tag: str) -> int:
    """How many characters at the end of ``text`` are a proper prefix of ``tag``."""
    for n in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:n]):
            return n
    return 0


# ---------------------------------------------------------------- response


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def map_finish_reason(raw: Any) -> str | None:
    """OpenAI's ``finish_reason`` as Rill's: stop→STOP, length→MAX_TOKENS…"""
    if not isinstance(raw, str) or not raw:
        return None
    return FINISH_REASONS.get(raw, raw.upper())


def decode_usage(raw: Any) -> Usage | None:
    """``usage`` (prompt/completion/total, reasoning and cached details) as Usage.

    Reasoning tokens are part of ``completion_tokens`` on OpenAI; Rill counts them
    apart (as Gemini does), so they are taken out of the output count.
    """
    if not isinstance(raw, dict):
        return None
    completion = raw.get("completion_tokens_details")
    prompt = raw.get("prompt_tokens_details")
    reasoning = _int(completion.get("reasoning_tokens")) if isinstance(completion, dict) else None
    cached = _int(prompt.get("cached_tokens")) if isinstance(prompt, dict) else None
    output = _int(raw.get("completion_tokens"))
    if output is not None and reasoning:
        output = max(0, output - reasoning)
    return Usage(
        prompt_tokens=_int(raw.get("prompt_tokens")),
        output_tokens=output,
        thoughts_tokens=reasoning or None,
        cached_tokens=cached or None,
        total_tokens=_int(raw.get("total_tokens")),
    )


def _reasoning_text(source: JSON) -> str | None:
    for key in ("reasoning_content", "reasoning"):
        value = source.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _thinking_text(thinking: Any) -> str:
    """The text of a ``thinking`` item: a string, or a list of typed items of its own."""
    if isinstance(thinking, str):
        return thinking
    if not isinstance(thinking, list):
        return ""
    return "".join(
        item["text"]
        for item in thinking
        if isinstance(item, dict)
        and item.get("type", "text") == "text"
        and isinstance(item.get("text"), str)
    )


def content_parts(content: Any, splitter: ThinkSplitter) -> list[Part]:
    """``content`` (of a delta or a message) as parts.

    Most servers send a string (``<think>`` tags split out). Mistral's API, and servers
    that copy it, send a list of typed items: ``{"type": "text", "text": …}`` is answer
    text, ``{"type": "thinking", "thinking": [{"type": "text", "text": …}]}`` a thought;
    items of other types (references, tool references…) carry nothing to show and are
    skipped, and so is anything malformed, without losing the items around them.
    """
    if isinstance(content, str):
        return splitter.feed(content) if content else []
    if not isinstance(content, list):
        return []
    parts: list[Part] = []
    for item in content:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind == "text" and isinstance(item.get("text"), str) and item["text"]:
            parts.extend(splitter.feed(item["text"]))
        elif kind == "thinking":
            thought = _thinking_text(item.get("thinking"))
            if thought:
                parts.append(Part(text=thought, thought=True))
    return parts


def decode_chunk(
    obj: Any,
    splitter: ThinkSplitter,
    *,
    stream: bool = True,
    calls: ToolCallAssembler | None = None,
) -> Chunk:
    """One ``chat.completion.chunk`` (or, with ``stream=False``, a whole completion).

    A streamed chunk's ``tool_calls`` pieces go to ``calls``, which hands the whole
    calls over when the answer ends; a whole completion's calls are parts at once.
    Raises the mapped error for an ``{"error": …}`` event.
    """
    if isinstance(obj, list) and len(obj) == 1:
        obj = obj[0]  # Gemini's OpenAI face wraps some answers in a list
    if not isinstance(obj, dict):
        raise ProtocolError("The server sent an event that is not a JSON object.")
    if obj.get("error") is not None:
        raise error_from_body(obj, http_status=None)
    choices = obj.get("choices")
    choice = choices[0] if isinstance(choices, list) and choices else None
    parts: list[Part] = []
    finish: str | None = None
    if isinstance(choice, dict):
        source = choice.get("delta" if stream else "message")
        if isinstance(source, dict):
            reasoning = _reasoning_text(source)
            if reasoning:
                parts.append(Part(text=reasoning, thought=True))
            parts.extend(content_parts(source.get("content"), splitter))
            if not stream:
                parts.extend(decode_tool_calls(source.get("tool_calls")))
            elif calls is not None:
                calls.feed(source.get("tool_calls"))
        finish = map_finish_reason(choice.get("finish_reason"))
        if finish == "ERROR":  # OpenRouter: a provider failed mid-answer
            raise ServerError("The model's provider failed in the middle of the answer.")
    model = obj.get("model")
    response_id = obj.get("id")
    return Chunk(
        parts=tuple(parts),
        usage=decode_usage(obj.get("usage")),
        finish_reason=finish,
        model_version=model if isinstance(model, str) and model else None,
        response_id=response_id if isinstance(response_id, str) and response_id else None,
    )


def decode_event(
    data: str, splitter: ThinkSplitter, calls: ToolCallAssembler | None = None
) -> Chunk:
    """The ``data`` of one SSE event (other than ``[DONE]``) as a chunk."""
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError):  # ValueError: JSONDecodeError, 4300+ digit ints
        raise ProtocolError(
            "The server sent an event that is not valid JSON.", detail=data[:200]
        ) from None
    return decode_chunk(obj, splitter, calls=calls)


class OpenAIEvents:
    """Chat Completions' half of the read loop (an ``sse.EventReader``).

    Text chunks pass on as they come; the finish reason, the usage and the tool calls
    (whole, once their arguments have all arrived) travel together in a last chunk.
    With ``include_usage`` the usage arrives in its own event after the finish, so
    the finish is held back until ``[DONE]`` (or the body's end) to travel with it.
    ``label`` names the server in "no answer".
    """

    def __init__(self, host: str, label: str, include_usage: bool) -> None:
        self.done = False
        self._host = host
        self._label = label
        self._include_usage = include_usage
        self._splitter = ThinkSplitter()
        self._calls = ToolCallAssembler()
        self._finish: str | None = None
        self._usage: Usage | None = None
        self._version: str | None = None
        self._response_id: str | None = None
        self._anything = False

    def event(self, data: str) -> Chunk | None:
        """A chunk of the text (or thoughts) ``data`` carries; None for the rest."""
        if data.strip() == DONE:
            self.done = True
            return None
        chunk = decode_event(data, self._splitter, self._calls)
        self._anything = (
            self._anything
            or bool(chunk.parts)
            or chunk.finish_reason is not None
            or not self._calls.empty
        )
        self._finish = chunk.finish_reason or self._finish
        self._usage = chunk.usage or self._usage
        self._version = chunk.model_version or self._version
        self._response_id = chunk.response_id or self._response_id
        if not chunk.parts:
            return None
        return Chunk(parts=chunk.parts, model_version=self._version, response_id=self._response_id)

    def grace(self) -> float | None:
        """Past the finish, only a moment for the usage and ``[DONE]``."""
        if self._finish is None:
            return None
        return FINISH_GRACE if self._include_usage and self._usage is None else END_GRACE

    def end(self) -> Chunk:
        """The last chunk; raises unless something was answered and finished."""
        if not self._anything:  # no choice carried anything: [DONE] (or the end) after nothing
            raise no_answer(self._label)
        if not self.done and self._finish is None:
            raise StreamInterruptedError(
                f"The connection to {self._host} closed before the answer was finished."
            )
        return Chunk(
            parts=(*self._splitter.flush(), *self._calls.parts()),
            usage=self._usage,
            finish_reason=self._finish,
            model_version=self._version,
            response_id=self._response_id,
        )


def no_answer(label: str) -> ServerError:
    """No choice with any content or finish, streamed or not: the server said nothing."""
    return ServerError(f"{label} returned no answer (the response had no choices).")


# Words in a model id that mean it takes images / thinks, for servers that list
# nothing but ids. A guess, so it errs towards offering images.
_VISION_HINTS = (
    "vision", "-vl", "vl-", "llava", "bakllava", "moondream", "pixtral", "gpt-4o", "gpt-4.1",
    "gpt-5", "gemini", "gemma-3", "gemma3", "claude", "minicpm-v", "llama3.2-vision",
    "qwen2.5vl", "qwen2-vl", "internvl", "mistral-small-3", "llama-4", "o3", "o4",
)  # fmt: skip
_THINKING_HINTS = (
    "r1", "qwq", "qwen3", "reason", "think", "o1", "o3", "o4", "gpt-5", "magistral",
    "gemini-2.5", "gemini-3", "gpt-oss",
)  # fmt: skip


def decode_model(raw: Any) -> ModelInfo | None:
    """A ``/models`` entry; OpenRouter's richer fields are used when present."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        return None
    model_id: str = raw["id"]
    lowered = model_id.lower()
    if "embed" in lowered or "whisper" in lowered or "tts" in lowered or "dall-e" in lowered:
        return None  # not a chat model
    arch = raw.get("architecture")
    modalities = arch.get("input_modalities") if isinstance(arch, dict) else None
    if isinstance(modalities, list):
        vision = "image" in modalities
    else:
        vision = any(h in lowered for h in _VISION_HINTS)
    params = raw.get("supported_parameters")
    if isinstance(params, list):
        thinking = "reasoning" in params or "include_reasoning" in params
    else:
        thinking = any(h in lowered for h in _THINKING_HINTS)
    top = raw.get("top_provider")
    return ModelInfo(
        id=model_id,
        display_name=str(raw.get("name") or model_id),
        description=str(raw.get("description") or raw.get("owned_by") or ""),
        input_token_limit=_int(raw.get("context_length")),
        output_token_limit=_int(top.get("max_completion_tokens"))
        if isinstance(top, dict)
        else None,
        max_temperature=2.0,
        thinking=thinking,
        vision=vision,
    )
