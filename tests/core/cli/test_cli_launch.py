"""The `rill` launcher's routing, the CLI's lazy imports, and the exit-status table."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from rill.core import errors
from rill.core.attachments.request_parts import AttachmentError
from rill.core.cli import parse as cli
from rill.gui import launch
from tests.core.cli.test_cli import KEY, cli_env
from tests.fakes.gemini_server import FakeGemini

HEAVY = ("PIL", "keyring", "PySide6", "qasync", "platformdirs", "rich", "click")


@pytest.fixture
def fake(fake_gemini: FakeGemini) -> FakeGemini:
    """The shared in-process fake (tests/conftest.py), under a short name."""
    assert fake_gemini.api_key == KEY
    return fake_gemini


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["ask", "hi"], True),
        (["chat"], True),
        (["--help"], True),
        (["-h"], True),
        (["--version"], True),
        ([], False),
        (["--some-qt-flag"], False),
        (["notes.md"], False),
    ],
)
def test_launcher_routes_subcommands_to_the_cli(argv: list[str], expected: bool) -> None:
    assert launch.wants_cli(argv) is expected


def test_launcher_runs_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert launch.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("rill ")


def test_launcher_explains_a_missing_window(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_import = importlib.import_module

    def fake_import(name: str, package: str | None = None) -> ModuleType:
        if name == "rill.gui.app":
            raise ModuleNotFoundError("No module named 'PySide6'", name="PySide6")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    assert launch.main([]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "PySide6 is missing" in err and "rill ask" in err


def test_launcher_starts_the_window_through_gui_app(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[bool] = []
    app = ModuleType("rill.gui.app")
    app.main = lambda: started.append(True) or 0  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rill.gui.app", app)
    assert launch.main([]) == 0
    assert started == [True]


def _modules_after(code: str, env: dict[str, str]) -> list[str]:
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return list(eval(result.stdout.strip().splitlines()[-1]))


def test_importing_the_launcher_loads_no_qt(tmp_path: Path) -> None:
    assert _modules_after("import rill.gui.launch", cli_env(tmp_path)) == []


def test_ask_with_an_env_key_loads_nothing_heavy(fake: FakeGemini, tmp_path: Path) -> None:
    run = (
        "from rill.core.cli import main\n"
        f"assert main(['ask', '--base-url', {fake.base_url!r}, 'hi']) == 0"
    )
    assert _modules_after(run, cli_env(tmp_path)) == []
    assert fake.last_request.json["contents"][0]["parts"] == [{"text": "hi"}]


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.AuthError("x"), cli.EXIT_AUTH),
        (errors.PermissionDeniedError("x"), cli.EXIT_AUTH),
        (errors.ConfigurationError("x"), cli.EXIT_AUTH),
        (errors.InvalidRequestError("x"), cli.EXIT_INVALID),
        (errors.NotFoundError("x"), cli.EXIT_INVALID),
        (AttachmentError("a.png", "file not found"), cli.EXIT_INVALID),
        (errors.BlockedError("x", reason="SAFETY"), cli.EXIT_BLOCKED),
        (errors.RateLimitedError("x"), cli.EXIT_RATE_LIMITED),
        (errors.ServerError("x"), cli.EXIT_SERVER),
        (errors.ProtocolError("x"), cli.EXIT_SERVER),
        (errors.NetworkError("x"), cli.EXIT_NETWORK),
        (errors.StreamInterruptedError("x"), cli.EXIT_NETWORK),
        (errors.RequestTimeoutError("x"), cli.EXIT_NETWORK),
        (errors.CancelledByUserError(), cli.EXIT_INTERRUPTED),
        (cli.UsageError("x"), cli.EXIT_USAGE),
        (RuntimeError("bug"), cli.EXIT_INTERNAL),
    ],
)
def test_exit_status_per_error_class(error: BaseException, code: int) -> None:
    assert cli.exit_code_for(error) == code


def test_an_internal_error_is_one_line_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from rill.core.cli import run as cli_run

    def explode(*_args: object, **_kwargs: object) -> int:
        raise RuntimeError("something\nunexpected")

    monkeypatch.setenv("RILL_HOME", str(tmp_path))
    monkeypatch.delenv("RILL_DEBUG", raising=False)
    monkeypatch.setattr(cli_run, "run_ask", explode)
    assert cli.main(["ask", "hi"]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err == "rill: internal error: RuntimeError: something unexpected\n"


def test_epilog_documents_every_exit_status() -> None:
    for code in (0, 1, 2, 3, 4, 5, 6, 7, 8, 130):
        assert f"\n  {code} " in cli.EPILOG


def test_every_cli_subcommand_is_routed_to_the_cli_by_the_rill_launcher() -> None:
    """`rill history` must not open the window: the launcher knows every subcommand."""
    import argparse

    from rill.core.cli.parse import build_parser
    from rill.gui.launch import CLI_FIRST_ARGUMENTS, wants_cli

    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    commands = set(actions[0].choices)
    assert {"ask", "chat", "history", "search", "export", "import"} <= commands
    assert commands <= CLI_FIRST_ARGUMENTS
    assert all(wants_cli([c]) for c in commands)
    assert not wants_cli([])
