"""Code the provider ran for the model (Gemini's code execution), as one card.

A run arrives as two parts in stream order: the code (``code_run``) and then its
outcome and output (``code_result``); images the code drew follow as image parts and
show under it through the image renderer. The code is a disclosure ("▾ Ran Python
code") over a code card highlighted by the Markdown renderer's code blocks (header,
Copy, sideways scrolling); the result is a badge (OK, Failed, Deadline exceeded) over
the output in a code card of its own. Everything shown is the server's text, inert.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen

from rill.core.answer_text import OUTCOME_LABELS, code_block, fence, part_markdown
from rill.core.answer_types import CodeResult, Outcome
from rill.core.types import Part
from rill.gui.transcript.renderers.base import Block, Context, PartView
from rill.gui.transcript.renderers.code import CodeBlock
from rill.gui.transcript.renderers.lines import LineBlock, small_font
from rill.gui.transcript.renderers.markdown import MarkdownView

# An outcome's badge: its words and the palette colour it is drawn in.
BADGES = {
    Outcome.OK: ("✓ OK", "success"),
    Outcome.FAILED: ("✗ Failed", "error_title"),
    Outcome.DEADLINE_EXCEEDED: ("⏱ Deadline exceeded", "notice"),
    Outcome.UNKNOWN: ("? Outcome unknown", "muted"),
}
BADGE_PAD_PX = 10


def _language_name(language: str) -> str:
    name = "".join(c for c in language if c.isalnum() or c in "+#-_")[:20]
    return {"python": "Python", "": "the"}.get(name.lower(), name)


def as_output(blocks: list[Block]) -> list[Block]:
    """``blocks`` with their code cards' headers saying "output" (not a language)."""
    for block in blocks:
        if isinstance(block, CodeBlock):
            block.language = "output"
    return blocks


class CodeRunView(PartView):
    """The code of one run: a disclosure over its highlighted code card (open at first)."""

    kind = "code_run"

    def __init__(self, context: Context, part: Part) -> None:
        super().__init__()
        run = part.code
        assert run is not None
        self.source = part_markdown(part)
        self.language = _language_name(run.language)
        self.open = True
        self.header = LineBlock(context, "", tip="Show or hide the code that ran", top=8, bottom=0)
        self.header.href = f"rill:toggle-part/{context.register(self.header)}"
        self.header.owner = self  # type: ignore[attr-defined]
        self.code = MarkdownView(context, code_block(run))
        self.code.close()
        self._label()

    @property
    def blocks(self) -> list[Block]:  # noqa: D102 (the disclosure, then the code if open)
        return [self.header, *(self.code.blocks if self.open else [])]

    @blocks.setter
    def blocks(self, value: list[Block]) -> None:
        del value  # PartView's constructor sets it; the list is derived here

    def _label(self) -> None:
        arrow = "▾" if self.open else "▸"
        self.header.set_text(f"{arrow} Ran {self.language} code")

    def toggle(self) -> None:
        """Fold or open the code."""
        self.open = not self.open
        self._label()

    def render(self, deadline: float) -> bool:
        """Highlight the code (in slices, like any code card)."""
        return self.code.render(deadline)

    @property
    def pending(self) -> bool:
        """Whether the code is still to be highlighted."""
        return self.code.pending

    def text(self) -> str:
        """The run as the answer's Markdown has it (a fenced block)."""
        return self.source


class BadgeBlock(Block):
    """A run's outcome as a coloured pill, and what follows it ("Output", "nothing
    printed")."""

    def __init__(self, context: Context, result: CodeResult) -> None:
        super().__init__()
        self.context = context
        self.outcome = result.outcome if result.outcome in BADGES else Outcome.UNKNOWN
        self.words, self.role = BADGES[self.outcome]
        self.after = "Output" if result.output else "Nothing printed"

    def estimate(self, column: int) -> int:
        """One pill's height."""
        del column
        return QFontMetrics(small_font(self.context, bold=True)).height() + 8 + 12

    def layout(self, column: int) -> int:
        """A fixed height."""
        self.width, self.height = column, self.estimate(column)
        self.laid_at, self.dirty = column, False
        return self.height

    def pill(self) -> QRect:
        """Where the badge is drawn."""
        metrics = QFontMetrics(small_font(self.context, bold=True))
        width = metrics.horizontalAdvance(self.words) + 2 * BADGE_PAD_PX
        return QRect(0, 8, width, metrics.height() + 6)

    def paint(self, painter: QPainter, clip: QRect) -> None:
        """The pill, tinted in the outcome's colour, and the muted words after it."""
        del clip
        colour = QColor(getattr(self.context.palette, self.role))
        fill = QColor(colour)
        fill.setAlpha(36)
        pill = self.pill()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colour, 1))
        painter.setBrush(fill)
        radius = pill.height() / 2
        painter.drawRoundedRect(QRectF(pill).adjusted(0.5, 0.5, -0.5, -0.5), radius, radius)
        painter.setFont(small_font(self.context, bold=True))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, self.words)
        painter.setFont(small_font(self.context))
        painter.setPen(QColor(self.context.palette.muted))
        rest = QRect(pill.right() + 10, pill.top(), self.width - pill.right() - 10, pill.height())
        painter.drawText(rest, Qt.AlignmentFlag.AlignVCenter, self.after)
        painter.restore()

    def text(self) -> str:
        """The outcome in words."""
        return f"Outcome: {OUTCOME_LABELS[self.outcome]}. {self.after}"


class CodeResultView(PartView):
    """A run's outcome badge over its output (a code card; none when nothing printed)."""

    kind = "code_result"

    def __init__(self, context: Context, part: Part) -> None:
        super().__init__()
        result = part.code_result
        assert result is not None
        self.source = part_markdown(part)
        self.badge = BadgeBlock(context, result)
        self.output = MarkdownView(context, fence(result.output, "output") if result.output else "")
        self.output.close()

    @property
    def blocks(self) -> list[Block]:  # noqa: D102 (the badge, then the output's code card)
        return [self.badge, *as_output(self.output.blocks)]

    @blocks.setter
    def blocks(self, value: list[Block]) -> None:
        del value

    def render(self, deadline: float) -> bool:
        """Render the output (in slices: it may be long)."""
        return self.output.render(deadline)

    @property
    def pending(self) -> bool:
        """Whether output is still to be rendered."""
        return self.output.pending

    def text(self) -> str:
        """The result as the answer's Markdown has it."""
        return self.source
