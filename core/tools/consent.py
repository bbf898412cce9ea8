"""The user's consent to tool calls: the four answers a consent card offers and where
each one is remembered.

- **Allow once**: this call runs; nothing is remembered.
- **Allow in this chat**: remembered in the chat (:class:`ChatGrants`, stored with it).
- **Always allow this tool**: remembered in the settings (``ToolPrefs.always_allow``).
- **Deny**: this call does not run; the model is told so (:func:`denial`).

A choice is revoked where it lives: a chat's grants in that chat, "always" in the
settings (Settings → Tools…). A tool is named ``server.tool`` (:class:`ToolRef`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from rill.core.tool_settings import ToolSettings
from rill.core.tools.model import ToolResult
from rill.core.types import Part


class Decision(StrEnum):
    """The user's answer on a consent card."""

    ALLOW_ONCE = "allow_once"
    ALLOW_IN_CHAT = "allow_in_chat"
    ALWAYS_ALLOW = "always_allow"
    DENY = "deny"

    @property
    def allows(self) -> bool:
        """Whether the call runs."""
        return self is not Decision.DENY


@dataclass(frozen=True, order=True)
class ToolRef:
    """One tool of one server."""

    server: str
    tool: str

    def __str__(self) -> str:
        return f"{self.server}.{self.tool}"


@dataclass(frozen=True)
class ChatGrants:
    """The tools one chat may call without asking ("Allow in this chat")."""

    tools: frozenset[ToolRef] = field(default_factory=frozenset)

    def granted(self, ref: ToolRef) -> bool:
        """Whether this chat allows ``ref`` without asking."""
        return ref in self.tools

    def grant(self, ref: ToolRef) -> ChatGrants:
        """These grants and ``ref``."""
        return replace(self, tools=self.tools | {ref})

    def revoke(self, ref: ToolRef) -> ChatGrants:
        """These grants without ``ref``."""
        return replace(self, tools=self.tools - {ref})

    def to_list(self) -> list[list[str]]:
        """``[[server, tool], …]``, sorted: how a chat stores them."""
        return [[ref.server, ref.tool] for ref in sorted(self.tools)]

    @classmethod
    def from_list(cls, value: object) -> ChatGrants:
        """Read :meth:`to_list`'s form; anything malformed in it is left out."""
        if not isinstance(value, list):
            return cls()
        refs = {
            ToolRef(pair[0], pair[1])
            for pair in value
            if isinstance(pair, list | tuple)
            and len(pair) == 2
            and all(isinstance(p, str) and p for p in pair)
        }
        return cls(frozenset(refs))


def needs_asking(settings: ToolSettings, grants: ChatGrants, ref: ToolRef) -> bool:
    """Whether a call of ``ref`` must wait for the user's answer."""
    config = settings.servers.get(ref.server)
    if config is not None and config.tool_prefs(ref.tool).always_allow:
        return False
    return not grants.granted(ref)


def remember(
    decision: Decision, ref: ToolRef, settings: ToolSettings, grants: ChatGrants
) -> tuple[ToolSettings, ChatGrants]:
    """The settings and the chat's grants after the user answered ``decision``.

    Only "in this chat" changes the grants and only "always" the settings; the caller
    saves whichever changed. KeyError when the server is no longer configured.
    """
    if decision is Decision.ALLOW_IN_CHAT:
        return settings, grants.grant(ref)
    if decision is Decision.ALWAYS_ALLOW:
        prefs = settings.servers[ref.server].tool_prefs(ref.tool)
        return settings.with_tool_prefs(
            ref.server, ref.tool, replace(prefs, always_allow=True)
        ), grants
    return settings, grants


def revoke_always(settings: ToolSettings, ref: ToolRef) -> ToolSettings:
    """``settings`` where ``ref`` asks again (unchanged when its server is gone)."""
    config = settings.servers.get(ref.server)
    if config is None:
        return settings
    prefs = replace(config.tool_prefs(ref.tool), always_allow=False)
    return settings.with_tool_prefs(ref.server, ref.tool, prefs)


def always_allowed(settings: ToolSettings) -> list[ToolRef]:
    """Every tool the user always allows, for the Tools dialog's list of choices."""
    return sorted(
        ToolRef(server, tool)
        for server, config in settings.servers.items()
        for tool, prefs in config.tools.items()
        if prefs.always_allow
    )


def denial(ref: ToolRef) -> ToolResult:
    """What the model is sent for a call the user denied, so it can go on without."""
    text = f"The user denied this call of {ref}; it did not run."
    return ToolResult(parts=(Part.from_text(text),), is_error=True)
