"""Plain data that flows between providers, the chat session, the store and the UIs.

No provider's JSON leaks past a provider: everything here is provider-neutral.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from enum import StrEnum

from rill.core.answer_text import part_markdown
from rill.core.answer_types import (
    Citation,
    CodeResult,
    CodeRun,
    FunctionCall,
    FunctionDeclaration,
    FunctionResponse,
    Grounding,
    UrlRead,
)
from rill.core.generation import BUILTIN_TOOLS as BUILTIN_TOOLS
from rill.core.generation import SAFETY_CATEGORIES as SAFETY_CATEGORIES
from rill.core.generation import SAFETY_THRESHOLDS as SAFETY_THRESHOLDS
from rill.core.generation import GenerationSettings as GenerationSettings
from rill.core.generation import ModelInfo as ModelInfo
from rill.core.generation import Role as Role


class MessageStatus(StrEnum):
    """Where a message stands; only COMPLETE and STOPPED answers go back to the model."""

    PENDING = "pending"  # user turn recorded, answer not started yet
    STREAMING = "streaming"
    COMPLETE = "complete"
    STOPPED = "stopped"  # the user stopped it; what arrived is kept and sent back
    FAILED = "failed"  # an error ended it; kept and shown, never sent back
    BLOCKED = "blocked"  # the provider refused; kept and shown, never sent back
    INTERRUPTED = "interrupted"  # the app died mid-stream (found on the next start)


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a turn: text, a thought, inline image bytes, a file URI, or one of
    ``rill.core.answer_types``' kinds (a code run, its result, a function call or
    response), or an ``error`` line Rill put where a part could not be read.

    An image uploaded through a Files API keeps its bytes too (``data`` and
    ``file_uri`` both set, ``file_expires_at`` when the upload is deleted): providers
    that can use the URI send it while it lives and upload the bytes again after;
    the others send the bytes inline.
    """

    text: str | None = None
    thought: bool = False
    data: bytes | None = None
    mime_type: str | None = None
    file_uri: str | None = None
    # Opaque token from Gemini; must go back byte-exact in the part it came with.
    thought_signature: str | None = None
    # Unix time the uploaded file behind ``file_uri`` is deleted (None: not known).
    file_expires_at: float | None = None
    code: CodeRun | None = None
    code_result: CodeResult | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    # A part the provider sent but Rill could not read (an image that is not valid
    # base64): shown and stored in its place, never sent back to the model.
    error: str | None = None
    # The attached file's name as the user saw it ("report.pdf"): shown on its tile,
    # named in the text a provider gets instead of the file, used by exports.
    file_name: str | None = None
    # A PDF's text, extracted (with page markers) when it was attached: what a
    # provider that cannot read PDFs is sent instead (``rill.core.file_parts``).
    extracted_text: str | None = None
    # An image a tool returned, right after its function response in the answer: it
    # goes to the model with that response (inside Gemini 3's ``functionResponse``,
    # else beside it in the same user turn; in a user message after OpenAI's
    # ``tool`` messages), never as the model's own part.
    from_tool: bool = False

    @classmethod
    def from_text(cls, text: str) -> Part:
        """A text part."""
        return cls(text=text)

    @classmethod
    def from_bytes(cls, data: bytes, mime_type: str) -> Part:
        """An inline part holding ``data`` of type ``mime_type``."""
        return cls(data=data, mime_type=mime_type)

    @classmethod
    def from_uri(cls, uri: str, mime_type: str) -> Part:
        """A part referring to an uploaded or remote file."""
        return cls(file_uri=uri, mime_type=mime_type)

    @property
    def is_text(self) -> bool:
        """Whether this part is answer or prompt text (not a thought)."""
        return self.text is not None and not self.thought

    @property
    def is_file(self) -> bool:
        """Whether this part carries a file (image, document, audio, video), inline or by URI."""
        return self.data is not None or self.file_uri is not None

    @property
    def is_tool_part(self) -> bool:
        """Whether this part is a code run, its result, a function call or a response."""
        return (
            self.code is not None
            or self.code_result is not None
            or self.function_call is not None
            or self.function_response is not None
        )

    @property
    def is_image(self) -> bool:
        """Whether this part is an image, inline or by URI (a file of unknown type counts)."""
        return self.is_file and (self.mime_type or "image/").startswith("image/")

    @property
    def keeps_upload(self) -> bool:
        """An uploaded file that also carries its bytes, so it can be uploaded again."""
        return self.data is not None and self.file_uri is not None


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts as the provider reported them (None where it did not say)."""

    prompt_tokens: int | None = None
    output_tokens: int | None = None
    thoughts_tokens: int | None = None
    cached_tokens: int | None = None
    tool_prompt_tokens: int | None = None
    total_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    """One streamed event: deltas of answer text and thoughts, plus metadata.

    ``text`` mirrors the official SDK's ``chunk.text``: the answer text in this chunk,
    thoughts excluded. ``parts`` holds every part as received (signatures included).
    """

    parts: tuple[Part, ...] = ()
    usage: Usage | None = None
    finish_reason: str | None = None
    model_version: str | None = None
    response_id: str | None = None
    # What the candidate carries beside its parts (see rill.core.answer_types).
    grounding: Grounding | None = None
    url_context: tuple[UrlRead, ...] = ()
    citations: tuple[Citation, ...] = ()

    @property
    def text(self) -> str:
        """The answer text this chunk carries (thoughts left out). As the official SDK's
        ``chunk.text`` for text; code runs, a function call and an unreadable part come
        as Markdown (``rill.core.answer_text.part_markdown``), so a view that shows text
        only still shows them."""
        return "".join(part_markdown(p) for p in self.parts)

    @property
    def thought_text(self) -> str:
        """The thought text this chunk carries."""
        return "".join(p.text for p in self.parts if p.text is not None and p.thought)


# Finish reasons that mean the answer ended normally.
NORMAL_FINISH_REASONS = frozenset({"STOP", "FINISH_REASON_UNSPECIFIED"})
# Finish reasons that mean the provider withheld the answer.
BLOCKING_FINISH_REASONS = frozenset(
    {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
)


@dataclass(slots=True)
class _MessageFields:
    """The fields of a Message (its ``parts`` are kept by Message itself)."""

    role: Role
    parts: list[Part] = field(default_factory=list)
    status: MessageStatus = MessageStatus.COMPLETE
    usage: Usage | None = None
    finish_reason: str | None = None
    model: str | None = None  # the model asked for
    model_version: str | None = None  # the model that answered, as the provider said
    error: str | None = None  # one human line when FAILED or BLOCKED
    error_kind: str | None = None  # the error class name, for the UI's choice of card
    created_at: float = field(default_factory=time.time)
    # Monotonic timings of an answer, for time to first token and speed. ``finished_at``
    # is when its last piece arrived (or when it ended without one); an answer that
    # came in one piece has ``first_token_at == finished_at`` (see ``arrived_whole``).
    started_at: float | None = None
    first_token_at: float | None = None
    finished_at: float | None = None
    # How a search grounded the answer, the URLs it read, the works it recites.
    grounding: Grounding | None = None
    url_context: tuple[UrlRead, ...] = ()
    citations: tuple[Citation, ...] = ()


# Held while an answer's growing text changes or is read: the answer grows on the event
# loop while a store thread may read it. One lock for every message; each hold is short.
_GROWTH_LOCK = threading.Lock()
# Small deltas a run keeps apart before joining them (memory, not speed: a delta costs
# about 60 bytes of bookkeeping kept apart, nothing once joined).
_LOOSE_PIECES = 1024


class _Run:
    """The text part an answer is still streaming into, kept as the deltas that came.

    Appending a delta is O(its length): the deltas are joined only when the message's
    parts are read, once per read, and kept as that one string. ``part`` stands for
    the run at the end of the message's parts; its text is the run as it was at the
    last read. Every 1024 loose deltas are joined into one piece, and pieces of about
    the same length are joined in turn (as a binary counter carries), so a run holds
    a few dozen strings at most and each character is copied O(log n) times.
    """

    __slots__ = ("joined", "length", "part", "pieces")

    def __init__(self, part: Part) -> None:
        text = part.text or ""
        self.part = part
        self.pieces = [text]
        self.joined = 1  # the leading pieces already joined from loose ones
        self.length = len(text)

    def add(self, text: str) -> None:
        """Append one delta."""
        pieces = self.pieces
        pieces.append(text)
        self.length += len(text)
        if len(pieces) - self.joined >= _LOOSE_PIECES:
            pieces[self.joined :] = ["".join(pieces[self.joined :])]
            while len(pieces) > 1 and len(pieces[-2]) <= len(pieces[-1]):
                pieces[-2:] = [pieces[-2] + pieces[-1]]
            self.joined = len(pieces)

    def settled(self, signature: str | None = None) -> Part:
        """The run as one part, with ``signature`` (the delta that closes it carries one);
        it then also stands for the run."""
        if len(self.pieces) > 1 or signature is not None:
            text = "".join(self.pieces)
            self.pieces, self.joined = [text], 1
            self.part = replace(self.part, text=text, thought_signature=signature)
        return self.part

    def tail(self, count: int) -> list[str]:
        """The run's last ``count`` characters (at most), as pieces, newest first."""
        out: list[str] = []
        for piece in reversed(self.pieces):
            if len(piece) >= count:
                out.append(piece[len(piece) - count :])
                break
            out.append(piece)
            count -= len(piece)
        return out


def _continues(last: Part, part: Part) -> bool:
    """Whether text ``part`` merges into ``last``: both text of the same kind, and ``last``
    still open (a signature must go back with exactly the text it came with)."""
    return (
        part.text is not None
        and last.text is not None
        and last.thought == part.thought
        and last.thought_signature is None
        and last.data is None
        and last.file_uri is None
    )


class Message(_MessageFields):
    """A turn in a conversation. Answers are built up in place while they stream.

    A streaming answer's text grows in O(delta) per delta (see ``append_part``): its
    ``parts`` join what arrived when they are read, and :meth:`text_after` hands a
    live view what it has not shown without joining anything.
    """

    __slots__ = ("_parts", "_run")
    _parts: list[Part]
    _run: _Run | None

    @property
    def parts(self) -> list[Part]:
        """The message's parts, in order (this list itself: changes to it stay)."""
        run = self._run
        if run is not None and len(run.pieces) > 1:
            with _GROWTH_LOCK:
                self._settle_run()
        return self._parts

    @parts.setter
    def parts(self, parts: list[Part]) -> None:
        with _GROWTH_LOCK:
            self._parts = parts
            self._run = None

    def _settle_run(self) -> None:
        """Bring the part standing for the growing run up to date (lock held)."""
        run, parts = self._run, self._parts
        if run is not None and parts and parts[-1] is run.part:
            parts[-1] = run.settled()
        else:
            self._run = None  # the list was replaced or changed behind the run

    @property
    def text(self) -> str:
        """The message's text (thoughts left out), with its code runs, function calls and
        unreadable parts as Markdown (see :attr:`Chunk.text`)."""
        return "".join(part_markdown(p) for p in self.parts)

    @property
    def answer_text(self) -> str:
        """Only the text parts (thoughts left out): what grounding offsets count."""
        return "".join(p.text for p in self.parts if p.is_text and p.text is not None)

    @property
    def thought_text(self) -> str:
        """The message's thought text."""
        return "".join(p.text for p in self.parts if p.text is not None and p.thought)

    @property
    def images(self) -> list[Part]:
        """The message's image parts."""
        return [p for p in self.parts if p.is_image]

    @property
    def files(self) -> list[Part]:
        """The message's attached files other than images (documents, audio, video)."""
        return [p for p in self.parts if p.is_file and not p.is_image]

    @property
    def sendable(self) -> bool:
        """Whether this turn goes back to the model as history."""
        return self.status in (MessageStatus.COMPLETE, MessageStatus.STOPPED)

    @property
    def time_to_first_token(self) -> float | None:
        """Seconds from sending to the first token (None when unknown)."""
        if self.started_at is None or self.first_token_at is None:
            return None
        return self.first_token_at - self.started_at

    @property
    def arrived_whole(self) -> bool:
        """Whether this complete answer came in one piece (not streamed, or streamed as
        a single event): no interval between its first token and its last was measured,
        so it has no speed, and its time to first token is the time to the whole answer."""
        return (
            self.status is MessageStatus.COMPLETE
            and self.first_token_at is not None
            and self.first_token_at == self.finished_at
        )

    @property
    def tokens_per_second(self) -> float | None:
        """Output tokens over the time from the first token to the last (None where no
        such interval was measured, as for an answer that arrived whole)."""
        if self.usage is None or self.first_token_at is None or self.finished_at is None:
            return None
        tokens = (self.usage.output_tokens or 0) + (self.usage.thoughts_tokens or 0)
        span = self.finished_at - self.first_token_at
        if tokens <= 0 or span <= 0:
            return None
        return tokens / span

    def absorb(self, chunk: Chunk) -> None:
        """Take in one chunk of this answer: its parts, and its usage, finish reason and
        model version where it has them (usage is a running total: the last wins)."""
        for part in chunk.parts:
            self.append_part(part)
        if chunk.usage is not None:
            self.usage = chunk.usage
        if chunk.finish_reason is not None:
            self.finish_reason = chunk.finish_reason
        if chunk.model_version is not None:
            self.model_version = chunk.model_version
        self.absorb_metadata(chunk)

    def absorb_metadata(self, chunk: Chunk) -> None:
        """Take in what ``chunk`` says beside its parts. Grounding and URL context come
        whole (the last that says anything wins); citations add up, each once."""
        if chunk.grounding is not None and not chunk.grounding.empty:
            self.grounding = chunk.grounding
        if chunk.url_context:
            self.url_context = chunk.url_context
        if chunk.citations:
            known = set(self.citations)
            fresh = tuple(c for c in dict.fromkeys(chunk.citations) if c not in known)
            self.citations = self.citations + fresh

    def append_part(self, part: Part) -> None:
        """Add a streamed part, merging text deltas so history stays compact.

        A part that already carries a thought signature is closed: the signature
        must go back with exactly the text it came with, so later deltas start anew.
        A delta merged into the open part costs O(its length): the merged text is
        joined when ``parts`` is next read.
        """
        with _GROWTH_LOCK:
            parts = self._parts
            last = parts[-1] if parts else None
            if last is not None and part.text is not None and _continues(last, part):
                run = self._run
                if run is None or run.part is not last:
                    run = self._run = _Run(last)
                run.add(part.text)
                if part.thought_signature is not None:
                    parts[-1] = run.settled(part.thought_signature)
                    self._run = None
                return
            if part.text == "" and part.thought_signature is None:
                return  # newer models close with an empty text part; nothing to keep
            self._settle_run()
            self._run = None
            parts.append(part)

    def text_after(self, start: int, *, thought: bool = False) -> str:
        """The text past its first ``start`` characters (the thought text if ``thought``):
        what a view that has shown ``start`` characters has not shown yet.

        Costs what it returns plus one step per part, however long the text is.
        """
        with _GROWTH_LOCK:
            run = self._run
            # (part, length, its text as shown; None for the growing run, read by tail).
            # Answer text counts code runs, calls and error lines as ``text`` shows them,
            # so the live view and the finished message agree.
            pieces: list[tuple[int, str | None]] = []
            for p in self._parts:
                if run is not None and p is run.part:
                    if p.thought == thought:
                        pieces.append((run.length, None))
                    continue
                shown = (p.text or "") if thought and p.thought else ""
                if not thought:
                    shown = part_markdown(p)
                if shown:
                    pieces.append((len(shown), shown))
            count = sum(length for length, _ in pieces) - start
            newest_first: list[str] = []
            for length, piece in reversed(pieces):
                if count <= 0:
                    break
                if piece is None:
                    assert run is not None
                    newest_first += run.tail(count)
                else:
                    newest_first.append(piece[max(0, length - count) :])
                count -= length
        return "".join(reversed(newest_first))


@dataclass(frozen=True, slots=True)
class GenerateRequest:
    """Everything a provider needs for one call; ``functions`` are the tools from
    servers the model may call (``rill.core.tool_loop``)."""

    contents: tuple[Message, ...]
    settings: GenerationSettings
    functions: tuple[FunctionDeclaration, ...] = ()


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider can take, so the UI offers only what works."""

    images: bool = True
    # Reads PDFs, audio and video as they are (Gemini); without, PDFs and text files
    # go as their text and audio and video are refused (``rill.core.file_parts``).
    documents: bool = True
    file_uris: bool = True
    thoughts: bool = True
    system_instruction: bool = True
    safety_settings: bool = True
    seed: bool = True
    top_k: bool = True
    builtin_tools: bool = False  # Google Search, URL context, code execution
    image_output: bool = False  # answers with images, on the models that draw
