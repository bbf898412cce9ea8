"""Documents, audio and video in the store: kept content-addressed with their names and a
PDF's text, reopened as they were, written beside Markdown exports and inside JSON ones."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from rill.core.attachments import PreparedFile, prepare_attachment
from rill.core.store.db import Store
from rill.core.store.export import export_json, import_json, to_markdown
from rill.core.types import Message, Part, Role
from tests.core.attachments.files import pdf_bytes, wav_bytes, write


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "a.sqlite") as s:
        yield s


def turn(tmp_path: Path) -> Message:
    pdf = prepare_attachment(write(tmp_path, "report [final].pdf", pdf_bytes(2)))
    wav = prepare_attachment(write(tmp_path, "memo.wav", wav_bytes(1)))
    assert isinstance(pdf, PreparedFile) and isinstance(wav, PreparedFile)
    return Message(Role.USER, [pdf.to_part(), wav.to_part(), Part.from_text("Both, please.")])


def test_files_reopen_with_their_names_and_text(store: Store, tmp_path: Path) -> None:
    message = turn(tmp_path)
    cid = store.create_conversation(provider="gemini")
    mid = store.append_message(cid, message)
    again = store.get_message(mid).message
    assert again.parts == message.parts
    assert [p.file_name for p in again.files] == ["report [final].pdf", "memo.wav"]
    assert again.text == "Both, please."  # a file's text is not the turn's text


def test_a_turn_of_files_alone_is_titled_by_the_first(store: Store, tmp_path: Path) -> None:
    message = turn(tmp_path)
    message.parts.pop()
    cid = store.create_conversation(provider="gemini")
    store.append_message(cid, message)
    assert store.get_conversation(cid).title == "report [final].pdf"


def test_markdown_links_files_saved_beside_it_and_json_carries_them(
    store: Store, tmp_path: Path, other_path: Path
) -> None:
    message = turn(tmp_path)
    cid = store.create_conversation(provider="gemini")
    store.append_message(cid, message)
    folder = tmp_path / "export_images"
    md = to_markdown(store, cid, image_dir=folder)
    saved = sorted(p.name for p in folder.iterdir())
    assert len(saved) == 2 and saved[0].endswith("-memo.wav")
    assert saved[1].endswith("-report _final_.pdf")
    assert f"[📎 report \\[final\\].pdf](export_images/{saved[1].replace(' ', '%20')})" in md
    assert (folder / saved[0]).read_bytes() == message.parts[1].data
    described = to_markdown(store, cid)
    assert "*[📎 memo.wav: audio/wav, " in described

    doc = export_json(store, cid)
    blobs = {base64.b64decode(b["data"]) for b in doc["blobs"].values()}
    assert blobs == {message.parts[0].data, message.parts[1].data}
    with Store(other_path) as other:
        copy = import_json(other, doc)
        (first,) = [m for m in other.path(copy)]
        assert first.message.parts == message.parts


@pytest.fixture
def other_path(tmp_path: Path) -> Path:
    return tmp_path / "b.sqlite"
