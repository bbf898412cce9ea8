"""Any part kind no renderer knows: a collapsed "Unsupported part (kind)" line that
opens to say what the part holds. Never silently nothing."""

from __future__ import annotations

import html

from rill.core.types import Part
from rill.gui.transcript.renderers.base import Block, Context, PartView
from rill.gui.transcript.renderers.doc_block import DocBlock
from rill.gui.transcript.renderers.lines import LineBlock


def describe(part: Part | None) -> str:
    """What a part holds, in plain words (never its bytes)."""
    if part is None:
        return "No content."
    bits: list[str] = []
    if part.mime_type:
        bits.append(f"Type: {part.mime_type}")
    if part.data is not None:
        bits.append(f"Size: {len(part.data):,} bytes")
    if part.file_uri:
        bits.append(f"Address: {part.file_uri}")
    if part.text:
        bits.append(f"Text: {part.text[:2000]}")
    return "\n".join(bits) or "No content."


class UnsupportedView(PartView):
    """A part shown only by its kind until opened."""

    kind = "unsupported"

    def __init__(self, context: Context, part: Part | None, kind: str) -> None:
        super().__init__()
        self.part_kind = kind
        self.open = False
        self.object_id = 0
        self.header = LineBlock(context, "", tip="Show what this part holds", top=6)
        self.object_id = context.register(self.header)
        self.header.href = f"rill:toggle-part/{self.object_id}"
        self.header.owner = self  # type: ignore[attr-defined]
        self.detail = DocBlock(context, muted=True)
        self.detail.add(
            f'<p style="white-space:pre-wrap; margin:0px;">{html.escape(describe(part))}</p>'
        )
        self._label()

    @property
    def blocks(self) -> list[Block]:  # noqa: D102 (the line, and the detail when open)
        return [self.header, self.detail] if self.open else [self.header]

    @blocks.setter
    def blocks(self, value: list[Block]) -> None:
        del value

    def _label(self) -> None:
        arrow = "▾" if self.open else "▸"
        self.header.set_text(f"{arrow} Unsupported part ({self.part_kind})")

    def toggle(self) -> None:
        """Open or fold the detail."""
        self.open = not self.open
        self._label()
