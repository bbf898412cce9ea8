"""Tool parts and answer metadata in the store: schema v3's migration on a real v2 file,
identical reloads, and both exports (Markdown readable, JSON keeping everything)."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

from rill.core.answer_types import (
    Citation,
    CodeResult,
    CodeRun,
    FunctionCall,
    FunctionResponse,
    Grounding,
    Outcome,
    Source,
    Support,
    UrlRead,
)
from rill.core.store.db import Store
from rill.core.store.export import dumps, export_json, import_json, to_markdown
from rill.core.store.schema import migrate, user_version
from rill.core.types import GenerationSettings, Message, MessageStatus, Part, Role

SIG = "c2lnbmF0dXJlKy8="
TEXT = "Rill streams — fast. It is a desktop app."
GROUNDING = Grounding(
    queries=("rill chat",),
    sources=(
        Source("https://r.example/a", "Rill home"),
        Source("https://d.example/b", None, "retrieved", "excerpt"),
    ),
    supports=(
        Support(end=len("Rill streams — fast.".encode()), sources=(0,), confidence=(0.8,)),
        Support(
            start=len("Rill streams — fast. ".encode()),
            end=len(TEXT.encode()),
            text="It is a desktop app.",
            part_index=0,
            sources=(0, 1),
            confidence=(0.5, 0.7),
        ),
    ),
    search_entry_point="<style>x</style><div>chips</div>",
)


def rich_answer() -> Message:
    return Message(
        Role.MODEL,
        [
            Part(text=TEXT),
            Part(code=CodeRun("print(55)\n", "python"), thought_signature=SIG),
            Part(code_result=CodeResult(Outcome.DEADLINE_EXCEEDED, "")),
            Part(error="An image could not be read."),
            Part(
                function_call=FunctionCall("get_weather", '{"city":"Zürich"}', "c1"),
                thought_signature=SIG,
            ),
        ],
        model="gemini-2.5-flash",
        grounding=GROUNDING,
        url_context=(
            UrlRead("https://r.example/a", "success"),
            UrlRead("https://x.example", "error"),
        ),
        citations=(Citation("https://h.example", "Hamlet", "public domain", 0, 12),),
    )


def reply() -> Message:
    return Message(
        Role.USER, [Part(function_response=FunctionResponse("get_weather", '{"t":21}', "c1"))]
    )


def test_a_v2_file_migrates_and_old_and_new_answers_reload_identically(tmp_path: Path) -> None:
    path = tmp_path / "rill.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, target=2)
    conn.execute(
        "INSERT INTO conversations (id, title, created_at, updated_at) VALUES (1, 'old', 1, 1)"
    )
    conn.execute(
        "INSERT INTO messages (id, conversation_id, seq, role, status, text, parts, created_at) "
        "VALUES (1, 1, 0, 'user', 'complete', 'hi', '[{\"text\":\"hi\"}]', 1), "
        "(2, 1, 1, 'model', 'complete', 'yo', "
        '\'[{"text":"yo","thought_signature":"' + SIG + "\"}]', 2)"
    )
    conn.execute("UPDATE messages SET active_child_id = 2 WHERE id = 1")
    conn.execute("UPDATE messages SET parent_id = 1 WHERE id = 2")
    conn.execute("UPDATE conversations SET active_root_id = 1, leaf_id = 2 WHERE id = 1")
    conn.close()

    with Store(path) as store:
        old = store.history(1)
        assert [m.text for m in old] == ["hi", "yo"]
        assert old[1].parts[0].thought_signature == SIG and old[1].grounding is None
        store.append_message(1, Message(Role.USER, [Part.from_text("search please")]))
        store.append_message(1, rich_answer())
        store.append_message(1, reply())
    check = sqlite3.connect(path)
    assert user_version(check) == 3
    check.close()
    with Store(path) as store:
        again = store.history(1)
    assert again[3] == dataclasses.replace(rich_answer(), created_at=again[3].created_at)
    assert again[4].parts == reply().parts


def test_json_export_keeps_everything_and_imports_identically(tmp_path: Path) -> None:
    with Store(tmp_path / "a.sqlite3") as a, Store(tmp_path / "b.sqlite3") as b:
        cid = a.create_conversation(settings=GenerationSettings(google_search=True))
        a.append_message(cid, Message(Role.USER, [Part.from_text("q")]))
        a.append_message(cid, rich_answer())
        document = export_json(a, cid)
        assert '"search_entry_point": "<style>x</style><div>chips</div>"' in dumps(document)
        new_id = import_json(b, document)
        assert b.history(new_id)[1].parts == rich_answer().parts
        copied = b.history(new_id)[1]
        assert (copied.grounding, copied.url_context, copied.citations) == (
            GROUNDING,
            rich_answer().url_context,
            rich_answer().citations,
        )
        assert b.get_conversation(new_id).settings.google_search


def test_markdown_shows_code_runs_markers_and_numbered_sources(tmp_path: Path) -> None:
    with Store(tmp_path / "a.sqlite3") as store:
        cid = store.create_conversation(settings=GenerationSettings(code_execution=True))
        store.append_message(cid, Message(Role.USER, [Part.from_text("q")]))
        store.append_message(cid, rich_answer())
        text = to_markdown(store, cid)
    assert "Rill streams — fast.[1] It is a desktop app.[1][2]" in text
    assert "```python\nprint(55)\n```" in text
    assert "Output (deadline exceeded): nothing printed." in text
    assert "⚠ An image could not be read." in text
    assert "The model asked to call `get_weather`; tools from servers are not enabled." in text
    assert (
        "**Sources**\n\n1. [Rill home](https://r.example/a)\n2. [d.example](https://d.example/b)"
        in text
    )
    assert "*Searched Google for:* `rill chat`" in text
    assert "- <https://x.example> (error)" in text
    assert "- Hamlet (public domain)" in text
    assert "tools code execution" in text
    assert "<style>" not in text  # the search entry point's HTML is never written out


def test_a_stream_interrupted_answer_still_saves_its_parts(tmp_path: Path) -> None:
    with Store(tmp_path / "a.sqlite3") as store:
        cid = store.create_conversation()
        answer = rich_answer()
        answer.status = MessageStatus.STREAMING
        mid = store.append_message(cid, answer)
        answer.status = MessageStatus.COMPLETE
        store.update_message(mid, answer)
        assert store.get_message(mid).message.parts == rich_answer().parts
