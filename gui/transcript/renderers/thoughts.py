"""Thoughts: a disclosure that reads "Thinking…" while they stream, then "Thought for
12 s" (or "Thoughts" for an answer from history, whose timing was not kept), and the
thoughts themselves as muted Markdown when it is open."""

from __future__ import annotations

import time

from rill.gui.transcript.renderers.base import Block, Context, PartView
from rill.gui.transcript.renderers.lines import LineBlock
from rill.gui.transcript.renderers.markdown import MarkdownView


class ThoughtsView(PartView):
    """The thoughts of one answer, folded by default."""

    kind = "thought"

    def __init__(self, context: Context, text: str = "", *, card_id: int, live: bool) -> None:
        super().__init__()
        self.context = context
        self.open = False
        self.started = time.monotonic() if live else None
        self.seconds: float | None = None
        self.live = live
        self.body = MarkdownView(context, text, muted=True)
        self.header = LineBlock(
            context, "", href=f"rill:toggle-thoughts/{card_id}", tip="Show or hide the thoughts",
            top=10,
        )  # fmt: skip
        if not live:
            self.body.close()
        self._label()

    @property
    def blocks(self) -> list[Block]:  # noqa: D102 (the disclosure, then the thoughts if open)
        return [self.header, *(self.body.blocks if self.open else [])]

    @blocks.setter
    def blocks(self, value: list[Block]) -> None:
        del value  # PartView's constructor sets it; the list is derived here

    def _label(self) -> None:
        arrow = "▾" if self.open else "▸"
        if self.live and self.seconds is None:
            words = "Thinking…"
        elif self.seconds is not None:
            words = f"Thought for {max(1, round(self.seconds))} s"
        else:
            words = "Thoughts"
        self.header.set_text(f"{arrow} {words}")

    def toggle(self) -> None:
        """Open or fold the thoughts."""
        self.open = not self.open
        self._label()

    def end(self) -> None:
        """The answer's text began (or it ended): the thinking time is known."""
        if self.live and self.seconds is None and self.started is not None:
            self.seconds = time.monotonic() - self.started
            self._label()

    def push(self, delta: str) -> None:
        """More thoughts."""
        self.body.push(delta)

    def close(self) -> None:
        """The answer ended."""
        self.end()
        self.body.close()

    def render(self, deadline: float) -> bool:
        """Render the thoughts only while they are shown (folded, they just queue)."""
        return self.body.render(deadline) if self.open else True

    @property
    def pending(self) -> bool:
        """Work is pending only for open thoughts."""
        return self.open and self.body.pending

    def text(self) -> str:
        """The thoughts' source."""
        return self.body.text()
