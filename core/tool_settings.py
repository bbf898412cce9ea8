"""The ``tools`` section of the settings file: MCP servers, their tools and the user's
"always allow" choices, typed and checked like every other setting.

It sits beside ``rill.core.settings`` (which holds it) rather than in the tools package,
so that reading the settings never loads that package or the MCP SDK.

A bad entry becomes a one-line notice and its default (or is left out), never a crash.
Secret values (an API token in an environment variable or a header) are never here:
only their names are, and the values live in the keychain (:mod:`rill.core.tools.keys`).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from rill.core.setting_ranges import TOOL_CALL_TIMEOUT, TOOL_ROUNDS, Checker, savable, shown

SERVER_KINDS = ("stdio", "http")  # a command Rill runs, or a streamable HTTP endpoint
START_MODES = ("first_use", "launch")
DEFAULT_CALL_TIMEOUT = 60.0
DEFAULT_MAX_ROUNDS = 10  # rounds of tool calls one answer may take before Rill stops it

# A server's name is a keychain user name and, later, part of the name the model calls
# a tool by (``server.tool``), so it stays short and plain.
_SERVER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
SERVER_NAME_RULE = "letters, digits, - and _, at most 40, starting with a letter or digit"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
# RFC 9110 token characters.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")
_TOOL_NAME_LIMIT = 128


def valid_server_name(name: object) -> bool:
    """Whether ``name`` can name a server: letters, digits, ``-`` and ``_``, ≤ 40."""
    return isinstance(name, str) and _SERVER_NAME.fullmatch(name) is not None


def valid_env_name(name: object) -> bool:
    """Whether ``name`` is an environment variable name a process can be given."""
    return isinstance(name, str) and _ENV_NAME.fullmatch(name) is not None


def valid_header_name(name: object) -> bool:
    """Whether ``name`` is an HTTP header name."""
    return isinstance(name, str) and _HEADER_NAME.fullmatch(name) is not None


def valid_value(value: object, *, header: bool = False) -> bool:
    """Whether ``value`` can be an environment value (no NUL) or a header value (no
    line break either: a header value with one would smuggle a second header)."""
    if not isinstance(value, str) or not savable(value) or "\0" in value:
        return False
    return not (header and ("\r" in value or "\n" in value))


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a server's endpoint, or None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http:// or https:// URL"
    if parts.username is not None or parts.password is not None:
        # A credential in a URL ends up in logs and history; Rill sends them in headers.
        return "carries a user name or password; put credentials in a secret header"
    return None


def find_program(command: str) -> str | None:
    """``command`` as the absolute path of the program that will run (None: nothing
    runnable). The window, started from a desktop menu, has another working folder and
    often another PATH than a shell (a classic cause of "npx: not found"), so what runs
    is fixed when a server is added, and shown."""
    if os.sep in command or (os.altsep and os.altsep in command):
        path = os.path.abspath(os.path.expanduser(command))
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    return shutil.which(command)


@dataclass(frozen=True)
class ToolPrefs:
    """What the user chose for one tool of a server."""

    enabled: bool = True  # offered to the model
    always_allow: bool = False  # "Always allow this tool": its calls run without asking


@dataclass(frozen=True)
class ServerConfig:
    """One MCP server. ``kind`` says which half of the fields applies.

    ``secret_env`` and ``secret_headers`` name the values kept in the keychain; they are
    added to ``env`` / ``headers`` when the server starts.
    """

    kind: str = "stdio"
    enabled: bool = True
    start: str = "first_use"  # or "launch": started when the window opens
    command: str = ""  # stdio: the program, found on PATH like a shell would
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    secret_env: tuple[str, ...] = ()
    cwd: str = ""  # stdio: the folder it runs in ("" = Rill's own)
    url: str = ""  # http: the streamable HTTP endpoint
    headers: dict[str, str] = field(default_factory=dict)
    secret_headers: tuple[str, ...] = ()
    tools: dict[str, ToolPrefs] = field(default_factory=dict)  # only tools with a choice

    def command_line(self) -> str:
        """The exact command a stdio server runs, as a shell would show it; secret
        values are shown as ``<keychain>``. An HTTP server's URL instead."""
        if self.kind != "stdio":
            return self.url
        words = [shlex.quote(f"{name}={value}") for name, value in self.env.items()]
        words += [f"{name}=<keychain>" for name in self.secret_env]  # shown, not for a shell
        where = f"cd {shlex.quote(self.cwd)} && " if self.cwd else ""
        return where + " ".join([*words, shlex.join([self.command, *self.args])])

    def tool_prefs(self, tool: str) -> ToolPrefs:
        """The choices for ``tool`` (the defaults when the user made none)."""
        return self.tools.get(tool, ToolPrefs())

    def to_dict(self) -> dict[str, Any]:
        """The JSON object stored for this server (only its kind's fields)."""
        data: dict[str, Any] = {"kind": self.kind, "enabled": self.enabled, "start": self.start}
        if self.kind == "stdio":
            data.update(command=self.command, args=list(self.args), env=dict(self.env))
            data.update(secret_env=list(self.secret_env), cwd=self.cwd)
        else:
            data.update(url=self.url, headers=dict(self.headers))
            data["secret_headers"] = list(self.secret_headers)
        data["tools"] = {
            name: {"enabled": p.enabled, "always_allow": p.always_allow}
            for name, p in self.tools.items()
        }
        return data


@dataclass(frozen=True)
class ToolSettings:
    """Every MCP server Rill knows, how long one tool call may take, how many rounds
    of calls one answer may make, and whether the window's chats offer the enabled
    servers' tools at all (``offer``; ``rill ask --tools`` names its servers itself)."""

    offer: bool = True
    call_timeout: float = DEFAULT_CALL_TIMEOUT
    max_rounds: int = DEFAULT_MAX_ROUNDS
    servers: dict[str, ServerConfig] = field(default_factory=dict)

    def with_server(self, name: str, config: ServerConfig) -> ToolSettings:
        """A copy with ``name`` added or replaced (ValueError for a bad name)."""
        if not valid_server_name(name):
            raise ValueError(f"{name!r} cannot name a server: {SERVER_NAME_RULE}")
        return replace(self, servers={**self.servers, name: config})

    def without_server(self, name: str) -> ToolSettings:
        """A copy without ``name`` (and so without its tools' choices)."""
        return replace(self, servers={k: v for k, v in self.servers.items() if k != name})

    def with_tool_prefs(self, server: str, tool: str, prefs: ToolPrefs) -> ToolSettings:
        """A copy where ``server``'s ``tool`` has ``prefs`` (KeyError: unknown server)."""
        config = self.servers[server]
        tools = {**config.tools, tool: prefs}
        if prefs == ToolPrefs():
            del tools[tool]  # the defaults need no entry
        return self.with_server(server, replace(config, tools=tools))

    def to_dict(self) -> dict[str, Any]:
        """The ``tools`` section of the settings file."""
        return {
            "offer": self.offer,
            "call_timeout": self.call_timeout,
            "max_rounds": self.max_rounds,
            "servers": {name: s.to_dict() for name, s in self.servers.items()},
        }


def read_tool_settings(check: Checker, value: object) -> ToolSettings:
    """The ``tools`` section from the settings file; each bad value becomes its
    default and a bad server entry is left out, each with one line in ``check``'s
    warnings."""
    if value is None:
        return ToolSettings()
    if not isinstance(value, Mapping):
        check.bad("", "tools", "an object", value, {})
        return ToolSettings()
    offer = check.boolean(value, "tools", "offer", True)
    timeout = check.number(value, "tools", "call_timeout", TOOL_CALL_TIMEOUT, DEFAULT_CALL_TIMEOUT)
    rounds = check.number(value, "tools", "max_rounds", TOOL_ROUNDS, DEFAULT_MAX_ROUNDS)
    servers = value.get("servers", {})
    if not isinstance(servers, Mapping):
        check.bad("tools", "servers", "an object", servers, {})
        servers = {}
    table: dict[str, ServerConfig] = {}
    for name, entry in servers.items():
        where = f"tools.servers.{name if valid_server_name(name) else shown(name)}"
        if not valid_server_name(name):
            check.warnings.append(
                f"{check.label} {where}: a server name is {SERVER_NAME_RULE}; entry ignored"
            )
        elif not isinstance(entry, Mapping):
            check.warnings.append(f"{check.label} {where}: expected an object; entry ignored")
        elif (config := _read_server(check, where, entry)) is not None:
            table[name] = config
    return ToolSettings(offer=offer, call_timeout=timeout, max_rounds=int(rounds), servers=table)


def _read_server(check: Checker, where: str, entry: Mapping[str, Any]) -> ServerConfig | None:
    kind = check.choice(entry, where, "kind", SERVER_KINDS)
    common: dict[str, Any] = {
        "kind": kind,
        "enabled": check.boolean(entry, where, "enabled", True),
        "start": check.choice(entry, where, "start", START_MODES),
        "tools": _read_tools(check, where, entry.get("tools", {})),
    }
    if kind == "stdio":
        command = check.string(entry, where, "command", "")
        if not command.strip() or "\0" in command:
            check.warnings.append(f"{check.label} {where}: no command to run; entry ignored")
            return None
        return ServerConfig(
            command=command,
            args=_read_strings(check, where, entry, "args"),
            env=_read_pairs(check, where, entry, "env", header=False),
            secret_env=_read_names(check, where, entry, "secret_env", header=False),
            cwd=check.string(entry, where, "cwd", ""),
            **common,
        )
    url = check.string(entry, where, "url", "")
    if (problem := url_problem(url)) is not None:
        check.warnings.append(f"{check.label} {where}.url: {shown(url)} {problem}; entry ignored")
        return None
    return ServerConfig(
        url=url,
        headers=_read_pairs(check, where, entry, "headers", header=True),
        secret_headers=_read_names(check, where, entry, "secret_headers", header=True),
        **common,
    )


def _read_strings(
    check: Checker, where: str, entry: Mapping[str, Any], key: str
) -> tuple[str, ...]:
    value = entry.get(key, [])
    if isinstance(value, list) and all(valid_value(v) for v in value):
        return tuple(value)
    check.bad(where, key, "a list of strings", value, [])
    return ()


def _read_pairs(
    check: Checker, where: str, entry: Mapping[str, Any], key: str, *, header: bool
) -> dict[str, str]:
    value = entry.get(key, {})
    if not isinstance(value, Mapping):
        check.bad(where, key, "an object of names and values", value, {})
        return {}
    valid_name = valid_header_name if header else valid_env_name
    kept: dict[str, str] = {}
    for name, text in value.items():
        if valid_name(name) and valid_value(text, header=header):
            kept[name] = text
        else:
            check.warnings.append(
                f"{check.label} {where}.{key}: {shown(name)}: {shown(text)} is not a "
                f"usable {'header' if header else 'variable'}; ignored"
            )
    return kept


def _read_names(
    check: Checker, where: str, entry: Mapping[str, Any], key: str, *, header: bool
) -> tuple[str, ...]:
    value = entry.get(key, [])
    valid_name = valid_header_name if header else valid_env_name
    if isinstance(value, list) and all(valid_name(v) for v in value):
        return tuple(dict.fromkeys(value))
    check.bad(where, key, f"a list of {'header' if header else 'variable'} names", value, [])
    return ()


def _read_tools(check: Checker, where: str, value: object) -> dict[str, ToolPrefs]:
    if not isinstance(value, Mapping):
        check.bad(where, "tools", "an object of tool names", value, {})
        return {}
    kept: dict[str, ToolPrefs] = {}
    for name, prefs in value.items():
        place = f"{where}.tools.{shown(name)}"
        if not (isinstance(name, str) and name and savable(name)) or len(name) > _TOOL_NAME_LIMIT:
            check.warnings.append(f"{check.label} {place}: not a tool name; ignored")
        elif not isinstance(prefs, Mapping):
            check.warnings.append(f"{check.label} {place}: expected an object; ignored")
        else:
            kept[name] = ToolPrefs(
                enabled=check.boolean(prefs, place, "enabled", True),
                always_allow=check.boolean(prefs, place, "always_allow", False),
            )
    return kept
