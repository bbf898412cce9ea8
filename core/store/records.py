"""The records the conversation store hands out: plain frozen dataclasses, no SQL.

They carry ids so a UI can hold ids and load bodies lazily, and nothing else of the
database: the GUI and the CLI never see a row or a cursor.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from rill.core.types import GenerationSettings, Message, Role

# Snippet markers around a search hit. Control characters never typed in a chat, so a
# caller can escape the text first and only then turn the markers into highlighting.
MARK_START = "\x02"
MARK_END = "\x03"


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One line of the conversation list: cheap to load, no message bodies."""

    id: int
    title: str
    provider: str
    model: str
    pinned: bool
    created_at: float
    updated_at: float
    message_count: int  # every stored message, all versions included
    deleted_at: float | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation's own settings and where its selected path ends."""

    id: int
    title: str
    provider: str
    model: str
    settings: GenerationSettings
    pinned: bool
    created_at: float
    updated_at: float
    deleted_at: float | None
    leaf_id: int | None  # the last message of the selected path; None when empty
    # Stored settings that were out of range or of the wrong type, one line each
    # (they were replaced by their defaults in ``settings``).
    notes: tuple[str, ...] = ()
    # (server, tool) of each tool the user allowed "in this chat", sorted.
    tool_grants: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message with its place in the conversation tree.

    ``version`` / ``versions`` are this message's 1-based position among its siblings
    (the answers to the same turn, or the edits of the same user turn): the ‹ 1/3 ›.
    """

    id: int
    conversation_id: int
    parent_id: int | None
    depth: int  # 0 for the first turn
    version: int
    versions: int
    message: Message


@dataclass(frozen=True, slots=True)
class TreeNode:
    """A message for a bulk insert (import): its parent and selected child by index."""

    message: Message
    parent: int | None = None  # index of an earlier node; None for a first turn
    selected_child: int | None = None  # index of the child the path follows


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One message matching a search; ``snippet`` marks hits with MARK_START/MARK_END."""

    conversation_id: int
    message_id: int
    title: str
    role: Role
    created_at: float
    snippet: str
    score: float  # bm25: lower is better

    def marked(self, start: str, end: str) -> str:
        """The snippet with the hits wrapped in ``start`` / ``end`` (plain text)."""
        return self.snippet.replace(MARK_START, start).replace(MARK_END, end)

    def html(self, tag: str = "b") -> str:
        """The snippet as escaped HTML with the hits in ``<tag>`` (for Qt rich text)."""
        escaped = html.escape(self.snippet, quote=False)
        return escaped.replace(MARK_START, f"<{tag}>").replace(MARK_END, f"</{tag}>")


@dataclass(frozen=True, slots=True)
class StoreStats:
    """Counts and sizes, for a status line, ``rill history --stats`` and benchmarks."""

    schema_version: int
    conversations: int
    deleted_conversations: int
    messages: int
    blobs: int
    blob_bytes: int
    file_bytes: int  # the database plus its write-ahead log


class OpenOutcome(StrEnum):
    """What opening the store found."""

    OPENED = "opened"  # an existing store at the current schema
    CREATED = "created"  # there was none; a new one was made
    MIGRATED = "migrated"  # an older schema, upgraded in place
    CORRUPT = "corrupt"  # unreadable: moved aside, a fresh store made
    NEWER = "newer"  # written by a newer Rill: moved aside, a fresh store made


@dataclass(frozen=True, slots=True)
class OpenReport:
    """What happened when the store opened, for the UI to show when it matters."""

    outcome: OpenOutcome
    path: Path
    schema_version: int
    previous_version: int | None = None  # the version found, when migrated or newer
    moved_to: Path | None = None  # where a corrupt or newer file went
    detail: str = ""  # SQLite's own words about a corrupt file; a read-only one's note
    interrupted: tuple[int, ...] = field(default=())  # messages found mid-stream
    went_back: str = ""  # fewer chats or messages than Rill last saved: what it says
    read_only: bool = False  # the folder or the file cannot be written: reading only

    @property
    def needs_attention(self) -> bool:
        """Whether the user should be told (a file was moved aside, the history went
        back since Rill last saved it, or it can only be read)."""
        return self.moved_to is not None or bool(self.went_back) or self.read_only

    @property
    def message(self) -> str:
        """One human line describing the outcome ("" when there is nothing to say)."""
        said = [self.read_only_message, self.went_back, self._outcome_message()]
        return " ".join(part for part in said if part)

    @property
    def read_only_message(self) -> str:
        """What a read-only history means for the user ("" when it is writable)."""
        if not self.read_only:
            return ""
        folder = self.path.parent
        line = (
            f"Rill's data folder {folder} is read-only: the chats in it can be read, "
            "but nothing new can be saved there."
        )
        return f"{line} {self.detail}" if self.detail else line

    def _outcome_message(self) -> str:
        if self.outcome is OpenOutcome.CORRUPT:
            return (
                f"The chat history could not be read ({self.detail or 'damaged file'}). "
                f"It was moved to {self.moved_to} and a new, empty history was started."
            )
        if self.outcome is OpenOutcome.NEWER:
            return (
                f"The chat history was written by a newer version of Rill (schema "
                f"{self.previous_version}, this one knows {self.schema_version}). It was "
                f"moved to {self.moved_to} and a new, empty history was started."
            )
        if self.outcome is OpenOutcome.MIGRATED:
            return (
                f"The chat history was upgraded from schema {self.previous_version} "
                f"to {self.schema_version}."
            )
        return ""
