"""``rill ask --file``: documents, text and media from the command line, in order with
``--image``, against the fake Gemini server (a subprocess, as a user runs it)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image

from rill.core.cli import parse as cli
from tests.core.attachments.files import pdf_bytes, wav_bytes, write
from tests.core.cli.test_cli import cli_env, run_cli
from tests.fakes.gemini_server import FakeGemini


def test_ask_sends_files_natively_in_command_line_order(
    fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    pdf = write(tmp_path, "report.pdf", pdf_bytes(2))
    notes = write(tmp_path, "notes.txt", b"remember the milk\n")
    wav = write(tmp_path, "memo.wav", wav_bytes(1))
    photo = tmp_path / "dot.png"
    Image.new("RGB", (8, 8), (200, 30, 30)).save(photo)
    args = ["ask", "--base-url", fake_gemini.base_url, "--file", str(pdf), "--image", str(photo)]
    args += ["--file", str(notes), "--file", str(wav), "Summarise."]
    result = run_cli(args, cli_env(tmp_path / "home"))
    assert result.returncode == 0, result.stderr
    parts = fake_gemini.requests_for("streamGenerateContent")[-1].normalized["contents"][0]["parts"]
    assert [next(iter(p)) for p in parts] == [
        "inlineData",
        "inlineData",
        "text",
        "inlineData",
        "text",
    ]
    assert parts[0]["inlineData"]["mimeType"] == "application/pdf"
    assert base64.b64decode(parts[0]["inlineData"]["data"]) == pdf.read_bytes()
    assert Image.open(io.BytesIO(base64.b64decode(parts[1]["inlineData"]["data"]))).size == (8, 8)
    assert parts[2]["text"] == "[File: notes.txt]\nremember the milk\n\n[End of notes.txt]"
    assert parts[3]["inlineData"]["mimeType"] == "audio/wav"
    assert parts[4] == {"text": "Summarise."}


def test_a_bad_file_is_named_before_anything_is_sent(
    fake_gemini: FakeGemini, tmp_path: Path
) -> None:
    locked = write(tmp_path, "locked.pdf", pdf_bytes(1, password="pw"))
    base = ["ask", "--base-url", fake_gemini.base_url]
    result = run_cli([*base, "--file", str(locked), "hi"], cli_env(tmp_path / "home"))
    assert result.returncode == cli.EXIT_INVALID
    assert result.stderr.strip() == (
        f"Cannot attach {locked}: the PDF is encrypted (it needs a password); attach an "
        "unprotected copy"
    )
    result = run_cli([*base, "--image", str(locked), "hi"], cli_env(tmp_path / "home"))
    assert result.returncode == cli.EXIT_INVALID
    assert "not an image" in result.stderr or "encrypted" in result.stderr
    assert fake_gemini.requests == []
