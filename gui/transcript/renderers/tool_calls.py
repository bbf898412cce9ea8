"""Tool calls and their results (issue 17), as cards in the answer.

A ``function_call`` part is a disclosure naming the tool ("▾ Tool call · time ·
get_current_time — allowed once") over its arguments as indented JSON in a code card.
Until its result arrives it says it waits for the user's decision (the consent bar
above the composer asks); a call the app could not run says so. A
``function_response`` part is the result: the tool's text, its structured content as
collapsible JSON, or an error shown as one (a denial included). The result pairs with
its call (by id, else in order) so the call's header names the server, the tool and
the decision. Everything here is a server's or a model's text: plain, inert, bounded.
"""

from __future__ import annotations

import html
import json
from typing import Any

from rill.core.answer_text import fence, part_markdown, safe_name, tool_name
from rill.core.answer_types import DECISION_LABELS, FunctionCall, FunctionResponse
from rill.core.types import Part
from rill.gui.transcript.renderers.base import Block, Context, PartView
from rill.gui.transcript.renderers.code_run import as_output
from rill.gui.transcript.renderers.doc_block import DocBlock
from rill.gui.transcript.renderers.lines import LineBlock
from rill.gui.transcript.renderers.markdown import MarkdownView

SHOWN_CHARS = 100_000  # of a tool's text or JSON; the rest is named, not shown
OPEN_LINES = 12  # arguments up to this many lines show open at first


def pretty_json(text: str) -> str:
    """``text`` (JSON) indented, as received when it is not JSON; bounded."""
    try:
        value = json.loads(text)
        shown = json.dumps(value, indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        shown = text
    return bounded(shown)


def bounded(text: str) -> str:
    """``text`` cut to SHOWN_CHARS, saying how much was left out."""
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}\n… ({len(text) - SHOWN_CHARS:,} more characters not shown)"


def _reply_fields(reply: FunctionResponse) -> tuple[str, str | None, Any]:
    """(the result's text, its error text or None, its structured content or None)."""
    try:
        body = json.loads(reply.response)
    except (ValueError, RecursionError):
        return reply.response, None, None
    if not isinstance(body, dict):
        return "", None, body
    error = body.get("error")
    output = body.get("output", "")
    structured = body.get("structuredContent")
    rest = {k: v for k, v in body.items() if k not in ("error", "output", "structuredContent")}
    if structured is None and rest:
        structured = rest
    error_text = None if error is None else (error if isinstance(error, str) else json.dumps(error))
    return output if isinstance(output, str) else json.dumps(output), error_text, structured


class Spacer(Block):
    """Room under a block that has no margin of its own (an error's text)."""

    def estimate(self, column: int) -> int:
        """Always 10 px."""
        del column
        return 10

    def layout(self, column: int) -> int:
        """A fixed height."""
        self.width, self.height = column, 10
        self.laid_at, self.dirty = column, False
        return self.height


class Disclosure(PartView):
    """A header that folds what is under it (``body``: another view's blocks)."""

    def __init__(self, context: Context, tip: str, body: PartView, *, open_: bool) -> None:
        super().__init__()
        self.open = open_
        self.body = body
        self.words = ""
        self.header = LineBlock(context, "", tip=tip, top=8, bottom=0)
        self.header.href = f"rill:toggle-part/{context.register(self.header)}"
        self.header.owner = self  # type: ignore[attr-defined]

    @property
    def blocks(self) -> list[Block]:  # noqa: D102 (the header, then the body when open)
        return [self.header, *(self.body.blocks if self.open else [])]

    @blocks.setter
    def blocks(self, value: list[Block]) -> None:
        del value

    def say(self, words: str) -> None:
        """What the header says (after its arrow)."""
        self.words = words
        self.header.set_text(f"{'▾' if self.open else '▸'} {words}")

    def toggle(self) -> None:
        """Fold or open."""
        self.open = not self.open
        self.say(self.words)

    def render(self, deadline: float) -> bool:
        """Render the body (its code card is highlighted in slices)."""
        return self.body.render(deadline)

    @property
    def pending(self) -> bool:
        """Whether the body has work queued."""
        return self.body.pending


def _code_view(context: Context, text: str, language: str) -> MarkdownView:
    view = MarkdownView(context, fence(text, language))
    view.close()
    return view


class FunctionCallView(Disclosure):
    """One call the model made: the tool, the decision, the arguments."""

    kind = "function_call"

    def __init__(self, context: Context, part: Part) -> None:
        call = part.function_call
        assert call is not None
        arguments = pretty_json(call.args)
        lines = arguments.count("\n") + 1
        super().__init__(
            context, "Show or hide the arguments", _code_view(context, arguments, "json"),
            open_=lines <= OPEN_LINES,
        )  # fmt: skip
        self.call: FunctionCall = call
        self.source = part_markdown(part)
        self.reply: FunctionResponse | None = None
        self.say(self._words())

    def _words(self) -> str:
        name = safe_name(self.call.name)
        reply = self.reply
        if reply is not None and reply.server and reply.tool:
            name = f"{safe_name(reply.server)} · {safe_name(reply.tool)}"
        if not self.call.offered:
            return f"Tool call · {name} — not run: tools from servers are not enabled"
        if reply is None:
            return f"Tool call · {name} — waiting for your decision"
        decided = DECISION_LABELS.get(reply.decision or "", "")
        return f"Tool call · {name} — {decided}" if decided else f"Tool call · {name}"

    def answered(self, reply: FunctionResponse) -> None:
        """The call's result arrived: name the server, the tool and the decision."""
        self.reply = reply
        self.say(self._words())

    def text(self) -> str:
        """The call as the answer's Markdown has it ("" for a call Rill runs)."""
        return self.source


class FunctionResponseView(PartView):
    """A tool's result: its text, its structured content (folded JSON), or its error."""

    kind = "function_response"

    def __init__(self, context: Context, part: Part) -> None:
        super().__init__()
        reply = part.function_response
        assert reply is not None
        self.reply = reply
        self.source = part_markdown(part)
        output, error, structured = _reply_fields(reply)
        failed = reply.is_error or error is not None
        self.head = LineBlock(
            context, self._head_words(failed), role="error_title" if failed else "muted",
            top=6, bottom=0,
        )  # fmt: skip
        self.parts: list[PartView] = []
        self.output: PartView | None = None  # the tool's text, in a code card
        text = error if error is not None else output
        if text.strip():
            self.parts.append(self._text_view(context, text, failed=failed))
            self.output = None if failed else self.parts[0]
        if structured is not None:
            body = _code_view(context, pretty_json(json.dumps(structured)), "json")
            fold = Disclosure(context, "Show or hide the structured result", body, open_=False)
            fold.say("Structured result (JSON)")
            self.parts.append(fold)

    def _head_words(self, failed: bool) -> str:
        reply = self.reply
        name = tool_name(reply)
        if reply.decision == "deny":
            return f"✗ {name} was denied; the model was told"
        if reply.decision == "not_run":
            return f"✗ {name} did not run"
        return f"✗ {name} failed" if failed else f"↳ Result of {name}"

    @staticmethod
    def _text_view(context: Context, text: str, *, failed: bool) -> PartView:
        if not failed:
            return _code_view(context, bounded(text), "output")
        view = PartView()
        block = DocBlock(context)
        colour = context.palette.error_title
        block.add(
            f'<p style="margin:0px; white-space:pre-wrap; color:{colour};">'
            f"{html.escape(bounded(text))}</p>"
        )
        view.blocks += [block, Spacer()]
        return view

    @property
    def blocks(self) -> list[Block]:  # noqa: D102 (the head line, the text, the JSON fold)
        blocks: list[Block] = [self.head]
        for view in self.parts:
            blocks += as_output(view.blocks) if view is self.output else view.blocks
        return blocks

    @blocks.setter
    def blocks(self, value: list[Block]) -> None:
        del value

    def render(self, deadline: float) -> bool:
        """Render the text and JSON (code cards, in slices)."""
        return all([view.render(deadline) for view in self.parts])

    @property
    def pending(self) -> bool:
        """Whether the text or JSON has work queued."""
        return any(view.pending for view in self.parts)

    def text(self) -> str:
        """The result as the answer's Markdown has it (the decision line)."""
        return self.source


def pair_calls(views: list[PartView]) -> None:
    """Tell each call card its result (by id, else the first unanswered call of that
    name), so its header names the server, the tool and the decision."""
    waiting: list[FunctionCallView] = []
    for view in views:
        if isinstance(view, FunctionCallView):
            waiting.append(view)
        elif isinstance(view, FunctionResponseView) and waiting:
            reply = view.reply
            match = next((c for c in waiting if reply.id and c.call.id == reply.id), None)
            match = match or next((c for c in waiting if c.call.name == reply.name), None)
            if match is not None:
                waiting.remove(match)
                if match.reply != reply:
                    match.answered(reply)
