"""Durations of MP3, FLAC, Ogg and AIFF attachments, read from their headers; a header
that does not say for sure gives no duration rather than a wrong one.

The files are made byte by byte (``audio_files``). The same readers were checked
against ffprobe on files ffmpeg encoded (LAME CBR and VBR, MPEG-2 mono, FLAC, Vorbis,
Opus, AIFF): equal to the millisecond, Opus 6 ms shorter (its pre-skip, which
ffprobe counts).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rill.core.attachments import PreparedFile, prepare_attachment
from rill.core.attachments.documents import DEFER_BYTES
from rill.core.attachments.media import duration
from tests.core.attachments.audio_files import (
    FRAME_SECONDS,
    aiff_bytes,
    flac_bytes,
    mp3_bytes,
    ogg_bytes,
    ogg_page,
)
from tests.core.attachments.files import write


def prepared(folder: Path, name: str, data: bytes) -> PreparedFile:
    item = prepare_attachment(write(folder, name, data))
    assert isinstance(item, PreparedFile)
    return item


@pytest.mark.parametrize(
    ("name", "data", "mime", "seconds"),
    [
        ("cbr.mp3", mp3_bytes(2500), "audio/mp3", 2500 * FRAME_SECONDS),
        ("vbr-xing.mp3", mp3_bytes(2500, header="Xing", vbr=True), "audio/mp3", 60.0),
        ("cbr-info.mp3", mp3_bytes(500, header="Info"), "audio/mp3", 12.0),
        ("vbr-vbri.mp3", mp3_bytes(2500, header="VBRI", vbr=True), "audio/mp3", 60.0),
        ("song.flac", flac_bytes(44100 * 200 + 22050), "audio/flac", 200.5),
        ("memo.ogg", ogg_bytes(95.25), "audio/ogg", 95.25),
        ("voice.ogg", ogg_bytes(3.5, "opus"), "audio/ogg", 3.5),
        ("take.aiff", aiff_bytes(44100 * 4), "audio/aiff", 4.0),
    ],
)
def test_audio_durations_come_from_the_headers(
    tmp_path: Path, name: str, data: bytes, mime: str, seconds: float
) -> None:
    item = prepared(tmp_path, name, data)
    assert item.mime_type == mime
    assert item.duration == pytest.approx(seconds, abs=0.001)


def test_the_tile_shows_the_duration(tmp_path: Path) -> None:
    assert prepared(tmp_path, "song.flac", flac_bytes(44100 * 200)).facts().endswith(" · 3:20")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        # Variable bitrate and nothing counting the frames: size / bitrate would be wrong.
        ("vbr.mp3", mp3_bytes(2500, vbr=True)),
        ("tag-only.mp3", mp3_bytes(0)),  # an ID3 tag and no frame
        ("unknown-length.flac", flac_bytes(0)),  # the encoder did not know
        ("speex.ogg", ogg_bytes(2.0, "speex")),
        ("cut.ogg", ogg_bytes(2.0)[:40]),  # the first page only, cut short
        ("no-rate.aiff", aiff_bytes(4410, rate=0)),
        ("no-frames.aiff", aiff_bytes(0)),
    ],
)
def test_headers_that_do_not_say_for_sure_give_no_duration(
    tmp_path: Path, name: str, data: bytes
) -> None:
    assert prepared(tmp_path, name, data).duration is None


def test_a_page_of_another_stream_or_without_a_granule_is_skipped() -> None:
    data = ogg_bytes(10.0)
    # After our last page: a page of another stream, then one of ours ending no packet.
    later = ogg_page(b"\x00" * 20, 999_999_999, 0, serial=9) + ogg_page(b"\x00", -1, 3)
    assert duration(data + later, "audio/ogg") == pytest.approx(10.0)


def test_a_big_mp3_left_on_disk_is_timed_from_the_disk(tmp_path: Path) -> None:
    frames = DEFER_BYTES // 384 + 100  # over the size that stays on disk until sent
    item = prepared(tmp_path, "long.mp3", mp3_bytes(frames))
    assert item.data is None and item.path is not None
    assert item.duration == pytest.approx(frames * FRAME_SECONDS, abs=0.001)
