"""What the chat pane's chrome says and in which colours: the palettes of both themes,
the facts under an answer, error titles, a turn's versions, and the invisible break
opportunities that let long unbroken runs wrap (``soft_breaks``).

Everything a model or user wrote is escaped before it reaches a document, or rendered
by ``rill.core.markdown``. Switching light/dark renders again with the other palette.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rill.core.types import Message

# Qt's word wrap rescans an unbreakable run for every line it makes (quadratic: a
# 100,000-character base64 line ~2 s, 1 MB ~2 min). In shown text, a run of at least
# SOFT_BREAK_MIN characters without a space (no word is that long; base64, hashes and
# hostile output are) gets an invisible break opportunity (U+200B) every
# SOFT_BREAK_EVERY characters; copying a selection takes them out.
SOFT_BREAK_MIN = 64
SOFT_BREAK_EVERY = 16  # short: such a run wraps at most this far short of the right edge
SOFT_BREAK = "\u200b"
_TEXT_TOKEN = r"(?:&#?\w+;|[^\s<>&\u200b])"
_TOKEN = re.compile(_TEXT_TOKEN)
_LONG_RUN = re.compile(f"{_TEXT_TOKEN}{{{SOFT_BREAK_MIN},}}")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")


@dataclass(frozen=True, slots=True)
class Palette:
    """The colours of one theme; both themes keep text at WCAG AA contrast or better."""

    dark: bool
    base: str  # the transcript's background
    text: str
    muted: str  # footers, labels, thoughts
    link: str
    user_bubble: str
    user_border: str
    error_bg: str
    error_border: str
    error_title: str
    notice: str  # retry countdowns
    rule: str  # the thin line between turns


LIGHT = Palette(
    dark=False,
    base="#ffffff",
    text="#1f2328",
    muted="#59636e",
    link="#0969da",
    user_bubble="#eef4fc",
    user_border="#d3e1f5",
    error_bg="#fff1f0",
    error_border="#f1b4ae",
    error_title="#b42318",
    notice="#8a5a00",
    rule="#e6e8eb",
)

DARK = Palette(
    dark=True,
    base="#1c1d21",
    text="#e3e5e8",
    muted="#a0a7b1",
    link="#6cb6ff",
    user_bubble="#253041",
    user_border="#33445c",
    error_bg="#3a2326",
    error_border="#7d3a40",
    error_title="#ff9a92",
    notice="#e3b341",
    rule="#2f3238",
)

# Finish reasons worth a word under the answer, in the user's terms.
FINISH_REASON_TEXT = {
    "MAX_TOKENS": "Cut off at the output token limit",
    "SAFETY": "Stopped by the safety filter",
    "RECITATION": "Stopped: the answer recited a source",
    "BLOCKLIST": "Stopped: a blocked term",
    "PROHIBITED_CONTENT": "Stopped: prohibited content",
    "SPII": "Stopped: sensitive personal information",
    "MALFORMED_FUNCTION_CALL": "Stopped: malformed function call",
    "LANGUAGE": "Stopped: unsupported language",
    "OTHER": "Stopped for an unspecified reason",
}

ERROR_TITLES = {
    "auth": "The API key was not accepted",
    "permission": "Permission denied",
    "not_found": "Model not found",
    "invalid_request": "The request was refused",
    "blocked": "Blocked",
    "rate_limited": "Rate limited",
    "server": "The server had a problem",
    "network": "Connection problem",
    "interrupted": "The answer was cut off",
    "timeout": "Timed out",
    "protocol": "Unexpected answer from the server",
    "configuration": "Not set up yet",
}


def soft_breaks(rich: str) -> str:
    """``rich`` (HTML) with a U+200B every SOFT_BREAK_EVERY characters in each run of
    text of SOFT_BREAK_MIN or more without a space; tags, attributes and entities stay
    whole, and shorter runs (words) are left alone."""
    if len(rich) < SOFT_BREAK_MIN:
        return rich
    pieces = _TAG_OR_TEXT.split(rich)
    for i in range(0, len(pieces), 2):  # even pieces are text between tags
        if len(pieces[i]) >= SOFT_BREAK_MIN:
            pieces[i] = _LONG_RUN.sub(_add_break, pieces[i])
    return "".join(pieces)


def _add_break(match: re.Match[str]) -> str:
    run = match.group(0)
    tokens = _TOKEN.findall(run) if "&" in run else run
    every = SOFT_BREAK_EVERY
    return SOFT_BREAK.join("".join(tokens[i : i + every]) for i in range(0, len(tokens), every))


@dataclass(frozen=True, slots=True)
class TurnInfo:
    """A turn's place among its versions (the ‹ 2/3 › switcher) and what it offers.

    ``actions``: Edit / Regenerate / Delete links (off for a pane that cannot act on
    them, e.g. a turn whose conversation is still being written).
    """

    version: int = 1
    versions: int = 1
    actions: bool = True


SINGLE = TurnInfo()


def _int(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def footer_facts(message: Message) -> list[str]:
    """The facts under an answer, in reading order (each one plain text)."""
    facts: list[str] = []
    model = message.model_version or message.model
    if model:
        facts.append(model)
    reason = message.finish_reason
    if reason and reason not in ("STOP", "FINISH_REASON_UNSPECIFIED"):
        facts.append(f"{FINISH_REASON_TEXT.get(reason, 'Finished')} ({reason})")
    usage = message.usage
    if usage is not None:
        tokens = f"{_int(usage.prompt_tokens)} in · {_int(usage.output_tokens)} out"
        if usage.thoughts_tokens:
            tokens += f" · {_int(usage.thoughts_tokens)} thinking"
        tokens += f" · {_int(usage.total_tokens)} total tokens"
        facts.append(tokens)
    ttft = message.time_to_first_token
    if ttft is not None:
        # Not streamed (or in one piece): the wait was for the whole answer.
        label = "whole answer in" if message.arrived_whole else "first token"
        facts.append(f"{label} {ttft:.2f} s")
    speed = message.tokens_per_second
    if speed is not None:
        facts.append(f"{speed:,.0f} tokens/s")
    return facts
