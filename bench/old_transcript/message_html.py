"""The chrome around messages as Qt rich-text HTML: bubbles, footers, cards, notices.

Only the subset of HTML/CSS that Qt's rich-text engine honours is used (tables for
boxes with padding, ``bgcolor``, ``font-size``, colours); everything a model or user
wrote is escaped here or rendered by ``rill.core.markdown.incremental``. Colours come from a
:class:`Palette` filled from the app's one palette (``rill.gui.common.theme``), so
switching light/dark re-renders with the other one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rill.core.file_parts import file_label, kind_of
from rill.core.types import Message, MessageStatus, Part
from rill.gui.common import FILE_BADGES, FILE_LINK_BADGE, tokens

ESCAPE = html.escape
USER_INDENT_PX = 48  # the user's box never starts further left than this
# The transcript's margin. Qt places a right-aligned table against the frame's edge,
# ignoring this margin, so the user's box repeats it as its own right margin.
DOCUMENT_MARGIN_PX = 12
# The transcript shows at most this much of one message's text (the rest stays in the
# message: Copy, Save as…, the store and exports have all of it). Qt lays a paragraph
# out whole: in a user bubble 100,000 characters cost ~75 ms, 50,000 ~35 ms and 1 MB
# ~0.8 s (2-CPU VM).
PREVIEW_CHARS = 50_000
# Qt's word wrap rescans an unbreakable run for every line it makes (quadratic: a
# 100,000-character base64 line ~2 s, 1 MB ~2 min). In shown text, a run of at least
# SOFT_BREAK_MIN characters without a space (no word is that long; base64, hashes and
# hostile output are) gets an invisible break opportunity (U+200B) every
# SOFT_BREAK_EVERY characters; copying a selection takes them out (``browser``).
SOFT_BREAK_MIN = 64
SOFT_BREAK_EVERY = 16  # short: such a run wraps at most this far short of the right edge
SOFT_BREAK = "\u200b"
_TEXT_TOKEN = r"(?:&#?\w+;|[^\s<>&\u200b])"
_TOKEN = re.compile(_TEXT_TOKEN)
_LONG_RUN = re.compile(f"{_TEXT_TOKEN}{{{SOFT_BREAK_MIN},}}")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
_BREAKABLE_SPACE = re.compile(r"(?<!·) (?!·)")  # a space not beside a " · "
SWITCHER_SIZE = "x-large"  # the ‹ › of the version switcher, in the small footer line


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


def _small(text_html: str, color: str, *, top: int = 4, bottom: int = 4, align: str = "") -> str:
    align_attr = f' align="{align}"' if align else ""
    return (
        f'<p{align_attr} style="margin-top:{top}px; margin-bottom:{bottom}px; '
        f'color:{color}; font-size:small;">{text_html}</p>'
    )


def _link(href: str, label: str, color: str) -> str:
    return f'<a href="{ESCAPE(href)}" style="color:{color}; text-decoration:none;">{label}</a>'


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


def preview(text: str, limit: int | None = None) -> str:
    """The part of ``text`` the transcript shows: its first ``limit`` characters
    (PREVIEW_CHARS by default; a streamed answer is cut at the same place)."""
    return text[: PREVIEW_CHARS if limit is None else limit]


def truncation_notice(shown: int, total: int, entry_id: int, palette: Palette) -> str:
    """The line under a message shown in part: how much, and how to get all of it."""
    links = " · ".join(
        turn_links(
            entry_id, palette.link, [("copy-message", "Copy all"), ("save-message", "Save as…")]
        )
    )
    what = f"Showing the first {shown:,} of {total:,} characters"
    return _small(f"✂ {what} &nbsp;·&nbsp; {links}", palette.notice, top=6, bottom=4)


def thoughts_cut_notice(shown: int, total: int, palette: Palette) -> str:
    """HTML of the note that long thoughts are shown only in part."""
    return _small(
        f"✂ Showing the first {shown:,} of {total:,} characters of the thoughts",
        palette.notice,
        top=2,
        bottom=4,
    )


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


def version_switcher(entry_id: int, info: TurnInfo, palette: Palette) -> str:
    """ "‹ 2/3 ›": each arrow a link to the version beside, plain at either end; "" for one."""
    if info.versions <= 1:
        return ""

    def arrow(symbol: str, target: int) -> str:
        # Spaces inside the link and a larger glyph: in the footer's small type a
        # one-glyph link was about 8 px tall, too small a target for a click.
        label = f'<span style="font-size:{SWITCHER_SIZE};">&nbsp;{symbol}&nbsp;</span>'
        if not 1 <= target <= info.versions:
            return f'<span style="color:{palette.muted};">{label}</span>'
        return _link(f"rill:version/{entry_id}/{target}", label, palette.link)

    back, forward = arrow("‹", info.version - 1), arrow("›", info.version + 1)
    return f"{back}{info.version}/{info.versions}{forward}"


def turn_links(entry_id: int, color: str, labels: Sequence[tuple[str, str]]) -> list[str]:
    """Action links ``(action, label)`` as ``rill:<action>/<entry_id>`` anchors."""
    return [_link(f"rill:{action}/{entry_id}", label, color) for action, label in labels]


def user_bubble(
    message: Message,
    entry_id: int,
    palette: Palette,
    images: Sequence[str],
) -> str:
    """A user turn: its text in a tinted box, thumbnails above (see :func:`user_actions`
    for the line under it).

    ``images`` are resource names already registered on the document (never a URL
    from the message itself).
    """
    thumbs = "".join(
        f'<img src="{ESCAPE(name)}" style="vertical-align:middle;" />&nbsp;' for name in images
    )
    full = message.text
    text = preview(full)
    paragraphs = [soft_breaks(ESCAPE(p)).replace("\n", "<br/>") for p in text.split("\n\n") if p]
    # Images by address (https://, gs://, Files API) are named, never fetched.
    uris = [p.file_uri for p in message.images if p.data is None and p.file_uri]
    if uris:
        # Words, not an emoji: the usual fonts have no 🖼 and drew a missing-glyph box.
        chips = " &nbsp; ".join(f"Image: {ESCAPE(_short(uri))}" for uri in uris)
        paragraphs.insert(0, f'<span style="color:{palette.muted};">{chips}</span>')
    # Documents, audio and video: a tile each, as the composer showed them (a badge in
    # the kind's colour with the extension, the name, the kind and size). All escaped.
    if message.files:
        paragraphs.insert(0, file_tiles(message.files, palette))
    if thumbs:
        paragraphs.insert(0, thumbs)
    body = "".join(
        f'<p style="margin:0px; margin-bottom:{0 if i == len(paragraphs) - 1 else 8}px;">{p}</p>'
        for i, p in enumerate(paragraphs)
    )
    cut = truncation_notice(len(text), len(full), entry_id, palette) if text != full else ""
    # Right-aligned and as wide as its text (up to the pane less a margin): the user's
    # turns read as "mine" at a glance, the answers keep the full width.
    return (
        f'<table align="right" cellspacing="0" cellpadding="10" border="1" '
        f'style="margin-top:16px; margin-bottom:0px; margin-left:{USER_INDENT_PX}px; '
        f"margin-right:{DOCUMENT_MARGIN_PX}px; "
        f"border-style:solid; border-color:{palette.user_border}; "
        f'background-color:{palette.user_bubble};"><tr><td>{body}</td></tr></table>'
        + cut.replace("<p ", '<p align="right" ', 1)
    )


def user_actions(entry_id: int, info: TurnInfo, palette: Palette) -> str:
    """The line under a user turn (its own region: versions change, the text does not)."""
    return _small(
        _user_actions(entry_id, info, palette), palette.muted, top=2, bottom=6, align="right"
    )


def _user_actions(entry_id: int, info: TurnInfo, palette: Palette) -> str:
    """The line under a user turn: ‹ n/m ›, Edit, Copy, Delete."""
    labels = [("copy-message", "Copy")]
    if info.actions:
        labels = [("edit", "Edit"), *labels, ("delete", "Delete")]
    row = [version_switcher(entry_id, info, palette), *turn_links(entry_id, palette.muted, labels)]
    return " &nbsp;·&nbsp; ".join(bit for bit in row if bit)


def file_tiles(files: Sequence[Part], palette: Palette) -> str:
    """The files of a turn as tiles: one row each in a small table (Qt's rich text has
    no inline boxes), the badge cell in the kind's colour under its extension."""
    rows = []
    for part in files:
        kind = kind_of(part.mime_type)
        name = file_label(part)
        extension = name.rsplit(".", 1)[-1] if "." in name else kind.value
        badge = FILE_BADGES.get(kind.value, FILE_BADGES["other"])
        if part.data is None:
            badge, size = FILE_LINK_BADGE, "by reference"
        else:
            count = len(part.data)
            mb = count >= 1048576
            size = f"{count / 1048576:.1f} MB" if mb else f"{max(1, count // 1024)} KB"
        rows.append(
            f'<tr><td width="44" align="center" valign="middle" '
            f'style="background-color:{badge}; color:#ffffff; font-weight:600;">'
            f"{ESCAPE(extension[:4].upper())}</td>"
            f'<td style="background-color:{palette.base};">{soft_breaks(ESCAPE(name))}<br/>'
            f'<span style="color:{palette.muted};">{ESCAPE(kind.value)} · {size}</span></td></tr>'
        )
    return f'<table cellspacing="4" cellpadding="6">{"".join(rows)}</table>'


def _short(uri: str, limit: int = 60) -> str:
    return uri if len(uri) <= limit else "…" + uri[-(limit - 1) :]


def thoughts_header(entry_id: int, palette: Palette, *, open_: bool, streaming: bool) -> str:
    """The "Thoughts" disclosure line; clicking it opens or folds the thoughts."""
    arrow = "▾" if open_ else "▸"
    label = "Thinking…" if streaming else "Thoughts"
    link = _link(f"rill:toggle-thoughts/{entry_id}", f"{arrow} {label}", palette.muted)
    return _small(link, palette.muted, top=12, bottom=4)


def thoughts_body(rendered_html: str, palette: Palette) -> str:
    """Thoughts, indented and muted so they read as an aside."""
    return (
        f'<table width="100%" cellspacing="0" cellpadding="0" style="margin-left:14px; '
        f'margin-bottom:6px; color:{palette.muted};"><tr><td>{rendered_html}</td></tr></table>'
    )


def waiting(palette: Palette, phase: int) -> str:
    """A "waiting for the first token" indicator; ``phase`` animates the dots."""
    dots = ["●", "●", "●"]
    dots[phase % 3] = f'<span style="color:{palette.link};">●</span>'
    return _small("&nbsp;".join(dots), palette.muted, top=10, bottom=10)


def retry_notice(text: str, palette: Palette) -> str:
    """An inline notice under an answer, e.g. "Retrying in 14 s…" (text is plain)."""
    return _small(f"⟳ {ESCAPE(text)}", palette.notice, top=6, bottom=6)


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


def footer(
    message: Message,
    entry_id: int,
    palette: Palette,
    info: TurnInfo = SINGLE,
    *,
    retry: bool = False,
    regenerate: bool = True,
) -> str:
    """The line under a finished answer: the versions and the actions (Copy, Regenerate
    or, for an answer that never finished, Retry, and Delete) first, where the eye
    finds them on any width; then model, finish reason, tokens and timings, which wrap
    to a second line in a narrow pane. Only actions that can act are drawn: no Copy
    without text; ``regenerate`` False where an error card above holds Retry."""
    labels = [("copy-message", "Copy")] if message.text else []
    if info.actions:
        if regenerate:
            labels.append(("regenerate", "⟳ Retry" if retry else "Regenerate"))
        labels.append(("delete", "Delete"))
    actions = " · ".join(turn_links(entry_id, palette.link, labels))
    switcher = version_switcher(entry_id, info, palette)
    head = "&nbsp;&nbsp;&nbsp;".join(bit for bit in (switcher, actions) if bit)
    # A narrow pane wraps at a " · ", never inside a figure ("33 / tokens/s").
    facts = " · ".join(_BREAKABLE_SPACE.sub("&nbsp;", ESCAPE(f)) for f in footer_facts(message))
    line = f"{head}&nbsp;&nbsp;&nbsp; {facts}" if head and facts else head or facts
    return _small(line, palette.muted, top=6, bottom=10) if line else ""


def stopped_marker(palette: Palette, label: str) -> str:
    """Marks an answer that ended early (stopped, interrupted); what arrived stays above."""
    return _small(f"■ {ESCAPE(label)}", palette.muted, top=6, bottom=0)


def error_card(
    message: Message,
    palette: Palette,
    notice_html: str = "",
    entry_id: int | None = None,
    info: TurnInfo = SINGLE,
) -> str:
    """A failed or blocked answer: a title, the human message, and Retry
    (``rill:retry/<entry_id>``: the last answer is sent again, an older one gets a new
    version). A pane that cannot act on turns (``info.actions`` off) draws no Retry."""
    title = ERROR_TITLES.get(message.error_kind or "", "The answer failed")
    if message.status is MessageStatus.BLOCKED:
        title = ERROR_TITLES["blocked"]
    detail = ESCAPE(message.error or "Something went wrong.")
    target = "rill:retry" if entry_id is None else f"rill:retry/{entry_id}"
    retry = _link(target, "⟳ Retry", palette.link)
    retry_line = f'<p style="margin:0px;"><b>{retry}</b></p>' if info.actions else ""
    return (
        f'<table width="100%" cellspacing="0" cellpadding="10" border="1" '
        f'style="margin-top:10px; margin-bottom:4px; border-style:solid; '
        f'border-color:{palette.error_border}; background-color:{palette.error_bg};">'
        f'<tr><td><p style="margin:0px; margin-bottom:4px; color:{palette.error_title};">'
        f"<b>{ESCAPE(title)}</b></p>"
        f'<p style="margin:0px; margin-bottom:6px;">{detail}</p>'
        f"{retry_line}{notice_html}</td></tr></table>"
    )
