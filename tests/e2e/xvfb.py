"""Start a private Xvfb on a free display, for the end-to-end tests and tools."""

from __future__ import annotations

import os
import subprocess

SCREEN = "1280x800x24"


def start_xvfb(screen: str = SCREEN) -> tuple[subprocess.Popen[bytes], str]:
    """A running Xvfb and its display name (":N").

    ``-displayfd`` makes Xvfb pick a free display and report it once it accepts
    clients, so nothing is guessed and nothing sleeps; ``-noreset`` keeps it from
    resetting (and refusing connections for a moment) whenever its last client leaves.
    Raises RuntimeError when Xvfb reports no display.
    """
    read_fd, write_fd = os.pipe()
    args = ["-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp", "-noreset"]
    server = subprocess.Popen(
        ["Xvfb", *args],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        number = reader.readline().strip()
    if not number:
        server.kill()
        server.wait()
        raise RuntimeError("Xvfb did not report a display")
    return server, f":{number}"


def stop_xvfb(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
