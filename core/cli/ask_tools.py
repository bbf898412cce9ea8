"""``rill ask --tools NAME[,NAME…]``: the named MCP servers' tools offered to the model,
and each call decided on the terminal.

On a terminal each call asks ``Allow NAME.tool(args)? [y]es/[n]o/[a]lways`` on stderr
("always" is saved in the settings, as the window's "Always allow this tool");
``--approve`` allows every call; with no terminal and no ``--approve`` every call is
denied, the model is told, and stderr says why. Importing this module loads nothing
heavy: the MCP SDK loads when the servers start.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from rill.core.cli.terminal import for_stream
from rill.core.errors import InvalidRequestError, ServerError
from rill.core.tool_loop import CallRequest, ToolLoop
from rill.core.tools import ChatGrants, Decision, ToolRef

if TYPE_CHECKING:
    from rill.core.cli.run import Output
    from rill.core.tools.manager import ToolServers

_ARGS_SHOWN = 300  # characters of a call's arguments shown in the question
_ANSWERS = {"y": Decision.ALLOW_ONCE, "yes": Decision.ALLOW_ONCE, "a": Decision.ALWAYS_ALLOW}
_ANSWERS |= {"always": Decision.ALWAYS_ALLOW, "n": Decision.DENY, "no": Decision.DENY}


def server_names(text: str) -> list[str]:
    """``--tools``' comma-separated names, each once, in order."""
    return list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))


class TerminalConsent:
    """Decides calls for ``rill ask``: --approve, a question on the terminal, or a denial."""

    def __init__(self, out: Output, *, approve: bool, interactive: bool) -> None:
        self.out = out
        self.approve = approve
        self.interactive = interactive

    async def __call__(self, request: CallRequest) -> Decision:
        """The decision on ``request`` (asked on the terminal when there is one)."""
        if self.approve:
            return Decision.ALLOW_ONCE
        if not self.interactive:
            self.out.note(
                f"rill: denied {request.ref}: there is no terminal to ask on "
                "(--approve allows every call)"
            )
            return Decision.DENY
        shown = request.arguments
        if len(shown) > _ARGS_SHOWN:
            shown = shown[: _ARGS_SHOWN - 1] + "…"
        question = f"Allow {request.ref}({shown})? [y]es/[n]o/[a]lways "
        while True:
            self.out.end_answer()
            sys.stderr.write(for_stream(sys.stderr, question))
            sys.stderr.flush()
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:  # end of input: nobody will answer
                return Decision.DENY
            answer = _ANSWERS.get(line.strip().lower())
            if answer is not None:
                return answer


async def open_tools(
    names: list[str], out: Output, *, approve: bool
) -> tuple[ToolServers, ToolLoop]:
    """Start the named servers and the loop that offers their tools.

    InvalidRequestError for a name that is not a configured, enabled server (nothing
    starts then); ServerError when one cannot start (the others are stopped).
    """
    from rill.core.settings import load_settings
    from rill.core.tools.manager import ToolServers  # loads the MCP SDK

    tools = load_settings().settings.tools
    for name in names:
        config = tools.servers.get(name)
        if config is None:
            raise InvalidRequestError(
                f"There is no tool server named {name!r} (rill mcp list shows them)."
            )
        if not config.enabled:
            raise InvalidRequestError(f"The tool server {name!r} is turned off.")
    servers = ToolServers(tools)
    offered, failed = await servers.offered_tools(names)
    if failed:
        await servers.shutdown()
        name, error = next(iter(failed.items()))
        raise ServerError(f"The tool server {name!r} could not start: {error.message}")
    consent = TerminalConsent(out, approve=approve, interactive=sys.stdin.isatty())
    loop = ToolLoop(servers, offered, tools, consent, on_remember=_save_always)
    return servers, loop


def _save_always(decision: Decision, ref: ToolRef) -> None:
    """Save "always" in the settings file (the window's Settings → Tools… shows it)."""
    if decision is not Decision.ALWAYS_ALLOW:
        return
    from rill.core.settings import load_settings, save_settings
    from rill.core.tools.consent import remember

    settings = load_settings().settings
    if ref.server in settings.tools.servers:
        tools, _ = remember(decision, ref, settings.tools, ChatGrants())
        save_settings(replace(settings, tools=tools))
