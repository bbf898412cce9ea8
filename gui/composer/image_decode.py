"""Qt image work that runs on the image worker threads, never on the UI thread.

QImage, QImageReader and QBuffer are reentrant: each call here builds its own and
hands back plain bytes or a QImage (implicitly shared, safe to pass to the UI thread,
where only the cheap QPixmap conversion of a small image happens).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QImage, QImageReader

# Files at least this big get a quick reduced-decode thumbnail before the full prepare.
BIG_FILE_BYTES = 1024 * 1024


def source_size(source: Path | bytes) -> int:
    """Bytes in ``source`` (0 when a path cannot be read: the prepare step says why)."""
    if isinstance(source, bytes):
        return len(source)
    try:
        return os.stat(source).st_size
    except OSError:
        return 0


def png_bytes(image: QImage) -> bytes:
    """A pasted QImage as PNG bytes, for ``prepare_image``."""
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # WORKAROUND: PySide6 6.11 stubs want bytes for the format; the binding takes str.
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    buffer.close()
    return bytes(array.data())


def decode_scaled(data: bytes, max_side: int) -> QImage:
    """``data`` decoded to fit ``max_side`` (JPEG decodes at reduced scale: fast).

    Returns a null QImage when Qt cannot read the format (HEIC without a plug-in).
    """
    array = QByteArray(data)
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > max_side:
        reader.setScaledSize(
            size.scaled(QSize(max_side, max_side), Qt.AspectRatioMode.KeepAspectRatio)
        )
    image = reader.read()
    buffer.close()
    return image
