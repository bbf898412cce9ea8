"""``rill mcp``: add, list, inspect and remove the MCP servers whose tools Rill offers
models; the same ``tools`` section of the settings file the window uses.

Importing this module costs only argparse; the MCP SDK loads when a command starts a
server (``rill mcp tools``, ``rill mcp list --probe``).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
from typing import TYPE_CHECKING, Any

from rill.core.tool_settings import (
    SERVER_NAME_RULE,
    ServerConfig,
    ToolSettings,
    find_program,
    url_problem,
    valid_env_name,
    valid_header_name,
    valid_server_name,
    valid_value,
)

if TYPE_CHECKING:
    from rill.core.settings import Settings
    from rill.core.tools import ServerStatus, ToolInfo

COMMAND = "mcp"
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_SERVER = 7
EXIT_NETWORK = 8

_EPILOG = """\
Servers are kept in the settings file's "tools" section, shared with the window; secret
values (--secret-env, --secret-header) go to the system keychain, never to that file.
A stdio server runs with only the environment it is given (plus HOME, LOGNAME, PATH,
SHELL, TERM, USER): none of Rill's API keys.
exit status: 0 done; 2 bad option, unknown server or name taken; 3 the server refused
its credentials (HTTP 401/403) or its secrets are missing; 7 the server failed to start
or answer properly; 8 it could not be reached or did not answer in time; 9 the profile
folder cannot be used.
"""


def add_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """Register ``rill mcp`` and its subcommands."""
    raw = argparse.RawDescriptionHelpFormatter
    mcp = sub.add_parser(
        COMMAND,
        help="the MCP servers whose tools models may use",
        description="Add, list, inspect and remove MCP servers (tools for models).",
        epilog=_EPILOG,
        formatter_class=raw,
    )
    sub.metavar = "{" + ",".join(sub.choices) + "}"
    commands = mcp.add_subparsers(dest="mcp_command", metavar="{add,list,tools,remove}")
    add = commands.add_parser(
        "add",
        usage="rill mcp add [options] NAME -- COMMAND [ARGS...]\n"
        "       rill mcp add [options] NAME --url URL",
        help="add a server: NAME -- COMMAND ARGS..., or NAME --url URL",
        description="Add a stdio server (rill mcp add NAME -- COMMAND ARGS...) or a streamable "
        "HTTP one (rill mcp add NAME --url URL). A stdio server's exact command is printed; it "
        "runs as you, the first time a chat uses its tools (or at launch with --start launch).",
        epilog=_EPILOG,
        formatter_class=raw,
    )
    add.add_argument("name", metavar="NAME", help=f"the server's name ({SERVER_NAME_RULE})")
    add.add_argument("--url", help="a streamable HTTP server's endpoint")
    add.add_argument("--env", action="append", default=[], metavar="K=V", help="(repeatable)")
    add.add_argument(
        "--secret-env",
        action="append",
        default=[],
        metavar="K[=V]",
        help="a variable kept in the keychain; without =V its value is asked for (repeatable)",
    )
    add.add_argument("--header", action="append", default=[], metavar="K=V", help="(repeatable)")
    add.add_argument(
        "--secret-header",
        action="append",
        default=[],
        metavar="K[=V]",
        help="a header kept in the keychain, e.g. Authorization (repeatable)",
    )
    add.add_argument("--cwd", default="", metavar="DIR", help="the folder a stdio server runs in")
    add.add_argument("--start", choices=("first-use", "launch"), default="first-use")
    add.add_argument("--disabled", action="store_true", help="add it turned off")
    listing = commands.add_parser(
        "list", help="list the servers", epilog=_EPILOG, formatter_class=raw
    )
    listing.add_argument(
        "--probe", action="store_true", help="start each enabled server and show its state"
    )
    tools = commands.add_parser(
        "tools", help="start a server and list its tools", epilog=_EPILOG, formatter_class=raw
    )
    tools.add_argument("name", metavar="NAME")
    remove = commands.add_parser(
        "remove", help="remove a server and its secrets", epilog=_EPILOG, formatter_class=raw
    )
    remove.add_argument("name", metavar="NAME")


class _Refused(Exception):
    """One line on stderr (and any ``more``, indented) and an exit status."""

    def __init__(self, line: str, status: int = EXIT_USAGE, more: tuple[str, ...] = ()) -> None:
        super().__init__(line)
        self.status = status
        self.more = more


def split_program(argv: list[str]) -> tuple[list[str], list[str]]:
    """``rill mcp add … -- COMMAND ARGS…``: the arguments for argparse, and the command.

    argparse cannot take a command after ``--`` once a positional (NAME) came before
    options (``add NAME --env K=V -- COMMAND``), so the command is split off first.
    """
    if argv[:2] == [COMMAND, "add"] and "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1 :]
    return argv, []


def run(args: argparse.Namespace, program: list[str]) -> int:
    """Run ``rill mcp …`` (``program``: the command after ``--``); the exit status."""
    try:
        if args.mcp_command == "add":
            return _add(args, program)
        if args.mcp_command == "remove":
            return _remove(args)
        if args.mcp_command == "list":
            return _list(args)
        if args.mcp_command == "tools":
            return _tools(args)
        raise _Refused("rill mcp: choose add, list, tools or remove (see rill mcp --help)")
    except _Refused as refused:
        _note(str(refused))
        for line in refused.more:
            _note(f"  {line}")
        return refused.status


def _load() -> Settings:
    from rill.core.settings import load_settings

    loaded = load_settings()
    for warning in loaded.warnings:
        _note(f"rill: warning: {warning}")
    return loaded.settings


def _save(settings: Settings, tools: ToolSettings) -> None:
    from dataclasses import replace

    from rill.core.settings import save_settings

    save_settings(replace(settings, tools=tools))  # ProfileError: exit 9


def _add(args: argparse.Namespace, program: list[str]) -> int:
    from rill.core.tools import delete_secrets, store_secrets

    name = args.name
    if not valid_server_name(name):
        raise _Refused(f"rill mcp add: {name!r} cannot name a server: {SERVER_NAME_RULE}")
    settings = _load()
    if name in settings.tools.servers:
        raise _Refused(f"rill mcp add: a server named {name!r} exists; remove it first")
    config, secret_env, secret_headers = _config(args, program)
    store_secrets(name, secret_env, secret_headers)  # first: the file never names a
    try:  # secret that is not kept, and a file that cannot be written keeps none
        _save(settings, settings.tools.with_server(name, config))
    except BaseException:
        delete_secrets(name, config)
        raise
    if config.kind == "stdio":
        print(f"Added {name!r}. It will run, as you:\n  {config.command_line()}")
    else:
        print(f"Added {name!r}: {config.url}")
    if not config.enabled:
        print("It is turned off.")
    return EXIT_OK


def _config(
    args: argparse.Namespace, program: list[str]
) -> tuple[ServerConfig, dict[str, str], dict[str, str]]:
    """The server the options describe, and its secret variables and headers."""
    start = args.start.replace("-", "_")
    if bool(program) == bool(args.url):
        raise _Refused("rill mcp add: give either -- COMMAND ARGS... or --url URL")
    if args.url:
        if args.env or args.secret_env or args.cwd:
            raise _Refused("rill mcp add: --env, --secret-env and --cwd are for stdio servers")
        if (problem := url_problem(args.url)) is not None:
            raise _Refused(f"rill mcp add: {args.url} {problem}")
        headers = _pairs(args.header, "--header", header=True)
        secrets = _secret_pairs(args.secret_header, "--secret-header", header=True)
        config = ServerConfig(
            kind="http",
            enabled=not args.disabled,
            start=start,
            url=args.url,
            headers=headers,
            secret_headers=tuple(secrets),
        )
        return config, {}, secrets
    if args.header or args.secret_header:
        raise _Refused("rill mcp add: --header and --secret-header are for --url servers")
    command, *rest = program
    if not valid_value(command) or not command.strip() or not all(map(valid_value, rest)):
        raise _Refused("rill mcp add: the command cannot be run (empty, or a NUL in it)")
    cwd = os.path.abspath(os.path.expanduser(args.cwd)) if args.cwd else ""
    if cwd and not os.path.isdir(cwd):
        raise _Refused(f"rill mcp add: --cwd {args.cwd}: no such folder")
    env = _pairs(args.env, "--env", header=False)
    secrets = _secret_pairs(args.secret_env, "--secret-env", header=False)
    config = ServerConfig(
        enabled=not args.disabled,
        start=start,
        command=_program(command),
        args=tuple(rest),
        env=env,
        secret_env=tuple(secrets),
        cwd=cwd,
    )
    return config, secrets, {}


def _program(command: str) -> str:
    """``command`` as an absolute path, fixed now and shown (see ``find_program``)."""
    found = find_program(command)
    if found is None:
        raise _Refused(f"rill mcp add: {command!r} is not a program that can be run here")
    return found


def _pairs(items: list[str], option: str, *, header: bool) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals:
            raise _Refused(f"rill mcp add: {option} takes K=V, got {item!r}")
        _check(key, value, option, header=header)
        pairs[key] = value
    return pairs


def _secret_pairs(items: list[str], option: str, *, header: bool) -> dict[str, str]:
    """K=V pairs, asking for the value of a bare K: typed without echo on a terminal,
    else one line of stdin (so a secret need not appear in the command line)."""
    pairs: dict[str, str] = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals:
            value = _ask(f"Value of {key}: ")
        if not value.strip():
            raise _Refused(f"rill mcp add: {option} {key}: the value is empty")
        _check(key, value, option, header=header)
        pairs[key] = value
    return pairs


def _ask(prompt: str) -> str:
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().rstrip("\r\n")


def _check(key: str, value: str, option: str, *, header: bool) -> None:
    valid_name = valid_header_name if header else valid_env_name
    if not valid_name(key):
        what = "a header name" if header else "an environment variable name"
        raise _Refused(f"rill mcp add: {option}: {key!r} is not {what}")
    if not valid_value(value, header=header):
        raise _Refused(
            f"rill mcp add: {option} {key}: the value cannot be used (a NUL or line break)"
        )


def _remove(args: argparse.Namespace) -> int:
    from rill.core.tools import delete_secrets

    settings = _load()
    config = _known(settings.tools, args.name, "remove")
    _save(settings, settings.tools.without_server(args.name))
    delete_secrets(args.name, config)
    print(f"Removed {args.name!r}" + (" and its secrets." if _has_secrets(config) else "."))
    return EXIT_OK


def _has_secrets(config: ServerConfig) -> bool:
    return bool(config.secret_env or config.secret_headers)


def _known(tools: ToolSettings, name: str, command: str) -> ServerConfig:
    config = tools.servers.get(name)
    if config is None:
        raise _Refused(f"rill mcp {command}: no server named {name!r} (see rill mcp list)")
    return config


def _list(args: argparse.Namespace) -> int:
    tools = _load().tools
    if not tools.servers:
        _note("No MCP servers yet. Add one with: rill mcp add NAME -- COMMAND ARGS...")
        return EXIT_OK
    states = _probe(tools) if args.probe else {}
    rows = [("NAME", "KIND", "ENABLED", "START", *(("STATE",) if args.probe else ()), "RUNS")]
    for name, config in tools.servers.items():
        state = (_state_line(states[name]) if name in states else "off",) if args.probe else ()
        start = config.start.replace("_", " ")
        enabled = "yes" if config.enabled else "no"
        rows.append((name, config.kind, enabled, start, *state, config.command_line()))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        _out("  ".join([*cells, row[-1]]))
    return EXIT_OK


def _probe(tools: ToolSettings) -> dict[str, ServerStatus]:
    import asyncio

    from rill.core.tools.manager import ToolServers  # loads the MCP SDK

    async def probe() -> dict[str, ServerStatus]:
        servers = ToolServers(tools)
        try:
            await servers.offered_tools()
            return {s.name: s for s in servers.statuses() if tools.servers[s.name].enabled}
        finally:
            await servers.shutdown()

    return asyncio.run(probe())


def _state_line(status: ServerStatus) -> str:
    if status.state.value == "ready":
        return f"ready, {len(status.tools)} tools"
    return f"{status.state.value}: {status.reason}" if status.reason else status.state.value


def _tools(args: argparse.Namespace) -> int:
    import asyncio

    from rill.core.tools import ToolCallError
    from rill.core.tools.manager import ToolServers  # loads the MCP SDK

    tools = _load().tools
    config = _known(tools, args.name, "tools")
    if not config.enabled:
        raise _Refused(f"rill mcp tools: {args.name!r} is turned off")

    async def listing() -> tuple[ServerStatus, tuple[ToolInfo, ...]]:
        servers = ToolServers(tools)
        try:
            found = await servers.tools(args.name)
            return servers.status(args.name), found
        except ToolCallError as error:
            status = servers.status(args.name)
            code = {"auth": EXIT_AUTH, "network": EXIT_NETWORK}.get(status.fault, EXIT_SERVER)
            tail = status.stderr_tail[-5:]
            more = ("its last lines on stderr:", *tail) if tail else ()
            raise _Refused(f"rill mcp tools: {error}", code, more) from None
        finally:
            await servers.shutdown()

    status, found = asyncio.run(listing())
    head = f"{args.name}: {status.server_info or 'ready'}, {len(found)} tools"
    _out(head)
    for tool in found:
        prefs = config.tool_prefs(tool.name)
        marks = ["turned off"] if not prefs.enabled else []
        marks += ["always allowed"] if prefs.always_allow else []
        marks += [f"unusable: {tool.problem}"] if tool.problem else []
        _out(f"\n{tool.name}" + (f"  [{'; '.join(marks)}]" if marks else ""))
        for line in (tool.description or "(no description)").strip().splitlines():
            _out(f"    {line}".rstrip())
    return EXIT_OK


def _out(line: str) -> None:
    """A line of a server's own words to stdout: inert on a terminal."""
    from rill.core.cli.terminal import for_stream

    print(for_stream(sys.stdout, line))


def _note(line: str) -> None:
    from rill.core.cli.terminal import for_stream

    with contextlib.suppress(OSError, ValueError):
        print(for_stream(sys.stderr, line), file=sys.stderr, flush=True)
