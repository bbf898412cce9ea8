"""Regenerate docs/screenshots: the installed app under Xvfb, answering from the fake server.

    python -m tests.e2e.screenshots [OUT_DIR] [SCENE ...]

Scenes: a streamed answer with code, a table and math in the light and dark themes,
480 px wide and at 200 % scale; a new chat's empty state; the settings panel open.
Needs Xvfb, xdotool and ImageMagick's ``import``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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

Reversing *n* items costs $O(n)$ either way; the copy also needs memory:

$$\\text{bytes} \\approx 8n + 56$$

That is all: pick the one that reads best and iterate.
"""
LAST_WORDS = "iterate"


@dataclass(frozen=True)
class Scene:
    """One screenshot: the window's theme and size, and whether it answers first."""

    name: str
    theme: str = "light"
    size: tuple[int, int] = (1100, 720)
    scale: int = 1
    answer: bool = True
    panel: bool = False


SCENES = (
    Scene("light"),
    Scene("dark", theme="dark"),
    Scene("narrow", size=(480, 720)),
    Scene("scale-200", size=(900, 640), scale=2),
    Scene("empty", answer=False),
    Scene("settings", panel=True),
)


def shoot(out: Path, scene: Scene, fake: FakeGemini) -> Path:
    """One app run: answer a prompt (or not), resize, screenshot the window, quit."""
    (width, height), scale = scene.size, scene.scale
    xvfb, display = start_xvfb(f"{width * scale + 200}x{height * scale + 200}x24")
    home = Path(tempfile.mkdtemp(prefix="rill-shot-"))
    (home / "config").mkdir(parents=True)
    settings = {"ui": {"theme": scene.theme, "settings_panel_visible": scene.panel}}
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

    if scene.answer:
        fake.push(stream([ANSWER[i : i + 40] for i in range(0, len(ANSWER), 40)]))
    app = subprocess.Popen([str(rill_command())], env=env)
    try:
        window = xdo("search", "--sync", "--onlyvisible", "--name", "^Rill$").split()[0]
        xdo("windowsize", window, str(width * scale), str(height * scale))
        if scene.answer:
            xdo("type", "--delay", "5", PROMPT)
            xdo("key", "Return")
            deadline = time.monotonic() + 20
            while not (report.exists() and LAST_WORDS in report.read_text()):
                if time.monotonic() > deadline:
                    raise TimeoutError("the answer never showed")
                time.sleep(0.05)
        # A picture, not a test: give the last frame, the typeset formulas and the
        # resize a moment to paint before the shot.
        time.sleep(float(os.environ.get("SHOT_WAIT", "4.0")))
        path = out / f"{scene.name}.png"
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
    wanted = set(argv[1:])
    out.mkdir(parents=True, exist_ok=True)
    with FakeGemini() as fake:
        for scene in SCENES:
            if not wanted or scene.name in wanted:
                print(shoot(out, scene, fake))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
