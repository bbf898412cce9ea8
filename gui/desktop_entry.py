"""``rill --install-desktop-entry``: the Linux launcher entry and icons under XDG_DATA_HOME.

The PNG icons are rendered here from ``resources/rill.svg`` (nothing generated is
committed), so the launcher, the dock and the window all show the one source drawing.
Uninstall removes exactly the files install wrote, and nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from rill.core.secrets import child_environment
from rill.gui.common import resource_path

APP_ID = "rill"  # the desktop file's name, QGuiApplication.desktopFileName and Icon=
# Qt's xcb plugin sets WM_CLASS to (argv[0] basename, applicationName): the class
# part is "Rill" however the app was started, so docks match on it.
WM_CLASS = "Rill"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)  # the freedesktop hicolor sizes we ship
# Characters that force quoting in an Exec argument (Desktop Entry spec, "Exec key").
_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def data_home() -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` when it is unset, empty or relative."""
    value = os.environ.get("XDG_DATA_HOME", "").strip()
    if value and Path(value).is_absolute():
        return Path(value)
    return Path.home() / ".local" / "share"


def launcher_path() -> Path:
    """The absolute path of the ``rill`` program that is running now.

    A frozen build is its own executable; otherwise ``sys.argv[0]`` (the gui-script)
    when it exists, else ``rill`` on PATH. Raises FileNotFoundError when none exists.
    """
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve()
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 is not None and argv0.name.startswith(APP_ID) and argv0.is_file():
        return argv0.absolute()
    found = shutil.which(APP_ID)
    if found:
        return Path(found).absolute()
    raise FileNotFoundError("cannot find the installed `rill` program to point the entry at")


def exec_argument(path: Path) -> str:
    """``path`` as one Exec argument: quoted and escaped when the spec says it must be."""
    text = str(path)
    if not any(c in _EXEC_RESERVED for c in text):
        return text.replace("%", "%%")
    quoted = "".join("\\" + c if c in '"`$\\' else c for c in text).replace("%", "%%")
    # The whole value is then a desktop-file string, where a backslash is itself escaped.
    return '"' + quoted.replace("\\", "\\\\") + '"'


def desktop_entry_text(program: Path) -> str:
    """The ``rill.desktop`` contents for a launcher at ``program``."""
    exec_value = exec_argument(program)
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Version=1.4",
            "Name=Rill",
            "GenericName=AI Chat",
            "Comment=Chat with language models that stream their answers, online or offline",
            f"Exec={exec_value}",
            # TryExec is a plain path, not a command line: no quoting, only string escapes.
            f"TryExec={str(program).replace(chr(92), chr(92) * 2)}",
            f"Icon={APP_ID}",
            "Terminal=false",
            "StartupNotify=true",
            f"StartupWMClass={WM_CLASS}",
            "Categories=Network;Chat;",
            "Keywords=AI;LLM;chat;Gemini;assistant;offline;",
            "",
        ]
    )


def _render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def render_pngs(targets: dict[int, Path]) -> None:
    """Render Rill's icon from ``rill.svg`` into each ``{size: png path}`` of ``targets``.

    Needs no display: a QGuiApplication on the offscreen platform is made when none
    exists. Raises RuntimeError when the SVG cannot be read, OSError when a PNG
    cannot be written.
    """
    app = QGuiApplication.instance()
    if app is None:
        app = QGuiApplication([APP_ID, "-platform", "offscreen"])
    renderer = QSvgRenderer(str(resource_path("rill.svg")))
    if not renderer.isValid():
        raise RuntimeError(f"cannot read the icon {resource_path('rill.svg')}")
    for size, path in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not _render(renderer, size).save(str(path)):
            raise OSError(f"cannot write {path}")


def planned_files(home: Path | None = None) -> list[Path]:
    """Every file install writes (and uninstall removes), under ``home`` or data_home()."""
    base = home if home is not None else data_home()
    icons = base / "icons" / "hicolor"
    files = [base / "applications" / f"{APP_ID}.desktop", icons / "scalable" / "apps" / "rill.svg"]
    files += [icons / f"{s}x{s}" / "apps" / f"{APP_ID}.png" for s in ICON_SIZES]
    return files


def _refresh_caches(base: Path) -> None:
    """Tell the desktop about the change; the tools are optional, so absence is fine.

    The icon cache is only refreshed when one exists: a new cache that later goes
    stale would hide other programs' icons, while no cache means a directory scan.
    """
    icons = base / "icons" / "hicolor"
    commands = [["update-desktop-database", "-q", str(base / "applications")]]
    if (icons / "icon-theme.cache").exists():
        commands.append(["gtk-update-icon-cache", "-q", "-t", "-f", str(icons)])
    for command in commands:
        if shutil.which(command[0]):
            subprocess.run(
                command, check=False, capture_output=True, timeout=30, env=child_environment()
            )


def install(program: Path | None = None, home: Path | None = None) -> list[Path]:
    """Write the desktop entry and icons; returns the files written.

    Raises FileNotFoundError when the launcher cannot be found, OSError on write errors.
    """
    base = home if home is not None else data_home()
    target = program if program is not None else launcher_path()
    entry, svg, *pngs = planned_files(base)
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(desktop_entry_text(target), encoding="utf-8")
    svg.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(resource_path("rill.svg"), svg)
    render_pngs(dict(zip(ICON_SIZES, pngs, strict=True)))
    _refresh_caches(base)
    return [entry, svg, *pngs]


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove what :func:`install` wrote (and directories it left empty); returns the removed."""
    base = home if home is not None else data_home()
    removed: list[Path] = []
    for path in planned_files(base):
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed.append(path)
        # Only the per-size folders install may have created; never the shared roots.
        for parent in (path.parent, path.parent.parent):
            if parent in (base / "applications", base / "icons" / "hicolor"):
                break
            try:
                parent.rmdir()
            except OSError:
                break
    _refresh_caches(base)
    return removed


def main(action: str) -> int:
    """Run ``--install-desktop-entry`` or ``--uninstall-desktop-entry``; returns the status."""
    try:
        if action == "install":
            files = install()
            print(f"Installed the Rill launcher: {files[0]} (Exec={launcher_path()})")
        else:
            files = uninstall()
            print(f"Removed {len(files)} Rill desktop file(s) from {data_home()}")
    except (OSError, RuntimeError) as error:
        print(f"rill: {error}", file=sys.stderr)
        return 1
    return 0
