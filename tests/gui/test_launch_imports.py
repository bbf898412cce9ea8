"""``rill``'s launch keeps PySide's per-import source scan out of ``linecache``
(``rill.gui.launch._pyside_scans_without_caching``) and gives the same answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CHILD = """
import json, linecache, sys
from rill.gui import launch
launch._pyside_scans_without_caching()
feature = sys.modules["PySide6.support.feature"]
sys.path.insert(0, sys.argv[1])
import uses_qt, plain
print(json.dumps({
    "patched": feature._mod_uses_pyside is launch._mentions_pyside,
    "cached": [f for f in linecache.cache if f.endswith(("uses_qt.py", "plain.py"))],
    "uses_qt": feature.pyside_feature_dict.get("uses_qt"),
    "plain": feature.pyside_feature_dict.get("plain"),
}))
"""


def test_pyside_scan_answers_as_before_without_keeping_sources(tmp_path: Path) -> None:
    (tmp_path / "uses_qt.py").write_text("import PySide6.QtCore\nX = 1\n", encoding="utf-8")
    (tmp_path / "plain.py").write_text("Y = 2\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["patched"], "PySide renamed its scan: check rill.gui.launch (pin <6.12)"
    assert seen["cached"] == []  # PySide's own scan left both files in linecache
    assert (seen["uses_qt"], seen["plain"]) == (0, -1)  # PySide's answers: uses it, ignore
