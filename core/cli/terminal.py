"""Making untrusted text inert before it reaches a terminal.

A model's answer (or a server's error message) may carry ANSI escape sequences that
recolour the terminal, move the cursor over earlier output, set the window title or,
on some terminals, worse. When Rill writes to a terminal, every control character
except newline and tab is shown as a visible symbol instead of being obeyed. Text
written to a pipe or a file stays exactly as the model sent it.
"""

from __future__ import annotations

from typing import TextIO

_KEEP = {0x0A, 0x09}  # newline and tab are layout, not commands


def _table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0x20):
        if code not in _KEEP:
            table[code] = chr(0x2400 + code)  # U+2400 control pictures: ␛, ␍, ␇ …
    table[0x7F] = "\u2421"  # ␡
    for code in range(0x80, 0xA0):  # C1 controls: 0x9B is a one-byte CSI
        table[code] = "\ufffd"
    return table


_INERT = _table()


def inert(text: str) -> str:
    """``text`` with every control character but newline and tab made visible."""
    return text.translate(_INERT)


def for_stream(stream: TextIO, text: str) -> str:
    """``text`` as it should be written to ``stream``: inert on a terminal, else exact."""
    try:
        is_terminal = stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: be safe
        is_terminal = True
    return inert(text) if is_terminal else text
