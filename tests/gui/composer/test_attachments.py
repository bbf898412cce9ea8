"""Images into the window: drag-and-drop, paste, URIs, the strip and what reaches the
fake Gemini server — the four ways in, through the real MainWindow.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, QUrl
from PySide6.QtGui import QColor, QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from rill.core.attachments.prepare import DEFAULT_LIMITS
from rill.core.attachments.request_parts import FILES_API_PREFIX
from rill.gui.common import thumbnail_cache
from rill.gui.composer.attachment_preview import preview_side
from rill.gui.composer.attachment_queue import MAX_ATTACHMENTS, State
from rill.gui.composer.uri_dialog import UriDialog
from rill.gui.transcript.renderers.images import ImageBlock
from tests.fakes.gemini_server import FakeGemini
from tests.gui.support.attachment_support import (
    MakeWindow,
    decoded_size,
    drag_leave,
    drag_over,
    drop_on,
    file_mime,
    inline_blobs,
    model_requests,
    noisy_jpeg,
    png_bytes,
    png_file,
    prepared_data,
    send_and_wait,
    sent_parts,
    wait_ready,
)

pytest_plugins = ["tests.gui.support.attachment_window"]  # the make_window fixture

# ---------------------------------------------------------------- drag and drop


def test_files_dropped_on_the_window_are_sent_inline(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    window = make_window()
    small = png_file(tmp_path / "diagram.png", (300, 200))
    photo = noisy_jpeg(tmp_path / "photo.jpg", (4000, 3000))
    mime = file_mime(small, photo)
    event = drag_over(window, mime)
    assert event.isAccepted() and window.image_drop.overlay.isVisible()  # the highlight
    drop_on(window, mime)
    assert not window.image_drop.overlay.isVisible()
    assert [i.name for i in window.composer.attachments] == ["diagram.png", "photo.jpg"]
    wait_ready(qtbot, window.composer, 2)
    expected = prepared_data(window.composer.attachments)
    send_and_wait(qtbot, window, "What are these?")

    (request,) = model_requests(fake_gemini)
    blobs = inline_blobs(request)
    assert [mime for mime, _ in blobs] == ["image/png", "image/jpeg"]
    assert [data for _, data in blobs] == expected  # the processed images, byte for byte
    assert blobs[0][1] == small.read_bytes()  # small PNG: passed through untouched
    assert decoded_size(blobs[1][1]) == (3072, 2304)  # downscaled to the limit
    assert all(len(data) <= DEFAULT_LIMITS.max_image_bytes for _, data in blobs)
    assert len(request.body) <= DEFAULT_LIMITS.inline_request_bytes
    assert sent_parts(request)[-1] == {"text": "What are these?"}
    assert window.composer.attachments == [] and window.composer.text == ""


def test_a_drop_over_a_child_widget_is_caught_at_the_window(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    """A real drag arrives at the QWindow; the input must not take the file as text."""
    window = make_window()
    handle = window.windowHandle()
    pos = window.composer.edit.mapTo(window, window.composer.edit.rect().center())
    drop_on(handle, file_mime(png_file(tmp_path / "a.png")), pos)
    assert window.composer.text == ""
    assert [i.name for i in window.composer.attachments] == ["a.png"]
    wait_ready(qtbot, window.composer, 1)


def test_image_data_from_a_browser_is_attached_as_bytes(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window()
    data = png_bytes((50, 40))
    mime = QMimeData()
    mime.setData("image/png", data)
    mime.setUrls([QUrl("https://example.com/cat.png")])  # the bytes win over the address
    drop_on(window, mime)
    (item,) = window.composer.attachments
    assert item.name == "dropped image.png"
    wait_ready(qtbot, window.composer, 1)
    send_and_wait(qtbot, window)
    assert inline_blobs(model_requests(fake_gemini)[0]) == [("image/png", data)]


def test_a_dropped_address_goes_by_reference(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/photos/cat.webp")])
    drop_on(window, mime)
    (item,) = window.composer.attachments
    assert item.state is State.READY and item.uri is not None
    (tile,) = window.composer.strip.tiles
    assert "https://example.com/photos/cat.webp" in tile.toolTip()
    send_and_wait(qtbot, window, "Describe it")
    assert sent_parts(model_requests(fake_gemini)[0])[0] == {
        "fileData": {"mimeType": "image/webp", "fileUri": "https://example.com/photos/cat.webp"}
    }


def test_a_plain_text_drag_is_left_to_the_widgets(make_window: MakeWindow) -> None:
    window = make_window()
    mime = QMimeData()
    mime.setText("just words")
    event = drag_over(window.windowHandle(), mime)
    assert not window.image_drop.overlay.isVisible()
    drag_leave(window.windowHandle())
    assert event is not None


def test_a_plain_http_address_is_refused_with_a_reason(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    window = make_window()
    mime = QMimeData()
    mime.setUrls([QUrl("http://example.com/a.png")])
    with qtbot.waitSignal(window.composer.attachment_failed, timeout=1000) as blocker:
        drop_on(window, mime)
    assert blocker.args[0] == (
        "Cannot attach http://example.com/a.png: plain http:// URLs are not accepted; use https://"
    )
    assert window.composer.error_label.isVisible()


def test_leaving_the_window_hides_the_highlight(make_window: MakeWindow, tmp_path: Path) -> None:
    window = make_window()
    drag_over(window, file_mime(png_file(tmp_path / "a.png")))
    assert window.image_drop.overlay.isVisible()
    assert window.image_drop.overlay.geometry() == window.rect()
    drag_leave(window)
    assert not window.image_drop.overlay.isVisible()
    assert window.composer.attachments == []


# ---------------------------------------------------------------- clipboard


def test_pasting_image_data_attaches_it(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini
) -> None:
    window = make_window()
    composer = window.composer
    qtbot.keyClicks(composer.edit, "Look:")
    image = QImage(64, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("#22aa44"))
    QGuiApplication.clipboard().setImage(image)
    composer.edit.setFocus()
    qtbot.keyClick(composer.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert composer.text == "Look:"  # nothing pasted as text
    (item,) = composer.attachments
    assert item.name == "pasted image.png"
    wait_ready(qtbot, composer, 1)
    send_and_wait(qtbot, window)
    ((mime, data),) = inline_blobs(model_requests(fake_gemini)[0])
    assert mime == "image/png" and decoded_size(data) == (64, 48)


def test_pasting_copied_files_attaches_them_and_text_stays_text(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    composer = window.composer
    composer.edit.setFocus()
    mime = file_mime(png_file(tmp_path / "one.png"), png_file(tmp_path / "two.png"))
    mime.setText(f"{tmp_path / 'one.png'}\n{tmp_path / 'two.png'}")  # as file managers do
    QGuiApplication.clipboard().setMimeData(mime)
    qtbot.keyClick(composer.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert [i.name for i in composer.attachments] == ["one.png", "two.png"]
    assert composer.text == ""
    QGuiApplication.clipboard().setText("https://example.com/a.png is a link")
    qtbot.keyClick(composer.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert composer.text == "https://example.com/a.png is a link"
    assert len(composer.attachments) == 2
    wait_ready(qtbot, composer, 2)


# ---------------------------------------------------------------- by URI


def open_uri_dialog(qtbot: QtBot, make_window: MakeWindow) -> tuple[UriDialog, object]:
    window = make_window()
    window.menus.uri_action.trigger()
    dialog = window.composer.findChild(UriDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert not dialog.isModal() or dialog.windowModality() != Qt.WindowModality.ApplicationModal
    return dialog, window


def test_add_by_uri_names_the_problem_and_keeps_the_dialog_open(
    qtbot: QtBot, make_window: MakeWindow
) -> None:
    dialog, window = open_uri_dialog(qtbot, make_window)
    cases = {
        "": "it is empty",
        "ftp://host/a.png": "the ftp:// scheme is not supported",
        "http://host/a.png": "plain http:// URLs are not accepted",
        "/home/me/a.png": "not an address",
        "https:///a.png": "the address has no host",
        "gs://bucket": "the address names no file",
        "https://example.com/a b.png": "an address cannot contain spaces",
    }
    for text, reason in cases.items():
        dialog.edit.setText(text)
        qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
        assert dialog.isVisible(), text
        assert reason in dialog.error_label.text(), (text, dialog.error_label.text())
    assert window.composer.attachments == []  # type: ignore[attr-defined]


def test_add_by_uri_attaches_gs_and_files_api_addresses(
    qtbot: QtBot, make_window: MakeWindow, fake_gemini: FakeGemini, run_async: object
) -> None:
    dialog, window = open_uri_dialog(qtbot, make_window)
    dialog.edit.setText("gs://bucket/scones.jpeg")
    qtbot.keyClick(dialog.edit, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    provider = window.controller.provider  # type: ignore[attr-defined]
    remote = run_async(provider.files.upload(png_bytes(), "image/png", "p.png"))  # type: ignore[operator]
    window.composer.open_uri_dialog().edit.setText(  # type: ignore[attr-defined]
        "files/" + remote.uri.removeprefix(FILES_API_PREFIX)
    )
    second = window.composer.findChildren(UriDialog)[-1]  # type: ignore[attr-defined]
    qtbot.keyClick(second.edit, Qt.Key.Key_Return)
    items = window.composer.attachments  # type: ignore[attr-defined]
    assert [i.uri.uri for i in items] == ["gs://bucket/scones.jpeg", remote.uri]
    send_and_wait(qtbot, window, "Both?")  # type: ignore[arg-type]
    parts = sent_parts(model_requests(fake_gemini)[0])
    assert parts[:2] == [
        {"fileData": {"mimeType": "image/jpeg", "fileUri": "gs://bucket/scones.jpeg"}},
        {"fileData": {"mimeType": "image/png", "fileUri": remote.uri}},  # asked the Files API
    ]


# ---------------------------------------------------------------- strip, preview, chat


def test_preview_opens_non_modally_with_the_full_image(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    window.composer.add_files([noisy_jpeg(tmp_path / "wide.jpg", (1200, 600))])
    wait_ready(qtbot, window.composer, 1)
    (tile,) = window.composer.strip.tiles
    qtbot.mouseClick(tile, Qt.MouseButton.LeftButton)
    preview = window.composer.preview
    assert preview is not None and preview.isVisible() and not preview.isModal()
    qtbot.waitUntil(lambda: preview.sharp, timeout=5000)
    # Decoded at the screen's size (the offscreen screen is 800 px wide), not more.
    side = min(1200, preview_side(preview))
    assert (preview.source_size.width(), preview.source_size.height()) == (side, side // 2)
    assert window.composer.edit.isEnabled()
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    assert not preview.isVisible()


def test_the_sent_message_shows_the_thumbnails(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    window.composer.add_files([png_file(tmp_path / "a.png"), png_file(tmp_path / "b.png")])
    wait_ready(qtbot, window.composer, 2)
    items = window.composer.attachments
    send_and_wait(qtbot, window, "Two pictures")
    window.view.settle()
    thumbs = [b for b in window.view.cards[0].blocks if isinstance(b, ImageBlock)]
    assert len(thumbs) == 2 and all(b.thumbnail for b in thumbs)
    # The strip's thumbnails are kept for the chat pane (no full decode on the UI thread).
    user = window.controller.current_chat.session.history[0]
    remembered = [thumbnail_cache.thumbnail_for(p) for p in user.images]
    assert remembered == [i.prepared and i.prepared.thumbnail for i in items] and all(remembered)


def test_unicode_paths_work(qtbot: QtBot, make_window: MakeWindow, tmp_path: Path) -> None:
    window = make_window()
    folder = tmp_path / "Фото 写真"
    folder.mkdir()
    path = png_file(folder / "закат 🌅.png")
    drop_on(window, file_mime(path))
    wait_ready(qtbot, window.composer, 1)
    (item,) = window.composer.attachments
    assert item.name == "закат 🌅.png" and item.prepared is not None
    assert item.prepared.data == path.read_bytes()


def test_more_than_the_cap_is_refused_with_a_message(
    qtbot: QtBot, make_window: MakeWindow, tmp_path: Path
) -> None:
    window = make_window()
    path = png_file(tmp_path / "a.png", (8, 8))
    with qtbot.waitSignal(window.composer.attachment_failed, timeout=1000) as blocker:
        window.composer.add_files([path] * (MAX_ATTACHMENTS + 2))
    assert f"at most {MAX_ATTACHMENTS} files per message" in blocker.args[0]
    assert len(window.composer.attachments) == MAX_ATTACHMENTS
    wait_ready(qtbot, window.composer, MAX_ATTACHMENTS, timeout=30_000)
