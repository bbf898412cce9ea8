"""What the chat pane's chrome says and in which colours: the palettes of both themes,
the facts under an answer, error titles, a turn's versions.

Everything a model or user wrote is escaped before it reaches a document, or rendered
by ``rill.core.markdown``. Switching light/dark renders again with the other palette.
"""

from __future__ import annotations

from dataclasses import dataclass

from rill.core.types import Message
from rill.gui.common import tokens


@dataclass(frozen=True, slots=True)
class Palette:
    """The chat pane's colours in one theme, named for where they go (the values are
    the theme's tokens: see :func:`palette_for`)."""

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
    success: str  # a code run that ended well, a page that was read
    rule: str  # the thin line between turns


def palette_for(dark: bool) -> Palette:
    """The chat pane's colours from the theme's tokens (dark or light)."""
    t = tokens(dark)
    return Palette(
        dark=dark,
        base=t["view"],
        text=t["text"],
        muted=t["muted"],
        link=t["link"],
        user_bubble=t["bubble"],
        user_border=t["bubble_border"],
        error_bg=t["error_background"],
        error_border=t["error_border"],
        error_title=t["error_text"],
        notice=t["notice"],
        success=t["success"],
        rule=t["rule"],
    )


LIGHT = palette_for(dark=False)
DARK = palette_for(dark=True)

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
    """The facts under an answer, in reading order (each one plain text); the model's
    name is not among them: it heads the answer."""
    facts: list[str] = []
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
