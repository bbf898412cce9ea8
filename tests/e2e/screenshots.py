"""Regenerate docs/screenshots: the installed app under Xvfb, answering from the fake server.

    python -m tests.e2e.screenshots [OUT_DIR]

Takes light, dark, narrow (480 px) and 200 %-scale shots of a real window after one
streamed Markdown answer. Needs Xvfb, xdotool and ImageMagick's ``import``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.e2e.conftest import ROOT, report_env, rill_command
from tests.e2e.xvfb import start_xvfb, stop_xvfb
from tests.fakes.gemini_scenarios import stream
from tests.fakes.gemini_server import FakeGemini

PROMPT = "How do I reverse a list in Python?"
ANSWER = """Three common ways, depending on whether you want a copy:

```python
items = [1, 2, 3]
items.reverse()          # in place
print(items[::-1])       # a reversed copy
for x in reversed(items):
    print(x)             # an iterator, no copy
```

- `list.reverse()` changes the list **in place** and returns `None`.
- Slicing with `[::-1]` builds a *new* list.
- `reversed()` is lazy: best for loops over big lists.

| Way | Copies? | Returns |
|---|---|---|
| `reverse()` | no | `None` |
| `[::-1]` | yes | a list |
| `reversed()` | no | an iterator |
"""


def shoot(
    out: Path, name: str, fake: FakeGemini, *, theme: str, size: tuple[int, int], scale: int = 1
) -> Path:
    """One app run: answer a prompt, resize, screenshot the window, quit."""
    width, height = size
    xvfb, display = start_xvfb(f"{width * scale + 200}x{height * scale + 200}x24")
    home = Path(tempfile.mkdtemp(prefix="rill-shot-"))
    (home / "config").mkdir(parents=True)
    settings = {"ui": {"theme": theme, "settings_panel_visible": True}}
    (home / "config" / "settings.json").write_text(json.dumps(settings))
    report = home / "transcript.txt"
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700)
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "QT_SCALE_FACTOR": str(scale),
        "XDG_RUNTIME_DIR": str(runtime),
        "RILL_HOME": str(home),
        "GEMINI_API_KEY": "test-key",
        "GOOGLE_GEMINI_BASE_URL": fake.base_url,
        **report_env(report),
    }

    def xdo(*args: str) -> str:
        return subprocess.run(
            ["xdotool", *args], env=env, capture_output=True, text=True, check=True, timeout=20
        ).stdout

    fake.push(stream([ANSWER[i : i + 40] for i in range(0, len(ANSWER), 40)]))
    app = subprocess.Popen([str(rill_command())], env=env)
    try:
        window = xdo("search", "--sync", "--onlyvisible", "--name", "^Rill$").split()[0]
        xdo("windowsize", window, str(width * scale), str(height * scale))
        xdo("type", "--delay", "5", PROMPT)
        xdo("key", "Return")
        deadline = time.monotonic() + 20
        while not (report.exists() and "iterator" in report.read_text()):
            if time.monotonic() > deadline:
                raise TimeoutError("the answer never showed")
            time.sleep(0.05)
        time.sleep(0.3)  # let the last frame paint before the shot (a picture, not a test)
        path = out / f"{name}.png"
        subprocess.run(["import", "-window", window, str(path)], env=env, check=True)
        xdo("key", "ctrl+q")
        app.wait(timeout=20)
        return path
    finally:
        if app.poll() is None:
            app.kill()
        stop_xvfb(xvfb)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with FakeGemini() as fake:
        print(shoot(out, "light", fake, theme="light", size=(1100, 720)))
        print(shoot(out, "dark", fake, theme="dark", size=(1100, 720)))
        print(shoot(out, "narrow", fake, theme="light", size=(480, 720)))
        print(shoot(out, "scale-200", fake, theme="light", size=(900, 640), scale=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
