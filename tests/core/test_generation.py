"""``rill.core.generation`` holds the request's and models' plain types apart from the
message dataclasses (issue 14, item 7): reading the settings loads none of those, and
``rill.core.types`` gives the very same classes under its old names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rill.core import generation, types

MESSAGE_MODULES = ("rill.core.types", "rill.core.answer_types", "rill.core.answer_text")


def test_reading_the_settings_loads_no_message_dataclasses(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from rill.core.settings import load_settings\n"
        "settings = load_settings().settings\n"
        "assert settings.generation_settings().model == ''\n"
        f"print(','.join(m for m in {MESSAGE_MODULES!r} if m in sys.modules))\n"
    )
    env = {**os.environ, "RILL_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-600:]
    assert done.stdout.strip() == "", f"loaded with the settings: {done.stdout.strip()}"


def test_core_types_gives_the_same_classes() -> None:
    for name in (
        "BUILTIN_TOOLS",
        "SAFETY_CATEGORIES",
        "SAFETY_THRESHOLDS",
        "GenerationSettings",
        "ModelInfo",
        "Role",
    ):
        assert getattr(types, name) is getattr(generation, name), name
    assert types.Message(types.Role.MODEL).role is generation.Role.MODEL
