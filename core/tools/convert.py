"""From the SDK's types to Rill's: a server's tool list and a tool's result.

Everything here is a server's untrusted output, so each piece is bounded: text and
structured content are capped (with a note saying so), images by count, type and
size, and a tool whose input schema is not a usable JSON Schema is marked unusable
with the reason instead of failing its server.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from typing import Any

import mcp_types as mt
from jsonschema.exceptions import SchemaError
from jsonschema.validators import Draft202012Validator, validator_for

from rill.core.setting_ranges import savable
from rill.core.tools.model import ToolInfo, ToolResult
from rill.core.types import Part

KB = 1024
# All text of one result, UTF-8: a 1 MB answer (issue 17's large case) passes whole,
# beyond that a model's context could not hold it anyway.
MAX_TEXT_BYTES = 1024 * KB
MAX_STRUCTURED_BYTES = 1024 * KB  # the structured content as JSON
MAX_IMAGE_BYTES = 4096 * KB  # one image, decoded
MAX_IMAGES = 4
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_SCHEMA_BYTES = 64 * KB  # a schema goes out with every request that offers the tool
MAX_DESCRIPTION_CHARS = 8192
# The MCP specification's tool names; providers' function names are as strict.
_TOOL_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}")


def clean_text(text: str) -> str:
    """``text`` with lone surrogates (JSON's "\\ud800") replaced, so it can be saved."""
    if savable(text):
        return text
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def tool_infos(server: str, tools: Iterable[mt.Tool]) -> tuple[ToolInfo, ...]:
    """The tools as Rill lists them, each with the reason it cannot be used, if any."""
    seen: set[str] = set()
    infos = []
    for tool in tools:
        title = tool.title or (tool.annotations.title if tool.annotations else None) or ""
        description = clean_text(tool.description or "")
        if len(description) > MAX_DESCRIPTION_CHARS:
            description = description[: MAX_DESCRIPTION_CHARS - 1] + "…"
        infos.append(
            ToolInfo(
                server=server,
                name=clean_text(tool.name),
                title=clean_text(title),
                description=description,
                input_schema=tool.input_schema,
                problem=_problem(tool, seen),
            )
        )
        seen.add(tool.name)
    return tuple(infos)


def _problem(tool: mt.Tool, seen: set[str]) -> str:
    """Why ``tool`` cannot be offered to a model ("" when it can)."""
    if not _TOOL_NAME.fullmatch(tool.name):
        return "its name is not a valid tool name (letters, digits, '.', '-', '_', ≤ 128)"
    if tool.name in seen:
        return "the server lists two tools with this name"
    return schema_problem(tool.input_schema)


def schema_problem(schema: dict[str, Any]) -> str:
    """Why ``schema`` cannot be a tool's input schema ("" when it can)."""
    if schema.get("type") != "object":
        return 'its input schema does not describe an object (type must be "object")'
    try:
        size = len(json.dumps(schema).encode())
        validator_for(schema, default=Draft202012Validator).check_schema(schema)
    except SchemaError as error:
        return f"its input schema is not a valid JSON Schema: {_one_line(error.message)}"
    except (RecursionError, TypeError, ValueError):
        return "its input schema is not a valid JSON Schema: it is nested too deeply"
    if size > MAX_SCHEMA_BYTES:
        return f"its input schema is {size // KB:,} KB (at most {MAX_SCHEMA_BYTES // KB} KB)"
    return ""


def _one_line(text: str, limit: int = 200) -> str:
    line = " ".join(clean_text(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


class _Collector:
    """Builds one ToolResult, keeping to the caps."""

    def __init__(self) -> None:
        self.parts: list[Part] = []
        self.notes: list[str] = []
        self.text_left = MAX_TEXT_BYTES
        self.text_total = 0
        self.images = 0

    def text(self, text: str) -> None:
        data = clean_text(text).encode()
        self.text_total += len(data)
        if self.text_left <= 0:
            return
        kept = data[: self.text_left]
        self.text_left -= len(kept)
        # A cut inside a character drops that character's first bytes.
        self.parts.append(Part.from_text(kept.decode("utf-8", "ignore")))

    def image(self, data: str, mime_type: str) -> None:
        if mime_type not in IMAGE_TYPES:
            self.notes.append(f"(an attachment of type {_one_line(mime_type, 60)} left out)")
            return
        if self.images >= MAX_IMAGES:
            self.notes.append(f"(an image left out: at most {MAX_IMAGES} per result)")
            return
        size = len(data) * 3 // 4  # before decoding: a huge one is never decoded
        if size > MAX_IMAGE_BYTES:
            self.notes.append(
                f"(an image of {size // KB:,} KB left out: images are cut at "
                f"{MAX_IMAGE_BYTES // KB:,} KB)"
            )
            return
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            self.notes.append("(an image that is not valid base64 left out)")
            return
        self.images += 1
        self.parts.append(Part.from_bytes(raw, mime_type))

    def finish(self, structured: Any, is_error: bool) -> ToolResult:
        if self.text_total > MAX_TEXT_BYTES:
            self.notes.insert(
                0,
                f"(result cut at {MAX_TEXT_BYTES // KB:,} KB; the tool sent "
                f"{self.text_total // KB:,} KB of text)",
            )
        return ToolResult(
            parts=tuple(self.parts),
            structured=self._structured(structured),
            is_error=is_error,
            notes=tuple(self.notes),
        )

    def _structured(self, value: Any) -> str | None:
        if value is None:
            return None
        text = clean_text(json.dumps(value, ensure_ascii=False))
        size = len(text.encode())
        if size > MAX_STRUCTURED_BYTES:
            self.notes.append(
                f"(structured result of {size // KB:,} KB left out: at most "
                f"{MAX_STRUCTURED_BYTES // KB:,} KB)"
            )
            return None
        return text


def tool_result(result: mt.CallToolResult) -> ToolResult:
    """``result`` in Rill's types, capped; see the module's docstring."""
    out = _Collector()
    for block in result.content:
        if isinstance(block, mt.TextContent):
            out.text(block.text)
        elif isinstance(block, mt.ImageContent):
            out.image(block.data, block.mime_type)
        elif isinstance(block, mt.AudioContent):
            out.notes.append("(an audio clip left out: Rill does not play tool audio)")
        elif isinstance(block, mt.ResourceLink):
            out.text(f"[{block.title or block.name}]({block.uri})")
        else:
            _embedded(out, block.resource)
    return out.finish(result.structured_content, result.is_error)


def _embedded(out: _Collector, resource: mt.TextResourceContents | mt.BlobResourceContents) -> None:
    if isinstance(resource, mt.TextResourceContents):
        out.text(resource.text)
    elif (resource.mime_type or "") in IMAGE_TYPES:
        out.image(resource.blob, resource.mime_type or "")
    else:
        kind = _one_line(resource.mime_type or "unknown type", 60)
        out.notes.append(f"(a file of type {kind} left out: {_one_line(str(resource.uri), 200)})")
