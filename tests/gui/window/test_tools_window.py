"""Gemini's tools in the window, against the fake server: the panel's Tools section, each
part kind shown in the chat pane (as text until the new surface renders cards), the
same after reopening, the parts and signatures sent back, and a refused tool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rill.core.providers.gemini import GeminiProvider
from rill.core.types import Capabilities, GenerationSettings, MessageStatus
from rill.gui.settings.panel import SettingsPanel
from rill.gui.window.main_window import MainWindow
from tests.fakes import gemini_scenarios as sc
from tests.fakes import gemini_tool_scenarios as tools
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.history_support import MakeWindow as HistoryWindow
from tests.gui.support.history_support import close
from tests.gui.support.history_support import send as saved_send
from tests.gui.support.window_factory import MakeWindow, fake_gemini_windows

make_window = fake_gemini_windows(show=True, size=(1100, 720))


def send(qtbot: QtBot, window: MainWindow, text: str) -> Any:
    with qtbot.waitSignal(window.controller.answer_finished, timeout=10_000) as blocker:
        window.controller.send(text)
    return blocker.args[1]


def last_generate(fake: FakeGemini) -> Any:
    """The body of the last model call. Not `last_request`: the window lists the provider's
    models in the background, and that GET can land after the answer's request."""
    return fake.requests_for("streamGenerateContent")[-1].json


# ---------------------------------------------------------------- the panel


def test_the_tools_section_is_for_gemini_and_follows_the_model(qtbot: QtBot) -> None:
    panel = SettingsPanel()
    qtbot.addWidget(panel)
    section = panel.tools_section
    panel.set_capabilities(Capabilities(), "Ollama")  # an OpenAI-compatible server
    assert not panel._form.isRowVisible(section)
    panel.set_capabilities(GeminiProvider.capabilities, "Google Gemini")
    panel.set_settings(GenerationSettings(model="gemini-2.5-flash"))
    assert panel._form.isRowVisible(section)
    checks = section.checks
    assert all(checks[n].isEnabled() for n in ("google_search", "url_context", "code_execution"))
    assert checks["image_output"].isHidden()  # a text model has no image toggle

    with qtbot.waitSignal(panel.settings_edited) as edited:
        checks["url_context"].setChecked(True)
    assert edited.args[0].url_context
    # A model that does not take URL context: the box goes off, disabled, with the reason.
    with qtbot.waitSignal(panel.settings_edited) as edited:
        panel.model_combo.setEditText("gemini-2.0-flash")
    assert not edited.args[0].url_context
    assert not checks["url_context"].isEnabled() and checks["google_search"].isEnabled()
    reason = "gemini-2.0-flash does not take URL context (Google's model pages)."
    assert section.reason.text() == reason
    assert section.reason.isVisibleTo(panel)

    panel.model_combo.setEditText("gemini-2.5-flash-image")
    assert not checks["image_output"].isHidden() and checks["image_output"].isEnabled()
    assert not checks["google_search"].isEnabled()
    with qtbot.waitSignal(panel.settings_edited) as edited:
        checks["image_output"].setChecked(True)
    assert edited.args[0].image_output and not edited.args[0].tools


def test_tools_reach_the_request_and_use_as_default_covers_them(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini, hermetic_profile: Path
) -> None:
    window = make_window()
    if not window.panel.isVisible():
        window.toggle_settings()
    window.panel.tools_section.checks["google_search"].setChecked(True)
    window.panel.tools_section.checks["code_execution"].setChecked(True)
    send(qtbot, window, "hello")
    assert last_generate(fake_gemini)["tools"] == [{"googleSearch": {}}, {"codeExecution": {}}]
    qtbot.mouseClick(window.panel.default_button, Qt.MouseButton.LeftButton)
    window.close()
    again = make_window()
    assert again.controller.settings.google_search and again.controller.settings.code_execution
    assert again.panel.tools_section.checks["google_search"].isChecked()


# ---------------------------------------------------------------- the chat pane


# The views of the answers to code_run, grounded, url_context, function_call, bad_image.
CARD_KINDS = [
    ["MarkdownView", "CodeRunView", "CodeResultView", "ImageView", "MarkdownView"],
    ["MarkdownView", "GroundingView"],
    ["MarkdownView", "UrlContextView"],
    ["FunctionCallView"],
    ["MarkdownView"],
]


def card_kinds(card: Any) -> list[str]:
    card.build()
    return [type(view).__name__ for view in card.views]


def test_every_part_kind_shows_and_comes_back_after_reopening(
    qtbot: QtBot, qloop: qasync.QEventLoop, history_window: HistoryWindow, fake_gemini: FakeGemini
) -> None:
    window = history_window()
    fake_gemini.push(
        tools.code_run(figure=tools.tiny_png()),
        tools.grounded(),
        tools.url_context(),
        tools.function_call(),
        tools.bad_image(),
    )
    for prompt in ("add", "search", "read", "call", "draw"):
        assert saved_send(qtbot, window, prompt).status is MessageStatus.COMPLETE
    expected = (
        "Let me add them up.",
        "print(total)",
        "Outcome: OK",
        "The sum is 55.",
        tools.GROUNDED_TEXTS[1].rstrip(".") + ".[2]",  # its marker, numbering its source
        "Sources\n1 rill.example\n2 docs.example",
        "Google Search suggestions\nwhat is rill chat",
        "The page says Rill streams answers.",
        "Pages read\n✓ https://example.com/rill (read)",
        "Tool call · get_weather — not run: tools from servers are not enabled",
        "An image in this answer could not be read",
        "After the picture.",
    )
    text = window.view.plain_text()
    assert [e for e in expected if e not in text] == []
    assert "<style>" not in text and "rill chat</a>" not in text  # the entry point's HTML
    streamed = [card_kinds(card) for card in window.view.cards[1::2]]
    assert streamed == CARD_KINDS
    close(qloop, window)

    again = history_window()
    qtbot.waitUntil(lambda: "After the picture." in again.view.plain_text(), timeout=5000)
    reopened = again.view.plain_text()
    assert [e for e in expected if e not in reopened] == []
    assert [card_kinds(card) for card in again.view.cards[1::2]] == CARD_KINDS
    history = again.controller.current_chat.session.history
    answers = [m for m in history if m.role.value == "model"]
    assert answers[1].grounding is not None and answers[2].url_context

    # The next turn sends every part back as it came, signatures on their parts.
    saved_send(qtbot, again, "and now?")
    contents = last_generate(fake_gemini)["contents"]
    code_turn, call_turn = contents[1]["parts"], contents[7]["parts"]
    assert code_turn[1] == {"executableCode": {"language": "PYTHON", "code": tools.CODE}}
    assert code_turn[2] == {"codeExecutionResult": {"outcome": "OUTCOME_OK", "output": "55\n"}}
    assert code_turn[3]["inlineData"]["mimeType"] == "image/png"
    assert call_turn == [
        {
            "functionCall": {
                "id": "call-7f3a",
                "name": "get_weather",
                "args": {"city": "Zürich", "days": 2},
            },
            "thoughtSignature": sc.DEFAULT_SIGNATURE,
        }
    ]
    broken = contents[9]["parts"]
    assert broken == [{"text": "Before the picture. "}, {"text": "After the picture."}]


def test_an_image_answer_shows_its_image(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window()
    window.panel.model_combo.setEditText("gemini-2.5-flash-image")
    window.panel.tools_section.checks["image_output"].setChecked(True)
    fake_gemini.push(tools.image_answer())
    answer = send(qtbot, window, "draw a dot")
    assert answer.images[0].data == tools.tiny_png()
    assert answer.images[0].thought_signature == sc.DEFAULT_SIGNATURE
    assert "Here is a red dot:" in window.view.plain_text()
    body = last_generate(fake_gemini)
    assert body["generationConfig"]["responseModalities"] == ["TEXT", "IMAGE"]


def test_a_refused_tool_is_a_clear_card_and_the_chat_stays(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window()
    fake_gemini.push(sc.stream(["First answer."]))
    send(qtbot, window, "first question")
    # A chat whose settings ask a model for a tool it refuses (set in code: the panel
    # itself would not let the box be ticked for this model).
    window.controller.set_settings(GenerationSettings(model="gemini-2.0-flash", url_context=True))
    answer = send(qtbot, window, "read https://example.com")
    assert answer.status is MessageStatus.FAILED
    assert "gemini-2.0-flash" in (answer.error or "") and "URL context" in (answer.error or "")
    text = window.view.plain_text()
    assert "gemini-2.0-flash" in text and "URL context" in text
    assert "first question" in text and "First answer." in text
    assert "read https://example.com" in text
