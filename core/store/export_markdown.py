"""A conversation as a Markdown document a person can read without Rill.

Only the selected path is written (each turn says when it has other versions; the
JSON export keeps them all). Images are either saved as files beside the document
and linked, or, when there is nowhere to put them, described by type, size and
sha256; the header says which.
"""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from rill.core.answer_text import shown_text, sources_markdown
from rill.core.citations import cite_parts, numbered_sources
from rill.core.store.db import Store
from rill.core.store.records import Conversation, StoredMessage
from rill.core.types import GenerationSettings, Message, MessageStatus, Part, Role

_STATUS_NOTES = {
    MessageStatus.STOPPED: "Stopped: the answer was cut short by the user.",
    MessageStatus.INTERRUPTED: "Interrupted: Rill closed before the answer finished.",
    MessageStatus.PENDING: "Waiting for the answer.",
    MessageStatus.STREAMING: "Still being written when exported.",
}


def to_markdown(
    store: Store,
    conversation_id: int,
    *,
    image_dir: Path | None = None,
    image_link: str | None = None,
) -> str:
    """The selected path of a conversation as Markdown.

    With ``image_dir``, each image is written there once (``<sha256 prefix>.<ext>``)
    and linked as ``<image_link>/<file>`` (default: the folder's name, for a document
    saved next to it). Without, images are described. LookupError for an unknown id.
    """
    conversation = store.get_conversation(conversation_id)
    turns = store.path(conversation_id)
    writer = _Images(image_dir, image_link)
    blocks = [f"# {conversation.title or 'Untitled conversation'}"]
    hidden = len(store.all_message_ids(conversation_id)) - len(turns)
    blocks += _header(conversation, turns, hidden, writer)
    for turn in turns:
        blocks += ["---", *_turn(turn, writer)]
    return "\n\n".join(blocks) + "\n"


class _Images:
    def __init__(self, folder: Path | None, link: str | None) -> None:
        self.folder = folder
        self.link = link if link is not None else (folder.name if folder is not None else "")
        self.count = 0

    def reference(self, part: Part) -> str:
        if not part.is_image:
            return self.file_reference(part)
        self.count += 1
        label = f"image {self.count}"
        if part.file_uri is not None:
            return f"[{label} ({part.mime_type or 'file'}): {part.file_uri}]({part.file_uri})"
        assert part.data is not None
        sha = hashlib.sha256(part.data).hexdigest()
        mime = part.mime_type or "application/octet-stream"
        if self.folder is None:
            return f"*[{label}: {mime}, {_size(len(part.data))}, sha256 {sha[:16]}…]*"
        name = f"{sha[:16]}{_extension(mime)}"
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / name
        if not target.exists():
            target.write_bytes(part.data)
        return f"![{label}]({self.link}/{name})"

    def file_reference(self, part: Part) -> str:
        """A document, audio or video: saved under its own name (prefixed by its hash,
        so two files of one name never collide) and linked, or described."""
        shown = _md_text(part.file_name or "attached file")
        mime = part.mime_type or "application/octet-stream"
        if part.data is None:
            uri = part.file_uri or ""
            return f"[📎 {shown} ({mime}): {uri}]({uri})"
        sha = hashlib.sha256(part.data).hexdigest()
        if self.folder is None:
            return f"*[📎 {shown}: {mime}, {_size(len(part.data))}, sha256 {sha[:16]}…]*"
        name = f"{sha[:16]}-{_safe_name(part.file_name or 'file' + _extension(mime))}"
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / name
        if not target.exists():
            target.write_bytes(part.data)
        return f"[📎 {shown}]({self.link}/{quote(name)})"


def _header(
    conversation: Conversation, turns: list[StoredMessage], hidden: int, images: _Images
) -> list[str]:
    c = conversation
    model = c.model or "default model"
    lines = [
        f"- **Model:** {model}" + (f" ({c.provider})" if c.provider else ""),
        f"- **Started:** {_when(c.created_at)} · **Last active:** {_when(c.updated_at)}",
    ]
    summary = settings_summary(c.settings)
    if summary:
        lines.append(f"- **Settings:** {summary}")
    has_files = any(p.is_file for t in turns for p in t.message.parts)
    if has_files:
        where = (
            f"saved as files in `{images.link}/` and linked"
            if images.folder is not None
            else "described, not included (the JSON export includes them)"
        )
        lines.append(f"- **Images and files:** {where}")
    note = f"- Exported from Rill on {_when(None)}: the selected version of each turn"
    if hidden:
        note += f"; {hidden} message(s) of other versions and branches are in the JSON export"
    lines.append(note + ".")
    blocks = ["\n".join(lines)]
    if c.settings.system_instruction:
        quoted = [f"> {ln}" if ln else ">" for ln in c.settings.system_instruction.splitlines()]
        blocks += ["**System instruction:**", "\n".join(quoted)]
    return blocks


def settings_summary(s: GenerationSettings) -> str:
    """The generation settings that differ from the provider's defaults, on one line."""
    items: list[str] = []
    named = (
        ("temperature", s.temperature),
        ("top-p", s.top_p),
        ("top-k", s.top_k),
        ("max output tokens", s.max_output_tokens),
        ("seed", s.seed),
        ("thinking budget", s.thinking_budget),
    )
    items += [f"{name} {value}" for name, value in named if value is not None]
    if s.stop_sequences:
        items.append("stop sequences " + ", ".join(repr(x) for x in s.stop_sequences))
    if s.include_thoughts:
        items.append("thoughts shown")
    tools = [name.replace("_", " ") for name in (*s.tools, "image_output") if getattr(s, name)]
    if tools:
        items.append("tools " + ", ".join(tools))
    if s.safety:
        items.append("safety " + ", ".join(f"{c}={t}" for c, t in s.safety))
    if not s.stream:
        items.append("streaming off")
    return ", ".join(items)


def _turn(turn: StoredMessage, images: _Images) -> list[str]:
    m = turn.message
    heading = "## You" if m.role is Role.USER else "## Model"
    if m.role is Role.MODEL and (m.model_version or m.model):
        heading += f" · {m.model_version or m.model}"
    if turn.versions > 1:
        heading += f" · version {turn.version} of {turn.versions}"
    blocks = [heading]
    if m.thought_text:
        blocks.append(
            f"<details><summary>Thoughts</summary>\n\n{m.thought_text.strip()}\n\n</details>"
        )
    # Code runs as fenced blocks with their output, in stream order; [n] citation
    # markers where the sources ground the text, the sources numbered below.
    text = shown_text(cite_parts(m.parts, m.grounding)).strip("\n").rstrip()
    if text.strip():
        blocks.append(text)
    blocks += [images.reference(p) for p in m.parts if p.is_file]
    return blocks + answer_extras(m) + _notes(m)


def answer_extras(m: Message) -> list[str]:
    """The sources, search queries, URLs read and recited works under an answer."""
    blocks: list[str] = []
    sources = sources_markdown(numbered_sources(m.grounding))
    if sources:
        blocks.append(sources)
    if m.grounding is not None and m.grounding.queries:
        queries = " · ".join(f"`{' '.join(q.split())}`" for q in m.grounding.queries)
        blocks.append(f"*Searched Google for:* {queries}")
    if m.url_context:
        lines = ["**Pages read**", ""]
        lines += [f"- {_url(r.url)} ({r.status})" for r in m.url_context]
        blocks.append("\n".join(lines))
    cited = [c for c in m.citations if c.uri or c.title]
    if cited:
        lines = ["**Cited works**", ""]
        lines += [f"- {c.title or c.uri}" + (f" ({c.license})" if c.license else "") for c in cited]
        blocks.append("\n".join(lines))
    return blocks


def _notes(m: Message) -> list[str]:
    notes: list[str] = []
    if m.status in (MessageStatus.FAILED, MessageStatus.BLOCKED):
        notes.append(f"*{m.status.value.capitalize()}: {m.error or 'no details'}*")
    elif m.status in _STATUS_NOTES:
        notes.append(f"*{_STATUS_NOTES[m.status]}*")
    if m.role is Role.MODEL and m.usage is not None:
        u = m.usage
        figures = [
            f"{name} {value}"
            for name, value in (
                ("prompt", u.prompt_tokens),
                ("output", u.output_tokens),
                ("thinking", u.thoughts_tokens),
                ("total", u.total_tokens),
            )
            if value is not None
        ]
        if figures:
            reason = f" · finish reason {m.finish_reason}" if m.finish_reason else ""
            notes.append(f"<sub>Tokens: {', '.join(figures)}{reason}</sub>")
    return notes


def _url(url: str) -> str:
    """A URL from a server as an autolink when it is a plain http(s) one, else as code."""
    if url.startswith(("https://", "http://")) and not any(c in url for c in " <>\n\t`"):
        return f"<{url}>"
    return "`" + url.replace("`", "").replace("\n", " ") + "`"


def _when(timestamp: float | None) -> str:
    moment = datetime.now() if timestamp is None else datetime.fromtimestamp(timestamp)
    return moment.strftime("%Y-%m-%d %H:%M")


def _size(n: int) -> str:
    return (
        f"{n} bytes"
        if n < 1024
        else f"{n / 1024:.0f} KB"
        if n < 1 << 20
        else f"{n / (1 << 20):.1f} MB"
    )


def _safe_name(name: str) -> str:
    """A file name that stays in the export folder: no separators, no leading dots."""
    kept = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip(" .")
    return (kept or "file")[:120]


def _md_text(text: str) -> str:
    """``text`` safe inside a Markdown link's brackets."""
    return "".join("\\" + c if c in "\\[]*_`<>" else c for c in text)


def _extension(mime: str) -> str:
    known = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/gif": ".gif"}
    return known.get(mime) or mimetypes.guess_extension(mime) or ".bin"
