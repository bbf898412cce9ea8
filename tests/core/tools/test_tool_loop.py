"""The function-calling loop against the fake Gemini server and real MCP servers: the
declarations that go out, the functionResponse parts and thought signatures that go
back (single, parallel, multi-round, Gemini 3), consent, history and the store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from rill.core.chat import ChatSession
from rill.core.providers.gemini import GeminiProvider
from rill.core.store.db import Store
from rill.core.tools import Decision, ToolRef
from rill.core.types import GenerationSettings, MessageStatus, Role
from tests.core.tools.conftest import Make
from tests.core.tools.loop_support import Consent, drain, last_answer, make_loop, response_of
from tests.core.tools.support import fake_config, time_config
from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_catalogue import DEFAULT_MODELS
from tests.fakes.gemini_scenarios import DEFAULT_SIGNATURE, Scenario
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.gemini_tool_scenarios import function_call

GEMINI_3 = "gemini-3-flash-preview"


@pytest.fixture
def gemini() -> Any:
    models = [*DEFAULT_MODELS, {**DEFAULT_MODELS[0], "name": f"models/{GEMINI_3}"}]
    with FakeGemini(models=models) as server:
        yield server


@pytest.fixture
async def provider(gemini: FakeGemini) -> AsyncIterator[GeminiProvider]:
    made = GeminiProvider("test-key", gemini.base_url, read_timeout=10.0)
    yield made
    await made.aclose()


def calls(*items: tuple[str, dict[str, Any], str], signature: bool = True) -> Scenario:
    """One model turn of parallel calls: (name, args, id) each; the first carries the
    thought signature, as Gemini sends it."""
    parts = []
    for n, (name, arguments, call_id) in enumerate(items):
        part: dict[str, Any] = {"functionCall": {"id": call_id, "name": name, "args": arguments}}
        if n == 0 and signature:
            part["thoughtSignature"] = DEFAULT_SIGNATURE
        parts.append(part)
    return Scenario(raw_parts=(tuple(parts),), label="calls")


def bodies(gemini: FakeGemini) -> list[dict[str, Any]]:
    return [r.json for r in gemini.requests_for("streamGenerateContent")]


async def test_a_call_runs_its_tool_and_the_response_goes_back_with_the_signature(
    make_servers: Make, gemini: FakeGemini, provider: GeminiProvider
) -> None:
    servers = make_servers(fake=fake_config())
    consent = Consent(Decision.ALLOW_ONCE)
    loop = await make_loop(servers, consent)
    gemini.push(
        function_call("fake__add", {"a": 2, "b": 3}, call_id="call-1", text="Let me add. "),
        sc.stream(["The sum is 5."]),
    )
    session = ChatSession(provider, GenerationSettings(model="gemini-2.5-flash"), tools=loop)
    await drain(session.send_message_stream("add 2 and 3"))

    first, second = bodies(gemini)
    declared = first["tools"][0]["functionDeclarations"]
    add = next(d for d in declared if d["name"] == "fake__add")
    assert add["description"] == "Add two numbers."
    assert set(add["parametersJsonSchema"]["properties"]) == {"a", "b"}
    assert [c["role"] for c in second["contents"]] == ["user", "model", "user"]
    assert second["contents"][1]["parts"] == [
        {"text": "Let me add. "},
        {
            "functionCall": {"id": "call-1", "name": "fake__add", "args": {"a": 2, "b": 3}},
            "thoughtSignature": DEFAULT_SIGNATURE,
        },
    ]
    (reply,) = second["contents"][2]["parts"]
    assert reply["functionResponse"]["id"] == "call-1"
    assert reply["functionResponse"]["name"] == "fake__add"
    assert response_of(reply)["output"] == "5"
    assert [r.ref for r in consent.asked] == [ToolRef("fake", "add")]
    answer = last_answer(session)
    assert answer.status is MessageStatus.COMPLETE
    assert answer.text.endswith("The sum is 5.")
    assert "Tool `fake.add` (allowed once): done." in answer.text


async def test_parallel_calls_are_answered_in_order_in_one_turn(
    make_servers: Make, gemini: FakeGemini, provider: GeminiProvider
) -> None:
    servers = make_servers(fake=fake_config())
    consent = Consent(Decision.ALLOW_IN_CHAT)
    loop = await make_loop(servers, consent)
    gemini.push(
        calls(
            ("fake__add", {"a": 1, "b": 1}, "c1"),
            ("fake__echo", {"text": "hi"}, "c2"),
            ("fake__add", {"a": 2, "b": 2}, "c3"),
        ),
        sc.stream(["Done."]),
    )
    session = ChatSession(provider, GenerationSettings(model="gemini-2.5-flash"), tools=loop)
    await drain(session.send_message_stream("three things"))

    replies = bodies(gemini)[1]["contents"][2]["parts"]
    assert [r["functionResponse"]["id"] for r in replies] == ["c1", "c2", "c3"]
    assert [response_of(r)["output"] for r in replies] == ["2", "hi", "4"]
    # "Allow in this chat" for add: its second call did not ask again.
    assert [str(r.ref) for r in consent.asked] == ["fake.add", "fake.echo"]
    assert loop.grants.granted(ToolRef("fake", "add"))


async def test_multi_round_calls_on_gemini_3_send_every_signature_back(
    make_servers: Make, gemini: FakeGemini, provider: GeminiProvider
) -> None:
    servers = make_servers(fake=fake_config())
    loop = await make_loop(servers)
    gemini.push(
        calls(("fake__add", {"a": 1, "b": 2}, "r1")),
        calls(("fake__add", {"a": 3, "b": 4}, "r2")),
        sc.stream(["3 then 7."]),
    )
    session = ChatSession(provider, GenerationSettings(model=GEMINI_3), tools=loop)
    await drain(session.send_message_stream("two rounds"))

    third = bodies(gemini)[2]["contents"]
    assert [c["role"] for c in third] == ["user", "model", "user", "model", "user"]
    assert third[1]["parts"][0]["thoughtSignature"] == DEFAULT_SIGNATURE
    assert third[3]["parts"][0]["thoughtSignature"] == DEFAULT_SIGNATURE
    assert response_of(third[4]["parts"][0])["output"] == "7"
    assert last_answer(session).status is MessageStatus.COMPLETE

    # A later turn sends the whole loop back exactly (the fake refuses a Gemini 3
    # call without its signature, and calls without their responses).
    await drain(session.send_message_stream("and now?"))
    later = bodies(gemini)[3]["contents"]
    assert later[:5] == [*third[:4], third[4]]
    assert later[5]["parts"][0]["text"] == "3 then 7."


async def test_a_missing_signature_is_what_gemini_3_refuses(
    make_servers: Make, gemini: FakeGemini, provider: GeminiProvider
) -> None:
    """The fake's check is real: a history whose call lost its signature is a 400."""
    from rill.core.errors import InvalidRequestError

    servers = make_servers(fake=fake_config())
    loop = await make_loop(servers)
    gemini.push(calls(("fake__add", {"a": 1, "b": 2}, "r1"), signature=False))
    session = ChatSession(provider, GenerationSettings(model=GEMINI_3), tools=loop)
    with pytest.raises(InvalidRequestError, match="thought_signature"):
        await drain(session.send_message_stream("no signature"))


async def test_denied_calls_do_not_run_and_the_model_is_told(
    make_servers: Make, gemini: FakeGemini, provider: GeminiProvider
) -> None:
    servers = make_servers(fake=fake_config())
    loop = await make_loop(servers, Consent(Decision.DENY))
    gemini.push(calls(("fake__crash", {}, "d1")), sc.stream(["Understood."]))
    session = ChatSession(provider, GenerationSettings(model="gemini-2.5-flash"), tools=loop)
    await drain(session.send_message_stream("crash it"))

    reply = bodies(gemini)[1]["contents"][2]["parts"][0]
    assert response_of(reply) == {
        "error": "The user denied this call of fake.crash; it did not run."
    }
    assert (await servers.call("fake", "echo", {"text": "alive"})).text == "alive"
    assert "Tool `fake.crash`: denied; the model was told." in last_answer(session).text


async def test_always_allow_is_remembered_in_the_settings(
    make_servers: Make, gemini: FakeGemini, provider: GeminiProvider
) -> None:
    servers = make_servers(fake=fake_config())
    remembered: list[tuple[Decision, ToolRef]] = []
    consent = Consent(Decision.ALWAYS_ALLOW)
    loop = await make_loop(servers, consent, remembered=remembered)
    gemini.push(
        calls(("fake__echo", {"text": "a"}, "x1")), calls(("fake__echo", {"text": "b"}, "x2"))
    )
    session = ChatSession(provider, GenerationSettings(model="gemini-2.5-flash"), tools=loop)
    await drain(session.send_message_stream("echo twice"))

    assert len(consent.asked) == 1
    assert remembered == [(Decision.ALWAYS_ALLOW, ToolRef("fake", "echo"))]
    assert loop.settings.servers["fake"].tool_prefs("echo").always_allow


async def test_the_real_time_server_answers_a_call(
    make_servers: Make, gemini: FakeGemini, provider: GeminiProvider
) -> None:
    servers = make_servers(time=time_config())
    loop = await make_loop(servers, names=("time",))
    gemini.push(
        calls(("time__get_current_time", {"timezone": "UTC"}, "t1")), sc.stream(["It is now."])
    )
    session = ChatSession(provider, GenerationSettings(model="gemini-2.5-flash"), tools=loop)
    await drain(session.send_message_stream("what time is it?"))

    reply = response_of(bodies(gemini)[1]["contents"][2]["parts"][0])
    assert '"timezone": "UTC"' in reply["output"]


async def test_a_stored_loop_reloads_and_goes_back_the_same(
    make_servers: Make, gemini: FakeGemini, provider: GeminiProvider, tmp_path: Path
) -> None:
    servers = make_servers(fake=fake_config())
    loop = await make_loop(servers, Consent(Decision.DENY, Decision.ALLOW_ONCE))
    gemini.push(
        calls(("fake__crash", {}, "s1"), ("fake__add", {"a": 1, "b": 1}, "s2")),
        sc.stream(["Two."]),
    )
    session = ChatSession(provider, GenerationSettings(model="gemini-2.5-flash"), tools=loop)
    await drain(session.send_message_stream("store me"))

    with Store(tmp_path / "rill.sqlite3") as store:
        cid = store.create_conversation()
        for message in session.history:
            store.append_message(cid, message)
    with Store(tmp_path / "rill.sqlite3") as store:
        reopened = store.history(cid)
    answer = last_answer(session)
    assert reopened[1].parts == answer.parts
    assert [p.function_response.decision for p in reopened[1].parts if p.function_response] == [
        "deny",
        "allow_once",
    ]
    assert reopened[1].text == answer.text
    assert "Tool `fake.crash`: denied" in reopened[1].text

    gemini.push(sc.stream(["Again."]))
    again = ChatSession(provider, GenerationSettings(model="gemini-2.5-flash"), history=reopened)
    await drain(again.send_message_stream("more"))
    assert bodies(gemini)[-1]["contents"][:3] == bodies(gemini)[1]["contents"][:3]
    assert [m.role for m in again.history] == [Role.USER, Role.MODEL, Role.USER, Role.MODEL]
