"""Render the build's icons from ``resources/rill.svg``: PNGs, a Windows .ico, a macOS .icns.

Run before PyInstaller (``packaging/build.sh`` does). Output goes to ``build/icons``:
generated files are never committed, so the SVG stays the one source drawing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from rill.gui.desktop_entry import ICON_SIZES, render_pngs

ROOT = Path(__file__).resolve().parents[1]
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)  # Windows reads at most 256 px from an .ico
ICNS_SIZES = (16, 32, 64, 128, 256, 512)  # what Pillow's ICNS writer takes from its inputs


def render_all(out: Path) -> dict[str, Path]:
    """Write ``png/rill-<size>.png``, ``rill.ico`` and ``rill.icns`` under ``out``.

    Returns the paths by kind ("ico", "icns", "png512"). Raises OSError on write errors.
    """
    pngs = {size: out / "png" / f"rill-{size}.png" for size in ICON_SIZES}
    render_pngs(pngs)
    images = {size: Image.open(path) for size, path in pngs.items()}
    largest = images[max(ICON_SIZES)]
    ico = out / "rill.ico"
    # append_images: each size is the SVG's own render, not a downscale of the largest.
    largest.save(
        ico, sizes=[(s, s) for s in ICO_SIZES], append_images=[images[s] for s in ICO_SIZES]
    )
    icns = out / "rill.icns"
    largest.save(icns, append_images=[images[s] for s in ICNS_SIZES if s in images])
    return {"ico": ico, "icns": icns, "png512": pngs[max(ICON_SIZES)]}


def main(argv: list[str] | None = None) -> int:
    """Render into ``--out`` (default ``build/icons``); prints what it wrote."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "icons")
    args = parser.parse_args(argv)
    for kind, path in render_all(args.out).items():
        print(f"{kind}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
