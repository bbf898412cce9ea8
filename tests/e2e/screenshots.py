"""Regenerate docs/screenshots: the installed app under Xvfb, answering from the fake server.

    python -m tests.e2e.screenshots [OUT_DIR] [SCENE ...]

Scenes: a streamed answer with code, a table and math in the light and dark themes,
480 px wide and at 200 % scale; a new chat's empty state; the settings panel open; an
image model's answer with a picture between its words.
Needs Xvfb, xdotool and ImageMagick's ``import``.
"""

from __future__ import annotations

import dataclasses
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
IMAGE_PROMPT = "Draw a lighthouse at dusk"
IMAGE_ANSWER = ("Here is a lighthouse at dusk, ", "its lamp just lit:\n\n", "Want another style?")


def lighthouse_png() -> str:
    """A small picture for the image scene (base64 PNG): dusk sky, sea, a lighthouse."""
    import base64
    import io

    from PIL import Image, ImageDraw

    width, height = 960, 540
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # dusk: deep blue to orange at the horizon
        t = y / (height * 0.7)
        sky = (int(30 + 200 * t), int(40 + 90 * t), int(110 - 40 * t))
        sea = (20, 50, 90)
        draw.line([(0, y), (width, y)], fill=sky if y < height * 0.7 else sea)
    draw.polygon([(600, 378), (640, 378), (630, 170), (610, 170)], fill=(235, 235, 230))
    for band in (200, 260, 320):
        draw.polygon(
            [(612, band), (628, band), (630, band + 22), (610, band + 22)], fill=(190, 40, 40)
        )
    draw.ellipse([(604, 140), (636, 172)], fill=(255, 226, 120))
    out = io.BytesIO()
    image.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


@dataclass(frozen=True)
class Scene:
    """One screenshot: the window's theme and size, and whether it answers first."""

    name: str
    theme: str = "light"
    size: tuple[int, int] = (1100, 720)
    scale: int = 1
    answer: bool = True
    panel: bool = False
    image: bool = False  # the image model's answer instead of the code one


SCENES = (
    Scene("light"),
    Scene("dark", theme="dark"),
    Scene("narrow", size=(480, 720)),
    Scene("scale-200", size=(900, 640), scale=2),
    Scene("empty", answer=False),
    Scene("settings", panel=True),
    Scene("model-image", image=True),
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

    prompt, last_words = (IMAGE_PROMPT, IMAGE_ANSWER[-1]) if scene.image else (PROMPT, LAST_WORDS)
    if scene.image:
        picture = ((2, "image/png", lighthouse_png()),)
        fake.push(dataclasses.replace(stream(list(IMAGE_ANSWER)), images=picture))
    elif scene.answer:
        fake.push(stream([ANSWER[i : i + 40] for i in range(0, len(ANSWER), 40)]))
    app = subprocess.Popen([str(rill_command())], env=env)
    try:
        window = xdo("search", "--sync", "--onlyvisible", "--name", "^Rill$").split()[0]
        xdo("windowsize", window, str(width * scale), str(height * scale))
        if scene.answer:
            xdo("type", "--delay", "5", prompt)
            xdo("key", "Return")
            deadline = time.monotonic() + 20
            while not (report.exists() and last_words in report.read_text()):
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
