"""Export to Markdown and JSON, and import of the JSON, on real stores."""

from __future__ import annotations

import base64
import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rill.core.store.db import Store
from rill.core.store.export import (
    FORMAT,
    VERSION,
    ExportFormatError,
    dumps,
    export_json,
    import_json,
    to_markdown,
)
from rill.core.types import GenerationSettings, Message, MessageStatus, Part, Role, Usage

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
SETTINGS = GenerationSettings(
    model="gemini-2.5-pro",
    temperature=0.7,
    top_p=0.9,
    max_output_tokens=2048,
    stop_sequences=("END",),
    system_instruction="Answer like a pirate.\nKeep it short.",
    include_thoughts=True,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "a.sqlite") as s:
        yield s


@pytest.fixture
def other(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "b.sqlite") as s:
        yield s


def build(store: Store) -> tuple[int, dict[str, int]]:
    """A conversation with images, thoughts, a regenerated answer and an edited branch."""
    cid = store.create_conversation(provider="gemini", settings=SETTINGS, created_at=1000.0)
    ids: dict[str, int] = {}
    ids["q1"] = store.append_message(
        cid,
        Message(
            Role.USER,
            [
                Part.from_text("What is in this picture?"),
                Part.from_bytes(PNG, "image/png"),
                Part.from_uri("https://example.com/cat.jpg", "image/jpeg"),
            ],
            created_at=1001.0,
        ),
    )
    ids["a1"] = store.append_message(
        cid,
        Message(
            Role.MODEL,
            [
                Part(text="Looks like a cat.", thought=True, thought_signature="U0lH"),
                Part.from_text("Arr, a **cat**!"),
            ],
            usage=Usage(prompt_tokens=300, output_tokens=5, thoughts_tokens=9, total_tokens=314),
            finish_reason="STOP",
            model="gemini-2.5-pro",
            model_version="gemini-2.5-pro-002",
            created_at=1002.0,
            started_at=5.0,
            first_token_at=5.5,
            finished_at=6.0,
        ),
    )
    ids["a1b"] = store.add_version(
        ids["a1"],
        Message(Role.MODEL, [Part.from_text("A feline, matey.")], status=MessageStatus.STOPPED),
    )
    ids["q2"] = store.append_message(
        cid,
        Message(
            Role.USER, [Part.from_text("Same picture again"), Part.from_bytes(PNG, "image/png")]
        ),
    )
    ids["a2"] = store.append_message(
        cid,
        Message(
            Role.MODEL,
            [Part.from_text("Half an")],
            status=MessageStatus.FAILED,
            error="The connection dropped.",
            error_kind="network",
        ),
    )
    ids["q2b"] = store.add_version(
        ids["q2"], Message(Role.USER, [Part.from_text("Edited follow-up")])
    )
    ids["a2b"] = store.append_message(cid, Message(Role.MODEL, [Part.from_text("Edited answer.")]))
    store.select_version(ids["q2"])  # show the first follow-up again
    return cid, ids


def without_time(document: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(document)
    doc.pop("exported_at")
    return doc


# ---------------------------------------------------------------- JSON


def test_json_holds_every_version_settings_and_images(store: Store) -> None:
    cid, _ = build(store)
    doc = export_json(store, cid)
    assert (doc["format"], doc["version"]) == (FORMAT, VERSION)
    conversation = doc["conversation"]
    assert conversation["title"] == "What is in this picture?"
    assert conversation["settings"]["temperature"] == 0.7
    assert conversation["settings"]["stop_sequences"] == ["END"]
    assert len(doc["messages"]) == 7  # both answers, both follow-ups, everything
    (sha,) = doc["blobs"]  # the same image twice is stored (and exported) once
    assert base64.b64decode(doc["blobs"][sha]["data"]) == PNG
    by_text = {
        "".join(p.get("text", "") for p in m["parts"] if not p.get("thought")): m
        for m in doc["messages"]
    }
    assert by_text["Arr, a **cat**!"]["parts"][0]["thought_signature"] == "U0lH"
    assert by_text["Half an"]["status"] == "failed"
    assert by_text["Edited answer."]["parent"] == by_text["Edited follow-up"]["id"]
    assert doc["selected_root"] == by_text["What is in this picture?"]["id"]
    json.loads(dumps(doc))  # serialisable as is


def test_json_round_trip_is_equal(store: Store, other: Store) -> None:
    cid, _ = build(store)
    store.set_pinned(cid, True)
    original = export_json(store, cid)
    other.create_conversation(title="already here")  # the import must get a fresh id
    before = time.time()
    new_id = import_json(other, dumps(original))
    assert new_id != cid
    again = export_json(other, new_id)
    imported = again["conversation"]
    # Told apart from its original: the title says so and its last activity is now.
    assert imported["title"] == original["conversation"]["title"] + " (imported)"
    assert imported["updated_at"] >= before > original["conversation"]["updated_at"]
    for doc in (again, original):
        del doc["conversation"]["title"], doc["conversation"]["updated_at"]
    assert without_time(again) == without_time(original)
    # Same visible state: path, texts, versions, images, settings.
    assert [s.message for s in other.path(new_id)] == [s.message for s in store.path(cid)]
    assert [(s.version, s.versions) for s in other.path(new_id)] == [
        (s.version, s.versions) for s in store.path(cid)
    ]
    got = other.get_conversation(new_id)
    assert got.settings == SETTINGS and got.pinned and got.created_at == 1000.0
    assert other.stats().blobs == 1
    assert len(other.search("feline")) == 1  # imported text is searchable


def test_importing_into_the_same_store_makes_a_copy(store: Store) -> None:
    cid, _ = build(store)
    copy_id = import_json(store, export_json(store, cid))
    assert copy_id != cid
    title = store.get_conversation(copy_id).title
    assert title.endswith(" (imported)")
    again = import_json(store, export_json(store, copy_id))
    assert store.get_conversation(again).title == title  # marked once
    assert set(store.path_ids(copy_id)).isdisjoint(store.path_ids(cid))
    assert store.stats().blobs == 1  # the image is shared, not duplicated


def test_a_message_exported_mid_stream_imports_as_interrupted(store: Store, other: Store) -> None:
    cid = store.create_conversation()
    store.append_message(cid, Message(Role.USER, [Part.from_text("q")]))
    store.append_message(
        cid, Message(Role.MODEL, [Part.from_text("partial")], status=MessageStatus.STREAMING)
    )
    new_id = import_json(other, export_json(store, cid))
    assert other.path(new_id)[-1].message.status is MessageStatus.INTERRUPTED


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda d: "not json {", "not JSON"),
        (lambda d: {**d, "format": "something.else"}, "not a Rill conversation export"),
        (lambda d: {**d, "version": VERSION + 1}, "version"),
        (lambda d: {**d, "messages": "nope"}, "not a valid"),
        (lambda d: {**d, "blobs": {"0" * 64: {"mime_type": "x", "data": "aGk="}}}, "sha256"),
        (lambda d: {**d, "blobs": {}}, "missing image"),
        (lambda d: {**d, "messages": list(reversed(d["messages"]))}, "not a valid"),
        (lambda d: {**d, "selected_root": 999}, "not a valid"),
    ],
)
def test_bad_imports_are_refused_and_write_nothing(
    store: Store, other: Store, damage: Any, words: str
) -> None:
    cid, _ = build(store)
    doc = damage(export_json(store, cid))
    with pytest.raises(ExportFormatError, match=words):
        import_json(other, doc if isinstance(doc, str) else json.dumps(doc))
    assert other.list_conversations() == [] and other.stats().messages == 0


# ---------------------------------------------------------------- Markdown


def test_markdown_reads_well_and_describes_images(store: Store) -> None:
    cid, _ = build(store)
    md = to_markdown(store, cid)
    assert md.startswith("# What is in this picture?\n\n- **Model:** gemini-2.5-pro (gemini)")
    assert "temperature 0.7, top-p 0.9, max output tokens 2048, stop sequences 'END'" in md
    assert "> Answer like a pirate.\n> Keep it short." in md
    assert "**Images and files:** described, not included" in md
    assert "*[image 1: image/png, 1 KB, sha256 " in md
    assert "[image 2 (image/jpeg): https://example.com/cat.jpg](https://example.com/cat.jpg)" in md
    # The selected path only: the second answer version and the first follow-up.
    assert "## Model · version 2 of 2" in md and "A feline, matey." in md
    assert "*Stopped: the answer was cut short by the user.*" in md
    assert "## You · version 1 of 2" in md and "Same picture again" in md
    assert "*Failed: The connection dropped.*" in md
    assert "Edited answer." not in md and "Arr, a **cat**!" not in md
    assert "3 message(s) of other versions and branches are in the JSON export" in md
    assert "\n\n\n" not in md


def test_markdown_shows_thoughts_folded_and_usage(store: Store) -> None:
    cid, ids = build(store)
    store.select_version(ids["a1"])
    md = to_markdown(store, cid)
    assert "## Model · gemini-2.5-pro-002 · version 1 of 2" in md
    assert "<details><summary>Thoughts</summary>\n\nLooks like a cat.\n\n</details>" in md
    assert "Arr, a **cat**!" in md
    assert "Tokens: prompt 300, output 5, thinking 9, total 314 · finish reason STOP" in md


def test_markdown_with_an_image_folder_writes_each_image_once(store: Store, tmp_path: Path) -> None:
    cid, _ = build(store)
    folder = tmp_path / "out" / "chat_images"
    md = to_markdown(store, cid, image_dir=folder)
    files = list(folder.iterdir())
    assert len(files) == 1 and files[0].read_bytes() == PNG and files[0].suffix == ".png"
    assert md.count(f"](chat_images/{files[0].name})") == 2  # linked from both turns
    assert "saved as files in `chat_images/` and linked" in md


def test_an_unknown_conversation_is_a_lookup_error(store: Store) -> None:
    with pytest.raises(LookupError):
        export_json(store, 42)
    with pytest.raises(LookupError):
        to_markdown(store, 42)
