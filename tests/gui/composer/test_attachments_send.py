"""Sending images from the window: the Files API upload with progress, Stop during it,
history on later turns, the bad-file matrix, and providers or models without vision.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rill.core.attachments.prepare import AttachmentLimits, human_bytes
from rill.core.providers.local import LocalProvider
from rill.gui.common import thumbnail_cache
from tests.core.attachments.test_images import BAD_FILES
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.attachment_support import (
    UPLOAD_LIMIT,
    MakeWindow,
    attach_photo_to_upload,
    drop_on,
    file_mime,
    inline_blobs,
    model_requests,
    noisy_jpeg,
    png_file,
    send_and_wait,
    send_until_uploading,
    sent_parts,
    wait_ready,
)

pytest_plugins = ["tests.gui.support.attachment_window"]  # the make_window fixture

# ---------------------------------------------------------------- Files API


def test_an_image_too_big_for_inline_data_is_uploaded_with_progress(
    qtbot: QtBot,
    make_window: MakeWindow,
    fake_gemini: FakeGemini,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A 60 KB inline limit makes a 1600×1200 noisy photo "too big" without 7 MB files.
    monkeypatch.setenv("RILL_IMAGE_MAX_BYTES", "60000")
    window = make_window()
    window.composer.add_files([noisy_jpeg(tmp_path / "big photo.jpg", (1600, 1200))])
    wait_ready(qtbot, window.composer, 1)
    (item,) = window.composer.attachments
    assert item.prepared is not None and item.prepared.needs_upload
    progress: list[tuple[int, int]] = []
    tile_progress: list[float | None] = []
    statuses: list[str] = []
    window.controller.upload_progressed.connect(lambda _item, s, t: progress.append((s, t)))
    window.attachments.item_changed.connect(lambda i: tile_progress.append(i.progress))
    window.controller.status_changed.connect(statuses.append)
    send_and_wait(qtbot, window, "How big?")

    total = item.prepared.byte_size
    assert progress[0] == (0, total) and progress[-1] == (total, total)
    assert tile_progress[0] == 0.0 and tile_progress[-1] == 1.0  # the tile's bar
    assert f"Uploading big photo.jpg… 100% of {human_bytes(total)}" in statuses
    (request,) = model_requests(fake_gemini)
    file_part = sent_parts(request)[0]["fileData"]
    assert file_part["mimeType"] == "image/jpeg"
    stored = fake_gemini.uploaded("files/" + file_part["fileUri"].rsplit("/", 1)[1])
    assert stored is not None and bytes(stored.data) == item.prepared.data
    assert inline_blobs(request) == []
    user = window.controller.current_chat.session.history[0]
    assert thumbnail_cache.thumbnail_for(user.parts[0]) == item.prepared.thumbnail


def test_over_the_request_budget_the_largest_image_is_uploaded(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    window = make_window()
    small = png_file(tmp_path / "small.png", (32, 32))
    big = noisy_jpeg(tmp_path / "big.jpg", (1200, 900))
    window.controller.image_limits = AttachmentLimits(inline_request_bytes=80 * 1024)
    window.composer.add_files([small, big])
    wait_ready(qtbot, window.composer, 2)
    send_and_wait(qtbot, window, "Which is bigger?")
    parts = sent_parts(model_requests(fake_gemini)[0])
    assert parts[0]["inlineData"]["mimeType"] == "image/png"
    assert parts[1]["fileData"]["mimeType"] == "image/jpeg"


def test_stop_cancels_an_upload_and_keeps_everything(
    qtbot: QtBot,
    make_window: MakeWindow,
    fake_gemini: FakeGemini,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RILL_IMAGE_MAX_BYTES", UPLOAD_LIMIT)
    fake_gemini.file_active_after_polls = 1000  # "processing" until we give up
    window = make_window()
    composer = window.composer
    attach_photo_to_upload(qtbot, window, tmp_path)
    send_until_uploading(qtbot, window, "Will you see this?")
    assert composer.send_button.text() == "Stop" and window.menus.stop_action.isEnabled()
    with qtbot.waitSignal(window.controller.streaming_changed, timeout=5000) as blocker:
        qtbot.mouseClick(composer.send_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [False]
    assert composer.send_button.text() == "Send"
    assert window.status_line.state_label.text() == "Stopped; nothing was sent."
    assert composer.text == "Will you see this?" and len(composer.attachments) == 1
    assert composer.attachments[0].progress is None
    assert model_requests(fake_gemini) == []
    assert window.controller.current_chat.session.history == []


def test_a_later_turn_resends_the_first_turns_image(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    window = make_window()
    path = png_file(tmp_path / "chart.png", (120, 80))
    drop_on(window, file_mime(path))
    wait_ready(qtbot, window.composer, 1)
    send_and_wait(qtbot, window, "What is this chart?")
    send_and_wait(qtbot, window, "And the colour?")
    first, second = model_requests(fake_gemini)
    contents = second.normalized["contents"]
    assert [c["role"] for c in contents] == ["user", "model", "user"]
    assert inline_blobs(second, 0) == [("image/png", path.read_bytes())]
    assert contents[0] == first.normalized["contents"][0]
    assert contents[2]["parts"] == [{"text": "And the colour?"}]


# ---------------------------------------------------------------- bad files


def test_bad_files_are_named_with_their_reason_and_nothing_else_is_lost(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    window = make_window()
    composer = window.composer
    composer.set_text("Please compare")
    good = png_file(tmp_path / "good.png")
    bad_paths = []
    for name, content, _reason, _code in BAD_FILES:
        path = tmp_path / name
        if content is None:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        bad_paths.append(path)
    failures: list[str] = []
    composer.attachment_failed.connect(failures.append)
    drop_on(window, file_mime(good, *bad_paths))
    qtbot.waitUntil(lambda: len(failures) == len(BAD_FILES), timeout=15_000)
    wait_ready(qtbot, composer, 1)

    by_name = {f.split(":", 1)[0].removeprefix("Cannot attach "): f for f in failures}
    for name, _content, reason, _code in BAD_FILES:
        assert reason in by_name[name], by_name[name]
    notice = composer.error_label.text()
    assert composer.error_label.isVisible()
    assert all(f"Cannot attach {name}: " in notice for name, *_ in BAD_FILES)
    assert composer.text == "Please compare"
    assert [i.name for i in composer.attachments] == ["good.png"]
    send_and_wait(qtbot, window)
    assert inline_blobs(model_requests(fake_gemini)[0]) == [("image/png", good.read_bytes())]


# ---------------------------------------------------------------- no vision


def test_a_provider_without_vision_disables_attaching(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    composer = window.composer
    gemini = window.controller.provider
    assert composer.attach_button.isEnabled()
    window.providers.manager.use_provider(
        LocalProvider(models_dir=tmp_path / "models", n_threads=1)
    )
    reason = "The offline model cannot read images"
    assert composer.attach_button.isEnabled()  # documents and text still go, as text
    assert composer.attach_button.toolTip() == reason + "; PDFs, text and code can still go."
    assert window.menus.attach_action.isEnabled() and not window.menus.uri_action.isEnabled()
    mime = file_mime(png_file(tmp_path / "a.png"))
    with qtbot.waitSignal(composer.attachment_failed, timeout=1000) as blocker:
        drop_on(window, mime)
    assert blocker.args[0] == f"Cannot attach a.png: {reason}"
    assert composer.attachments == [] and composer.error_label.isVisible()
    window.providers.manager.use_provider(gemini)
    assert composer.attach_button.isEnabled()


def test_a_model_without_vision_disables_attaching(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    fake_gemini.models.append({
        "name": "models/aqa",
        "displayName": "Attributed QA",
        "supportedGenerationMethods": ["generateContent"],
    })  # fmt: skip
    window = make_window()
    controller, manager = window.controller, window.providers.manager
    qtbot.waitUntil(lambda: any(m.id == "aqa" for m in manager.models), timeout=5000)
    window.composer.add_files([png_file(tmp_path / "a.png")])
    wait_ready(qtbot, window.composer, 1)
    seeing = controller.settings.model
    window.panel.settings_edited.emit(replace(controller.settings, model="aqa"))
    assert window.composer.attach_button.toolTip().startswith("Attributed QA cannot read images;")
    window.composer.set_text("hi")
    with qtbot.assertNotEmitted(window.composer.send_requested):
        qtbot.mouseClick(window.composer.send_button, Qt.MouseButton.LeftButton)
    assert "remove the images or choose another model" in window.composer.error_label.text()
    assert window.composer.text == "hi" and len(window.composer.attachments) == 1
    window.panel.settings_edited.emit(replace(controller.settings, model=seeing))
    assert window.composer.attach_button.isEnabled()
