"""Small thumbnails of images already sent, so the chat pane need not decode the originals.

Decoding a 3072-pixel JPEG just to show it at 120 px costs the UI thread about 85 ms;
the composer already made a 256-px PNG of it on a worker thread. Sent parts are
remembered here by their bytes (inline data) or their Files API URI (uploads); the
chat pane asks :func:`thumbnail_for` before decoding a part itself. Qt-free.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the window's first paint names no part (issue 14, item 7)
    from rill.core.types import Part

LIMIT = 512  # entries; a 256-px PNG is 10-150 KB

_by_key: OrderedDict[tuple[int, int] | str, bytes] = OrderedDict()


def _key(part: Part) -> tuple[int, int] | str | None:
    if part.data is not None:
        # bytes cache their hash: computed once (on a worker thread, see
        # attachment_queue), it costs nothing here.
        return (hash(part.data), len(part.data))
    return part.file_uri


def remember(part: Part, thumbnail: bytes | None) -> None:
    """Keep ``thumbnail`` (PNG) for ``part``; the oldest entries go past LIMIT."""
    key = _key(part)
    if key is None or not thumbnail:
        return
    _by_key[key] = thumbnail
    _by_key.move_to_end(key)
    while len(_by_key) > LIMIT:
        _by_key.popitem(last=False)


def thumbnail_for(part: Part) -> bytes | None:
    """The PNG thumbnail remembered for ``part`` (same bytes or same URI), if any."""
    key = _key(part)
    return _by_key.get(key) if key is not None else None


def clear() -> None:
    """Forget every cached thumbnail."""
    _by_key.clear()
