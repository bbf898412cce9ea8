"""Lone surrogates never reach the wire or the store through ChatSession.

A surrogate code point in a Python str cannot be encoded as UTF-8: sent as is, the
request (or the SQLite write, or the terminal) fails with UnicodeEncodeError. The
session drops them from user turns and from the model's answer alike; a split pair
("\\ud83d\\ude00") is joined into the character it spells.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from rill.core.chat import ChatSession, clean_text
from rill.core.providers.gemini import GeminiProvider
from rill.core.recorder import SessionRecorder
from rill.core.store.db import Store
from rill.core.types import Chunk, GenerateRequest, GenerationSettings, Message, Part, Role
from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_server import FakeGemini

SETTINGS = GenerationSettings(model="gemini-2.5-flash")
EMOJI = "👩‍👩‍👧 😀"


@pytest.fixture
async def session(fake_gemini: FakeGemini) -> AsyncIterator[ChatSession]:
    provider = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=5.0)
    yield ChatSession(provider, SETTINGS)
    await provider.aclose()


def sent_user_texts(fake: FakeGemini, action: str = "streamGenerateContent") -> list[str]:
    body = fake.requests_for(action)[-1].json
    return [p["text"] for c in body["contents"] if c["role"] == "user" for p in c["parts"]]


def stored_texts(path: Path) -> list[tuple[str, str]]:
    with Store(path) as store:
        cid = store.latest_conversation_id()
        assert cid is not None
        return [(s.message.role.value, s.message.text) for s in store.path(cid)]


def test_clean_text_drops_lone_surrogates_and_joins_split_pairs() -> None:
    assert clean_text("a\ud800b\udfffc") == "abc"
    assert clean_text("x\ud83d\ude00y") == "x😀y"  # a pair spelled as two code points
    assert clean_text("\ud83d") == ""
    plain = f"plain {EMOJI}"
    assert clean_text(plain) is plain  # nothing to clean: no copy


async def test_streamed_turn_reaches_the_wire_and_the_store_without_surrogates(
    session: ChatSession, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    fake_gemini.push(sc.stream(["fine"]))
    async for _ in session.send_message_stream(f"a\ud800b {EMOJI} c\udfffd"):
        pass
    expected = f"ab {EMOJI} cd"
    assert sent_user_texts(fake_gemini) == [expected]
    raw = fake_gemini.requests_for("streamGenerateContent")[-1].body
    assert expected.encode() in raw
    assert session.history[0].text == expected
    db = tmp_path / "rill.sqlite"
    with Store(db) as store:
        SessionRecorder(store).sync(session.history, force=True)
    assert stored_texts(db) == [("user", expected), ("model", "fine")]


async def test_parts_edits_and_one_shot_sends_are_cleaned(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(sc.stream(["one"]))
    await session.send_message([Part.from_text("part\udc00 one"), "and\ud801 two"])
    assert sent_user_texts(fake_gemini, "generateContent") == ["part one", "and two"]
    fake_gemini.push(sc.stream(["two"]))
    async for _ in session.edit_and_resend_stream(session.history[0], "edited\ud800!"):
        pass
    assert sent_user_texts(fake_gemini) == ["edited!"]
    assert [m.text for m in session.history] == ["edited!", "two"]


async def test_a_message_of_nothing_but_surrogates_is_refused(session: ChatSession) -> None:
    with pytest.raises(ValueError, match="needs some text"):
        session.send_message_stream("\ud800\udbff ")
    assert session.history == []


class SurrogateModel:
    """A provider whose answer carries lone surrogates, as a model's JSON "\\ud800" does."""

    name = "surrogates"

    def __init__(self) -> None:
        self.requests: list[GenerateRequest] = []

    async def stream(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        self.requests.append(request)
        for text in ("Half\ud800 ", "a pair \ud83d", "\ude00 here"):
            yield Chunk(parts=(Part.from_text(text),))

    async def generate(self, request: GenerateRequest) -> Message:
        self.requests.append(request)
        return Message(Role.MODEL, [Part.from_text("whole\udfff answer")])


async def test_the_models_answer_is_cleaned_for_the_caller_the_history_and_the_store(
    tmp_path: Path,
) -> None:
    model = SurrogateModel()
    session = ChatSession(model, SETTINGS)  # type: ignore[arg-type]
    shown = [chunk.text async for chunk in session.send_message_stream("hi")]
    # Each chunk is cleaned by itself: the pair split across two chunks is dropped.
    assert shown == ["Half ", "a pair ", " here"]
    assert session.history[1].text == "Half a pair  here" == "".join(shown)
    answer = await session.send_message("again")
    assert answer.text == "whole answer"
    async for _ in session.send_message_stream("third"):
        pass
    sent_back = [m.text for m in model.requests[-1].contents]
    assert sent_back == ["hi", "Half a pair  here", "again", "whole answer", "third"]
    db = tmp_path / "rill.sqlite"
    with Store(db) as store:
        SessionRecorder(store).sync(session.history, force=True)
    assert [text for _, text in stored_texts(db)] == [*sent_back, "Half a pair  here"]


async def test_a_history_handed_in_is_cleaned_in_place_before_it_goes_back(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    old_user = Message(Role.USER, [Part.from_text("before\ud800")])
    old_answer = Message(Role.MODEL, [Part.from_text("said\udfff")])
    resumed = ChatSession(session.provider, SETTINGS, history=[old_user, old_answer])
    assert resumed.history[0] is old_user and old_user.text == "before"  # same objects
    assert old_answer.text == "said"
    fake_gemini.push(sc.stream(["ok"]))
    async for _ in resumed.send_message_stream("now"):
        pass
    assert sent_user_texts(fake_gemini) == ["before", "now"]
    body = fake_gemini.requests_for("streamGenerateContent")[-1].json
    assert [p["text"] for c in body["contents"] for p in c["parts"]] == ["before", "said", "now"]
