"""URL context: each page the model was asked to read, with whether it could, under
the answer; and the works an answer recites (``citationMetadata``), with their
licence. The addresses are links (http and https only, through the link guard); the
status is the provider's, in words."""

from __future__ import annotations

from rill.core.answer_types import Citation, UrlRead
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


def recited_rows(citations: tuple[Citation, ...]) -> list[Row]:
    """A row per recited work: its title (or address), its licence."""
    rows = []
    for number, cited in enumerate(citations, start=1):
        href = link_or_empty(cited.uri)
        title = clip(cited.title or cited.uri or "A work")
        detail = clip(cited.license or "", 80)
        rows.append(Row(str(number), title, detail, href, title if href else ""))
    return rows


class RecitationView(PartView):
    """The works an answer recites, as a list under it."""

    kind = "citations"

    def __init__(self, context: Context, citations: tuple[Citation, ...]) -> None:
        super().__init__()
        rows = recited_rows(citations)
        if rows:
            self.blocks.append(RowsBlock(context, "Recites", rows))
