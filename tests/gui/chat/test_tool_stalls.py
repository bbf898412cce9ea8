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

MAX_CPU_MS = 33.0  # two frames at 60 Hz
MB = 1_048_576


def worst_cpu_ms(beat: Heartbeat) -> float:
    """The most CPU time the UI thread spent between two ticks."""
    return max((b - a) * 1000 for a, b in itertools.pairwise(beat.cpu))


# Not strict: 16-21 ms alone (with and without a busy core, and beside a 700 MB heap),
# but 65 ms once in a whole loaded suite with no garbage collection in the window, and
# what took it is not found yet. It still runs and prints its figure every time.
@pytest.mark.xfail(strict=False, reason="once 65 ms in a loaded full suite; cause not found")
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
    with collections_timed() as collections:
        beat.start()
        with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS) as done:
            window.controller.send("a megabyte, please")
            bar = window.consent_bar
            qtbot.waitUntil(lambda: bar.request is not None, timeout=START_MS)
            qtbot.waitUntil(bar.buttons[Decision.ALLOW_ONCE].hasFocus, timeout=2000)
            qtbot.keyClick(bar.buttons[Decision.ALLOW_ONCE], Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not window.view.busy, timeout=10_000)
        beat.stop()
    assert done.args[1].status is MessageStatus.COMPLETE
    sent = fake_gemini.requests_for("streamGenerateContent")[-1].json
    reply = sent["contents"][-1]["parts"][0]["functionResponse"]["response"]
    assert reply == {"output": "y" * MB}  # the whole megabyte went back
    cpu = worst_cpu_ms(beat)
    said = f"{cpu:.0f} ms (garbage collections: longest {collections.longest_ms:.0f} ms)"
    print(f"tools with a megabyte: the UI thread's longest work without a break {said}")
    assert cpu <= MAX_CPU_MS, f"the UI thread worked {said} without a break"
