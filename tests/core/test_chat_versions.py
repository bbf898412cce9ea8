"""ChatSession.regenerate_stream / edit_and_resend_stream (and their one-shot twins):
the history is cut back to the turn being redone, and a SessionRecorder following it
stores the new turn as another version, the old one and its later turns kept."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from rill.core.chat import ChatSession
from rill.core.providers.gemini import GeminiProvider
from rill.core.recorder import SessionRecorder, WatchedHistory
from rill.core.retry import RetryPolicy
from rill.core.store.db import Store
from rill.core.types import GenerationSettings, Message, Part, Role
from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_server import FakeGemini

SETTINGS = GenerationSettings(model="gemini-2.5-flash")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "rill.sqlite") as s:
        yield s


@pytest.fixture
async def session(fake_gemini: FakeGemini) -> AsyncIterator[ChatSession]:
    provider = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=5.0)
    yield ChatSession(provider, SETTINGS, retry_policy=RetryPolicy(max_attempts=1))
    await provider.aclose()


def follow(session: ChatSession, store: Store) -> SessionRecorder:
    """Save the session as the app does: before a removal, after an addition."""
    recorder = SessionRecorder(store, settings=SETTINGS)
    session.history = WatchedHistory(
        session.history, lambda _removing: recorder.sync(session.history)
    )
    return recorder


async def drain(stream: AsyncIterator[object]) -> None:
    async for _ in stream:
        pass


def sent(fake: FakeGemini) -> list[tuple[str, str]]:
    body = fake.requests_for("streamGenerateContent")[-1].json
    return [(c["role"], "".join(p.get("text", "") for p in c["parts"])) for c in body["contents"]]


async def test_regenerate_answers_the_same_turn_again_as_a_version(
    session: ChatSession, store: Store, fake_gemini: FakeGemini
) -> None:
    recorder = follow(session, store)
    fake_gemini.push(sc.stream(["First."]), sc.stream(["Second."]))
    await drain(session.send_message_stream("Hi"))
    first = session.history[-1]
    await drain(session.regenerate_stream())
    recorder.sync(session.history, force=True)
    assert [m.text for m in session.history] == ["Hi", "Second."]
    assert sent(fake_gemini) == [("user", "Hi")]
    old, new = recorder.message_id(first), recorder.message_id(session.history[-1])
    assert old is not None and new is not None and store.siblings(new) == [old, new]


async def test_regenerating_an_earlier_answer_drops_the_later_turns_from_the_history(
    session: ChatSession, store: Store, fake_gemini: FakeGemini
) -> None:
    recorder = follow(session, store)
    fake_gemini.push(sc.stream(["A1."]), sc.stream(["A2."]), sc.stream(["A1 again."]))
    await drain(session.send_message_stream("Q1"))
    await drain(session.send_message_stream("Q2"))
    await drain(session.regenerate_stream(session.history[1]))
    recorder.sync(session.history, force=True)
    assert [m.text for m in session.history] == ["Q1", "A1 again."]
    cid = recorder.conversation_id
    assert cid is not None and len(store.all_message_ids(cid)) == 5  # nothing lost


async def test_edit_and_resend_starts_a_branch(
    session: ChatSession, store: Store, fake_gemini: FakeGemini
) -> None:
    recorder = follow(session, store)
    fake_gemini.push(sc.stream(["A1."]), sc.stream(["A2."]), sc.stream(["B2."]))
    await drain(session.send_message_stream("Q1"))
    await drain(session.send_message_stream("Q2"))
    old_question = session.history[2]
    await drain(session.edit_and_resend_stream(old_question, "Q2, better"))
    recorder.sync(session.history, force=True)
    assert [m.text for m in session.history] == ["Q1", "A1.", "Q2, better", "B2."]
    assert sent(fake_gemini) == [("user", "Q1"), ("model", "A1."), ("user", "Q2, better")]
    old_id = recorder.message_id(old_question)
    new_id = recorder.message_id(session.history[2])
    assert old_id is not None and new_id is not None
    assert store.siblings(new_id) == [old_id, new_id]
    store.select_version(old_id)
    cid = recorder.conversation_id
    assert cid is not None
    assert [m.text for m in store.history(cid)] == ["Q1", "A1.", "Q2", "A2."]


async def test_the_one_shot_twins_do_the_same(
    session: ChatSession, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(sc.stream(["One."]), sc.stream(["Two."]), sc.stream(["Three."]))
    await session.send_message("Hi")
    answer = await session.regenerate()
    assert answer.text == "Two." and [m.text for m in session.history] == ["Hi", "Two."]
    answer = await session.edit_and_resend(session.history[0], [Part.from_text("Hello")])
    assert [m.text for m in session.history] == ["Hello", "Three."]


def test_what_cannot_be_redone_is_refused(session: ChatSession) -> None:
    with pytest.raises(ValueError, match="no answer to regenerate"):
        session.regenerate_stream()
    session.history.append(Message(Role.MODEL, [Part.from_text("orphan")]))
    with pytest.raises(ValueError, match="no question"):
        session.regenerate_stream()
    stranger = Message(Role.USER, [Part.from_text("not in this chat")])
    with pytest.raises(ValueError, match="Only your own messages"):
        session.edit_and_resend_stream(stranger, "x")
    with pytest.raises(ValueError, match="Only your own messages"):
        session.edit_and_resend_stream(session.history[0], "x")  # an answer
