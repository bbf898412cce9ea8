"""Conversions between ``rill.core.types`` and what the store (and the JSON export) keep.

Parts become small JSON objects; file bytes (images, documents, audio, video) leave the
part and are referenced by their sha256, so one file is stored once however often it is
sent. Unknown keys are ignored
and missing ones take their defaults, so newer files degrade gracefully in older code.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from rill.core.setting_ranges import Checker
from rill.core.store.answer_codec import (
    meta_fields,
    meta_to_json,
    tool_part_fields,
    tool_part_to_json,
)
from rill.core.types import GenerationSettings, Message, MessageStatus, Part, Role, Usage

JsonDict = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Blob:
    """Image bytes under their content address."""

    sha256: str
    mime_type: str
    data: bytes


def blob_of(data: bytes, mime_type: str) -> Blob:
    """A blob for ``data``, named by its SHA-256."""
    return Blob(hashlib.sha256(data).hexdigest(), mime_type, data)


# ---------------------------------------------------------------- parts


def part_to_json(part: Part, blobs: dict[str, Blob]) -> JsonDict:
    """``part`` as a JSON object; its bytes (if any) go into ``blobs`` by sha256."""
    out: JsonDict = {}
    if part.text is not None:
        out["text"] = part.text
    if part.thought:
        out["thought"] = True
    if part.data is not None:
        blob = blob_of(part.data, part.mime_type or "application/octet-stream")
        blobs[blob.sha256] = blob
        out["blob"] = blob.sha256
    if part.mime_type is not None:
        out["mime_type"] = part.mime_type
    if part.file_uri is not None:
        out["file_uri"] = part.file_uri
    if part.thought_signature is not None:
        out["thought_signature"] = part.thought_signature
    if part.file_expires_at is not None:
        out["file_expires_at"] = part.file_expires_at
    if part.file_name is not None:
        out["file_name"] = part.file_name
    if part.extracted_text is not None:
        out["extracted_text"] = part.extracted_text
    tool_part_to_json(part, out)
    return out


def part_from_json(data: Mapping[str, Any], blobs: Mapping[str, bytes]) -> Part:
    """The Part for ``data``; KeyError when it references a blob that is missing."""
    sha = data.get("blob")
    return Part(
        text=_opt_str(data.get("text")),
        thought=bool(data.get("thought", False)),
        data=blobs[sha] if isinstance(sha, str) else None,
        mime_type=_opt_str(data.get("mime_type")),
        file_uri=_opt_str(data.get("file_uri")),
        thought_signature=_opt_str(data.get("thought_signature")),
        file_expires_at=_opt_float(data.get("file_expires_at")),
        file_name=_opt_str(data.get("file_name")),
        extracted_text=_opt_str(data.get("extracted_text")),
        **tool_part_fields(data),
    )


def parts_blob_refs(parts_json: str) -> list[str]:
    """The sha256 of every image a stored ``parts`` column references."""
    return [p["blob"] for p in json.loads(parts_json) if isinstance(p.get("blob"), str)]


# ---------------------------------------------------------------- usage and settings


def usage_to_json(usage: Usage | None) -> JsonDict | None:
    """``usage`` as JSON (unknown counts left out), or None."""
    if usage is None:
        return None
    return {k: v for k, v in asdict(usage).items() if v is not None}


def usage_from_json(data: Mapping[str, Any] | None) -> Usage | None:
    """Usage from stored JSON (unknown keys ignored), or None."""
    if data is None:
        return None
    known = {f.name for f in fields(Usage)}
    return Usage(**{k: int(v) for k, v in data.items() if k in known and v is not None})


def settings_to_json(settings: GenerationSettings) -> JsonDict:
    """Every field of ``settings``; tuples become lists."""
    out = asdict(settings)
    out["stop_sequences"] = list(settings.stop_sequences)
    out["safety"] = [list(pair) for pair in settings.safety]
    return out


def settings_from_json(
    data: object, warnings: list[str] | None = None, label: str = "chat setting"
) -> GenerationSettings:
    """A chat's settings from JSON, each value checked against ``setting_ranges``.

    Unknown keys are dropped and missing ones keep their defaults; a value out of
    range or of the wrong type becomes its default and adds a line to ``warnings``
    (naming the key after ``label``), so a hand-edited store or an imported file can
    never hand the panel a number it cannot show.
    """
    found: list[str] = [] if warnings is None else warnings
    check = Checker(found, label)
    if not isinstance(data, Mapping):
        check.bad("", "settings", "an object", data, {})
        data = {}
    return GenerationSettings(
        model=check.string(data, "", "model", ""),
        stream=check.boolean(data, "", "stream", True),
        **check.generation(data, ""),
    )


# ---------------------------------------------------------------- messages


# The columns a message row holds besides its ids and place in the tree, in this order.
MESSAGE_COLUMNS = (
    "role",
    "status",
    "text",
    "parts",
    "usage",
    "finish_reason",
    "model",
    "model_version",
    "error",
    "error_kind",
    "created_at",
    "started_at",
    "first_token_at",
    "finished_at",
    "meta",
)


def message_to_row(message: Message) -> tuple[tuple[Any, ...], dict[str, Blob]]:
    """Column values (in MESSAGE_COLUMNS order) and the images ``message`` carries."""
    blobs: dict[str, Blob] = {}
    parts = [part_to_json(p, blobs) for p in message.parts]
    usage = usage_to_json(message.usage)
    meta = meta_to_json(message)
    row = (
        message.role.value,
        message.status.value,
        message.text,
        json.dumps(parts, ensure_ascii=False, separators=(",", ":")),
        None if usage is None else json.dumps(usage, separators=(",", ":")),
        message.finish_reason,
        message.model,
        message.model_version,
        message.error,
        message.error_kind,
        message.created_at,
        message.started_at,
        message.first_token_at,
        message.finished_at,
        None if meta is None else json.dumps(meta, ensure_ascii=False, separators=(",", ":")),
    )
    return row, blobs


def message_from_row(row: sqlite3.Row, blobs: Mapping[str, bytes]) -> Message:
    """The Message for a row with the MESSAGE_COLUMNS; ``blobs`` maps sha256 to bytes."""
    usage = row["usage"]
    meta = row["meta"]
    return Message(
        role=Role(row["role"]),
        parts=[part_from_json(p, blobs) for p in json.loads(row["parts"])],
        status=MessageStatus(row["status"]),
        usage=usage_from_json(json.loads(usage)) if usage else None,
        finish_reason=row["finish_reason"],
        model=row["model"],
        model_version=row["model_version"],
        error=row["error"],
        error_kind=row["error_kind"],
        created_at=row["created_at"],
        started_at=row["started_at"],
        first_token_at=row["first_token_at"],
        finished_at=row["finished_at"],
        **(meta_fields(_loads(meta)) if meta else {}),
    )


def _loads(text: str) -> object:
    """Stored JSON, or None when it is not (a hand-edited row loses its metadata only)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def title_from(message: Message, limit: int = 80) -> str:
    """A conversation title from its first prompt: the first line, shortened."""
    line = next((ln.strip() for ln in message.text.splitlines() if ln.strip()), "")
    if not line:
        named = next((p.file_name for p in message.files if p.file_name), None)
        return "Image" if message.images else (named or ("File" if message.files else ""))
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _opt_str(value: object) -> str | None:
    return None if value is None else str(value)


def _opt_float(value: object) -> float | None:
    """A stored number (an upload's expiry) or None for anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
