"""ProviderManager around a bare ChatController, against the fake Gemini server: it
hands providers over, lists their models, and answers wait for a provider on its way."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import qasync
from pytestqt.qtbot import QtBot

from rill.core.providers.gemini import GeminiProvider
from rill.core.retry import NO_RETRY
from rill.core.settings import Settings
from rill.core.types import GenerationSettings, MessageStatus
from rill.gui.chat.controller import ChatController
from rill.gui.common.tasks import TaskLauncher
from rill.gui.providers.manager import ProviderManager
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.conftest import run_until_done
from tests.gui.support.recording_view import RecordingView

MODEL = "gemini-2.5-flash"


@dataclass
class Rig:
    controller: ChatController
    manager: ProviderManager


@pytest.fixture
def rig(qloop: qasync.QEventLoop) -> Iterator[Rig]:
    launcher = TaskLauncher()
    controller = ChatController(
        RecordingView(), launcher, GenerationSettings(model=""), retry_policy=NO_RETRY
    )
    manager = ProviderManager(controller, launcher, Settings, lambda _settings: True)
    yield Rig(controller, manager)
    run_until_done(qloop, controller.shutdown())


def test_models_are_listed_from_the_provider(
    qtbot: QtBot, rig: Rig, fake_gemini: FakeGemini
) -> None:
    assert not rig.manager.has_provider
    provider = GeminiProvider("test-key", fake_gemini.base_url)
    with qtbot.waitSignal(rig.manager.models_loaded, timeout=5000) as blocker:
        rig.manager.use_provider(provider, MODEL)
    ids = [m.id for m in blocker.args[0]]
    assert MODEL in ids and "gemini-embedding-001" not in ids
    assert rig.manager.models == blocker.args[0]
    assert rig.controller.provider is provider and rig.manager.has_provider
    # The chat without a model, and the defaults, took the provider's.
    assert rig.controller.settings.model == MODEL and rig.controller.defaults.model == MODEL


async def loop_turns(count: int) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


def test_an_answer_sent_before_the_provider_waits_for_it(
    qtbot: QtBot, qloop: qasync.QEventLoop, rig: Rig, fake_gemini: FakeGemini
) -> None:
    rig.manager.expect_provider()
    fake_gemini.push(stream(["Here now."]))
    assert rig.controller.send("hello")
    run_until_done(qloop, loop_turns(5))  # the answer's task reaches the wait
    assert rig.controller.is_streaming and not fake_gemini.requests
    with qtbot.waitSignal(rig.controller.answer_finished, timeout=5000) as blocker:
        rig.manager.use_provider(GeminiProvider("test-key", fake_gemini.base_url), MODEL)
    assert blocker.args[1].status is MessageStatus.COMPLETE
    assert blocker.args[1].text == "Here now."


def test_no_provider_coming_lets_a_waiting_answer_explain(qtbot: QtBot, rig: Rig) -> None:
    rig.manager.expect_provider()
    with qtbot.waitSignal(rig.controller.answer_finished, timeout=5000) as blocker:
        assert rig.controller.send("hello")
        rig.manager.provider_unavailable()
    assert blocker.args[1].status is MessageStatus.FAILED
    assert "API key" in (blocker.args[1].error or "")
