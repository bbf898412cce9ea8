"""Keys typed the moment the window appears are not lost (issue 14, item 7): the
window paints before the rest of it is made and before the asyncio loop exists
(``rill.gui.app.paint_first``), and what is typed meanwhile is in the input once
the window is whole, and is sent like anything typed later.

The app runs for real in a child process, launched as the ``rill`` command does;
see ``tests.gui.support.early_input_driver``.
"""

from __future__ import annotations

from pathlib import Path

from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.launch_support import launch_env, run_driver

PROMPT = "typed at once"


def test_text_typed_before_the_window_is_whole_is_kept_and_sent(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    fake_gemini.push(stream(["An answer."]))
    report = tmp_path / "report.json"
    run = run_driver(
        "early_input_driver", launch_env(tmp_path / "home", fake_gemini), report, PROMPT
    )
    assert run.code == 0 and not run.stderr, "\n".join(run.stderr.splitlines()[-20:])
    assert run.report is not None, "the driver failed: see logs/rill.log in its profile"
    typed = run.report
    # The keys came while the window was still being finished…
    assert typed["pane_made"] is False and typed["history_made"] is False
    # … and none was lost: they were in the input, and they were sent.
    assert typed["in_input"] == PROMPT
    assert PROMPT in typed["transcript"] and "An answer." in typed["transcript"]
    assert typed["input_after"] == ""


def test_a_file_pasted_as_the_window_takes_input_is_attached_and_sent(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    # The modules that prepare a file load after the first paint (issue 14, item 7):
    # a paste the moment the window hands out input must still find them (loaded by
    # then, app.finish_after_paint) and work as it does later.
    notes = tmp_path / "notes.txt"
    notes.write_text("The pasted file's own words.\n", encoding="utf-8")
    fake_gemini.push(stream(["Read it."]))
    report = tmp_path / "report.json"
    env = launch_env(tmp_path / "home", fake_gemini)
    run = run_driver("early_input_driver", env, report, PROMPT, str(notes))
    assert run.code == 0 and not run.stderr, "\n".join(run.stderr.splitlines()[-20:])
    assert run.report is not None, "the driver failed: see logs/rill.log in its profile"
    typed = run.report
    assert typed["pasted"] == ["notes.txt"]
    ((state, described),) = typed["tiles"]
    assert state == "ready" and "Sent as text, 1 line" in described, described
    assert "notes.txt" in typed["transcript"] and "Read it." in typed["transcript"]
    assert b"The pasted file's own words." in fake_gemini.requests[-1].body


def test_a_window_closed_before_it_is_whole_ends_the_app(
    tmp_path: Path, fake_gemini: FakeGemini
) -> None:
    # A close is not input Qt holds back while the window first paints: it closes the
    # window before the asyncio loop runs, and the app must still end, not wait on.
    env = launch_env(tmp_path / "home", fake_gemini)
    run = run_driver("early_input_driver", env, tmp_path / "unused.json", "--close", timeout=60)
    assert run.code == 0 and not run.stderr, "\n".join(run.stderr.splitlines()[-20:])
    assert fake_gemini.requests == [], "a closed window asked the model"
