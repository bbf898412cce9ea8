"""An uploaded image outlives its Files API upload in the window (fake Gemini server).

The window's turn keeps the uploaded image's bytes with its URI; when Gemini has
deleted the file (48 hours later, here the fake's clock is moved on) the next turn's
request is answered 403 PERMISSION_DENIED, the kept bytes are uploaded again and
the turn is sent once more with the new URI; later turns reuse the new upload.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from rill.core.types import MessageStatus
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.attachment_support import (
    UPLOAD_LIMIT,
    MakeWindow,
    attach_photo_to_upload,
    model_requests,
    send_and_wait,
    sent_parts,
)

pytest_plugins = ["tests.gui.support.attachment_window"]  # the make_window fixture

HOURS = 3600.0


def upload_starts(fake: FakeGemini) -> int:
    return sum(
        1
        for r in fake.requests
        if r.path.startswith("/upload/") and r.headers.get("x-goog-upload-command") == "start"
    )


def test_a_deleted_upload_is_uploaded_again_from_the_kept_bytes(
    qtbot: QtBot,
    make_window: MakeWindow,
    fake_gemini: FakeGemini,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RILL_IMAGE_MAX_BYTES", UPLOAD_LIMIT)  # the photo must be uploaded
    fake_gemini.file_active_after_polls = 0
    window = make_window()
    item = attach_photo_to_upload(qtbot, window, tmp_path)
    assert item.prepared is not None
    first = send_and_wait(qtbot, window, "What is it?")
    assert first.status is MessageStatus.COMPLETE
    user = window.controller.current_chat.session.history[0]
    kept = user.parts[0]
    assert kept.data == item.prepared.data  # the bytes stay with the turn
    assert kept.file_uri is not None and kept.file_expires_at is not None
    assert sent_parts(model_requests(fake_gemini)[0])[0] == {
        "fileData": {"mimeType": "image/jpeg", "fileUri": kept.file_uri}
    }

    fake_gemini.files.advance(49 * HOURS)  # Google has deleted the upload
    second = send_and_wait(qtbot, window, "And now?")
    assert second.status is MessageStatus.COMPLETE, second.error
    denied, resent = model_requests(fake_gemini)[1:]
    assert sent_parts(denied)[0]["fileData"]["fileUri"] == kept.file_uri
    renewed = sent_parts(resent)[0]["fileData"]["fileUri"]
    assert renewed != kept.file_uri
    stored = fake_gemini.uploaded("files/" + renewed.rsplit("/", 1)[1])
    assert stored is not None and bytes(stored.data) == item.prepared.data
    assert upload_starts(fake_gemini) == 2

    third = send_and_wait(qtbot, window, "Once more")
    assert third.status is MessageStatus.COMPLETE
    assert sent_parts(model_requests(fake_gemini)[-1])[0]["fileData"]["fileUri"] == renewed
    assert upload_starts(fake_gemini) == 2
