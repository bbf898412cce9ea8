"""``--image`` end to end: the CLI as a subprocess against the fake Gemini server.

A big image goes inline, downscaled; one that cannot get under the inline limit goes
through the Files API upload and is referenced by ``fileData``.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from tests.core.attachments.test_images import encode, gradient, noise
from tests.core.cli.test_cli import cli_env, run_cli
from tests.fakes.gemini_server import FakeGemini


@pytest.fixture
def pictures(tmp_path: Path) -> tuple[Path, Path]:
    big = tmp_path / "panorama 5000.png"
    big.write_bytes(encode(gradient((5000, 4000)), "PNG"))
    dense = tmp_path / "dense.jpg"
    dense.write_bytes(encode(noise((1600, 1200)), "JPEG", quality=95))
    return big, dense


def check_request(fake: FakeGemini, prompt: str) -> str:
    """Assert the inline image and the uploaded one; return the CLI's stderr hint."""
    request = fake.requests_for("streamGenerateContent")[-1]
    inline, by_uri, text = request.normalized["contents"][0]["parts"]
    raw = base64.b64decode(inline["inlineData"]["data"])
    image = Image.open(io.BytesIO(raw))
    assert image.size == (3072, 2458)
    assert inline["inlineData"]["mimeType"] == Image.MIME[image.format or ""]
    assert len(raw) <= 300_000
    uri = by_uri["fileData"]["fileUri"]
    assert by_uri["fileData"]["mimeType"] == "image/jpeg"
    stored = fake.uploaded("files/" + uri.rsplit("/", 1)[1])
    assert stored is not None and stored.state == "ACTIVE"
    assert Image.open(io.BytesIO(bytes(stored.data))).size == (1600, 1200)
    assert text == {"text": prompt}
    for recorded in fake.requests:
        assert "test-key" not in recorded.target
    return uri


def test_ask_sends_big_images_inline_downscaled_and_uploads_the_too_big(
    fake_gemini: FakeGemini, tmp_path: Path, pictures: tuple[Path, Path]
) -> None:
    fake_gemini.file_active_after_polls = 1
    big, dense = pictures
    env = cli_env(tmp_path / "home", RILL_IMAGE_MAX_BYTES="300000")
    args = ["ask", "--base-url", fake_gemini.base_url, "--image", str(big), "--image", str(dense)]
    result = run_cli([*args, "Describe both."], env)
    assert result.returncode == 0, result.stderr
    check_request(fake_gemini, "Describe both.")
    assert "Uploading dense.jpg (" in result.stderr and "to the Files API" in result.stderr
    assert result.stdout.startswith("Echo: Describe both.")


def test_chat_uploads_once_and_sends_the_images_with_the_first_message(
    fake_gemini: FakeGemini, tmp_path: Path, pictures: tuple[Path, Path]
) -> None:
    fake_gemini.file_active_after_polls = 0
    big, dense = pictures
    env = cli_env(tmp_path / "home", RILL_IMAGE_MAX_BYTES="300000")
    args = ["chat", "--base-url", fake_gemini.base_url, "--image", str(big), "--image", str(dense)]
    result = run_cli(args, env, stdin="First\nSecond\n")
    assert result.returncode == 0, result.stderr
    first, second = fake_gemini.requests_for("streamGenerateContent")
    assert first.normalized["contents"] == second.normalized["contents"][:1]
    assert len(second.normalized["contents"]) == 3  # user, model, user: images once
    check_request(fake_gemini, "First")
    assert len(fake_gemini.files.all_files()) == 1


def test_a_bad_limit_setting_is_a_configuration_error(
    fake_gemini: FakeGemini, tmp_path: Path, pictures: tuple[Path, Path]
) -> None:
    env = cli_env(tmp_path / "home", RILL_IMAGE_MAX_SIDE="big")
    result = run_cli(["ask", "--image", str(pictures[0]), "hi"], env)
    assert result.returncode == 3
    assert result.stderr.strip() == "RILL_IMAGE_MAX_SIDE must be a whole number, not 'big'"
