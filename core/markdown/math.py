r"""TeX math in Markdown: ``$…$``, ``$$…$$``, ``\(…\)`` and ``\[…\]`` as placeholders.

An inline rule finds the four delimiters with pandoc's rules for dollars (an opening
``$`` has a non-space right after it; a closing ``$`` has a non-space right before it
and no digit after it: "it costs $5 and $10" stays text). Math never spans a blank line,
so a formula always sits inside one block: a finished block never changes, and an
unclosed ``$$`` in the open block stays text until its closer arrives. Code spans and
blocks are parsed before it reaches them, so ``$`` in code stays code.

A formula becomes ``<img src="rill-math:…">``, its name carrying the TeX (the view
typesets it; nothing is fetched) and its ``alt`` the source with delimiters (for Copy).
A formula over :data:`MAX_TEX` characters, or past the :data:`MAX_FORMULAS` th of a
message, is shown as code with a title saying why.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from rill.core.markdown.highlight import Theme, escape, escape_visible

MATH_SCHEME = "rill-math"
MAX_TEX = 2_000  # characters of TeX typeset in one formula
MAX_FORMULAS = 500  # formulas typeset per message; later ones are shown as their source
INLINE, DISPLAY = "math_inline", "math_display"
COUNTER_KEY = "rill_math_counter"  # env key: a FormulaCounter shared by a message's blocks
_MEMO_KEY = "rill_math_memo"
_OPENERS = {"$$": ("$$", DISPLAY), "$": ("$", INLINE), "\\(": ("\\)", INLINE)}
_OPENERS["\\["] = ("\\]", DISPLAY)
TOO_LONG = f"Not typeset: a formula over {MAX_TEX:,} characters"
TOO_MANY = f"Not typeset: more than {MAX_FORMULAS:,} formulas in one message"
# Display math in a paragraph of its own gets this block around it (centred).
DISPLAY_BLOCK = '<p align="center" style="margin-top:8px;margin-bottom:8px">'


@dataclass(slots=True)
class FormulaCounter:
    """How many formulas of one message were made placeholders (see MAX_FORMULAS)."""

    count: int = 0

    def copy(self) -> FormulaCounter:
        """An independent counter at this count (a render context is copied to be re-run)."""
        return FormulaCounter(self.count)


@dataclass(slots=True)
class _Memo:
    """The last closer search for one delimiter in one inline source.

    The first closer at or after ``start`` is ``found`` (-1: none), so it is also the
    first one after any later position up to it: each source is scanned about once,
    however many openers it has ("$a $b $c …" would otherwise be quadratic).
    """

    src: str
    start: int
    found: int


def math_name(tex: str, display: bool) -> str:
    """The resource name of a formula: its kind and its TeX, base64url-encoded."""
    body = base64.urlsafe_b64encode(tex.encode("utf-8")).decode("ascii")
    return f"{MATH_SCHEME}:{'d' if display else 'i'}/{body}"


def parse_math_name(name: str) -> tuple[str, bool] | None:
    """``(tex, display)`` for a name made by :func:`math_name`; None for anything else."""
    prefix = f"{MATH_SCHEME}:"
    if not name.startswith(prefix) or name[len(prefix) + 1 : len(prefix) + 2] != "/":
        return None
    kind, body = name[len(prefix)], name[len(prefix) + 2 :]
    if kind not in "di" or len(body) > 4 * MAX_TEX * 4 // 3 + 8:
        return None
    try:
        tex = base64.b64decode(body.encode("ascii"), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    return (tex, kind == "d") if tex else None


def math_rule(state: StateInline, silent: bool) -> bool:
    """markdown-it inline rule: one formula at ``state.pos`` (before ``escape``)."""
    src, pos, end = state.src, state.pos, state.posMax
    if src[pos] not in "$\\":  # the rule is tried at every punctuation mark: fail fast
        return False
    opener = src[pos : pos + 2]
    if opener not in _OPENERS:
        opener = src[pos]
        if opener != "$":
            return False
    closer, kind = _OPENERS[opener]
    start = pos + len(opener)
    if opener == "$" and (start >= end or src[start].isspace()):
        return False
    found = _closer(state, opener, start)
    if found < 0 or found + len(closer) > end:
        return False
    tex = src[start:found]
    if not tex.strip():
        return False
    if not silent:
        token = state.push(kind, "", 0)
        token.content = tex.strip() if kind == DISPLAY else tex
        token.markup = opener
        source = src[pos : found + len(closer)]
        token.meta = {"source": source, "note": _note(state.env, token.content)}
    state.pos = found + len(closer)
    return True


def _note(env: MutableMapping[str, Any], tex: str) -> str:
    """Why a formula is not typeset ('' when it is), counting it against the message."""
    counter = env.get(COUNTER_KEY)
    if isinstance(counter, FormulaCounter):
        counter.count += 1
        if counter.count > MAX_FORMULAS:
            return TOO_MANY
    return TOO_LONG if len(tex) > MAX_TEX else ""


def _closer(state: StateInline, opener: str, start: int) -> int:
    """Where the formula opened by ``opener`` before ``start`` closes; -1 when it does not."""
    memos: dict[str, _Memo] = state.env.setdefault(_MEMO_KEY, {})
    memo = memos.get(opener)
    src = state.src
    reusable = memo is not None and memo.src is src and memo.start <= start
    if memo is not None and reusable and (memo.found < 0 or start <= memo.found):
        return memo.found
    found = _dollar_closer(src, start) if opener == "$" else src.find(_OPENERS[opener][0], start)
    memos[opener] = _Memo(src, start, found)
    return found


def _dollar_closer(src: str, start: int) -> int:
    """The first ``$`` from ``start + 1`` on with a non-space before it, no digit after
    it and no backslash escaping it; -1 when there is none."""
    at = start
    while True:
        at = src.find("$", at + 1)
        if at < 0:
            return -1
        before = src[at - 1]
        after = src[at + 1 : at + 2]
        if before.isspace() or after.isdigit():
            continue
        slashes = len(src[:at]) - len(src[:at].rstrip("\\")) if before == "\\" else 0
        if slashes % 2 == 0:
            return at


def math_html(token: Token, theme: Theme, *, own_block: bool) -> str:
    """The HTML of a formula token: a placeholder the view typesets, or code with a note.

    ``own_block``: the formula is display math in a visible paragraph, which is closed
    around it so the formula gets a centred line of its own.
    """
    source = str(token.meta.get("source", token.content))
    note = str(token.meta.get("note", ""))
    display = token.type == DISPLAY
    if note:
        html = (
            f'<code style="background-color:{theme.inline_code_background}" '
            f'title="{escape(note)}">{escape_visible(source)}</code>'
        )
    else:
        name = math_name(token.content, display)
        # Qt keeps alt and title in the image's format: alt is what Copy gives.
        alt = escape(source).replace("\n", "&#10;")
        html = f'<img src="{name}" alt="{alt}" style="vertical-align:middle;max-width:100%"/>'
    if display and own_block:
        return f"</p>{DISPLAY_BLOCK}{html}</p><p>"
    return html  # in a heading, table cell or tight list item: in the line


def is_math(token: Token) -> bool:
    """Whether ``token`` is a formula made by :func:`math_rule`."""
    return token.type in (INLINE, DISPLAY)
