"""One launch's single-instance claim, without a window: ``python -m
tests.gui.support.claim_driver GO_FILE EXPECTED``.

Prints ``ready``, waits until GO_FILE exists (so several drivers claim in the same
instant), claims the
profile's name as the app does, and prints ``handed`` (a running one took the
hand-over) or ``owner N``: it owned the name, served it as the app does after its
first paint, and heard N activations before EXPECTED arrived or 10 s passed.
Whether Qt's network module was loaded before serving is printed too (``qtnetwork``).
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QCoreApplication, QTimer

from rill.gui.single_instance import claim

LIMIT_MS = 10_000


def main() -> int:
    """Claim, then report; the exit status is 0."""
    go, expected = sys.argv[1], int(sys.argv[2])
    app = QCoreApplication([])
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.002)
    guard = claim()
    if guard is None:
        print("handed", flush=True)
        return 0
    network_before = "PySide6.QtNetwork" in sys.modules
    heard = [0]

    def on_activation() -> None:
        heard[0] += 1
        if heard[0] >= expected:
            app.quit()

    guard.activation_requested.connect(on_activation)
    guard.serve()
    if expected:
        QTimer.singleShot(LIMIT_MS, app.quit)
        app.exec()
    guard.close()
    print(f"owner {heard[0]} qtnetwork-before-serve={network_before}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
