"""SessionRecorder and Autosave: a real ChatSession against the fake Gemini server,
saved into a real store as it streams."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from rill.core.chat import ChatSession
from rill.core.errors import RillError
from rill.core.providers.gemini import GeminiProvider
from rill.core.recorder import Autosave, SessionRecorder
from rill.core.retry import RetryPolicy
from rill.core.store.db import Store
from rill.core.types import GenerationSettings, MessageStatus, Role
from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_server import FakeGemini

ONE_TRY = RetryPolicy(max_attempts=1)
SETTINGS = GenerationSettings(model="gemini-2.5-flash", temperature=0.2)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "rill.sqlite") as s:
        yield s


@pytest.fixture
async def provider(fake_gemini: FakeGemini) -> AsyncIterator[GeminiProvider]:
    p = GeminiProvider("test-key", fake_gemini.base_url, read_timeout=5.0)
    yield p
    await p.aclose()


def statuses(store: Store, conversation_id: int) -> list[tuple[str, str]]:
    return [(s.message.role.value, s.message.status.value) for s in store.path(conversation_id)]


async def test_a_streamed_turn_is_saved_while_it_streams(
    store: Store, provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    session = ChatSession(provider, SETTINGS, retry_policy=ONE_TRY)
    recorder = SessionRecorder(store, provider="gemini", settings=SETTINGS, interval=0.0)
    fake_gemini.push(sc.stream(["One. ", "Two. ", "Three."]))
    seen: list[str] = []
    async for _chunk in session.send_message_stream("Count to three"):
        recorder.sync(session.history)
        cid = recorder.conversation_id
        assert cid is not None
        stored = store.path(cid)[-1].message
        seen.append(stored.text)
        assert stored.status is MessageStatus.STREAMING
    recorder.sync(session.history, force=True)
    assert seen == ["One. ", "One. Two. ", "One. Two. Three."]
    cid = recorder.conversation_id
    assert cid is not None
    conversation = store.get_conversation(cid)
    assert (conversation.title, conversation.provider, conversation.settings) == (
        "Count to three",
        "gemini",
        SETTINGS,
    )
    final = store.path(cid)
    assert [s.message for s in final] == session.history
    assert final[1].message.usage is not None and final[1].message.finish_reason == "STOP"


async def test_partial_writes_are_throttled_but_status_changes_are_not(
    store: Store, provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    session = ChatSession(provider, SETTINGS, retry_policy=ONE_TRY)
    recorder = SessionRecorder(store, interval=3600.0)
    fake_gemini.push(sc.stream(["a", "b", "c", "d"]))
    stream = session.send_message_stream("go")
    recorder.sync(session.history)  # the user turn and the pending answer
    cid = recorder.conversation_id
    assert cid is not None
    async for _ in stream:
        recorder.sync(session.history)
    # Status changes (pending → streaming) are written at once; text within the hour
    # interval is not, until the final (forced or status-changing) sync.
    mid = recorder.message_id(session.history[1])
    assert mid is not None
    assert store.get_message(mid).message.status is MessageStatus.STREAMING
    assert store.get_message(mid).message.text in ("", "a")
    recorder.sync(session.history)  # COMPLETE is a status change: written regardless
    assert store.get_message(mid).message.text == "abcd"


async def test_a_retry_after_a_failure_becomes_a_new_version(
    store: Store, provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    session = ChatSession(provider, SETTINGS, retry_policy=ONE_TRY)
    recorder = SessionRecorder(store)
    fake_gemini.push(sc.http_error(500))
    with pytest.raises(RillError):
        async for _ in session.send_message_stream("hello"):
            pass
    recorder.sync(session.history)
    failed = recorder.message_id(session.history[1])
    async for _ in session.retry_stream():
        pass
    recorder.sync(session.history)
    cid = recorder.conversation_id
    assert cid is not None and failed is not None
    assert statuses(store, cid) == [("user", "complete"), ("model", "complete")]
    retried = store.path_ids(cid)[-1]
    assert store.siblings(retried) == [failed, retried]  # nothing the user saw is lost
    assert store.get_message(failed).message.status is MessageStatus.FAILED


async def test_resuming_a_stored_conversation_continues_its_path(
    store: Store, provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    cid = store.create_conversation(settings=SETTINGS)
    first = SessionRecorder(store, cid)
    session = ChatSession(provider, SETTINGS, retry_policy=ONE_TRY)
    async for _ in session.send_message_stream("first question"):
        pass
    first.sync(session.history)

    recorder, history = SessionRecorder.resume(store, cid)
    again = ChatSession(provider, store.get_conversation(cid).settings, history=history)
    async for _ in again.send_message_stream("second question"):
        pass
    recorder.sync(again.history)
    assert [s.message.text for s in store.path(cid)] == [
        "first question",
        "Echo: first question",
        "second question",
        "Echo: second question",
    ]
    assert store.stats().messages == 4  # the resumed turns were not written again
    sent = fake_gemini.requests_for("streamGenerateContent")[-1].json["contents"]
    assert [c["role"] for c in sent] == ["user", "model", "user"]


def test_nothing_is_created_for_a_session_that_sent_nothing(store: Store) -> None:
    recorder = SessionRecorder(store)
    recorder.sync([])
    assert recorder.conversation_id is None and store.list_conversations() == []


async def test_autosave_writes_the_partial_answer_without_the_loop_knowing(
    store: Store, provider: GeminiProvider, fake_gemini: FakeGemini
) -> None:
    session = ChatSession(provider, SETTINGS, retry_policy=ONE_TRY)
    fake_gemini.push(sc.hold_open(["Hello"], [", world."]))
    made = threading.Event()

    def make() -> SessionRecorder:
        made.set()
        return SessionRecorder(store)

    autosave = Autosave(make, session.history, tick=0.02).start()
    stream = session.send_message_stream("greet me")
    first = await anext(stream)
    assert first.text == "Hello"
    assert fake_gemini.wait_for_hold() is not None

    # Poll for the condition (with a deadline) rather than sleeping a fixed time.
    def partial_is_stored() -> bool:
        listing = store.list_conversations()
        path = store.path(listing[0].id) if listing else []
        return len(path) == 2 and path[1].message.text == "Hello"

    def wait_until_stored() -> bool:
        deadline = time.monotonic() + 10
        while not partial_is_stored():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    assert await asyncio.to_thread(wait_until_stored) and made.is_set()
    fake_gemini.release()
    async for _ in stream:
        pass
    recorder = autosave.stop()
    assert recorder is not None and recorder.conversation_id is not None
    path = store.path(recorder.conversation_id)
    assert [(s.message.role, s.message.text) for s in path] == [
        (Role.USER, "greet me"),
        (Role.MODEL, "Hello, world."),
    ]
    assert path[1].message.status is MessageStatus.COMPLETE


def test_autosave_reports_a_store_that_cannot_open(tmp_path: Path) -> None:
    def make() -> SessionRecorder:
        raise OSError("disk on fire")

    autosave = Autosave(make, [], tick=0.01).start()
    with pytest.raises(OSError, match="disk on fire"):
        autosave.stop()
