"""How ``rill ask`` prints an answer's parts: text, code runs as fenced blocks and their
output, images saved as files (``[image: PATH]`` where each arrived), citations as
``[n]`` markers with a numbered Sources list, and ``--json``'s one object per chunk.

A grounded answer (``--search``) is printed whole when it ends: its markers can only
be placed once the sources have arrived, and they come last.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rill.core.answer_text import (
    function_call_line,
    function_calls,
    only_calls,
    part_markdown,
    response_line,
)
from rill.core.citations import cite_parts, numbered_sources
from rill.core.errors import InvalidRequestError
from rill.core.types import Chunk, GenerationSettings, Message, Part

if TYPE_CHECKING:
    from rill.core.cli.run import Output

_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
}


class ImageSaver:
    """Writes answer images into ``folder`` under new names; never overwrites a file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._stamp = time.strftime("%Y%m%d-%H%M%S")
        self._count = 0

    def save(self, part: Part) -> Path:
        """Write ``part``'s bytes; OSError when the folder cannot take them."""
        assert part.data is not None
        self.folder.mkdir(parents=True, exist_ok=True)
        extension = _EXTENSIONS.get(part.mime_type or "", ".bin")
        while True:
            self._count += 1
            path = self.folder / f"rill-image-{self._stamp}-{self._count}{extension}"
            try:
                with path.open("xb") as file:
                    file.write(part.data)
            except FileExistsError:
                continue
            return path


@dataclass
class AnswerPrinter:
    """Prints one answer as it arrives (see the module docstring)."""

    out: Output
    settings: GenerationSettings
    images: ImageSaver
    as_json: bool = False
    _saved: dict[int, str] = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        """Whether the text waits for the end (a grounded answer; not with --json)."""
        return self.settings.google_search and not self.as_json

    def chunk(self, chunk: Chunk) -> None:
        """Print what ``chunk`` brings (or, with --json, the chunk as one JSON line)."""
        if self.as_json:
            self._json_line(chunk.parts, chunk_meta(chunk))
            return
        self.out.thought(chunk.thought_text)
        for part in chunk.parts:
            line = self._shown(part)
            if not self.holds:
                self.out.answer(line)

    def whole(self, message: Message) -> None:
        """Print an answer that came in one piece (--no-stream)."""
        self.chunk(
            Chunk(
                parts=tuple(message.parts),
                usage=message.usage,
                finish_reason=message.finish_reason,
                model_version=message.model_version,
                grounding=message.grounding,
                url_context=message.url_context,
                citations=message.citations,
            )
        )

    def _shown(self, part: Part) -> str:
        if part.thought:
            return ""
        if part.data is not None and part.is_image:
            return f"\n[image: {self._save(part)}]\n"
        if part.function_call is not None:
            return ""  # said once the answer ends (see finish), or run (a response follows)
        if part.function_response is not None:
            if part.function_response.decision:  # a tool Rill ran: a line on stderr
                self.out.note(response_line(part.function_response, markdown=False))
            return ""
        return part_markdown(part)

    def _save(self, part: Part) -> str:
        if id(part) not in self._saved:
            try:
                self._saved[id(part)] = str(self.images.save(part))
            except OSError as error:
                self._saved[id(part)] = f"not saved: {error.strerror or error}"
        return self._saved[id(part)]

    def finish(self, message: Message) -> None:
        """After the answer: markers and sources, what was searched and read, and the
        function calls. Raises InvalidRequestError for an answer that is only a call."""
        if self.as_json:
            return
        if self.holds:
            for part in cite_parts(message.parts, message.grounding):
                self.out.answer(self._shown(part))
        sources = numbered_sources(message.grounding)
        if sources:
            lines = ["", "", "Sources:"]
            lines += [f"[{s.number}] {s.title}" + (f" <{s.uri}>" if s.uri else "") for s in sources]
            self.out.answer("\n".join(lines) + "\n")
        notes = answer_notes(message)
        calls = [c for c in function_calls(message.parts) if not c.offered]
        if calls and only_calls(message.parts):
            raise InvalidRequestError(function_call_line(calls[0], markdown=False))
        notes += [function_call_line(c, markdown=False) for c in calls]
        for note in notes:
            self.out.note(note)

    def _json_line(self, parts: tuple[Part, ...], meta: dict[str, Any]) -> None:
        # The store's codec: a chunk's parts read as they are kept (imported for --json
        # only: the store package is ~30 ms that `rill ask` otherwise never pays).
        from rill.core.store.codec import Blob, part_to_json

        blobs: dict[str, Blob] = {}
        shown: list[dict[str, Any]] = []
        for part in parts:
            entry = part_to_json(part, blobs)
            if "blob" in entry:
                del entry["blob"]
                entry["path"] = self._save(part)
            shown.append(entry)
        line = json.dumps({"parts": shown, **meta}, ensure_ascii=False)
        print(line, flush=True, file=sys.stdout)


def chunk_meta(chunk: Chunk) -> dict[str, Any]:
    """A chunk's usage, finish reason, model version and grounding, for --json."""
    from rill.core.store.answer_codec import grounding_to_json
    from rill.core.store.codec import usage_to_json

    meta: dict[str, Any] = {
        "usage": usage_to_json(chunk.usage),
        "finish_reason": chunk.finish_reason,
        "model_version": chunk.model_version,
    }
    if chunk.grounding is not None:
        meta["grounding"] = grounding_to_json(chunk.grounding)
    if chunk.url_context:
        meta["url_context"] = [{"url": r.url, "status": r.status} for r in chunk.url_context]
    if chunk.citations:
        meta["citations"] = [
            {k: v for k, v in vars_of(c).items() if v is not None} for c in chunk.citations
        ]
    return meta


def vars_of(item: Any) -> dict[str, Any]:
    """A slotted dataclass's fields as a dict."""
    return {name: getattr(item, name) for name in item.__slots__}


def answer_notes(message: Message) -> list[str]:
    """The stderr lines under an answer: searches, pages read, recited works."""
    notes: list[str] = []
    if message.grounding is not None and message.grounding.queries:
        notes.append("Searched Google for: " + "; ".join(message.grounding.queries))
    for read in message.url_context:
        notes.append(f"Read {read.url} ({read.status})")
    for cited in message.citations:
        name = cited.title or cited.uri or "a work"
        notes.append(f"Recites {name}" + (f" ({cited.license})" if cited.license else ""))
    return notes
