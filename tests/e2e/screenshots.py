"""Regenerate docs/screenshots: the installed app under Xvfb, answering from the fake server.

    python -m tests.e2e.screenshots [OUT_DIR] [SCENE ...]

Scenes: a streamed answer with code, a table and math in the light and dark themes,
480 px wide and at 200 % scale; a new chat's empty state; the settings panel open; a
grounded answer (markers, Sources, search suggestions) and a code run (code, badge,
output, the figure it drew) in both themes; an image model's answer with a picture
between its words.
Needs Xvfb, xdotool and ImageMagick's ``import``.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.conftest import ROOT, report_env, rill_command
from tests.e2e.xvfb import start_xvfb, stop_xvfb
from tests.fakes import gemini_tool_scenarios as tools
from tests.fakes.gemini_scenarios import Scenario, stream
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
    scenario: str = ""  # one of TOOL_SCENES (else the Markdown answer)


GROUNDED = (
    "Rill is a native desktop chat app for streaming language models, written in Python with Qt. ",
    "It streams Gemini's answers as they arrive and keeps every chat in a local SQLite database. ",
    "It can also run a small model offline through llama.cpp.",
)
SOURCES = tuple(
    (f"https://vertexaisearch.cloud.google.com/grounding-api-redirect/{key}", title)
    for key, title in (("A1", "rill.example"), ("B2", "docs.rill.example"), ("C3", "pypi.org"))
)


def chart_png(width: int = 360, height: int = 180) -> bytes:
    """A bar chart as a PNG (what a code run's figure looks like), drawn by hand."""
    bars = (3, 7, 12, 18, 25, 33, 42, 52, 63, 55)
    rows = []
    for y in range(height):
        row = bytearray()
        for x in range(width):
            slot, inside = divmod(x - 20, 32)
            value = bars[slot] if 0 <= slot < len(bars) and inside < 24 else 0
            on = x >= 20 and height - 16 - y < value * 2.3 and y < height - 16
            row += bytes((37, 99, 235) if on else (250, 250, 250))
        rows.append(b"\0" + bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b"")
    )  # fmt: skip


CODE = """import matplotlib.pyplot as plt

squares = [n * n for n in range(1, 11)]
plt.bar(range(1, 11), squares)
plt.savefig("squares.png")
print(sum(squares))
"""
IMAGE_ANSWER = ("Here is a lighthouse at dusk, ", "its lamp just lit:\n\n", "Want another style?")


def lighthouse_png() -> str:
    """A picture for the image scene (base64 PNG): dusk sky, sea, a lighthouse."""
    from PIL import Image, ImageDraw

    width, height = 960, 540
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # dusk: deep blue to orange at the horizon, then the sea
        t = y / (height * 0.7)
        sky = (int(30 + 200 * t), int(40 + 90 * t), int(110 - 40 * t))
        draw.line([(0, y), (width, y)], fill=sky if y < height * 0.7 else (20, 50, 90))
    draw.polygon([(600, 378), (640, 378), (630, 170), (610, 170)], fill=(235, 235, 230))
    for band in (200, 260, 320):
        draw.polygon(
            [(612, band), (628, band), (630, band + 22), (610, band + 22)], fill=(190, 40, 40)
        )
    draw.ellipse([(604, 140), (636, 172)], fill=(255, 226, 120))
    out = io.BytesIO()
    image.save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def image_answer() -> Scenario:
    """An image model's answer: words, the picture (an ``inlineData`` part), words."""
    picture = ((2, "image/png", lighthouse_png()),)
    return dataclasses.replace(stream(list(IMAGE_ANSWER)), images=picture)


TOOL_SCENES: dict[str, tuple[Callable[[], Scenario], str, str]] = {
    "model_image": (image_answer, IMAGE_ANSWER[-1], "Draw a lighthouse at dusk"),
    "grounded": (
        lambda: tools.grounded(GROUNDED, **tools.grounding_metadata(GROUNDED, SOURCES)),
        "llama.cpp",
        "What is Rill?",
    ),
    "code_run": (
        lambda: tools.code_run(
            CODE,
            "385\n",
            before="I'll compute it and draw the squares. ",
            after="The sum of the first ten squares is **385**.",
            figure=chart_png(),
        ),
        "385",
        "Add up the first ten squares and plot them.",
    ),
}

SCENES = (
    Scene("light"),
    Scene("dark", theme="dark"),
    Scene("narrow", size=(480, 720)),
    Scene("scale-200", size=(900, 640), scale=2),
    Scene("empty", answer=False),
    Scene("settings", panel=True),
    Scene("grounded", scenario="grounded"),
    Scene("grounded-dark", theme="dark", scenario="grounded"),
    Scene("code-run", scenario="code_run", size=(1100, 900)),
    Scene("code-run-dark", theme="dark", scenario="code_run", size=(1100, 900)),
    Scene("model-image", scenario="model_image"),
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

    last_words, prompt = LAST_WORDS, PROMPT
    if scene.scenario:
        make, last_words, prompt = TOOL_SCENES[scene.scenario]
        fake.push(make())
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
