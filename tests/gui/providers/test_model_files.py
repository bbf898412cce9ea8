"""The user's own .gguf files: added in the Providers screen, listed by the offline model."""

from __future__ import annotations

import json
from pathlib import Path

import qasync
from pytestqt.qtbot import QtBot

from rill.core.providers import registry
from rill.core.settings import load_settings, settings_path
from rill.gui.providers.model_files import ModelFilesEditor
from tests.gui.conftest import run_until_done
from tests.gui.providers.test_providers import MakeWindow, make_window, open_dialog  # noqa: F401


def gguf(path: Path) -> Path:
    """A file with the GGUF magic: enough to be listed (it is never loaded here)."""
    path.write_bytes(b"GGUF" + b"\0" * 60)
    return path


def test_the_editor_refuses_files_that_are_not_gguf_and_names_them(
    qtbot: QtBot, tmp_path: Path
) -> None:
    editor = ModelFilesEditor()
    qtbot.addWidget(editor)
    problems: list[str] = []
    editor.problem.connect(problems.append)
    (tmp_path / "notes.txt").write_text("hi")
    (tmp_path / "fake.gguf").write_bytes(b"PK\x03\x04 not a model")
    assert not editor.add_path(str(tmp_path / "notes.txt"))
    assert not editor.add_path(str(tmp_path / "fake.gguf"))
    assert not editor.add_path(str(tmp_path / "missing.gguf"))
    assert problems == [
        "notes.txt is not a .gguf model file.",
        "fake.gguf is not a GGUF model (its first bytes are wrong).",
        f"{tmp_path / 'missing.gguf'} does not exist.",
    ]
    good = gguf(tmp_path / "Qwen 2.5 0.5B.gguf")
    assert editor.add_path(str(good)) and editor.add_path(str(good))
    assert editor.paths() == (str(good),)


def test_added_files_are_saved_and_offered_by_the_offline_model(
    qtbot: QtBot,
    make_window: MakeWindow,  # noqa: F811  (the fixture imported above)
    qloop: qasync.QEventLoop,
    tmp_path: Path,
) -> None:
    window = make_window()
    dialog = open_dialog(qtbot, window)
    rows = {dialog.table.item(r, 0).text(): r for r in range(dialog.table.rowCount())}
    dialog.table.selectRow(rows["local"])
    assert dialog.form.isRowVisible(dialog.model_files)
    model = gguf(tmp_path / "my-model.Q4_K_M.gguf")
    assert dialog.model_files.add_path(str(model))
    with qtbot.waitSignal(dialog.manager.table_changed, timeout=5000):
        dialog.save_button.click()
    saved = json.loads(settings_path().read_text(encoding="utf-8"))["providers"]["local"]
    assert saved["model_paths"] == [str(model)]
    settings = load_settings().settings
    assert settings.providers["local"].model_paths == (str(model),)
    provider = registry.build_provider("local", settings)
    try:
        models = run_until_done(qloop, provider.list_models())
    finally:
        run_until_done(qloop, provider.aclose())
    assert str(model) in [m.id for m in models]
    assert models[0].id == "smollm2-135m-instruct"  # the built-in one stays first
    # Other kinds do not show (or save) model files.
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData("openai"))
    assert not dialog.form.isRowVisible(dialog.model_files)
