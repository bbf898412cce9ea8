"""The ``rill`` command: the window, or the CLI when a subcommand is given.

Nothing Qt is imported here at module level, so ``rill ask`` starts as fast as
``rill-cli ask`` does.
"""

from __future__ import annotations

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

    try:
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
