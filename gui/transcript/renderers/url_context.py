"""URL context: each page the model was asked to read, with whether it could, under
the answer. The addresses are links (http and https only, through the link guard);
the status is the provider's, in words."""

from __future__ import annotations

from rill.core.answer_types import UrlRead
from rill.gui.transcript.renderers.base import Context, PartView
from rill.gui.transcript.renderers.rows import Row, RowsBlock, clip, link_or_empty

# A status as a mark (in a palette colour) and a word.
STATUS = {
    "success": ("✓", "success", "read"),
    "paywall": ("✗", "error_title", "behind a paywall"),
    "unsafe": ("✗", "error_title", "blocked as unsafe"),
    "error": ("✗", "error_title", "could not be read"),
}
UNKNOWN = ("?", "muted", "status unknown")


def url_rows(reads: tuple[UrlRead, ...]) -> list[Row]:
    """A row per URL: its mark, the address, the status in words."""
    rows = []
    for read in reads:
        mark, role, words = STATUS.get(read.status, UNKNOWN)
        address = clip(read.url or "(no address)")
        href = link_or_empty(read.url)
        rows.append(Row(mark, address, words, href, address if href else "", role))
    return rows


class UrlContextView(PartView):
    """The pages an answer read, as a list under it."""

    kind = "url_context"

    def __init__(self, context: Context, reads: tuple[UrlRead, ...]) -> None:
        super().__init__()
        rows = url_rows(reads)
        if rows:
            self.blocks.append(RowsBlock(context, "Pages read", rows))
