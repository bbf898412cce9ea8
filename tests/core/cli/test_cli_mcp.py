"""``rill mcp add / list / tools / remove``: real subprocesses, each with its own
RILL_HOME (secrets go to its private key file: the test keychain finds nothing), real
servers behind them."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.core.cli.test_cli import cli_env, run_cli
from tests.core.tools.support import BIN, ROOT, HttpFake

pytestmark = [
    pytest.mark.skipif(os.name != "posix", reason="POSIX subprocess semantics"),
    pytest.mark.timeout(120),
]
TIME = str(BIN / "mcp-server-time")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return cli_env(home, key=None)


def stored(home: Path) -> dict[str, object]:
    tools = json.loads((home / "config" / "settings.json").read_text(encoding="utf-8"))["tools"]
    assert isinstance(tools, dict)
    return tools


def key_file(home: Path) -> dict[str, str]:
    path = home / "config" / "api-keys.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def test_add_list_tools_remove_a_stdio_server(env: dict[str, str], home: Path) -> None:
    added = run_cli(["mcp", "add", "time", "--", TIME, "--local-timezone", "UTC"], env)
    assert added.returncode == 0, added.stderr
    assert added.stdout == f"Added 'time'. It will run, as you:\n  {TIME} --local-timezone UTC\n"
    server = stored(home)["servers"]["time"]  # type: ignore[index]
    assert server["command"] == TIME and server["args"] == ["--local-timezone", "UTC"]

    listed = run_cli(["mcp", "list"], env)
    assert listed.returncode == 0 and listed.stdout.splitlines()[1].split()[:4] == [
        "time",
        "stdio",
        "yes",
        "first",
    ]
    probed = run_cli(["mcp", "list", "--probe"], env)
    assert probed.returncode == 0 and "ready, 2 tools" in probed.stdout

    tools = run_cli(["mcp", "tools", "time"], env)
    assert tools.returncode == 0, tools.stderr
    lines = tools.stdout.splitlines()
    assert lines[0].startswith("time: mcp-time") and lines[0].endswith(", 2 tools")
    assert "get_current_time" in lines and "    Get current time in a specific timezone" in lines

    removed = run_cli(["mcp", "remove", "time"], env)
    assert removed.returncode == 0 and removed.stdout == "Removed 'time'.\n"
    assert stored(home)["servers"] == {}
    assert "No MCP servers yet" in run_cli(["mcp", "list"], env).stderr


def test_a_program_on_path_is_fixed_as_its_full_path(env: dict[str, str], home: Path) -> None:
    env = {**env, "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}"}
    added = run_cli(["mcp", "add", "time", "--", "mcp-server-time"], env)
    assert added.returncode == 0, added.stderr
    assert stored(home)["servers"]["time"]["command"] == TIME  # type: ignore[index]


def test_secret_values_go_to_the_key_file_not_the_settings(env: dict[str, str], home: Path) -> None:
    added = run_cli(
        [
            "mcp",
            "add",
            "fake",
            "--env",
            f"PYTHONPATH={ROOT}",
            "--secret-env",
            "API_TOKEN",
            "--",
            sys.executable,
            "-m",
            "tests.fakes.mcp_server",
        ],
        env,
        stdin="tok-from-stdin\n",
    )
    assert added.returncode == 0, added.stderr
    assert "API_TOKEN=<keychain>" in added.stdout and "tok-from-stdin" not in added.stdout
    settings_text = (home / "config" / "settings.json").read_text(encoding="utf-8")
    assert "tok-from-stdin" not in settings_text
    assert key_file(home) == {"mcp/fake/env/API_TOKEN": "tok-from-stdin"}
    tools = run_cli(["mcp", "tools", "fake"], env)
    assert tools.returncode == 0 and "bad_schema  [unusable: its input schema" in tools.stdout
    removed = run_cli(["mcp", "remove", "fake"], env)
    assert removed.stdout == "Removed 'fake' and its secrets.\n" and key_file(home) == {}


def test_an_http_server_with_a_secret_header(env: dict[str, str], home: Path) -> None:
    with HttpFake(token="tok-9") as fake:
        added = run_cli(
            [
                "mcp",
                "add",
                "web",
                "--url",
                fake.url,
                "--header",
                "X-Client=rill",
                "--secret-header",
                "Authorization=Bearer tok-9",
            ],
            env,
        )
        assert added.returncode == 0 and added.stdout == f"Added 'web': {fake.url}\n"
        assert key_file(home) == {"mcp/web/header/Authorization": "Bearer tok-9"}
        tools = run_cli(["mcp", "tools", "web"], env)
        assert tools.returncode == 0, tools.stderr
        assert tools.stdout.startswith("web: rill-test-faults, 13 tools")
        assert run_cli(["mcp", "remove", "web"], env).returncode == 0
        refused = run_cli(
            ["mcp", "add", "bad", "--url", fake.url, "--header", "Authorization=Bearer no"], env
        )
        assert refused.returncode == 0
        failed = run_cli(["mcp", "tools", "bad"], env)
        assert failed.returncode == 3, failed.stderr
        assert "refused the credentials (HTTP 401)" in failed.stderr
    gone = run_cli(["mcp", "tools", "bad"], env)
    assert gone.returncode == 8 and "cannot reach http://127.0.0.1:" in gone.stderr


def test_a_server_that_cannot_start_exits_7_with_its_last_words(
    env: dict[str, str], tmp_path: Path
) -> None:
    script = tmp_path / "dies.py"
    script.write_text("import sys\nsys.stderr.write('boom: no config file\\n')\nsys.exit(2)\n")
    assert run_cli(["mcp", "add", "dies", "--", sys.executable, str(script)], env).returncode == 0
    failed = run_cli(["mcp", "tools", "dies"], env)
    assert failed.returncode == 7
    assert failed.stderr.splitlines() == [
        "rill mcp tools: The tool server 'dies' is not running: it exited before it was ready "
        "(boom: no config file)",
        "  its last lines on stderr:",
        "  boom: no config file",
    ]
    probed = run_cli(["mcp", "list", "--probe"], env)
    assert probed.returncode == 0 and "failed: " in probed.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "bad name", "--", TIME], "cannot name a server"),
        (["add", "x"], "give either -- COMMAND ARGS... or --url URL"),
        (["add", "x", "--url", "http://h/mcp", "--", TIME], "give either"),
        (["add", "x", "--", "/nonexistent/program"], "is not a program that can be run here"),
        (["add", "x", "--url", "https://u:p@h/mcp"], "carries a user name or password"),
        (["add", "x", "--url", "http://h/mcp", "--env", "A=1"], "are for stdio servers"),
        (["add", "x", "--header", "A=1", "--", TIME], "are for --url servers"),
        (["add", "x", "--env", "NOEQUALS", "--", TIME], "--env takes K=V"),
        (["add", "x", "--env", "1BAD=v", "--", TIME], "is not an environment variable name"),
        (["add", "x", "--url", "http://h/mcp", "--header", "X=a\rb"], "a NUL or line break"),
        (["add", "x", "--cwd", "/nonexistent", "--", TIME], "no such folder"),
        (["remove", "nope"], "no server named 'nope'"),
        (["tools", "nope"], "no server named 'nope'"),
    ],
)
def test_mistakes_exit_2_with_one_line(env: dict[str, str], args: list[str], message: str) -> None:
    done = run_cli(["mcp", *args], env)
    assert done.returncode == 2 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == ""


def test_a_name_is_taken_once(env: dict[str, str]) -> None:
    assert run_cli(["mcp", "add", "t", "--", TIME], env).returncode == 0
    again = run_cli(["mcp", "add", "t", "--", TIME], env)
    assert again.returncode == 2 and "a server named 't' exists" in again.stderr
    off = run_cli(["mcp", "add", "u", "--disabled", "--start", "launch", "--", TIME], env)
    assert off.returncode == 0 and off.stdout.endswith("It is turned off.\n")
    listed = run_cli(["mcp", "list", "--probe"], env).stdout.splitlines()
    assert listed[2].split()[:5] == ["u", "stdio", "no", "launch", "off"]
    assert run_cli(["mcp", "tools", "u"], env).returncode == 2
