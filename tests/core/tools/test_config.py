"""The settings file's ``tools`` section: what is stored, read back and refused, each
bad entry a one-line notice (never a crash), and the consent choices' data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rill.core.settings import Settings, load_settings, save_settings, settings_from_dict
from rill.core.tool_settings import ServerConfig, ToolPrefs, ToolSettings
from rill.core.tools.consent import (
    ChatGrants,
    Decision,
    ToolRef,
    always_allowed,
    denial,
    needs_asking,
    remember,
    revoke_always,
)

STDIO = ServerConfig(
    command="/usr/bin/uvx",
    args=("mcp-server-time", "--local-timezone", "Europe/Paris"),
    env={"TZ": "UTC"},
    secret_env=("API_TOKEN",),
    tools={"convert_time": ToolPrefs(enabled=False)},
)
HTTP = ServerConfig(
    kind="http",
    start="launch",
    url="https://tools.example.com/mcp",
    headers={"X-Team": "blue"},
    secret_headers=("Authorization",),
    tools={"search": ToolPrefs(always_allow=True)},
)


def read(tools: Any) -> tuple[ToolSettings, list[str]]:
    warnings: list[str] = []
    return settings_from_dict({"tools": tools}, warnings).tools, warnings


def test_servers_round_trip_through_the_settings_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    tools = ToolSettings(call_timeout=30.0, servers={"time": STDIO, "web": HTTP})
    save_settings(Settings(tools=tools), path)
    loaded = load_settings(path)
    assert loaded.warnings == [] and loaded.settings.tools == tools
    stored = json.loads(path.read_text(encoding="utf-8"))["tools"]
    assert "url" not in stored["servers"]["time"] and "command" not in stored["servers"]["web"]
    assert stored["servers"]["web"]["secret_headers"] == ["Authorization"]


def test_a_file_without_tools_has_none() -> None:
    assert read(None) == (ToolSettings(), [])
    assert Settings().tools.servers == {}


def test_the_exact_command_is_shown_with_secrets_masked() -> None:
    assert STDIO.command_line() == (
        "TZ=UTC API_TOKEN=<keychain> /usr/bin/uvx mcp-server-time --local-timezone Europe/Paris"
    )
    spaced = ServerConfig(command="/opt/my tools/server", args=("--name", "a b"), cwd="/srv/x y")
    assert spaced.command_line() == "cd '/srv/x y' && '/opt/my tools/server' --name 'a b'"
    assert HTTP.command_line() == "https://tools.example.com/mcp"


def test_bad_entries_become_notices_and_good_ones_stay() -> None:
    tools, warnings = read(
        {
            "call_timeout": 1e9,
            "servers": {
                "ok": {"command": "/bin/server"},
                "bad name!": {"command": "/bin/x"},
                "no-command": {"kind": "stdio"},
                "creds": {"kind": "http", "url": "https://user:pw@example.com/mcp"},
                "ftp": {"kind": "http", "url": "ftp://example.com"},
                "list": ["not", "an", "object"],
                "odd": {
                    "command": "/bin/y",
                    "kind": "carrier-pigeon",
                    "enabled": "yes",
                    "env": {"GOOD": "1", "BAD=NAME": "x", "NUL": "a\u0000b"},
                    "headers": {"X-Ok": "1"},
                    "secret_env": "API_TOKEN",
                    "tools": {"t": {"enabled": 0}, "": {}},
                },
                "hdr": {
                    "kind": "http",
                    "url": "http://127.0.0.1:8000/mcp",
                    "headers": {"X-Inject": "a\r\nEvil: 1", "Bad Name": "x", "X-Ok": "1"},
                },
            },
        }
    )
    assert tools.call_timeout == 60.0
    assert set(tools.servers) == {"ok", "odd", "hdr"}
    odd = tools.servers["odd"]
    assert odd.kind == "stdio" and odd.enabled and odd.env == {"GOOD": "1"}
    assert odd.secret_env == () and odd.tools == {"t": ToolPrefs()}
    assert tools.servers["hdr"].headers == {"X-Ok": "1"}
    text = "\n".join(warnings)
    for fragment in (
        "tools.call_timeout: expected a number from 1 to 3600",
        "'bad name!': a server name is letters",
        "tools.servers.no-command: no command to run; entry ignored",
        "carries a user name or password",
        "is not an http:// or https:// URL",
        "tools.servers.list: expected an object; entry ignored",
        "tools.servers.odd.kind: expected 'stdio' / 'http'",
        "tools.servers.odd.enabled: expected true or false",
        "'BAD=NAME': 'x' is not a usable variable; ignored",
        "tools.servers.odd.secret_env: expected a list of variable names",
        "'X-Inject'",
    ):
        assert fragment in text, fragment
    assert all("\n" not in w for w in warnings)  # one line each


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "servers",
                        "call_timeout",
                        "kind",
                        "command",
                        "args",
                        "env",
                        "url",
                        "headers",
                        "secret_env",
                        "secret_headers",
                        "tools",
                        "enabled",
                        "start",
                        "cwd",
                        "x",
                        "ok",
                    ]
                ),
                inner,
                max_size=6,
            )
        ),
        max_leaves=30,
    )
)
def test_any_json_in_the_tools_section_never_raises(value: Any) -> None:
    tools, _warnings = read(value)
    json.dumps(Settings(tools=tools).to_dict())  # and what is kept can be saved


def test_tool_prefs_are_kept_only_when_chosen() -> None:
    tools = ToolSettings(servers={"time": STDIO})
    tools = tools.with_tool_prefs("time", "get_current_time", ToolPrefs(always_allow=True))
    assert tools.servers["time"].tool_prefs("get_current_time").always_allow
    tools = tools.with_tool_prefs("time", "get_current_time", ToolPrefs())
    assert "get_current_time" not in tools.servers["time"].tools
    assert tools.without_server("time").servers == {}


def test_consent_is_remembered_where_it_was_given() -> None:
    tools = ToolSettings(servers={"time": STDIO, "web": HTTP})
    ref = ToolRef("time", "get_current_time")
    grants = ChatGrants()
    assert needs_asking(tools, grants, ref)
    assert not needs_asking(tools, grants, ToolRef("web", "search"))  # always allowed
    # Allow once: nothing changes.
    assert remember(Decision.ALLOW_ONCE, ref, tools, grants) == (tools, grants)
    assert remember(Decision.DENY, ref, tools, grants) == (tools, grants)
    # Allow in this chat: the chat remembers, the settings do not.
    same, in_chat = remember(Decision.ALLOW_IN_CHAT, ref, tools, grants)
    assert same == tools and not needs_asking(tools, in_chat, ref)
    assert needs_asking(tools, ChatGrants(), ref)  # another chat still asks
    assert ChatGrants.from_list(json.loads(json.dumps(in_chat.to_list()))) == in_chat
    assert in_chat.revoke(ref) == ChatGrants()
    # Always allow: the settings remember, for every chat; revoked in Settings → Tools.
    always, untouched = remember(Decision.ALWAYS_ALLOW, ref, tools, grants)
    assert untouched == grants and not needs_asking(always, ChatGrants(), ref)
    assert always_allowed(always) == [ToolRef("time", "get_current_time"), ToolRef("web", "search")]
    assert needs_asking(revoke_always(always, ref), ChatGrants(), ref)
    assert not Decision.DENY.allows and Decision.ALLOW_ONCE.allows


def test_malformed_stored_grants_are_left_out() -> None:
    grants = ChatGrants.from_list([["time", "get"], ["x"], "y", [1, 2], ["", "t"], None])
    assert grants.tools == frozenset({ToolRef("time", "get")})
    assert ChatGrants.from_list({"not": "a list"}) == ChatGrants()


def test_a_denial_tells_the_model() -> None:
    result = denial(ToolRef("time", "convert_time"))
    assert result.is_error and "denied this call of time.convert_time" in result.text


def test_tools_can_be_turned_off_for_chats() -> None:
    """``offer``: the window's "Let models use the enabled servers' tools in chats"."""
    assert ToolSettings().offer
    assert ToolSettings().to_dict()["offer"] is True
    tools, warnings = read({"offer": False, "servers": {"ok": {"command": "/bin/server"}}})
    assert not tools.offer and set(tools.servers) == {"ok"} and warnings == []
    assert tools.to_dict()["offer"] is False
    tools, warnings = read({"offer": "no"})
    assert tools.offer
    assert warnings == [
        "setting tools.offer: expected true or false, got 'no'; using the default (True)"
    ]
