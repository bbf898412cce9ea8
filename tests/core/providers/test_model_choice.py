"""An empty model means the provider's default, resolved before any request leaves
(issue 12.1): never ``models/:streamGenerateContent``, never ``"model": ""``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rill.core.chat import ChatSession
from rill.core.errors import ConfigurationError
from rill.core.providers.gemini import GeminiProvider
from rill.core.providers.openai_compat import OpenAICompatProvider
from rill.core.retry import NO_RETRY
from rill.core.types import GenerateRequest, GenerationSettings, Message, MessageStatus, Part, Role
from tests.fakes import openai_scenarios as oai
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.openai_server import FakeOpenAI

NO_MODEL = GenerationSettings(model="")


@pytest.fixture
def fake_openai() -> AsyncIterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server  # type: ignore[misc]


def bare_request() -> GenerateRequest:
    user = Message(role=Role.USER, parts=[Part.from_text("hi")])
    return GenerateRequest(contents=(user,), settings=NO_MODEL)


async def test_gemini_without_a_model_asks_for_the_configured_default(
    fake_gemini: FakeGemini,
) -> None:
    provider = GeminiProvider("test-key", fake_gemini.base_url, default_model="gemini-2.5-pro")
    try:
        session = ChatSession(provider, NO_MODEL, retry_policy=NO_RETRY)
        async for _ in session.send_message_stream("hello"):
            pass
        answer = await session.send_message("again")
    finally:
        await provider.aclose()
    paths = [r.path for r in fake_gemini.requests]
    assert paths == [
        "/v1beta/models/gemini-2.5-pro:streamGenerateContent",
        "/v1beta/models/gemini-2.5-pro:generateContent",
    ]
    assert answer.status is MessageStatus.COMPLETE and answer.model == "gemini-2.5-pro"
    assert session.settings.model == ""  # still "the provider's default" for the next turn


async def test_gemini_without_any_default_takes_the_first_listed_model(
    fake_gemini: FakeGemini,
) -> None:
    provider = GeminiProvider("test-key", fake_gemini.base_url, default_model="")
    try:
        session = ChatSession(provider, NO_MODEL, retry_policy=NO_RETRY)
        await session.send_message("hello")
        await session.send_message("again")
    finally:
        await provider.aclose()
    generate = fake_gemini.requests_for("generateContent")
    assert [r.model for r in generate] == ["gemini-2.5-flash", "gemini-2.5-flash"]
    assert len([r for r in fake_gemini.requests if r.path.endswith("/models")]) == 1  # once


async def test_openai_without_a_model_sends_the_first_listed_one(fake_openai: FakeOpenAI) -> None:
    provider = OpenAICompatProvider(fake_openai.base_url, "test-key")
    try:
        session = ChatSession(provider, NO_MODEL, retry_policy=NO_RETRY)
        fake_openai.push(oai.stream(["Hi"]))
        async for _ in session.send_message_stream("hello"):
            pass
    finally:
        await provider.aclose()
    assert fake_openai.completions()[-1].json["model"] == "fake-chat"
    assert session.last_answer is not None and session.last_answer.model == "fake-chat"


async def test_openai_without_a_model_uses_its_configured_default(fake_openai: FakeOpenAI) -> None:
    provider = OpenAICompatProvider(
        fake_openai.base_url, "test-key", default_model="fake-vision-vl"
    )
    try:
        await ChatSession(provider, NO_MODEL, retry_policy=NO_RETRY).send_message("hello")
    finally:
        await provider.aclose()
    assert fake_openai.completions()[-1].json["model"] == "fake-vision-vl"
    assert [r.path for r in fake_openai.requests if r.path.endswith("/models")] == []


async def test_a_server_listing_no_model_fails_the_answer_clearly(fake_openai: FakeOpenAI) -> None:
    fake_openai.models = []
    provider = OpenAICompatProvider(fake_openai.base_url, "test-key", label="Lab")
    try:
        session = ChatSession(provider, NO_MODEL, retry_policy=NO_RETRY)
        with pytest.raises(ConfigurationError, match="Lab lists none"):
            await session.send_message("hello")
    finally:
        await provider.aclose()
    assert fake_openai.completions() == []
    answer = session.last_answer
    assert answer is not None and answer.status is MessageStatus.FAILED


async def test_providers_refuse_an_empty_model_before_building_a_request(
    fake_gemini: FakeGemini, fake_openai: FakeOpenAI
) -> None:
    gemini = GeminiProvider("test-key", fake_gemini.base_url)
    openai = OpenAICompatProvider(fake_openai.base_url, "test-key", default_model="fake-chat")
    try:
        for call in (
            lambda: gemini.generate(bare_request()),
            lambda: gemini.count_tokens(bare_request()),
            lambda: openai.generate(bare_request()),
        ):
            with pytest.raises(ConfigurationError, match="No model is chosen"):
                await call()
        for provider in (gemini, openai):
            with pytest.raises(ConfigurationError, match="No model is chosen"):
                async for _ in provider.stream(bare_request()):
                    pass
    finally:
        await gemini.aclose()
        await openai.aclose()
    assert fake_gemini.requests == [] and fake_openai.requests == []
