"""The conversation store on real SQLite files: conversations, message trees, images.

Every test opens a store under tmp_path (RILL_HOME points there too), so nothing
touches a real profile.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rill.core.store import db as store_module
from rill.core.store.db import Store
from rill.core.types import (
    GenerationSettings,
    Message,
    MessageStatus,
    Part,
    Role,
    Usage,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"pretend image data" * 50


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("RILL_HOME", str(tmp_path / "home"))
    with Store() as s:
        yield s


def user(text: str, *parts: Part) -> Message:
    return Message(Role.USER, [Part.from_text(text), *parts])


def answer(text: str, status: MessageStatus = MessageStatus.COMPLETE) -> Message:
    return Message(Role.MODEL, [Part.from_text(text)], status=status, model="m")


def texts(store: Store, conversation_id: int) -> list[str]:
    return [s.message.text for s in store.path(conversation_id)]


# ---------------------------------------------------------------- conversations


def test_the_store_lives_in_the_profile_data_dir(store: Store, tmp_path: Path) -> None:
    assert store.db_path == tmp_path / "home" / "data" / "rill.sqlite"
    assert store_module.default_path() == store.db_path
    assert store.report.outcome == "created"
    mode = store._conn().execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_create_and_get_keep_the_conversation_settings(store: Store) -> None:
    settings = GenerationSettings(
        model="gemini-2.5-pro",
        temperature=0.3,
        top_k=20,
        stop_sequences=("END", "STOP"),
        system_instruction="Be brief.",
        thinking_budget=-1,
        include_thoughts=True,
        safety=(("HARM_CATEGORY_HARASSMENT", "BLOCK_NONE"),),
        stream=False,
    )
    cid = store.create_conversation(title="Plans", provider="gemini", settings=settings)
    got = store.get_conversation(cid)
    assert (got.title, got.provider, got.model) == ("Plans", "gemini", "gemini-2.5-pro")
    assert got.settings == settings
    assert got.leaf_id is None and not got.pinned and got.deleted_at is None
    store.update_settings(cid, GenerationSettings(model="other"), provider="local")
    got = store.get_conversation(cid)
    assert (got.model, got.provider, got.settings.temperature) == ("other", "local", None)
    with pytest.raises(LookupError):
        store.get_conversation(999)


def test_the_title_comes_from_the_first_prompt_until_renamed(store: Store) -> None:
    cid = store.create_conversation()
    store.append_message(cid, user("  \n  How do I bake bread?\nWith details."))
    store.append_message(cid, answer("Knead."))
    store.append_message(cid, user("Another question"))
    assert store.get_conversation(cid).title == "How do I bake bread?"
    store.rename_conversation(cid, "  Bread  ")
    assert store.get_conversation(cid).title == "Bread"
    long = store.create_conversation()
    store.append_message(long, user("word " * 100))
    assert len(store.get_conversation(long).title) <= 80
    image_only = store.create_conversation()
    store.append_message(image_only, Message(Role.USER, [Part.from_bytes(PNG, "image/png")]))
    assert store.get_conversation(image_only).title == "Image"


def test_list_is_pinned_first_then_newest_with_counts_and_no_bodies(store: Store) -> None:
    ids = [store.create_conversation(title=f"c{n}", created_at=1000.0 + n) for n in range(4)]
    for cid in ids:
        store.append_message(cid, user(f"hello {cid}"))  # activity orders the list
    store.append_message(ids[0], answer("latest activity"))
    store.set_pinned(ids[2], True)
    listing = store.list_conversations()
    assert [c.id for c in listing] == [ids[2], ids[0], ids[3], ids[1]]
    assert listing[0].pinned and not listing[1].pinned
    assert {c.id: c.message_count for c in listing} == {ids[0]: 2, ids[1]: 1, ids[2]: 1, ids[3]: 1}
    assert [c.id for c in store.list_conversations(limit=2, offset=1)] == [ids[0], ids[3]]
    assert not hasattr(listing[0], "messages")
    assert store.latest_conversation_id() == ids[0]  # pins do not count for "latest"


def test_delete_is_soft_and_undoable_then_purge_removes_for_good(store: Store) -> None:
    keep = store.create_conversation(title="keep")
    gone = store.create_conversation(title="gone")
    store.append_message(gone, user("unique zebra words", Part.from_bytes(PNG, "image/png")))
    store.delete_conversation(gone)
    assert [c.id for c in store.list_conversations()] == [keep]
    assert [c.id for c in store.list_conversations(deleted=True)] == [gone]
    assert store.search("zebra") == []
    assert store.path_ids(gone)  # still all there
    store.restore_conversation(gone)
    assert {c.id for c in store.list_conversations()} == {keep, gone}
    assert len(store.search("zebra")) == 1
    store.delete_conversation(gone)
    assert store.purge_deleted() == 1
    with pytest.raises(LookupError):
        store.get_conversation(gone)
    stats = store.stats()
    assert (stats.conversations, stats.deleted_conversations, stats.messages) == (1, 0, 0)
    assert stats.blobs == 0  # the image went with its only message
    with pytest.raises(LookupError):
        store.rename_conversation(gone, "x")


def test_purge_deleted_respects_the_cutoff(store: Store) -> None:
    cid = store.create_conversation()
    store.delete_conversation(cid)
    assert store.purge_deleted(older_than=0.0) == 0
    assert store.list_conversations(deleted=True)[0].id == cid


# ---------------------------------------------------------------- messages


def test_a_message_round_trips_with_every_field(store: Store) -> None:
    cid = store.create_conversation()
    sent = Message(
        Role.MODEL,
        [
            Part(text="thinking about it", thought=True, thought_signature="c2ln"),
            Part.from_text("The answer."),
            Part.from_uri("https://example.com/a.png", "image/png"),
            Part.from_bytes(PNG, "image/png"),
        ],
        status=MessageStatus.FAILED,
        usage=Usage(prompt_tokens=10, output_tokens=5, thoughts_tokens=3, total_tokens=18),
        finish_reason="MAX_TOKENS",
        model="gemini-2.5-flash",
        model_version="gemini-2.5-flash-001",
        error="The connection dropped.",
        error_kind="network",
        created_at=1234.5,
        started_at=10.0,
        first_token_at=10.25,
        finished_at=12.0,
    )
    mid = store.append_message(cid, sent)
    got = store.get_message(mid)
    assert got.message == sent
    assert (got.conversation_id, got.parent_id, got.depth) == (cid, None, 0)
    assert got.message.time_to_first_token == 0.25


def test_partial_updates_rewrite_the_streaming_answer(store: Store) -> None:
    cid = store.create_conversation()
    store.append_message(cid, user("tell me a story"))
    live = answer("", MessageStatus.STREAMING)
    mid = store.append_message(cid, live)
    for chunk in ("Once ", "upon ", "a time"):
        live.append_part(Part.from_text(chunk))
        store.update_message(mid, live)
        assert store.get_message(mid).message.text == live.text
    live.status = MessageStatus.COMPLETE
    live.usage = Usage(output_tokens=3)
    store.update_message(mid, live)
    got = store.get_message(mid).message
    assert (got.text, got.status, got.usage) == ("Once upon a time", "complete", live.usage)
    assert got.role is Role.MODEL
    with pytest.raises(LookupError):
        store.update_message(9999, live)


def test_updating_a_message_makes_the_conversation_newest(store: Store) -> None:
    old = store.create_conversation(title="old")
    mid = store.append_message(old, user("first"))
    store.create_conversation(title="new")
    store.append_message(store.list_conversations()[0].id, user("x"))
    store.update_message(mid, user("first, edited in place"))
    assert store.list_conversations()[0].id == old


def test_lazy_loading_ids_first_bodies_on_demand(store: Store) -> None:
    cid = store.create_conversation()
    ids = [store.append_message(cid, user(f"turn {n}")) for n in range(30)]
    assert store.path_ids(cid) == ids
    window = store.get_messages(ids[10:13])
    assert [s.id for s in window] == ids[10:13]
    assert [s.message.text for s in window] == ["turn 10", "turn 11", "turn 12"]
    assert [s.id for s in store.get_messages([ids[5], ids[1]])] == [ids[5], ids[1]]
    with pytest.raises(LookupError):
        store.get_messages([ids[0], 424242])
    assert store.path_ids(store.create_conversation()) == []


def test_history_rebuilds_a_chat_session_on_the_selected_path(store: Store) -> None:
    from rill.core.chat import ChatSession
    from rill.core.providers.gemini import GeminiProvider

    cid = store.create_conversation(settings=GenerationSettings(model="m"))
    store.append_message(cid, user("q1"))
    a1 = store.append_message(cid, answer("a1"))
    store.append_message(cid, user("q2"))
    store.append_message(cid, answer("a2"))
    store.add_version(a1, answer("a1 again"))
    session = ChatSession(
        GeminiProvider("unused"),
        store.get_conversation(cid).settings,
        history=store.history(cid),
    )
    assert [m.text for m in session.history] == ["q1", "a1 again"]
    assert [m.text for m in session.curated_history()] == ["q1", "a1 again"]


# ---------------------------------------------------------------- versions and branches


def test_regenerate_keeps_the_old_answer_as_a_version(store: Store) -> None:
    cid = store.create_conversation()
    q = store.append_message(cid, user("Name a colour"))
    first = store.append_message(cid, answer("Red"))
    second = store.add_version(first, answer("Blue"))
    assert texts(store, cid) == ["Name a colour", "Blue"]
    assert store.siblings(first) == store.siblings(second) == [first, second]
    shown = store.path(cid)[-1]
    assert (shown.version, shown.versions, shown.parent_id) == (2, 2, q)  # ‹ 2/2 ›
    assert store.select_version(first) == [q, first]
    assert texts(store, cid) == ["Name a colour", "Red"]
    assert (store.path(cid)[-1].version, store.path(cid)[-1].versions) == (1, 2)
    assert store.get_conversation(cid).leaf_id == first


def test_editing_a_user_turn_branches_and_destroys_nothing(store: Store) -> None:
    cid = store.create_conversation()
    q1 = store.append_message(cid, user("q1"))
    store.append_message(cid, answer("a1"))
    q2 = store.append_message(cid, user("q2"))
    a2 = store.append_message(cid, answer("a2"))
    q3 = store.append_message(cid, user("q3"))
    a3 = store.append_message(cid, answer("a3"))
    # Edit q2 and resend: a new branch from q2's parent.
    q2b = store.add_version(q2, user("q2 edited"))
    assert texts(store, cid) == ["q1", "a1", "q2 edited"]
    a2b = store.append_message(cid, answer("a2 for the edit"))
    assert texts(store, cid) == ["q1", "a1", "q2 edited", "a2 for the edit"]
    assert store.siblings(q2b) == [q2, q2b]
    assert store.siblings(a2b) == [a2b]  # the old answers are on the other branch
    # Back to the original version: its later turns come back with it.
    assert store.select_version(q2) == [q1, store.path_ids(cid)[1], q2, a2, q3, a3]
    assert texts(store, cid) == ["q1", "a1", "q2", "a2", "q3", "a3"]
    # And forward again: the branch remembers where it was.
    store.select_version(q2b)
    assert texts(store, cid)[-1] == "a2 for the edit"
    assert store.stats().messages == 8


def test_selecting_a_message_deep_in_a_hidden_branch(store: Store) -> None:
    cid = store.create_conversation()
    q1 = store.append_message(cid, user("q1"))
    a1 = store.append_message(cid, answer("a1"))
    q2 = store.append_message(cid, user("q2"))
    a2 = store.append_message(cid, answer("a2"))
    a2b = store.add_version(a2, answer("a2b"))
    q1b = store.add_version(q1, user("q1b"))  # now on a whole other branch
    assert store.path_ids(cid) == [q1b]
    assert store.select_version(a2) == [q1, a1, q2, a2]
    store.select_version(q1b)
    store.select_version(q1)  # the branch below q1 remembers a2, not the newer a2b
    assert store.path_ids(cid)[-1] == a2
    assert store.siblings(q1) == [q1, q1b] and store.siblings(a2b) == [a2, a2b]


def test_first_turn_versions_are_roots_of_their_conversation_only(store: Store) -> None:
    a = store.create_conversation()
    b = store.create_conversation()
    qa = store.append_message(a, user("a"))
    store.append_message(b, user("b"))
    qa2 = store.add_version(qa, user("a2"))
    assert store.siblings(qa) == [qa, qa2]
    assert [(s.version, s.versions) for s in store.get_messages([qa, qa2])] == [(1, 2), (2, 2)]
    with pytest.raises(LookupError):
        store.add_message(b, user("x"), parent_id=qa)  # a parent from another chat


def test_delete_message_removes_its_later_turns_and_selects_a_neighbour(store: Store) -> None:
    cid = store.create_conversation()
    q = store.append_message(cid, user("q"))
    a1 = store.append_message(cid, answer("a1"))
    store.append_message(cid, user("follow-up"))
    a2 = store.add_version(a1, answer("a2"))
    assert store.delete_message(a2) == 1
    assert texts(store, cid) == ["q", "a1", "follow-up"]  # back to the neighbour's branch
    assert store.delete_message(a1) == 2
    assert store.path_ids(cid) == [q]
    assert store.delete_message(q) == 1
    assert store.path_ids(cid) == [] and store.get_conversation(cid).leaf_id is None
    store.append_message(cid, user("fresh start"))
    assert texts(store, cid) == ["fresh start"]


def test_a_long_chain_deletes_without_deep_recursion(store: Store) -> None:
    cid = store.create_conversation()
    with store.batch():
        first = store.append_message(cid, user("start"))
        for n in range(1500):
            store.append_message(cid, answer(f"n{n}") if n % 2 == 0 else user(f"n{n}"))
    assert len(store.path_ids(cid)) == 1501
    assert store.delete_message(first) == 1501
    other = store.create_conversation()
    with store.batch():
        for n in range(1200):
            store.append_message(other, user(f"m{n}"))
    store.purge_conversation(other)
    assert store.stats().messages == 0


# ---------------------------------------------------------------- images


def test_an_image_sent_twice_is_stored_once(store: Store) -> None:
    a = store.create_conversation()
    b = store.create_conversation()
    m1 = store.append_message(a, user("look", Part.from_bytes(PNG, "image/png")))
    m2 = store.append_message(a, user("again", Part.from_bytes(PNG, "image/png")))
    m3 = store.append_message(b, user("elsewhere", Part.from_bytes(PNG, "image/png")))
    other = store.append_message(b, user("new", Part.from_bytes(PNG + b"!", "image/png")))
    stats = store.stats()
    assert (stats.blobs, stats.blob_bytes) == (2, 2 * len(PNG) + 1)
    for mid in (m1, m2, m3):
        assert store.get_message(mid).message.images[0].data == PNG
    store.purge_conversation(b)
    assert store.stats().blobs == 1  # still used by conversation a
    assert store.get_message(m1).message.images[0].data == PNG
    store.delete_message(m1)  # m2 is below m1: both go, and the image with them
    assert store.stats().blobs == 0
    assert store.get_blob("0" * 64) is None
    del other


def test_blob_lookup_by_hash(store: Store) -> None:
    import hashlib

    cid = store.create_conversation()
    store.append_message(cid, user("pic", Part.from_bytes(PNG, "image/png")))
    assert store.get_blob(hashlib.sha256(PNG).hexdigest()) == PNG


# ---------------------------------------------------------------- threads


def test_threads_each_use_their_own_connection(store: Store) -> None:
    cid = store.create_conversation()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for k in range(25):
                store.append_message(cid, user(f"thread {n} message {k}"))
                store.search(f"thread {n}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(store.path_ids(cid)) == 100  # each append went after the leaf of its time
    assert store.integrity_check() == []


def test_a_failed_batch_leaves_nothing(store: Store) -> None:
    cid = store.create_conversation()
    with pytest.raises(RuntimeError), store.batch():
        store.append_message(cid, user("one"))
        store.append_message(cid, user("two"))
        raise RuntimeError("abort")
    assert store.path_ids(cid) == []


def test_a_closed_store_refuses_work(tmp_path: Path) -> None:
    s = Store(tmp_path / "x.sqlite")
    s.close()
    results: list[BaseException] = []

    def other_thread() -> None:
        try:
            s.list_conversations()
        except BaseException as error:
            results.append(error)

    t = threading.Thread(target=other_thread)
    t.start()
    t.join()
    assert results and "closed" in str(results[0])
