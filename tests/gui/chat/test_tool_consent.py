"""Tools from MCP servers in the window: the fake Gemini server calls a tool of a real
server (``mcp-server-time`` from PyPI, the SDK's FastMCP fault server), the answer
waits at the consent bar, the bar is answered with the KEYBOARD, and the exact
``functionResponse`` that went back is checked. Deny, "Always allow" (saved, and not
asked again) and Stop during a hanging tool and at the bar."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from rill.core.settings import load_settings, save_settings
from rill.core.tool_settings import ServerConfig, ToolSettings
from rill.core.tools import Decision
from rill.core.types import MessageStatus
from rill.gui.window.main_window import MainWindow
from tests.core.tools.support import fake_config, time_config
from tests.fakes import gemini_scenarios as sc
from tests.fakes.gemini_scenarios import DEFAULT_SIGNATURE
from tests.fakes.gemini_server import FakeGemini
from tests.fakes.gemini_tool_scenarios import function_call
from tests.gui.support.window_factory import MakeWindow, fake_gemini_windows

START_MS = 30_000  # a server's first start (the SDK, a Python process)


def write_tool_servers(**servers: ServerConfig) -> None:
    """The profile's tool servers, saved before the window reads its settings."""
    settings = load_settings().settings
    save_settings(replace(settings, tools=ToolSettings(servers=servers)))


make_window = fake_gemini_windows(show=True, size=(1100, 720), prepare=write_tool_servers)


def bodies(gemini: FakeGemini) -> list[dict[str, Any]]:
    return [r.json for r in gemini.requests_for("streamGenerateContent")]


def wait_for_question(qtbot: QtBot, window: MainWindow) -> None:
    bar = window.consent_bar
    qtbot.waitUntil(lambda: bar.request is not None, timeout=START_MS)
    # The keyboard came to the bar, on Allow once.
    qtbot.waitUntil(bar.buttons[Decision.ALLOW_ONCE].hasFocus, timeout=2000)


def press(qtbot: QtBot, key: Qt.Key) -> None:
    focus = QApplication.focusWidget()
    assert focus is not None
    qtbot.keyClick(focus, key)


def test_a_call_waits_for_the_keyboard_and_its_exact_response_goes_back(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window(time=time_config())
    fake_gemini.push(
        function_call("time__get_current_time", {"timezone": "UTC"}, call_id="c1"),
        sc.stream(["It is noon in UTC."]),
    )
    with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS) as done:
        window.controller.send("What time is it in UTC?")
        wait_for_question(qtbot, window)
        bar = window.consent_bar
        assert "get_current_time" in bar.title.text() and "time" in bar.title.text()
        assert bar.title.textFormat() is Qt.TextFormat.PlainText
        assert json.loads(bar.arguments.toPlainText()) == {"timezone": "UTC"}
        assert not bar.arguments.isVisible()  # folded until opened
        assert len(bodies(fake_gemini)) == 1  # nothing went back before the answer
        press(qtbot, Qt.Key.Key_Return)
    answer = done.args[1]
    assert answer.status is MessageStatus.COMPLETE
    assert answer.text.endswith("It is noon in UTC.")
    assert not window.consent_bar.isVisible()

    first, second = bodies(fake_gemini)
    declared = {d["name"] for d in first["tools"][0]["functionDeclarations"]}
    assert {"time__get_current_time", "time__convert_time"} <= declared
    assert second["contents"][1]["parts"] == [
        {
            "functionCall": {
                "id": "c1",
                "name": "time__get_current_time",
                "args": {"timezone": "UTC"},
            },
            "thoughtSignature": DEFAULT_SIGNATURE,
        }
    ]
    (reply,) = second["contents"][2]["parts"]
    assert set(reply) == {"functionResponse"}
    response = reply["functionResponse"]
    assert (response["id"], response["name"]) == ("c1", "time__get_current_time")
    assert set(response["response"]) == {"output", "structuredContent"}
    structured = response["response"]["structuredContent"]
    assert structured["timezone"] == "UTC"
    assert json.loads(response["response"]["output"]) == structured
    assert window.composer.edit.hasFocus()  # the keyboard went back to the input


def test_esc_denies_and_the_model_is_told(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window(fake=fake_config())
    fake_gemini.push(
        function_call("fake__add", {"a": 2, "b": 3}, call_id="d1"),
        sc.stream(["Fine, I will not add."]),
    )
    with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS) as done:
        window.controller.send("add 2 and 3")
        wait_for_question(qtbot, window)
        press(qtbot, Qt.Key.Key_Escape)  # Deny, not the window's Stop
    assert done.args[1].status is MessageStatus.COMPLETE
    (reply,) = bodies(fake_gemini)[1]["contents"][2]["parts"]
    assert reply["functionResponse"] == {
        "id": "d1",
        "name": "fake__add",
        "response": {"error": "The user denied this call of fake.add; it did not run."},
    }


def test_always_allow_is_saved_and_not_asked_again(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window(fake=fake_config())
    asked: list[object] = []
    window.consent_bar.opened.connect(lambda: asked.append(1))
    fake_gemini.push(
        function_call("fake__add", {"a": 1, "b": 1}, call_id="a1"),
        sc.stream(["2."]),
        function_call("fake__add", {"a": 2, "b": 2}, call_id="a2"),
        sc.stream(["4."]),
    )
    with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS):
        window.controller.send("1+1")
        wait_for_question(qtbot, window)
        press(qtbot, Qt.Key.Key_Tab)  # Allow in this chat
        press(qtbot, Qt.Key.Key_Tab)  # Always allow this tool
        focus = QApplication.focusWidget()
        assert isinstance(focus, QPushButton)
        assert focus.accessibleName() == "Always allow this tool"
        press(qtbot, Qt.Key.Key_Return)
    saved = load_settings().settings.tools.servers["fake"].tool_prefs("add")
    assert saved.always_allow
    window.controller.new_chat()  # not a chat grant: a new chat does not ask either
    with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS):
        window.controller.send("2+2")
    assert len(asked) == 1
    replies = [b["contents"][-1]["parts"][0] for b in bodies(fake_gemini)[1::2]]
    outputs = [r["functionResponse"]["response"]["output"] for r in replies]
    assert outputs == ["2", "4"]


def test_stop_cancels_a_hanging_tool_and_the_answer_together(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window(fake=fake_config())
    fake_gemini.push(function_call("fake__hang", {"seconds": 3600}, call_id="h1"))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS) as done:
        window.controller.send("wait forever")
        wait_for_question(qtbot, window)
        press(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: not window.consent_bar.isVisible(), timeout=2000)
        qtbot.waitUntil(lambda: window.controller.is_streaming, timeout=2000)
        window.controller.stop()
    answer = done.args[1]
    assert answer.status is MessageStatus.STOPPED
    reply = answer.parts[-1].function_response
    assert reply is not None and reply.is_error and reply.id == "h1"
    assert len(bodies(fake_gemini)) == 1  # nothing was sent after the stop


def test_stop_at_the_bar_closes_it(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window(fake=fake_config())
    fake_gemini.push(function_call("fake__echo", {"text": "hi"}, call_id="s1"))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS) as done:
        window.controller.send("echo hi")
        wait_for_question(qtbot, window)
        window.composer.stop_requested.emit()  # the composer's Stop button
    assert done.args[1].status is MessageStatus.STOPPED
    assert not window.consent_bar.isVisible()
    assert window.consent_bar.request is None


def parallel(*items: tuple[str, dict[str, Any], str]) -> sc.Scenario:
    """One model turn of parallel calls: (name, args, id) each."""
    parts = tuple({"functionCall": {"id": i, "name": n, "args": a}} for n, a, i in items)
    return sc.Scenario(raw_parts=(parts,), label="parallel")


def test_parallel_calls_ask_one_at_a_time_in_order_and_allow_in_chat_holds(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window(fake=fake_config())
    bar = window.consent_bar
    asked: list[str] = []
    bar.opened.connect(lambda: asked.append(str(bar.request.ref if bar.request else None)))
    fake_gemini.push(
        parallel(
            ("fake__add", {"a": 1, "b": 2}, "p1"),
            ("fake__echo", {"text": "hi"}, "p2"),
            ("fake__add", {"a": 3, "b": 4}, "p3"),
        ),
        sc.stream(["Done."]),
    )
    with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS):
        window.controller.send("three at once")
        wait_for_question(qtbot, window)
        assert asked == ["fake.add"]
        press(qtbot, Qt.Key.Key_Tab)
        press(qtbot, Qt.Key.Key_Return)  # Allow in this chat: the third call asks not
        qtbot.waitUntil(lambda: asked == ["fake.add", "fake.echo"], timeout=5000)
        qtbot.waitUntil(bar.buttons[Decision.ALLOW_ONCE].hasFocus, timeout=2000)
        press(qtbot, Qt.Key.Key_Escape)  # deny the echo
    replies = bodies(fake_gemini)[1]["contents"][2]["parts"]
    got = [(r["functionResponse"]["id"], r["functionResponse"]["response"]) for r in replies]
    assert got == [
        ("p1", {"output": "3", "structuredContent": {"result": 3}}),
        ("p2", {"error": "The user denied this call of fake.echo; it did not run."}),
        ("p3", {"output": "7", "structuredContent": {"result": 7}}),
    ]
    # The same chat's next answer does not ask for add; a new chat asks again.
    fake_gemini.push(function_call("fake__add", {"a": 5, "b": 5}, call_id="p4"), sc.stream(["10"]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS):
        window.controller.send("again")
    assert asked == ["fake.add", "fake.echo"]
    window.controller.new_chat()
    fake_gemini.push(function_call("fake__add", {"a": 1, "b": 1}, call_id="p5"), sc.stream(["2"]))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS):
        window.controller.send("in a new chat")
        wait_for_question(qtbot, window)
        press(qtbot, Qt.Key.Key_Return)
    assert asked == ["fake.add", "fake.echo", "fake.add"]


def test_the_question_follows_its_chat(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window(fake=fake_config())
    controller, bar = window.controller, window.consent_bar
    fake_gemini.push(function_call("fake__echo", {"text": "mine"}, call_id="f1"), sc.stream(["ok"]))
    asking = controller.current_chat.id
    with qtbot.waitSignal(controller.answer_finished, timeout=START_MS):
        controller.send("echo mine")
        wait_for_question(qtbot, window)
        controller.new_chat()  # another chat on screen: its bar is empty
        assert not bar.isVisible() and bar.request is None
        controller.select_chat(asking)  # back: the question is still there
        wait_for_question(qtbot, window)
        press(qtbot, Qt.Key.Key_Return)
    (reply,) = bodies(fake_gemini)[1]["contents"][2]["parts"]
    assert reply["functionResponse"]["response"]["output"] == "mine"


def test_a_server_that_cannot_start_asks_retry_and_the_answer_goes_on(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    broken = replace(fake_config(), command="/nonexistent/mcp-server")
    window = make_window(broken=broken)
    bar = window.consent_bar
    fake_gemini.push(sc.stream(["Answered without tools."]))
    faults: list[str] = []
    bar.opened.connect(lambda: faults.append(bar.fault or ""))
    with qtbot.waitSignal(window.controller.answer_finished, timeout=START_MS) as done:
        window.controller.send("hello")
        qtbot.waitUntil(lambda: bar.fault is not None, timeout=START_MS)
        qtbot.waitUntil(bar.retry_button.hasFocus, timeout=2000)
        assert not bar.buttons[Decision.ALLOW_ONCE].isVisible()
        press(qtbot, Qt.Key.Key_Return)  # Retry: it fails again and asks again
        qtbot.waitUntil(lambda: len(faults) == 2, timeout=START_MS)
        qtbot.waitUntil(bar.retry_button.hasFocus, timeout=2000)
        press(qtbot, Qt.Key.Key_Escape)  # go on without it
    assert done.args[1].status is MessageStatus.COMPLETE
    assert all(f.startswith("Tool servers that could not start: broken") for f in faults)
    assert "broken" in window.notice.label.text()
    (request,) = bodies(fake_gemini)
    assert "tools" not in request or not request["tools"]


def test_huge_arguments_are_shown_cut_in_lines_and_in_all() -> None:
    from rill.core.tool_loop import CallRequest
    from rill.core.tools import ToolRef
    from rill.gui.chat.consent_bar import shown_arguments

    request = CallRequest(ToolRef("fake", "text_of"), json.dumps({"why": "x" * 1_000_000}))
    shown = shown_arguments(request)
    assert max(len(line) for line in shown.split("\n")) < 1_100
    assert "more on this line" in shown
    assert shown.endswith(f"… ({len(request.arguments) - 50_000:,} more characters)")
    small = CallRequest(ToolRef("time", "get"), '{"timezone": "UTC"}')
    assert shown_arguments(small) == '{\n  "timezone": "UTC"\n}'
