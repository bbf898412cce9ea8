"""The UI thread never works over 33 ms at a stretch while tools start (the MCP SDK
loads and a server process starts), the consent bar asks about a 1 MB call, and a
tool returns 1 MB: measured as the UI thread's own CPU time between the ticks of a
1 ms heartbeat (``tests/heartbeat.py``), so a busy machine does not count."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rill.core.tools import Decision
from rill.core.types import MessageStatus
from tests.core.tools.support import fake_config
from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.gemini_tool_scenarios import function_call
from tests.gcwatch import collections_timed
from tests.gui.chat.test_tool_consent import START_MS, MakeWindow, make_window  # noqa: F401
from tests.heartbeat import Heartbeat
from tests.stack_sampler import StackSampler

MAX_CPU_MS = 33.0  # two frames at 60 Hz
MB = 1_048_576


def worst_cpu_ms(beat: Heartbeat) -> float:
    """The most CPU time the UI thread spent between two ticks."""
    return max((b - a) * 1000 for a, b in itertools.pairwise(beat.cpu))


def worst_gap(beat: Heartbeat) -> tuple[float, float]:
    """The wall-clock span between the two ticks with the most CPU time between them."""
    index = max(range(len(beat.cpu) - 1), key=lambda i: beat.cpu[i + 1] - beat.cpu[i])
    return beat.ticks[index], beat.ticks[index + 1]


# Not strict. Once 65 ms, then 75 ms, in a loaded full suite (16-21 ms alone). The
# stack sampler found 10-18 ms of it: the consent bar laid out the 1 MB call's
# arguments as one 50,000-character line (cut into short lines now: 8-13 ms alone,
# with a loaded machine). What is left shows after ~1,250 earlier tests in the same
# process (pytest tests/core tests/e2e tests/fakes_tests tests/faults tests/fuzz
# tests/gui/chat: 70 ms), not alone: 56 ms inside Qt's event loop, with no Python frame
# to name, right after the send's transcript update and before any tool ran (an
# app-wide event filter to name the event cost 10-15 ms itself). On a failure the
# sampler prints what it saw.
@pytest.mark.xfail(strict=False, reason="once 75 ms in a loaded full suite, inside Qt")
def test_tools_start_ask_and_return_a_megabyte_without_stalling_the_window(
    qtbot: QtBot,
    make_window: MakeWindow,  # noqa: F811
    fake_gemini: FakeGemini,
) -> None:
    window = make_window(fake=fake_config())
    host = window.tool_host
    host.configure(replace(host.settings, offer=False))
    # The first answer's own first-time work (Markdown, the store) is not tools' work.
    fake_gemini.push(sc.stream(["Hello **there**."]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=10_000):
        window.controller.send("hi")
    host.configure(replace(host.settings, offer=True))
    assert not host.started
    fake_gemini.push(
        function_call("fake__text_of", {"size": MB, "why": "x" * MB}, call_id="m1"),
        sc.stream(["A megabyte of y."]),
    )
    beat = Heartbeat()
    sampler = StackSampler()
    with collections_timed() as collections:
        sampler.start()
        beat.start()
        with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS) as done:
            window.controller.send("a megabyte, please")
            bar = window.consent_bar
            qtbot.waitUntil(lambda: bar.request is not None, timeout=START_MS)
            qtbot.waitUntil(bar.buttons[Decision.ALLOW_ONCE].hasFocus, timeout=2000)
            qtbot.keyClick(bar.buttons[Decision.ALLOW_ONCE], Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not window.view.busy, timeout=10_000)
        beat.stop()
        sampler.stop()
    assert done.args[1].status is MessageStatus.COMPLETE
    sent = fake_gemini.requests_for("streamGenerateContent")[-1].json
    reply = sent["contents"][-1]["parts"][0]["functionResponse"]["response"]
    assert reply == {"output": "y" * MB}  # the whole megabyte went back
    cpu = worst_cpu_ms(beat)
    said = f"{cpu:.0f} ms (garbage collections: longest {collections.longest_ms:.0f} ms)"
    print(f"tools with a megabyte: the UI thread's longest work without a break {said}")
    print(sampler.during(*worst_gap(beat)))
    assert cpu <= MAX_CPU_MS, f"the UI thread worked {said} without a break"
