"""Colour: the renderer's theme (a value the caller fills in), and Pygments
highlighting as inline-styled spans.

Qt's HTML importer ignores CSS classes, so every colour, token colours included, is
written into the HTML itself. Long code is cut into pieces of whole lines
(:func:`piece_ends`) so a code block that is still streaming re-highlights only its
last piece, never the whole block.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.styles import get_style_by_name
from pygments.token import Token, _TokenType
from pygments.util import ClassNotFound

from rill.core.markdown.highlight_budget import run

# A piece ends at a blank line followed by an unindented line once it has PIECE_MIN_LINES
# lines (a lexer is usually back in its root state there), or hard at PIECE_MAX_LINES /
# PIECE_MAX_CHARS. Each piece is highlighted on its own; the limits bound the cost of
# re-highlighting the open piece of a streaming block (Pygments: ~150-400 KB/s).
PIECE_MIN_LINES = 12
PIECE_MAX_LINES = 40
PIECE_MAX_CHARS = 1024

# Bidi embedding/override/isolate controls reorder the text after them, so a link or a
# line of code can read as something it is not ("Trojan Source"): shown as visible
# markers everywhere. The plain direction marks are shown only in links and code, since
# right-to-left prose uses them legitimately.
_OVERRIDE_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
_BIDI_RE = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;"}
log = logging.getLogger(__name__)
_PLAIN_LANGUAGES = frozenset({"", "text", "txt", "plain", "plaintext", "none", "output"})


def escape(text: str) -> str:
    """Return `text` with the HTML metacharacters escaped (safe in content and attributes)."""
    return text.translate(_ESCAPES)


def escape_prose(text: str) -> str:
    """Escape `text` and show bidi override/isolate controls as visible markers."""
    return _OVERRIDE_RE.sub(_marker, text).translate(_ESCAPES)


def escape_visible(text: str) -> str:
    """Escape `text` and show every bidi control (marks too) as ``<U+202E>`` markers."""
    return _BIDI_RE.sub(_marker, text).translate(_ESCAPES)


def _marker(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def split_lines(code: str) -> list[str]:
    """Split `code` on ``\\n`` only, keeping the newline on each line (unlike splitlines)."""
    parts = code.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def piece_ends(lines: Sequence[str]) -> list[int]:
    """Return the end index of every piece the lines split into; the last is len(lines).

    A boundary depends only on the lines up to the first line after it, so the pieces
    before the last are the same for any longer list of lines: that is what lets a
    streaming code block finish its early pieces for good.
    """
    ends: list[int] = []
    count = chars = 0
    for i, line in enumerate(lines):
        count += 1
        chars += len(line)
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        soft = (
            count >= PIECE_MIN_LINES and not line.strip() and nxt[:1] not in ("", " ", "\t", "\n")
        )
        if soft or count >= PIECE_MAX_LINES or chars >= PIECE_MAX_CHARS:
            ends.append(i + 1)
            count = chars = 0
    if not ends or ends[-1] != len(lines):
        ends.append(len(lines))
    return ends


def language_of(info: str) -> str | None:
    """Return the language named by a fence info string (``{.python}`` too), or None."""
    word = info.strip().split(maxsplit=1)[0] if info.strip() else ""
    word = word.strip("{}").lstrip(".").lower()[:40]
    return None if word in _PLAIN_LANGUAGES else word


@dataclass(frozen=True, slots=True)
class Theme:
    """Colours written into the HTML (Qt rich text has no stylesheet classes to hook).

    Core has no colours of its own: the window fills this from its palette
    (``rill.gui.common.theme.markdown_theme``). Code takes ``code_text`` wherever the
    Pygments style would give the style's own default text colour, so plain code and
    prose read in one colour.
    """

    dark: bool
    text: str  # for the view's palette / default stylesheet: the HTML inherits it
    muted: str
    link: str
    border: str
    table_header_background: str
    inline_code_background: str
    code_background: str
    code_text: str
    pygments_style: str


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    """Look a lexer up by exact name or alias; never guess from the content.

    It is run once on nothing, so a lexer that builds another on first use (Julia's
    console builds Julia's) is all loaded here, not inside the time budget.
    """
    try:
        lexer = get_lexer_by_name(language, stripnl=False, ensurenl=False, tabsize=0)
        list(lexer.get_tokens(""))
    except ClassNotFound:
        return None
    except Exception:  # a lexer broken from the start: plain text
        log.debug("the %s lexer failed on nothing", language, exc_info=True)
        return None
    return lexer


@lru_cache(maxsize=8)
def _known_tokens(style_name: str) -> frozenset[_TokenType]:
    """The token types a style was built with (it raises KeyError for any other)."""
    return frozenset(ttype for ttype, _ in get_style_by_name(style_name))


@lru_cache(maxsize=4096)
def _css(style_name: str, ttype: _TokenType) -> str:
    """Return the inline CSS for one token type in one Pygments style ('' for plain)."""
    style = get_style_by_name(style_name)
    # Lexers may mint token types after a style class was built (YAML's
    # Literal.Scalar.Plain); such a type takes the colour of its nearest known parent.
    known = _known_tokens(style_name)
    while ttype not in known and ttype.parent is not None:
        ttype = ttype.parent
    spec = style.style_for_token(ttype)
    css = []
    # The style's own default text colour is left out: the block's code_text shows.
    if spec["color"] and spec["color"] != style.style_for_token(Token)["color"]:
        css.append(f"color:#{spec['color']}")
    if spec["bold"]:
        css.append("font-weight:bold")
    if spec["italic"]:
        css.append("font-style:italic")
    if spec["underline"]:
        css.append("text-decoration:underline")
    return ";".join(css)


def highlight(code: str, language: str | None, style_name: str) -> str:
    """Return `code` as escaped HTML with coloured spans (no ``<pre>`` wrapper).

    Unknown languages, any lexer output that does not reproduce the input exactly, and a
    lexer that fails or runs over its time budget (``highlight_budget``) give plain
    escaped text: highlighting may fail, but it never changes the code shown.
    """
    lexer = _lexer(language) if language else None
    runs = None
    if lexer is not None and language:
        runs = run(lexer, language, code, lambda tokens: _runs(tokens, style_name))
    if runs is None or "".join(text for _, text in runs) != code:
        runs = [("", code)]
    # Qt drops one plain newline before </pre> but keeps one inside a span: keep the
    # final newline plain so a block never grows an empty last line.
    tail = ""
    if code.endswith("\n"):
        runs[-1], tail = (runs[-1][0], runs[-1][1][:-1]), "\n"
    return "".join(_span(css, text) for css, text in runs if text) + tail


def _runs(tokens: Iterable[tuple[_TokenType, str]], style_name: str) -> list[tuple[str, str]]:
    """Tokens as (inline css, text) runs, neighbours with equal css merged."""
    parts: list[tuple[str, list[str]]] = []
    for ttype, value in tokens:
        css = _css(style_name, ttype) if value.strip() else (parts[-1][0] if parts else "")
        if parts and parts[-1][0] == css:
            parts[-1][1].append(value)
        else:
            parts.append((css, [value]))
    return [(css, "".join(values)) for css, values in parts]


def _span(css: str, text: str) -> str:
    body = escape_visible(text)
    return f'<span style="{css}">{body}</span>' if css else body
