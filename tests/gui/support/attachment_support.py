"""Helpers for the attachment tests: a real window on the fake server, image files,
drag-and-drop events, and what the fake server received.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtCore import QMimeData, QObject, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from rill.gui.composer.attachment_queue import QueuedFile, State
from rill.gui.composer.composer import Composer
from rill.gui.window.main_window import MainWindow
from tests.core.attachments.test_images import encode, noise
from tests.fakes.gemini_server import FakeGemini, RecordedRequest

MakeWindow = Callable[[], MainWindow]
COPY = Qt.DropAction.CopyAction
NO_BUTTONS = Qt.MouseButton.NoButton
NO_MODS = Qt.KeyboardModifier.NoModifier


# ---------------------------------------------------------------- images


def png_file(path: Path, size: tuple[int, int] = (40, 30), color: str = "#3366cc") -> Path:
    image = Image.new("RGB", size, color)
    image.save(path, format="PNG")
    return path


def noisy_jpeg(path: Path, size: tuple[int, int], quality: int = 92) -> Path:
    path.write_bytes(encode(noise(size), "JPEG", quality=quality))
    return path


def png_bytes(size: tuple[int, int] = (24, 16), color: str = "#cc3333") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def decoded_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


# ---------------------------------------------------------------- drag and drop


def file_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drag_over(target: QObject, mime: QMimeData, pos: QPoint | None = None) -> QDragEnterEvent:
    """Send a DragEnter to ``target`` (a widget or a QWindow); returns the event."""
    event = QDragEnterEvent(pos or QPoint(200, 200), COPY, mime, NO_BUTTONS, NO_MODS)
    QApplication.sendEvent(target, event)
    return event


def drop_on(target: QObject, mime: QMimeData, pos: QPoint | None = None) -> QDropEvent:
    """DragEnter then Drop on ``target``, as a file manager's drag ends."""
    point = pos or QPoint(200, 200)
    drag_over(target, mime, point)
    event = QDropEvent(QPointF(point), COPY, mime, NO_BUTTONS, NO_MODS)
    QApplication.sendEvent(target, event)
    return event


def drag_leave(target: QObject) -> None:
    QApplication.sendEvent(target, QDragLeaveEvent())


# ---------------------------------------------------------------- waiting and checking


def wait_ready(qtbot: QtBot, composer: Composer, count: int, timeout: int = 60_000) -> None:
    """Until ``count`` attachments sit in the strip, all prepared. A cap, not a bound:
    a cold worker pool shrinking a 12-megapixel photo took over 10 s on a loaded CI."""

    def ready() -> bool:
        items = composer.attachments
        return len(items) == count and all(i.state is State.READY for i in items)

    qtbot.waitUntil(ready, timeout=timeout)


def send_and_wait(qtbot: QtBot, window: MainWindow, text: str = "", timeout: int = 15_000) -> Any:
    """Type ``text``, press Send, wait for the answer; returns the answer Message."""
    if text:
        window.composer.set_text(text)
    with qtbot.waitSignal(window.controller.answer_finished, timeout=timeout) as blocker:
        qtbot.mouseClick(window.composer.send_button, Qt.MouseButton.LeftButton)
    return blocker.args[1]


# RILL_IMAGE_MAX_BYTES under which a 1600×1200 noisy photo must go through the Files
# API: uploads without 7 MB test files.
UPLOAD_LIMIT = "60000"


def attach_photo_to_upload(qtbot: QtBot, window: MainWindow, folder: Path) -> QueuedFile:
    """Attach a 1600×1200 noisy photo and wait until it is prepared; with
    ``RILL_IMAGE_MAX_BYTES=UPLOAD_LIMIT`` set before the window, it needs an upload."""
    before = len(window.composer.attachments)
    window.composer.add_files([noisy_jpeg(folder / "photo.jpg", (1600, 1200))])
    wait_ready(qtbot, window.composer, before + 1)
    item = window.composer.attachments[-1]
    assert item.prepared is not None and item.prepared.needs_upload
    return item


def send_until_uploading(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Type ``text`` and press Send; returns once the upload has started."""
    window.composer.set_text(text)
    with qtbot.waitSignal(window.controller.upload_progressed, timeout=5000):
        qtbot.mouseClick(window.composer.send_button, Qt.MouseButton.LeftButton)


def model_requests(fake: FakeGemini) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.action in ("streamGenerateContent", "generateContent")]


def sent_parts(request: RecordedRequest, turn: int = 0) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = request.normalized["contents"][turn]["parts"]
    return parts


def inline_blobs(request: RecordedRequest, turn: int = 0) -> list[tuple[str, bytes]]:
    """(MIME type, decoded bytes) of each inlineData part of one turn."""
    return [
        (p["inlineData"]["mimeType"], base64.b64decode(p["inlineData"]["data"]))
        for p in sent_parts(request, turn)
        if "inlineData" in p
    ]


def prepared_data(items: list[QueuedFile]) -> list[bytes]:
    out = []
    for item in items:
        assert item.prepared is not None, item
        out.append(item.prepared.data)
    return out
