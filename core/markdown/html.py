"""Markdown parsing primitives and the token → Qt-safe HTML renderer for ``incremental``.

Only whitelisted tags are written. Raw HTML in the source stays text, links keep an href
only for http(s) and mailto, and images never become ``<img>``: nothing in a model's
answer can make the app fetch a resource or run anything.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from rill.core.markdown.highlight import (
    Theme,
    escape,
    escape_prose,
    escape_visible,
    highlight,
    language_of,
    split_lines,
)
from rill.core.markdown.math import is_math, math_html, math_rule

# One block (not code) bigger than this is shown as plain text: markdown-it-py parses
# emphasis-dense text at ~200 KB/s, and no answer needs a 64 KB paragraph or table.
BLOCK_LIMIT = 65_536

_SAFE_HREF = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)
_HTTP = re.compile(r"https?://", re.IGNORECASE)
# The scheme before "://" must stand alone: "xhttp://" is not a link.
_SCHEME_BEFORE = re.compile(r"(?:^|[^A-Za-z0-9.+-])(https?)$", re.IGNORECASE)
_URL_REST = re.compile(r"://[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+")
_TRAILING = "?!.,:*_~'\";"
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LIST_OPEN = {"bullet_list_open": "ul", "ordered_list_open": "ol"}
_SIMPLE_TAGS = {
    "em_open": "<i>",
    "em_close": "</i>",
    "strong_open": "<b>",
    "strong_close": "</b>",
    "s_open": "<s>",
    "s_close": "</s>",
    "blockquote_open": "<blockquote>",
    "blockquote_close": "</blockquote>",
    "list_item_open": "<li>",
    "list_item_close": "</li>",
    "bullet_list_close": "</ul>",
    "ordered_list_close": "</ol>",
    "thead_open": "<thead>",
    "thead_close": "</thead>",
    "tbody_open": "<tbody>",
    "tbody_close": "</tbody>",
    "tr_open": "<tr>",
    "tr_close": "</tr>",
    "th_close": "</th>",
    "td_close": "</td>",
    "table_close": "</table>",
    "hr": "<hr/>",
    "softbreak": "\n",
    "hardbreak": "<br/>",
}


def make_parser() -> MarkdownIt:
    """Return a CommonMark parser with GFM tables/strikethrough, http(s) linkify, no HTML."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.inline.ruler.after("text", "rill_linkify", _linkify)
    md.inline.ruler.before("escape", "rill_math", math_rule)  # before "\\(" is unescaped
    return md


@dataclass(frozen=True, slots=True)
class Seg:
    """A top-level block, or an item of a top-level list, found by a block-only parse."""

    line: int  # first source line
    end: int  # line after the block's last line (trailing blank lines not included)
    kind: str  # paragraph, heading, code, list_item, blockquote, table, rule, other
    group: int = -1  # token index of the list an item belongs to
    ordered: bool = False
    start: int = 1  # number of the list's first item
    marker: str = ""  # "-", "*", "+", "." or ")"


_KINDS = {
    "paragraph_open": "paragraph",
    "heading_open": "heading",
    "fence": "code",
    "code_block": "code",
    "blockquote_open": "blockquote",
    "table_open": "table",
    "hr": "rule",
}
_FENCE_CLOSE = re.compile(r"[ \t]*(`{3,}|~{3,})[ \t]*\n?")


def segment(md: MarkdownIt, text: str) -> tuple[list[Seg], list[int]]:
    """Block-parse `text` (no inline parsing); return its segments and line offsets."""
    tokens: list[Token] = []
    state = StateBlock(text, md, {}, tokens)
    md.block.tokenize(state, state.line, state.lineMax)
    segs: list[Seg] = []
    group, ordered, start = -1, False, 1
    for i, tok in enumerate(tokens):
        if tok.map is None or tok.nesting < 0:
            continue
        line, end = tok.map
        if tok.level == 0 and tok.type in _LIST_OPEN:
            group, ordered = i, tok.type == "ordered_list_open"
            start = int(tok.attrGet("start") or 1)
        elif tok.level == 0:
            segs.append(Seg(line, end, _KINDS.get(tok.type, "other")))
        elif tok.level == 1 and tok.type == "list_item_open":
            segs.append(Seg(line, end, "list_item", group, ordered, start, tok.markup))
    return segs, [*state.bMarks, len(text)]


def fence_closes(line: str, marker: str, length: int) -> bool:
    """Does `line` close a top-level fence? (mirrors markdown-it's fence rule)"""
    match = _FENCE_CLOSE.fullmatch(line)
    if match is None or "\t" in line[: match.start(1)] or match.start(1) > 3:
        return False
    run = match.group(1)
    return run[0] == marker and len(run) >= length


def loose_before_next(md: MarkdownIt, src: str, seg: Seg) -> bool:
    """Is a list loose, judged by its first item `src` and the gap before the second?

    CommonMark decides looseness over the whole list, which a finished item cannot wait
    for; here the first two items decide, and later items only add their own.
    """
    marker = f"{seg.start + 1}{seg.marker}" if seg.ordered else seg.marker
    tokens: list[Token] = []
    state = StateBlock(src + f"{marker} x\n", md, {}, tokens)
    md.block.tokenize(state, state.line, state.lineMax)
    probe = [t for t in tokens if t.type == "paragraph_open" and t.level == 2]
    return bool(probe) and not probe[-1].hidden


# markdown-it stops a table after this many padded cells; the window cannot count them.
_TABLE_CELL_LIMIT = 65_536
_QUOTE_LINE = re.compile(r" {0,3}>")


@dataclass(slots=True)
class Window:
    """A big open paragraph, table or quote whose new lines are checked alone (fast path).

    At top level, whether a line continues a paragraph depends on that line and the next
    one (a table header), and a setext underline shows up as a heading; a table row
    depends on itself and the header; after a non-blank quote line, a ">" line always
    continues the quote. So the last paragraph line, or the header and delimiter rows,
    parsed with the new lines tell whether the block goes on, without the whole block.
    """

    kind: str
    context: str  # the lines the new ones are parsed after
    rows: int = 0
    columns: int = 0


def maybe_definition(text: str, offsets: list[int], seg: Seg) -> bool:
    """Could this paragraph still turn into a (multi-line) link reference definition?"""
    return seg.kind == "paragraph" and text[offsets[seg.line] :].lstrip(" ").startswith("[")


def open_window(text: str, offsets: list[int], seg: Seg) -> Window | None:
    """Return the fast-path window for a big open paragraph, quote or table, if any."""
    if seg.kind == "paragraph" and not maybe_definition(text, offsets, seg):
        return Window("paragraph", text[text.rfind("\n", 0, -1) + 1 :])
    if seg.kind == "blockquote":
        return Window("blockquote", text[text.rfind("\n", 0, -1) + 1 :])
    if seg.kind == "table":
        header = text[offsets[seg.line] : offsets[seg.line + 2]]
        rows = text.count("\n", offsets[seg.line])
        return Window("table", header, rows, header.count("|") + 1)
    return None


def window_continues(md: MarkdownIt, window: Window, new: str) -> bool:
    """Do the new complete lines just continue the open paragraph, table or quote?"""
    if window.kind == "blockquote":
        if not window.context.strip() or not all(map(_QUOTE_LINE.match, split_lines(new))):
            return False  # a blank line before or a lazy line: let the parser decide
        window.context = new
        return True
    text = window.context + new
    segs, _ = segment(md, text)
    lines = text.count("\n")
    if len(segs) != 1 or segs[0].kind != window.kind or segs[0].end != lines:
        return False
    window.rows += new.count("\n")
    if window.kind == "table" and window.rows * window.columns >= _TABLE_CELL_LIMIT:
        return False
    if window.kind == "paragraph":
        window.context = text[text.rfind("\n", 0, -1) + 1 :]
    return True


def _linkify(state: StateInline, silent: bool) -> bool:
    """Turn a bare http(s) URL into a link, scanning at the "://" the text rule stops at.

    Our own rule rather than linkify-it-py: one fewer dependency, and it matches in place
    instead of copying the rest of the line for every candidate.
    """
    pos, src = state.pos, state.src
    if state.linkLevel > 0 or not src.startswith("://", pos):
        return False
    scheme = _SCHEME_BEFORE.search(state.pending[-6:])
    rest = _URL_REST.match(src, pos, state.posMax)
    if scheme is None or rest is None:
        return False
    body = rest.group()
    while body:  # GFM's trimming of trailing punctuation and unbalanced ")"
        if body[-1] in _TRAILING or (body[-1] == ")" and body.count(")") > body.count("(")):
            body = body[:-1]
        else:
            break
    if len(body) <= 3 or not body[3].isalnum():
        return False
    url = scheme.group(1) + body
    href = state.md.normalizeLink(url)
    if not state.md.validateLink(href):
        return False
    if not silent:
        state.pending = state.pending[: -len(scheme.group(1))]
        token = state.push("link_open", "a", 1)
        token.attrs = {"href": href}
        token.markup, token.info = "linkify", "auto"
        state.push("text", "", 0).content = url
        state.push("link_close", "a", -1).markup = "linkify"
    state.pos += len(body)
    return True


def code_html(code: str, language: str | None, theme: Theme, *, first: bool, last: bool) -> str:
    """Return one ``<pre>`` of highlighted code; pieces of one block join seamlessly in Qt."""
    body = highlight(code, language, theme.pygments_style) if code else " "
    style = (
        f"background-color:{theme.code_background};color:{theme.code_text};"
        f"margin-top:{8 if first else 0}px;margin-bottom:{8 if last else 0}px"
    )
    # Qt, like browsers, drops the newline right after <pre>: this one, not a code line.
    return f'<pre style="{style}">\n{body}</pre>'


def list_open_html(ordered: bool, number: int, *, first: bool, last: bool) -> str:
    """Return the opening tag of a one-item top-level list that continues its neighbours."""
    tag = "ol" if ordered else "ul"
    start = f' start="{number}"' if ordered else ""
    margins = f"margin-top:{8 if first else 0}px;margin-bottom:{8 if last else 0}px"
    return f'<{tag}{start} style="{margins}">'


def render_tokens(tokens: Sequence[Token], theme: Theme, outer_list: str | None = None) -> str:
    """Render block tokens to Qt-safe HTML; `outer_list` replaces a top-level list's tag."""
    out: list[str] = []
    paragraph = False  # inside a visible paragraph (display math closes it around itself)
    for tok in tokens:
        kind = tok.type
        if kind == "inline":
            out.append(_inline(tok.children or [], theme, paragraph=paragraph))
        elif kind in _SIMPLE_TAGS:
            out.append(_SIMPLE_TAGS[kind])
        elif kind == "paragraph_open":
            out.append("" if tok.hidden else "<p>")
            paragraph = not tok.hidden
        elif kind == "paragraph_close":
            out.append("" if tok.hidden else "</p>")
            paragraph = False
        elif kind in ("heading_open", "heading_close"):
            tag = tok.tag if tok.tag in _HEADINGS else "h6"
            out.append(f"<{tag}>" if kind == "heading_open" else f"</{tag}>")
        elif kind in _LIST_OPEN:
            if outer_list is not None and tok.level == 0:
                out.append(outer_list)
            else:
                start = tok.attrGet("start")
                extra = f' start="{int(start)}"' if kind == "ordered_list_open" and start else ""
                out.append(f"<{_LIST_OPEN[kind]}{extra}>")
        elif kind == "table_open":
            out.append(
                '<table border="1" cellspacing="0" cellpadding="5" style="border-collapse:'
                f'collapse;border-color:{theme.border};margin-top:8px;margin-bottom:8px">'
            )
        elif kind in ("th_open", "td_open"):
            out.append(_cell_open(tok, theme))
        elif kind in ("fence", "code_block"):
            language = language_of(tok.info) if kind == "fence" else None
            out.append(code_html(tok.content, language, theme, first=True, last=True))
        elif tok.content:  # anything unexpected is shown as text, never as markup
            out.append(f"<p>{escape_prose(tok.content)}</p>")
    html = "".join(out)
    # Display math closes its paragraph around itself: drop what is left empty (Qt would
    # keep an empty paragraph before a list as a blank line).
    return _EMPTY_PARAGRAPH.sub("", html) if "</p><p" in html else html


def render_source(
    md: MarkdownIt,
    src: str,
    env: MutableMapping[str, Any],
    theme: Theme,
    outer_list: str | None = None,
    *,
    loose: bool = False,
) -> str:
    """Parse and render one block's source (reference definitions go into `env`).

    `loose` shows the paragraphs of a top-level list item as paragraphs, for items of a
    list made loose by blank lines between its earlier items.
    """
    if len(src) > BLOCK_LIMIT:
        return plain_html(src)
    tokens = md.parse(src, env)
    if any(tok.level >= md.options.maxNesting - 1 for tok in tokens):
        return plain_html(src)  # markdown-it drops what is nested deeper: keep the text
    if loose:
        for tok in tokens:
            if tok.level == 2 and tok.type in ("paragraph_open", "paragraph_close"):
                tok.hidden = False
    return render_tokens(tokens, theme, outer_list)


def plain_html(src: str) -> str:
    """Show a block's source as text, keeping its line breaks (the fallback rendering)."""
    return f'<p style="white-space:pre-wrap">{escape_visible(src.strip())}</p>'


def _cell_open(tok: Token, theme: Theme) -> str:
    style = str(tok.attrGet("style") or "")
    align = style.removeprefix("text-align:")
    attrs = f' align="{align}"' if align in ("left", "center", "right") else ""
    if tok.type == "th_open":
        return f'<th{attrs} bgcolor="{theme.table_header_background}">'
    return f"<td{attrs}>"


def _inline(children: Sequence[Token], theme: Theme, *, paragraph: bool = False) -> str:
    out: list[str] = []
    links: list[bool] = []  # one entry per open link: does it have an <a>?
    for tok in children:
        kind = tok.type
        if kind == "text":
            out.append(escape_visible(tok.content) if links else escape_prose(tok.content))
        elif kind in _SIMPLE_TAGS:
            out.append(_SIMPLE_TAGS[kind])
        elif kind == "code_inline":
            background = theme.inline_code_background
            body = escape_visible(tok.content)
            out.append(f'<code style="background-color:{background}">{body}</code>')
        elif kind == "link_open":
            href = str(tok.attrGet("href") or "")
            safe = bool(_SAFE_HREF.match(href)) and not links
            links.append(safe)
            if safe:
                out.append(f'<a href="{escape(href)}" style="color:{theme.link}">')
        elif kind == "link_close":
            if links and links.pop():
                out.append("</a>")
        elif kind == "image":
            out.append(_image(tok, theme, inside_link=bool(links)))
        elif is_math(tok):
            out.append(math_html(tok, theme, own_block=paragraph and not links))
        else:
            out.append(escape_prose(tok.content))
    return "".join(out)


def _image(tok: Token, theme: Theme, *, inside_link: bool) -> str:
    """Show an image as "[image: alt]" and its address; never as something Qt would load."""
    alt = "".join(child.content for child in tok.children or [])
    label = f"[image: {alt}]" if alt else "[image]"
    src = str(tok.attrGet("src") or "")
    shown = src if len(src) <= 100 else src[:99] + "…"
    html = f'<span style="color:{theme.muted}">{escape_visible(label)}</span>'
    if _HTTP.match(src) and not inside_link:
        return (
            f'{html} <a href="{escape(src)}" style="color:{theme.link}">{escape_visible(shown)}</a>'
        )
    if src:
        return f'{html} <span style="color:{theme.muted}">{escape_visible(shown)}</span>'
    return html
