"""Citation markers placed in an answer's text from its grounding, and its source list.

Gemini marks the grounded stretches of an answer with UTF-8 byte offsets. This turns
them into ``str`` positions and puts ``[n]`` after each stretch, ``n`` being the
source's number in the list under the answer. It never raises, whatever the server
sent: an offset past the text or not a number gives no marker, one inside a
multi-byte character moves to that character's end, a support naming no known source
is skipped. The worst case is a source without its marker.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import accumulate
from urllib.parse import urlsplit

from rill.core.answer_types import Grounding, Source
from rill.core.types import Part


@dataclass(frozen=True, slots=True)
class NumberedSource:
    """A source as the list under an answer shows it: its number, a title, its link."""

    number: int
    title: str
    uri: str | None


@dataclass(frozen=True, slots=True)
class Cited:
    """An answer's text with markers placed, and the sources the markers number."""

    text: str
    sources: tuple[NumberedSource, ...]
    markers: int  # how many markers were placed (a test's and a log's figure)


def source_title(source: Source, number: int) -> str:
    """What names a source in a list: its title, else its link's host, else "Source n"."""
    title = (source.title or "").strip()
    if title:
        return " ".join(title.split())
    if source.uri:
        host = _host(source.uri)
        if host:
            return host
    return f"Source {number}"


def _host(uri: str) -> str:
    try:
        return urlsplit(uri).hostname or ""
    except ValueError:  # a malformed URL (an unclosed IPv6 bracket, a bad port)
        return ""


def numbered_sources(grounding: Grounding | None) -> tuple[NumberedSource, ...]:
    """Every source of ``grounding`` numbered from 1 in the order the provider gave."""
    if grounding is None:
        return ()
    return tuple(
        NumberedSource(n, source_title(s, n), s.uri)
        for n, s in enumerate(grounding.sources, start=1)
    )


class ByteIndex:
    """UTF-8 byte offsets of ``text`` mapped to ``str`` positions, built once."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self._ascii = text.isascii()
        # starts[i] is the byte offset where character i begins; starts[len] the end.
        self._starts: list[int] = (
            [] if self._ascii else [0, *accumulate(_utf8_len(c) for c in text)]
        )

    @property
    def byte_length(self) -> int:
        """The text's length in UTF-8 bytes."""
        return self.length if self._ascii else self._starts[-1]

    def position(self, offset: int) -> int | None:
        """The ``str`` position at byte ``offset``: an offset inside a character moves
        to its end; None for an offset below 0 or past the text."""
        if offset < 0 or offset > self.byte_length:
            return None
        if self._ascii:
            return offset
        return bisect_left(self._starts, offset)


def _utf8_len(char: str) -> int:
    code = ord(char)
    if code < 0x80:
        return 1
    if code < 0x800:
        return 2
    # A lone surrogate cannot be encoded; the cleaned text never holds one, and
    # counting it as three bytes (as "surrogatepass" would) keeps the index total.
    return 3 if code < 0x10000 else 4


def markers(text: str, grounding: Grounding | None) -> dict[int, str]:
    """Where markers go in ``text`` (``str`` positions) and what each reads (``[1][3]``).

    Several supports ending at one place share it; a marker never lands inside a
    character, and goes before the whitespace a segment ends with. Never raises.
    """
    count = len(grounding.sources) if grounding is not None else 0
    if grounding is None or not grounding.supports or not count:
        return {}
    index = ByteIndex(text)
    at: dict[int, set[int]] = {}
    for support in grounding.supports:
        end = support.end
        if not isinstance(end, int) or isinstance(end, bool):
            continue
        position = index.position(end)
        numbers = {
            i + 1
            for i in support.sources
            if isinstance(i, int) and not isinstance(i, bool) and 0 <= i < count
        }
        if position is None or not numbers:
            continue
        # A segment that ends with its trailing space gets its marker before it.
        while position > 0 and text[position - 1].isspace():
            position -= 1
        at.setdefault(position, set()).update(numbers)
    return {pos: "".join(f"[{n}]" for n in sorted(nums)) for pos, nums in at.items()}


def _insert(text: str, where: dict[int, str], offset: int = 0) -> str:
    """``text`` (which starts at ``offset`` of the whole) with the markers inside it."""
    pieces: list[str] = []
    done = 0
    for position in sorted(p - offset for p in where if offset <= p <= offset + len(text)):
        pieces += [text[done:position], where[position + offset]]
        done = position
    pieces.append(text[done:])
    return "".join(pieces)


def place_markers(text: str, grounding: Grounding | None) -> Cited:
    """``text`` with ``[n]`` markers after each grounded stretch, and the numbered sources."""
    where = markers(text, grounding)
    return Cited(_insert(text, where), numbered_sources(grounding), len(where))


def cite_parts(parts: Sequence[Part], grounding: Grounding | None) -> list[Part]:
    """``parts`` with the markers placed in their answer text.

    Offsets count the answer text only (its text parts, thoughts left out, joined), as
    Gemini's do; a marker at the seam of two parts goes at the end of the first.
    """
    text_parts = [p for p in parts if p.is_text]
    where = markers("".join(p.text or "" for p in text_parts), grounding)
    if not where:
        return list(parts)
    out: list[Part] = []
    offset = 0
    placed: set[int] = set()
    for part in parts:
        if not part.is_text or part.text is None:
            out.append(part)
            continue
        length = len(part.text)
        mine = {
            p: m for p, m in where.items() if offset <= p <= offset + length and p not in placed
        }
        placed.update(mine)
        out.append(replace(part, text=_insert(part.text, mine, offset)))
        offset += length
    return out
