"""Conversations out of and into the store: Markdown to read, JSON to keep and re-import.

The JSON document (``"format": "rill.conversation"``, ``"version": 1``) holds everything
the store knows about one conversation: settings, every version of every turn with the
selection, and the images as base64 under their sha256. It never holds an API key:
keys live in the keychain and the store has no column for one. Markdown shows the
selected path only, readable on its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rill.core.store.answer_codec import meta_fields, meta_to_json
from rill.core.store.codec import (
    Blob,
    part_from_json,
    part_to_json,
    settings_from_json,
    settings_to_json,
    usage_from_json,
    usage_to_json,
)
from rill.core.store.db import Store
from rill.core.store.export_markdown import to_markdown
from rill.core.store.records import Conversation, TreeNode
from rill.core.types import Message, MessageStatus, Role

FORMAT = "rill.conversation"
VERSION = 1
_TIMES = ("created_at", "started_at", "first_token_at", "finished_at")
_TEXTS = ("finish_reason", "model", "model_version", "error", "error_kind")

__all__ = [
    "FORMAT",
    "VERSION",
    "ExportFormatError",
    "dumps",
    "export_json",
    "import_json",
    "to_markdown",
]


class ExportFormatError(ValueError):
    """A file that is not a Rill conversation export this version can read."""


def export_json(store: Store, conversation_id: int) -> dict[str, Any]:
    """The export document for one conversation (``json.dumps`` it to save).

    Message ids are renumbered from 1 in tree order, so two exports of the same
    conversation from different stores are equal. LookupError for an unknown id.
    """
    conversation = store.get_conversation(conversation_id)
    stored = store.get_messages(store.all_message_ids(conversation_id))
    local = {s.id: n for n, s in enumerate(stored, start=1)}
    chosen = store.selected_children(conversation_id)
    path = store.path_ids(conversation_id)
    blobs: dict[str, Blob] = {}
    messages = []
    for s in stored:
        entry = {
            "id": local[s.id],
            "parent": None if s.parent_id is None else local[s.parent_id],
            "selected_child": local.get(chosen.get(s.id, -1)),
        }
        entry.update(_message_to_json(s.message, blobs))
        messages.append(entry)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "conversation": {
            "title": conversation.title,
            "provider": conversation.provider,
            "model": conversation.model,
            "pinned": conversation.pinned,
            "created_at": conversation.created_at,
            "updated_at": conversation.updated_at,
            "settings": settings_to_json(conversation.settings),
        },
        "selected_root": local[path[0]] if path else None,
        "messages": messages,
        "blobs": {
            sha: {"mime_type": b.mime_type, "data": base64.b64encode(b.data).decode("ascii")}
            for sha, b in sorted(blobs.items())
        },
    }


def dumps(document: Mapping[str, Any]) -> str:
    """The document as the text an export file holds."""
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def import_json(
    store: Store, document: Mapping[str, Any] | str | bytes, warnings: list[str] | None = None
) -> int:
    """Add an exported conversation to ``store`` as a new one; returns its id.

    Raises ExportFormatError for anything that is not a valid export of a version
    this code reads; nothing is written then. A setting out of range (or of the wrong
    type) is imported as its default, with a line naming it added to ``warnings``.
    """
    doc = _parse(document)
    try:
        blobs = _decode_blobs(doc.get("blobs") or {})
        entries = list(doc["messages"])
        index = {int(e["id"]): n for n, e in enumerate(entries)}
        nodes = [
            TreeNode(
                message=_message_from_json(e, blobs),
                parent=None if e.get("parent") is None else index[int(e["parent"])],
                selected_child=None
                if e.get("selected_child") is None
                else index[int(e["selected_child"])],
            )
            for e in entries
        ]
        root = doc.get("selected_root")
        info = doc["conversation"]
        conversation = Conversation(
            id=0,
            title=imported_title(str(info.get("title", ""))),
            provider=str(info.get("provider", "")),
            model=str(info.get("model", "")),
            settings=settings_from_json(
                info.get("settings") or {}, warnings, label="imported chat setting"
            ),
            pinned=bool(info.get("pinned", False)),
            created_at=float(info.get("created_at") or time.time()),
            # The import is its latest activity: it lists first, with today's time, not
            # beside its original looking like the same chat.
            updated_at=time.time(),
            deleted_at=None,
            leaf_id=None,
        )
        return store.insert_conversation(
            conversation, nodes, selected_root=None if root is None else index[int(root)]
        )
    except ExportFormatError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ExportFormatError(f"not a valid Rill conversation export: {error!r}") from error


IMPORTED = " (imported)"


def imported_title(title: str) -> str:
    """``title`` marked as an import ("Trip (imported)"), once however often imported."""
    title = title.strip() or "Untitled"
    return title if title.endswith(IMPORTED) else title + IMPORTED


def _parse(document: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    if isinstance(document, str | bytes):
        try:
            document = json.loads(document)
        except (ValueError, UnicodeDecodeError) as error:
            raise ExportFormatError(f"not JSON: {error}") from error
    if not isinstance(document, Mapping) or document.get("format") != FORMAT:
        raise ExportFormatError('not a Rill conversation export (no "format": "rill.conversation")')
    version = document.get("version")
    if not isinstance(version, int) or version < 1 or version > VERSION:
        raise ExportFormatError(
            f"export format version {version!r} is not one this Rill reads (1 to {VERSION})"
        )
    return document


def _decode_blobs(raw: Mapping[str, Any]) -> dict[str, bytes]:
    """sha256 → bytes, each checked against its address."""
    out: dict[str, bytes] = {}
    for sha, entry in raw.items():
        try:
            data = base64.b64decode(entry["data"], validate=True)
        except (binascii.Error, KeyError, TypeError) as error:
            raise ExportFormatError(f"image {sha[:12]}…: bad base64 data") from error
        if hashlib.sha256(data).hexdigest() != sha:
            raise ExportFormatError(f"image {sha[:12]}… does not match its sha256")
        out[sha] = data
    return out


def _message_to_json(message: Message, blobs: dict[str, Blob]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "role": message.role.value,
        "status": message.status.value,
        "parts": [part_to_json(p, blobs) for p in message.parts],
        "usage": usage_to_json(message.usage),
    }
    meta = meta_to_json(message)
    if meta is not None:
        out["meta"] = meta
    for name in (*_TEXTS, *_TIMES):
        out[name] = getattr(message, name)
    return out


def _message_from_json(entry: Mapping[str, Any], blobs: Mapping[str, bytes]) -> Message:
    try:
        parts = [part_from_json(p, blobs) for p in entry.get("parts") or []]
    except KeyError as error:
        raise ExportFormatError(f"a message refers to a missing image {error}") from error
    texts = {name: _opt(entry.get(name), str) for name in _TEXTS}
    times = {name: _opt(entry.get(name), float) for name in _TIMES}
    return Message(
        role=Role(entry["role"]),
        parts=parts,
        status=_settled(MessageStatus(entry.get("status", "complete"))),
        usage=usage_from_json(entry.get("usage")),
        finish_reason=texts["finish_reason"],
        model=texts["model"],
        model_version=texts["model_version"],
        error=texts["error"],
        error_kind=texts["error_kind"],
        created_at=times["created_at"] or time.time(),
        started_at=times["started_at"],
        first_token_at=times["first_token_at"],
        finished_at=times["finished_at"],
        **meta_fields(entry.get("meta")),
    )


def _settled(status: MessageStatus) -> MessageStatus:
    # An answer exported mid-stream will never finish in this store.
    unsettled = (MessageStatus.PENDING, MessageStatus.STREAMING)
    return MessageStatus.INTERRUPTED if status in unsettled else status


def _opt(value: Any, kind: type[Any]) -> Any:
    return None if value is None else kind(value)
