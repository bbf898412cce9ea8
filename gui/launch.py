"""The ``rill`` command: the window, or the CLI when a subcommand is given.

Nothing Qt is imported here at module level, so ``rill ask`` starts as fast as
``rill-cli ask`` does.
"""

from __future__ import annotations

import gc
import sys

# First arguments that mean "the command line, not the window".
CLI_FIRST_ARGUMENTS = frozenset(
    {"ask", "chat", "history", "search", "export", "import", "mcp", "-h", "--help", "--version"}
)


def wants_cli(argv: list[str]) -> bool:
    """Whether ``argv`` (without the program name) asks for the CLI."""
    return bool(argv) and argv[0] in CLI_FIRST_ARGUMENTS


# `rill --install-desktop-entry` and its undo (Linux launcher; see rill.gui.desktop_entry).
DESKTOP_ENTRY_ACTIONS = {
    "--install-desktop-entry": "install",
    "--uninstall-desktop-entry": "uninstall",
}


def _pyside_scans_without_caching() -> None:
    """Keep PySide's per-import source scan out of ``linecache`` (11 MB; ~5% of start-up CPU).

    Once ``PySide6.QtCore`` is loaded, PySide calls ``_mod_uses_pyside`` after every
    import to learn whether the new module names "PySide6" (the default for its opt-in
    ``__feature__`` switches). It reads the source with ``inspect.getsource``, and
    ``linecache`` keeps every line of every module imported after Qt for the life of
    the process: 120,000 lines, 11 MB of idle memory, and their reading and splitting
    before the first paint. The same test on the file's bytes gives the same answer
    without keeping them. Best effort: when a PySide release renames the function
    (the pin is <6.12), its own scan stays.
    """
    try:
        import PySide6.QtCore  # noqa: F401  (loads the feature module being adjusted)
    except ImportError:
        return  # no Qt: importing the app says so
    feature = sys.modules.get("PySide6.support.feature")
    if feature is not None and callable(getattr(feature, "_mod_uses_pyside", None)):
        feature.__dict__["_mod_uses_pyside"] = _mentions_pyside


def _mentions_pyside(module: object) -> bool:
    """Whether the module's source file names PySide6 (as PySide's own scan decides)."""
    origin = getattr(getattr(module, "__spec__", None), "origin", None)
    if not isinstance(origin, str) or not origin.endswith(".py"):
        return False  # built in, an extension, or no file: PySide's scan says False too
    try:
        with open(origin, "rb") as source:
            return b"PySide6" in source.read()
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    """Run ``rill``: a CLI subcommand, or the desktop window; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if wants_cli(args):
        from rill.core.cli import main as cli_main

        return cli_main(args)
    if args and args[0] in DESKTOP_ENTRY_ACTIONS:
        from rill.gui.desktop_entry import main as desktop_entry_main

        return desktop_entry_main(DESKTOP_ENTRY_ACTIONS[args[0]])
    # Imported by name: the GUI (and Qt with it) loads only when the window is wanted,
    # and a build without it still gets a clear line instead of a traceback.
    import importlib

    # No cycle collections while the window is built: the imports and widgets make
    # ~70,000 objects, and the collector ran ~90 times over them before the first
    # paint (12-15 ms of CPU, 4%). rill.gui.app.run collects once after that paint.
    gc.disable()
    try:
        _pyside_scans_without_caching()
        app = importlib.import_module("rill.gui.app")
    except ModuleNotFoundError as exc:
        if exc.name not in ("rill.gui.app", "PySide6", "qasync"):
            raise
        print(
            f"rill: the desktop window cannot start ({exc.name} is missing); "
            "`rill ask` and `rill chat` work without it.",
            file=sys.stderr,
        )
        return 1
    result: object = app.main()
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
