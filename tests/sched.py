"""How long a thread waited for a CPU: the machine's load, told apart from the app's own
stalls. Qt-free, so the core tests (run without PySide6 too) can use it."""

from __future__ import annotations


def queued_s() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (Linux schedstat);
    0.0 where the kernel does not say. A gap less this is the app's own stall: on a
    shared 2-core machine the rest is other processes' load, not Rill's work."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as f:
            return int(f.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0
