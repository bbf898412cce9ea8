"""Full-text search: any user input is safe, hits are marked, ranked, and kept in sync."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rill.core.store import search as store_search
from rill.core.store.db import Store
from rill.core.store.records import MARK_END, MARK_START
from rill.core.store.search import SNIPPET_TOKENS, fts_query, query_terms, snippet
from rill.core.types import Message, MessageStatus, Part, Role


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "rill.sqlite") as s:
        yield s


def say(store: Store, cid: int, text: str, role: Role = Role.USER, **kw: object) -> int:
    message = Message(role, [Part.from_text(text)], **kw)  # type: ignore[arg-type]
    return store.append_message(cid, message)


def test_hits_come_with_their_conversation_message_and_marked_snippet(store: Store) -> None:
    cid = store.create_conversation(title="Garden")
    say(store, cid, "How deep should I plant tulip bulbs in autumn?")
    mid = say(store, cid, "Plant tulip bulbs about 15 cm deep.", Role.MODEL)
    other = store.create_conversation(title="Other")
    say(store, other, "Nothing about flowers here")
    hits = store.search("bulbs deep")
    assert {h.message_id for h in hits} == {mid, mid - 1}
    hit = next(h for h in hits if h.message_id == mid)
    assert (hit.conversation_id, hit.title, hit.role) == (cid, "Garden", Role.MODEL)
    assert hit.marked("[", "]") == "Plant tulip [bulbs] about 15 cm [deep]."
    assert hit.html() == "Plant tulip <b>bulbs</b> about 15 cm <b>deep</b>."
    assert MARK_START in hit.snippet and MARK_END in hit.snippet


def test_snippets_are_escaped_before_highlighting(store: Store) -> None:
    cid = store.create_conversation()
    say(store, cid, "Use <script>alert(1)</script> & the word needle")
    (hit,) = store.search("needle")
    assert "<script>" not in hit.html()
    assert "&lt;script&gt;" in hit.html() and hit.html().endswith("<b>needle</b>")


@pytest.mark.parametrize(
    "typed",
    [
        '"',
        '"unbalanced',
        "-minus",
        "col:umn",
        "star*",
        "(paren",
        "NEAR(a b)",
        "a AND OR NOT b",
        "^caret",
        "'single'",
        "c++",
        "100%",
        "\\back\\slash",
        "emoji 🎉",
        "\x00nul",
        "{braces} [brackets]",
        "",
        "   ",
        "+++ ---",
    ],
)
def test_fts_syntax_in_user_input_never_raises(store: Store, typed: str) -> None:
    cid = store.create_conversation()
    say(store, cid, "Plain words: minus column star paren near caret single c back slash emoji")
    store.search(typed)  # must not raise
    query = fts_query(typed)
    assert query is None or query.startswith('"')


def test_special_characters_still_find_the_words_around_them(store: Store) -> None:
    cid = store.create_conversation()
    target = say(store, cid, "I write C++ and e-mail about key:value pairs")
    say(store, cid, "unrelated text")
    for typed in ("c++", "e-mail", "key:value", '"key value"', "(pairs)", "write*"):
        assert [h.message_id for h in store.search(typed)] == [target], typed
    assert store.search("+++") == []  # nothing searchable in it


def test_words_are_anded_phrases_are_adjacent_and_the_last_word_is_a_prefix(
    store: Store,
) -> None:
    cid = store.create_conversation()
    both = say(store, cid, "regenerate the answer quickly")
    one = say(store, cid, "answer only")
    assert [h.message_id for h in store.search("answer regenerate")] == [both]
    assert {h.message_id for h in store.search("answer")} == {both, one}
    assert [h.message_id for h in store.search("regen")] == [both]
    assert store.search("regen", prefix=False) == []
    assert store.search("regen ") == []  # a finished word is a whole word
    assert [h.message_id for h in store.search('"the answer"')] == [both]
    assert store.search('"answer the"') == []


def test_diacritics_and_case_do_not_matter(store: Store) -> None:
    cid = store.create_conversation()
    mid = say(store, cid, "Crème Brûlée at the Café")
    assert [h.message_id for h in store.search("creme brulee CAFE")] == [mid]


def test_ranking_best_match_first_then_newest_among_equals(store: Store) -> None:
    cid = store.create_conversation()
    weak = say(store, cid, "kettle " + "filler words that dilute the match " * 20)
    strong = say(store, cid, "kettle kettle kettle boils")
    first_twin = say(store, cid, "the same kettle text", created_at=1000.0)
    second_twin = say(store, cid, "the same kettle text", created_at=2000.0)
    order = [h.message_id for h in store.search("kettle")]
    assert order[0] == strong
    assert order[-1] == weak
    assert order.index(second_twin) < order.index(first_twin)  # equal rank: newer first
    assert [h.message_id for h in store.search("kettle", limit=1)] == [strong]


def test_only_visible_answer_text_is_indexed(store: Store) -> None:
    cid = store.create_conversation()
    message = Message(
        Role.MODEL,
        [Part(text="secret pondering", thought=True), Part.from_text("public reply")],
    )
    store.append_message(cid, message)
    assert store.search("pondering") == []
    assert len(store.search("public")) == 1


def test_a_streaming_answer_joins_the_index_when_it_settles(store: Store) -> None:
    cid = store.create_conversation()
    live = Message(Role.MODEL, [Part.from_text("partial walrus")], status=MessageStatus.STREAMING)
    mid = store.append_message(cid, live)
    assert store.search("walrus") == []  # partial writes cost no re-indexing
    live.append_part(Part.from_text(" and narwhal"))
    live.status = MessageStatus.COMPLETE
    store.update_message(mid, live)
    assert [h.message_id for h in store.search("walrus narwhal")] == [mid]
    live.parts = [Part.from_text("rewritten entirely")]
    store.update_message(mid, live)
    assert store.search("walrus") == [] and len(store.search("rewritten")) == 1
    store.delete_message(mid)
    assert store.search("rewritten") == []
    assert store.integrity_check() == []


def test_every_version_is_searchable_and_selectable(store: Store) -> None:
    cid = store.create_conversation()
    say(store, cid, "question")
    old = say(store, cid, "first draft with aardvark", Role.MODEL)
    store.add_version(old, Message(Role.MODEL, [Part.from_text("second draft")]))
    (hit,) = store.search("aardvark")
    assert hit.message_id == old and old not in store.path_ids(cid)
    store.select_version(hit.message_id)  # what the GUI does to jump to a hit
    assert store.path_ids(cid)[-1] == old


def test_search_within_one_conversation(store: Store) -> None:
    a = store.create_conversation()
    b = store.create_conversation()
    in_a = say(store, a, "shared term")
    say(store, b, "shared term")
    assert [h.message_id for h in store.search("shared", conversation_id=a)] == [in_a]
    assert len(store.search("shared")) == 2


def test_a_very_common_word_ranks_only_the_newest_matches(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_search, "RANK_WINDOW", 3)
    cid = store.create_conversation()
    best_but_old = say(store, cid, "tea tea tea tea")
    newer = [say(store, cid, f"tea and {n} other words here") for n in range(5)]
    hits = [h.message_id for h in store.search("tea")]
    assert best_but_old not in hits and set(hits) == set(newer[-3:])
    assert store.search("tea", conversation_id=cid)[0].message_id == best_but_old


def test_the_trash_never_crowds_out_live_hits(store: Store) -> None:
    trashed = store.create_conversation()
    with store.batch():
        for _ in range(200):
            say(store, trashed, "lantern lantern lantern")  # the best matches...
    store.delete_conversation(trashed)  # ...all in the trash
    live = store.create_conversation()
    keep = [say(store, live, f"a lantern among {n} other words") for n in range(3)]
    assert sorted(h.message_id for h in store.search("lantern", limit=3)) == keep


def test_snippets_show_the_best_window_of_a_long_message(store: Store) -> None:
    cid = store.create_conversation()
    filler = " ".join(f"w{n}" for n in range(60))
    say(store, cid, f"{filler} the Crème Brûlée is served {filler}")
    (hit,) = store.search("creme brul")  # the last word as a prefix, accents folded
    marked = hit.marked("[", "]")
    assert marked.startswith("…") and marked.endswith("…")
    assert "[Crème] [Brûlée] is served" in marked
    assert len(marked.split()) <= SNIPPET_TOKENS + 2


def test_snippet_marks_prefixes_and_keeps_short_texts_whole() -> None:
    terms = query_terms(fts_query("regen") or "")
    assert snippet("Please regenerate, then regenerating again.", terms) == (
        f"Please {MARK_START}regenerate{MARK_END}, then {MARK_START}regenerating{MARK_END} again."
    )
    assert query_terms('"it""s" "a b"*') == [("it", False), ("s", False), ("a", False), ("b", True)]
