"""`rill history`, `rill search`, `rill export`, `rill import`, and `rill ask`/`rill chat`
saving to the store: real subprocesses against the fake Gemini server, each with its
own RILL_HOME; exports are checked against what the store holds."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from rill.core.store.db import Store
from rill.core.store.export import export_json, to_markdown
from rill.core.types import MessageStatus
from tests.core.cli.test_cli import KEY, cli_env, run_cli
from tests.fakes.gemini_server import FakeGemini

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX subprocess semantics")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return cli_env(home)


def ask(fake: FakeGemini, env: dict[str, str], *args: str) -> None:
    result = run_cli(["ask", "--base-url", fake.base_url, *args], env)
    assert result.returncode == 0, result.stderr


def open_store(home: Path) -> Store:
    return Store(home / "data" / "rill.sqlite")


def without_time(text: str) -> str:
    return "\n".join(ln for ln in text.splitlines() if "Exported from Rill on" not in ln)


# ---------------------------------------------------------------- saving


def test_ask_saves_the_conversation_and_no_save_does_not(
    fake_gemini: FakeGemini, env: dict[str, str], home: Path
) -> None:
    ask(fake_gemini, env, "--model", "gemini-2.5-pro", "--temperature", "0.3", "What is WAL?")
    ask(fake_gemini, env, "--no-save", "This one is private")
    with open_store(home) as store:
        (conversation,) = store.list_conversations()
        assert conversation.title == "What is WAL?"
        assert (conversation.model, conversation.provider) == ("gemini-2.5-pro", "gemini")
        assert store.get_conversation(conversation.id).settings.temperature == 0.3
        user, answer = store.path(conversation.id)
        assert user.message.text == "What is WAL?"
        assert answer.message.text == "Echo: What is WAL?"
        assert answer.message.status is MessageStatus.COMPLETE
        assert answer.message.usage is not None and answer.message.finish_reason == "STOP"
        assert store.search("private") == []


def test_chat_saves_one_conversation_with_every_turn_and_retry_as_a_version(
    fake_gemini: FakeGemini, env: dict[str, str], home: Path
) -> None:
    from tests.fakes import gemini_scenarios as sc

    fake_gemini.push(sc.stream(["Echo: first"]), sc.http_error(500), sc.stream(["recovered"]))
    result = run_cli(
        ["chat", "--base-url", fake_gemini.base_url], env, stdin="first\nsecond\n/retry\n"
    )
    assert result.returncode == 0, result.stderr
    with open_store(home) as store:
        (conversation,) = store.list_conversations()
        path = store.path(conversation.id)
        assert [s.message.text for s in path] == ["first", "Echo: first", "second", "recovered"]
        assert path[-1].versions == 2  # the failed answer is kept beside the retry
        failed = store.get_message(store.siblings(path[-1].id)[0]).message
        assert failed.status is MessageStatus.FAILED


def test_an_unusable_store_costs_a_warning_not_the_answer(
    fake_gemini: FakeGemini, env: dict[str, str], home: Path
) -> None:
    home.mkdir(parents=True)
    (home / "data").write_text("a file where the data folder should be")
    result = run_cli(["ask", "--base-url", fake_gemini.base_url, "hi"], env)
    assert result.returncode == 0
    assert result.stdout == "Echo: hi\n"
    assert "warning: the conversation was not saved" in result.stderr


def test_a_corrupt_store_is_reported_and_set_aside(
    fake_gemini: FakeGemini, env: dict[str, str], home: Path
) -> None:
    (home / "data").mkdir(parents=True)
    (home / "data" / "rill.sqlite").write_bytes(b"garbage" * 100)
    ask(fake_gemini, env, "hello")
    result = run_cli(["history"], env)
    assert "hello" in result.stdout
    assert len(list((home / "data").glob("rill.sqlite.corrupt-*"))) == 1


# ---------------------------------------------------------------- history and search


def test_history_lists_newest_first_with_id_date_model_count_and_title(
    fake_gemini: FakeGemini, env: dict[str, str], home: Path
) -> None:
    ask(fake_gemini, env, "--model", "gemini-2.5-pro", "older question")
    ask(fake_gemini, env, "newer question")
    result = run_cli(["history"], env)
    assert result.returncode == 0, result.stderr
    header, first, second = result.stdout.splitlines()
    assert header.split() == ["ID", "LAST", "ACTIVE", "MSGS", "MODEL", "TITLE"]
    assert first.split()[0] == "2" and first.endswith("newer question")
    assert first.split()[3:5] == ["2", "gemini-2.5-flash"]
    assert second.split()[0] == "1" and "gemini-2.5-pro" in second
    with open_store(home) as store:
        store.set_pinned(1, True)
        store.delete_conversation(2)
    pinned = run_cli(["history"], env).stdout.splitlines()
    assert len(pinned) == 2 and pinned[1].endswith("* older question")
    trash = run_cli(["history", "--deleted"], env).stdout
    assert "newer question" in trash and "older question" not in trash


def test_history_on_an_empty_profile(env: dict[str, str]) -> None:
    result = run_cli(["history"], env)
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr == "No saved conversations yet.\n"


def test_search_prints_hits_with_the_match_marked(
    fake_gemini: FakeGemini, env: dict[str, str]
) -> None:
    ask(fake_gemini, env, "Tell me about the pangolin")
    ask(fake_gemini, env, "Something else")
    result = run_cli(["search", "pangolin"], env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4  # the question and the echoed answer
    assert lines[0].startswith("#1  ") and lines[0].endswith("Tell me about the pangolin")
    assert "the **pangolin**" in result.stdout
    odd = run_cli(["search", "--", 'NEAR("pango', "-x", "*"], env)
    assert odd.returncode == 0, odd.stderr
    none = run_cli(["search", "zzzz"], env)
    assert (none.returncode, none.stdout, none.stderr) == (0, "", "No matches.\n")


# ---------------------------------------------------------------- export and import


def test_export_matches_what_the_store_holds(
    fake_gemini: FakeGemini, env: dict[str, str], home: Path, tmp_path: Path
) -> None:
    ask(fake_gemini, env, "first chat")
    ask(fake_gemini, env, "second chat")
    latest_json = run_cli(["export", "--latest", "--format", "json"], env)
    by_id_md = run_cli(["export", "1", "--format", "md"], env)
    assert latest_json.returncode == by_id_md.returncode == 0
    with open_store(home) as store:
        expected = export_json(store, 2)
        expected_md = to_markdown(store, 1)
    got = json.loads(latest_json.stdout)
    got.pop("exported_at")
    expected.pop("exported_at")
    assert got == expected
    assert without_time(by_id_md.stdout) == without_time(expected_md)
    assert by_id_md.stdout.startswith("# first chat\n")

    out = tmp_path / "saved.json"
    assert run_cli(["export", "2", "--format", "json", "-o", str(out)], env).stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["conversation"]["title"] == "second chat"


def test_markdown_export_to_a_file_saves_images_beside_it(
    fake_gemini: FakeGemini, env: dict[str, str], tmp_path: Path
) -> None:
    from PIL import Image

    picture = tmp_path / "dot.png"
    Image.new("RGB", (4, 4), "red").save(picture)
    ask(fake_gemini, env, "--image", str(picture), "what colour?")
    target = tmp_path / "out" / "chat.md"
    target.parent.mkdir()
    result = run_cli(["export", "--latest", "-o", str(target)], env)
    assert result.returncode == 0, result.stderr
    (image,) = (tmp_path / "out" / "chat_images").iterdir()
    assert f"![image 1](chat_images/{image.name})" in target.read_text(encoding="utf-8")
    stdout_md = run_cli(["export", "--latest"], env).stdout
    assert "*[image 1: image/png" in stdout_md  # no folder: described


def test_import_adds_a_new_conversation(
    fake_gemini: FakeGemini, env: dict[str, str], home: Path, tmp_path: Path
) -> None:
    ask(fake_gemini, env, "worth keeping")
    exported = tmp_path / "c.json"
    run_cli(["export", "1", "--format", "json", "-o", str(exported)], env)
    result = run_cli(["import", str(exported)], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Imported as conversation 2: worth keeping (imported)\n"
    stdin_import = run_cli(["import", "-"], env, stdin=exported.read_text(encoding="utf-8"))
    assert stdin_import.stdout.startswith("Imported as conversation 3")
    with open_store(home) as store:
        assert [s.message for s in store.path(2)] == [s.message for s in store.path(1)]


def test_export_and_import_errors_are_one_line(env: dict[str, str], tmp_path: Path) -> None:
    none = run_cli(["export", "--latest"], env)
    assert none.returncode == 2 and "no saved conversations" in none.stderr
    unknown = run_cli(["export", "7"], env)
    assert unknown.returncode == 2 and "no conversation 7" in unknown.stderr
    both = run_cli(["export", "7", "--latest"], env)
    assert both.returncode == 2 and both.stderr.count("\n") == 1
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}')
    refused = run_cli(["import", str(bad)], env)
    assert refused.returncode == 4 and "not a Rill conversation export" in refused.stderr
    assert refused.stderr.count("\n") == 1
    missing = run_cli(["import", str(tmp_path / "nope.json")], env)
    assert missing.returncode == 4 and "nope.json" in missing.stderr


def test_help_lists_the_history_commands(env: dict[str, str]) -> None:
    result = run_cli(["--help"], env)
    assert "{ask,chat,history,search,export,import,mcp}" in result.stdout
    assert "--no-save" in run_cli(["ask", "--help"], env).stdout
    assert "--no-save" in run_cli(["chat", "--help"], env).stdout


# ---------------------------------------------------------------- no API key, ever


@pytest.fixture
def planted_fake() -> Iterator[FakeGemini]:
    with FakeGemini(api_key=PLANTED) as server:
        yield server


PLANTED = "AIzaPLANTED-" + "k3y" * 10


def test_no_export_or_store_file_ever_holds_the_api_key(
    planted_fake: FakeGemini, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = cli_env(home, key=PLANTED, GOOGLE_API_KEY=PLANTED)
    # Also saved the way the app saves a key (the private file, no keychain here).
    monkeypatch.setenv("RILL_HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    from rill.core.secrets import get_api_key, set_api_key

    set_api_key("gemini", PLANTED)
    assert get_api_key("gemini", use_env=False) == PLANTED
    ask(planted_fake, env, "--system", "be terse", "a question with a key around")
    assert planted_fake.last_request.headers.get("x-goog-api-key") == PLANTED  # it was used
    outputs = [
        run_cli(["export", "--latest", "--format", fmt], env).stdout for fmt in ("md", "json")
    ]
    run_cli(["export", "--latest", "-o", str(tmp_path / "x.md")], env)
    outputs.append((tmp_path / "x.md").read_text(encoding="utf-8"))
    for text in outputs:
        assert "a question with a key around" in text
        assert PLANTED not in text and KEY not in text
    data = home / "data"
    for file in data.iterdir():
        assert PLANTED.encode() not in file.read_bytes(), file
