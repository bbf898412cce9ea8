"""PyInstaller's entry script: the same ``rill`` command as the installed gui-script."""

from rill.gui.launch import main

if __name__ == "__main__":
    raise SystemExit(main())
