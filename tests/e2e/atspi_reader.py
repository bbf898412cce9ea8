"""Reads Rill's window as a screen reader does, through AT-SPI (run by the system's
python3, which has pyatspi; the project's venv does not). Prints one JSON list of
[role, name, description] for every accessible object of the application named
``Rill`` once the tree holds every name given on the command line, or exits 1 after
the timeout with what it saw.

    python3 atspi_reader.py TIMEOUT NAME [NAME...]
"""

import json
import sys
import time

import pyatspi  # type: ignore[import-not-found]

LIMIT = 5000  # objects read at most (a guard against a runaway tree)


def find_app():  # type: ignore[no-untyped-def]
    for app in pyatspi.Registry.getDesktop(0):
        if app is not None and app.name == "Rill":
            return app
    return None


def walk(node, out):  # type: ignore[no-untyped-def]
    if node is None or len(out) >= LIMIT:
        return
    try:
        out.append([node.getRoleName(), node.name or "", node.description or ""])
        children = [node.getChildAtIndex(i) for i in range(node.childCount)]
    except Exception:  # an object gone while it was read
        return
    for child in children:
        walk(child, out)


def main() -> int:
    timeout, wanted = float(sys.argv[1]), sys.argv[2:]
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        app = find_app()
        seen = []
        if app is not None:
            walk(app, seen)
            names = [name for _, name, _ in seen]
            if all(any(name.startswith(w) for name in names) for w in wanted):
                print(json.dumps(seen))
                return 0
        time.sleep(0.5)
    print(json.dumps(seen))
    return 1


if __name__ == "__main__":
    sys.exit(main())
