"""An answer's parts as Markdown text, for the views that show text only.

The command line, the Markdown export and (until the chat surface renders each kind
as a card) the window show code runs as fenced blocks followed by their output, a
function call the app cannot run as one sentence, an unreadable part as a warning
line, and grounding sources as a numbered list. Everything a server wrote is made
inert: fences outgrow any backticks in the code, names keep only name characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rill.core.answer_types import (
    DECISION_LABELS,
    CodeResult,
    CodeRun,
    FunctionCall,
    FunctionResponse,
    Outcome,
)

if TYPE_CHECKING:  # rill.core.types builds its ``text`` on part_markdown
    from rill.core.citations import NumberedSource
    from rill.core.types import Part

OUTCOME_LABELS = {
    Outcome.OK: "OK",
    Outcome.FAILED: "failed",
    Outcome.DEADLINE_EXCEEDED: "deadline exceeded",
    Outcome.UNKNOWN: "outcome unknown",
}
_BACKTICKS = re.compile(r"`+")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.:\-]")
_NAME_LIMIT = 64  # Gemini's own limit on a function name
_LANGUAGE = re.compile(r"[^a-z0-9_+\-]")


def fence(body: str, info: str = "") -> str:
    """``body`` as a fenced code block whose fence no backtick run inside can close."""
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    ticks = "`" * max(3, longest + 1)
    end = "" if body.endswith("\n") or not body else "\n"
    return f"{ticks}{info}\n{body}{end}{ticks}"


def code_block(run: CodeRun) -> str:
    """The code of a run as a fenced block tagged with its language."""
    return fence(run.code, _LANGUAGE.sub("", run.language.lower())[:20])


def result_block(result: CodeResult) -> str:
    """What a run printed, under a line naming its outcome."""
    head = f"Output ({OUTCOME_LABELS[result.outcome]}):"
    if not result.output:
        return f"{head} nothing printed."
    return f"{head}\n\n{fence(result.output, 'text')}"


def safe_name(name: str) -> str:
    """A function name as a server sent it, kept to name characters."""
    cleaned = _NAME_CHARS.sub("", name)[:_NAME_LIMIT]
    return cleaned or "a function"


def function_call_line(call: FunctionCall, *, markdown: bool = True) -> str:
    """The sentence shown for a call the app cannot run (no tool servers yet)."""
    name = safe_name(call.name)
    shown = f"`{name}`" if markdown and name != "a function" else name
    return f"The model asked to call {shown}; tools from servers are not enabled."


def tool_name(reply: FunctionResponse) -> str:
    """``server.tool`` of a call Rill ran (the function's name for another response)."""
    if reply.server and reply.tool:
        return f"{safe_name(reply.server)}.{safe_name(reply.tool)}"
    return safe_name(reply.name)


def response_line(reply: FunctionResponse, *, markdown: bool = True) -> str:
    """The sentence shown for a tool call Rill answered: the tool, the user's decision
    and whether it failed (the result itself goes to the model, not into the text)."""
    name = tool_name(reply)
    shown = f"`{name}`" if markdown else name
    decided = DECISION_LABELS.get(reply.decision or "", "")
    if reply.decision == "deny":
        return f"Tool {shown}: denied; the model was told."
    if reply.decision == "not_run":
        return f"Tool {shown}: not run."
    outcome = "failed" if reply.is_error else "done"
    return f"Tool {shown} ({decided}): {outcome}." if decided else f"Tool {shown}: {outcome}."


def part_markdown(part: Part) -> str:
    """One answer part as Markdown ("" for thoughts, images, the calls Rill runs and
    responses it did not write)."""
    if part.thought:
        return ""
    if part.text is not None:
        return part.text
    block = ""
    if part.code is not None:
        block = code_block(part.code)
    elif part.code_result is not None:
        block = result_block(part.code_result)
    elif part.function_call is not None and not part.function_call.offered:
        block = f"*{function_call_line(part.function_call)}*"
    elif part.function_response is not None and part.function_response.decision:
        block = f"*{response_line(part.function_response)}*"
    elif part.error is not None:
        block = f"⚠ {part.error}"
    return f"\n\n{block}\n\n" if block else ""


def shown_text(parts: Iterable[Part]) -> str:
    """The answer as a text-only view shows it: text, code runs, calls, error lines."""
    return "".join(part_markdown(p) for p in parts)


def function_calls(parts: Iterable[Part]) -> list[FunctionCall]:
    """The function calls among ``parts``, in order."""
    return [p.function_call for p in parts if p.function_call is not None]


def only_calls(parts: Sequence[Part]) -> bool:
    """Whether an answer asks for function calls nobody ran and says nothing else."""
    calls = [c for c in function_calls(parts) if not c.offered]
    said = any(
        (p.text or "").strip() or p.code or p.code_result or p.is_image
        for p in parts
        if not p.thought
    )
    return bool(calls) and not said


def _link_text(title: str) -> str:
    return re.sub(r"([\\\[\]*_`<>])", r"\\\1", title)


def sources_markdown(sources: Sequence[NumberedSource], heading: str = "Sources") -> str:
    """A numbered Markdown list of ``sources``; only http(s) links are links."""
    if not sources:
        return ""
    lines = [f"**{heading}**", ""]
    for s in sources:
        title = _link_text(s.title)
        uri = s.uri or ""
        safe = uri.startswith(("https://", "http://")) and not re.search(r"[\s()<>]", uri)
        lines.append(f"{s.number}. [{title}]({uri})" if safe else f"{s.number}. {title}")
    return "\n".join(lines)
