"""`rill ask` with Gemini's tools, as a real subprocess against the fake server: each flag
in the request, code runs as fenced blocks, [n] markers and Sources, saved images,
function calls, --json, and a tool the model refuses."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.core.cli.test_cli import KEY, cli_env, run_cli
from tests.fakes import gemini_scenarios as sc
from tests.fakes import gemini_tool_scenarios as tools
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.skipif(os.name != "posix", reason="shares test_cli's helpers")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "home")


def ask(fake: FakeGemini, env: dict[str, str], *args: str, cwd: Path | None = None) -> Any:
    assert fake.api_key == KEY
    return run_cli(["ask", "--base-url", fake.base_url, *args], env)


def test_each_tool_flag_goes_as_its_rest_name(fake_gemini: FakeGemini, env: dict[str, str]) -> None:
    for flag, tool in (
        ("--search", "googleSearch"),
        ("--url-context", "urlContext"),
        ("--code-execution", "codeExecution"),
    ):
        result = ask(fake_gemini, env, flag, "hi")
        assert result.returncode == 0, result.stderr
        assert fake_gemini.last_request.json["tools"] == [{tool: {}}]
    result = ask(fake_gemini, env, "--search", "--url-context", "--code-execution", "hi")
    assert [next(iter(t)) for t in fake_gemini.last_request.json["tools"]] == [
        "googleSearch",
        "urlContext",
        "codeExecution",
    ]


def test_code_runs_print_as_fenced_blocks_with_their_output(
    fake_gemini: FakeGemini, env: dict[str, str]
) -> None:
    fake_gemini.push(tools.code_run())
    result = ask(fake_gemini, env, "--code-execution", "add them")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "Let me add them up. \n\n```python\n"
        + tools.CODE
        + "```\n\n\n\nOutput (OK):\n\n```text\n55\n```\n\nThe sum is 55.\n"
    )


def test_search_prints_markers_and_a_numbered_source_list(
    fake_gemini: FakeGemini, env: dict[str, str]
) -> None:
    fake_gemini.push(tools.grounded())
    result = ask(fake_gemini, env, "--search", "what is rill")
    assert result.returncode == 0, result.stderr
    first, second = tools.GROUNDED_TEXTS
    (uri_a, _), (uri_b, _) = tools.SOURCES
    assert result.stdout == (
        f"{first.rstrip()}[1] {second}[2]\n\nSources:\n"
        f"[1] rill.example <{uri_a}>\n[2] docs.example <{uri_b}>\n"
    )
    assert "Searched Google for: what is rill chat; rill gemini desktop" in result.stderr
    assert "<style>" not in result.stdout + result.stderr


def test_images_are_saved_where_asked_and_marked_where_they_arrived(
    fake_gemini: FakeGemini, env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "pictures"
    fake_gemini.push(tools.image_answer())
    result = ask(
        fake_gemini,
        env,
        "--model",
        "gemini-2.5-flash-image",
        "--image-output",
        "--save-images",
        str(folder),
        "draw a dot",
    )
    assert result.returncode == 0, result.stderr
    (saved,) = folder.iterdir()
    assert saved.read_bytes() == tools.tiny_png() and saved.suffix == ".png"
    assert result.stdout == f"Here is a red dot: \n[image: {saved}]\nDone.\n"
    config = fake_gemini.last_request.json["generationConfig"]
    assert config["responseModalities"] == ["TEXT", "IMAGE"]


def test_images_default_to_the_current_directory(
    fake_gemini: FakeGemini, env: dict[str, str], tmp_path: Path
) -> None:
    import subprocess
    import sys

    fake_gemini.push(tools.image_answer())
    work = tmp_path / "here"
    work.mkdir()
    args = ["ask", "--base-url", fake_gemini.base_url, "--model", "gemini-2.5-flash-image", "x"]
    done = subprocess.run(
        [sys.executable, "-m", "rill.core.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    (saved,) = work.iterdir()
    assert f"[image: {saved.name}]" in done.stdout


def test_an_answer_that_is_only_a_function_call_says_so_and_fails(
    fake_gemini: FakeGemini, env: dict[str, str]
) -> None:
    fake_gemini.push(tools.function_call())
    result = ask(fake_gemini, env, "weather?")
    assert result.returncode == 4
    assert result.stdout == ""
    assert result.stderr == (
        "The model asked to call get_weather; tools from servers are not enabled.\n"
    )
    fake_gemini.push(tools.function_call(text="Checking. "))
    result = ask(fake_gemini, env, "weather?")
    assert result.returncode == 0 and result.stdout == "Checking. \n"
    assert "The model asked to call get_weather" in result.stderr


def test_a_broken_image_is_a_line_in_the_answer(
    fake_gemini: FakeGemini, env: dict[str, str]
) -> None:
    fake_gemini.push(tools.bad_image())
    result = ask(fake_gemini, env, "draw")
    assert result.returncode == 0, result.stderr
    assert "Before the picture." in result.stdout and "After the picture." in result.stdout
    assert "⚠ An image in this answer could not be read" in result.stdout


def test_json_prints_one_object_per_chunk(
    fake_gemini: FakeGemini, env: dict[str, str], tmp_path: Path
) -> None:
    fake_gemini.push(tools.code_run(figure=tools.tiny_png()))
    result = ask(
        fake_gemini, env, "--json", "--save-images", str(tmp_path / "img"), "--code-execution", "x"
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 5  # one part each; the finish comes with the last
    assert lines[1]["parts"] == [{"code": {"language": "python", "code": tools.CODE}}]
    assert lines[2]["parts"] == [{"code_result": {"outcome": "ok", "output": "55\n"}}]
    image = lines[3]["parts"][0]
    assert (
        image["mime_type"] == "image/png" and Path(image["path"]).read_bytes() == tools.tiny_png()
    )
    assert lines[-1]["finish_reason"] == "STOP" and lines[-1]["usage"]["total_tokens"] > 0

    fake_gemini.push(tools.grounded())
    result = ask(fake_gemini, env, "--json", "--search", "x")
    last = json.loads(result.stdout.splitlines()[-1])
    assert last["grounding"]["queries"] == ["what is rill chat", "rill gemini desktop"]
    assert last["grounding"]["supports"][1]["sources"] == [1]

    fake_gemini.push(tools.function_call())
    result = ask(fake_gemini, env, "--json", "x")  # the script gets the call itself
    assert result.returncode == 0
    call = json.loads(result.stdout.splitlines()[0])["parts"][0]["function_call"]
    assert call == {"name": "get_weather", "args": '{"city":"Zürich","days":2}', "id": "call-7f3a"}


def test_json_without_streaming_is_one_object(fake_gemini: FakeGemini, env: dict[str, str]) -> None:
    fake_gemini.push(tools.url_context())
    result = ask(fake_gemini, env, "--json", "--no-stream", "--url-context", "read")
    (line,) = result.stdout.splitlines()
    whole = json.loads(line)
    assert whole["url_context"][1] == {"url": "https://example.com/paywalled", "status": "paywall"}


def test_a_tool_the_model_refuses_names_tool_and_model(
    fake_gemini: FakeGemini, env: dict[str, str]
) -> None:
    result = ask(fake_gemini, env, "--model", "gemini-2.0-flash", "--url-context", "read this")
    assert result.returncode == 4
    assert "gemini-2.0-flash" in result.stderr and "URL context" in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_url_context_lists_the_pages_read(fake_gemini: FakeGemini, env: dict[str, str]) -> None:
    fake_gemini.push(tools.url_context())
    result = ask(fake_gemini, env, "--url-context", "read")
    assert result.stdout == "The page says Rill streams answers.\n"
    assert "Read https://example.com/paywalled (paywall)" in result.stderr
    fake_gemini.push(sc.stream(["plain"]))
    assert ask(fake_gemini, env, "hi").stderr == ""
