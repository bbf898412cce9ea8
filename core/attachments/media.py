"""Durations of audio and video files, where the header says so cheaply.

WAV through the standard ``wave`` module; MP4, MOV, M4A and 3GP from the movie
header (``moov/mvhd``), found by walking the top-level boxes; MP3, FLAC, Ogg
(Vorbis, Opus) and AIFF from their own headers (``audio_length``). Other formats
(AAC in ADTS, WebM, AVI, MPEG, WMV) have no duration shown: reading it would mean
walking every frame or a media library. Never raises.
"""

from __future__ import annotations

import io
import os
import struct
import wave
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from rill.core.attachments import audio_length

_AUDIO_READERS: dict[str, Callable[[BinaryIO], float | None]] = {
    "audio/mp3": audio_length.mp3_seconds,
    "audio/flac": audio_length.flac_seconds,
    "audio/ogg": audio_length.ogg_seconds,
    "audio/aiff": audio_length.aiff_seconds,
}
_LONGEST = 7 * 24 * 3600.0
# A moov box after this many bytes of walking is not looked for (a broken file).
_MAX_BOXES = 4096


def duration(source: Path | bytes, mime_type: str) -> float | None:
    """Seconds of audio or video in ``source``; None when not cheap to know."""
    try:
        with _open(source) as stream:
            if mime_type == "audio/wav":
                return _wav_seconds(stream)
            if mime_type in ("video/mp4", "video/mov", "video/3gpp", "audio/mp4"):
                return _mp4_seconds(stream)
            reader = _AUDIO_READERS.get(mime_type)
            seconds = reader(stream) if reader is not None else None
            # A header that says days, or less than nothing, is no header.
            return seconds if seconds is not None and 0 < seconds < _LONGEST else None
    except (OSError, EOFError, ValueError, IndexError, struct.error, wave.Error):
        return None
    return None


def _open(source: Path | bytes) -> BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")


def _wav_seconds(stream: BinaryIO) -> float | None:
    with wave.open(stream, "rb") as reader:
        rate = reader.getframerate()
        return reader.getnframes() / rate if rate > 0 else None


def _boxes(stream: BinaryIO, end: int) -> list[tuple[bytes, int, int]]:
    """(type, start of body, end) of the boxes from here to ``end``."""
    found: list[tuple[bytes, int, int]] = []
    position = stream.tell()
    while position + 8 <= end and len(found) < _MAX_BOXES:
        stream.seek(position)
        header = stream.read(8)
        if len(header) < 8:
            break
        size, kind = struct.unpack(">I4s", header)
        body = position + 8
        if size == 1:  # a 64-bit size follows
            size = struct.unpack(">Q", stream.read(8))[0]
            body += 8
        elif size == 0:  # to the end of the file
            size = end - position
        if size < 8:
            break
        found.append((kind, body, position + size))
        position += size
    return found


def _mp4_seconds(stream: BinaryIO) -> float | None:
    end = stream.seek(0, os.SEEK_END)
    stream.seek(0)
    moov = next((b for b in _boxes(stream, end) if b[0] == b"moov"), None)
    if moov is None:
        return None
    stream.seek(moov[1])
    mvhd = next((b for b in _boxes(stream, moov[2]) if b[0] == b"mvhd"), None)
    if mvhd is None:
        return None
    stream.seek(mvhd[1])
    version = stream.read(4)[0]
    if version == 1:  # 64-bit times: created, modified (8 each), timescale, duration
        stream.seek(16, os.SEEK_CUR)
        scale, length = struct.unpack(">IQ", stream.read(12))
    else:
        stream.seek(8, os.SEEK_CUR)
        scale, length = struct.unpack(">II", stream.read(8))
    return length / scale if scale > 0 else None


def clock(seconds: float) -> str:
    """``seconds`` as a clock: "0:42", "12:05", "1:02:03"."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
