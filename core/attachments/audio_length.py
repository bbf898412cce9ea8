"""How long an MP3, FLAC, Ogg or AIFF file plays, read from its headers alone.

Each reader looks at a few headers (never decodes audio) and returns None when they
do not say for sure: a wrong duration on a tile is worse than none. So an MP3 needs a
Xing/Info or VBRI header (which count its frames), or the same bitrate in its first
frames (constant bitrate, where size / bitrate is exact); a FLAC file whose
STREAMINFO does not know its length, an Ogg stream that is neither Vorbis nor Opus,
or any header that contradicts itself gives None. Raise freely: the caller
(``rill.core.attachments.media.duration``) turns any read error into None.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

# MPEG audio: bitrates in kbit/s by (MPEG-1?, layer) and index 1..14; sample rates by
# version bits (3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5) and index 0..2.
_BITRATES = {
    (True, 1): (32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
    (False, 3): (8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
# Frames read to tell constant from variable bitrate when no header counts them.
_CBR_FRAMES = 24
# How far into an MP3 (past its ID3 tag) the first frame is looked for.
_SYNC_WINDOW = 64 * 1024
# How much of an Ogg file's end is searched for its last page.
_OGG_TAIL = 64 * 1024


# ---------------------------------------------------------------- MP3


class _Frame:
    """One MPEG audio frame header, decoded."""

    def __init__(self, header: bytes) -> None:
        b1, b2, b3 = header[1], header[2], header[3]
        if header[0] != 0xFF or b1 & 0xE0 != 0xE0:
            raise ValueError("no frame sync")
        self.version = (b1 >> 3) & 3
        layer_bits = (b1 >> 1) & 3
        rate_index, bitrate_index = (b2 >> 2) & 3, b2 >> 4
        if self.version == 1 or layer_bits == 0 or rate_index == 3 or bitrate_index in (0, 15):
            raise ValueError("not a frame header")  # reserved values, or free format
        self.layer = 4 - layer_bits
        self.mpeg1 = self.version == 3
        self.bitrate = _BITRATES[(self.mpeg1, self.layer)][bitrate_index - 1] * 1000
        self.sample_rate = _SAMPLE_RATES[self.version][rate_index]
        self.mono = b3 >> 6 == 3
        padding = (b2 >> 1) & 1
        if self.layer == 1:
            self.samples = 384
            self.length = (12 * self.bitrate // self.sample_rate + padding) * 4
        else:
            self.samples = 1152 if self.mpeg1 or self.layer == 2 else 576
            self.length = self.samples // 8 * self.bitrate // self.sample_rate + padding

    def same_stream(self, other: _Frame) -> bool:
        return (self.version, self.layer, self.sample_rate) == (
            other.version,
            other.layer,
            other.sample_rate,
        )


def _id3_end(stream: BinaryIO) -> int:
    """Where the audio starts: after an ID3v2 tag (its size is four 7-bit bytes)."""
    stream.seek(0)
    head = stream.read(10)
    if len(head) < 10 or head[:3] != b"ID3":
        return 0
    size = 0
    for byte in head[6:10]:
        size = (size << 7) | (byte & 0x7F)
    return 10 + size + (10 if head[5] & 0x10 else 0)  # a footer repeats the header


def _first_frame(stream: BinaryIO, start: int) -> tuple[int, _Frame]:
    """The first frame whose successor is a frame of the same stream (a lone FF Ex
    inside a tag or junk is no frame)."""
    stream.seek(start)
    window = stream.read(_SYNC_WINDOW)
    at = window.find(b"\xff")
    while 0 <= at <= len(window) - 4:
        try:
            frame = _Frame(window[at : at + 4])
            stream.seek(start + at + frame.length)
            following = _Frame(stream.read(4).ljust(4, b"\x00"))
        except ValueError:
            at = window.find(b"\xff", at + 1)
            continue
        if frame.same_stream(following):
            return start + at, frame
        at = window.find(b"\xff", at + 1)
    raise ValueError("no MPEG audio frame")


def mp3_seconds(stream: BinaryIO) -> float | None:
    """From a Xing/Info or VBRI frame count, else a constant bitrate over the size."""
    end = stream.seek(0, os.SEEK_END)
    offset, frame = _first_frame(stream, _id3_end(stream))
    stream.seek(offset)
    first = stream.read(max(frame.length, 200))
    counted = _xing_frames(first, frame)
    if counted is None and first[36:40] == b"VBRI":
        counted = struct.unpack(">I", first[50:54])[0]
    if counted is not None:
        return counted * frame.samples / frame.sample_rate if counted > 0 else None
    audio_end = end
    stream.seek(max(0, end - 128))
    if stream.read(3) == b"TAG":  # an ID3v1 tag at the end is no audio
        audio_end -= 128
    if not _constant_bitrate(stream, offset, frame, audio_end):
        return None  # variable bitrate without a header counting frames: unknown
    return (audio_end - offset) * 8 / frame.bitrate


def _xing_frames(first: bytes, frame: _Frame) -> int | None:
    """The frame count of a Xing or Info header in the first frame (Layer III)."""
    if frame.layer != 3:
        return None
    side = (17 if frame.mono else 32) if frame.mpeg1 else (9 if frame.mono else 17)
    at = 4 + side
    if first[at : at + 4] not in (b"Xing", b"Info"):
        return None
    flags = struct.unpack(">I", first[at + 4 : at + 8])[0]
    if not flags & 1:
        return None  # the header is there but does not count frames
    return int(struct.unpack(">I", first[at + 8 : at + 12])[0])


def _constant_bitrate(stream: BinaryIO, offset: int, first: _Frame, end: int) -> bool:
    """Whether the first frames (up to _CBR_FRAMES) all have the first one's bitrate."""
    position = offset
    for _ in range(_CBR_FRAMES):
        if position + 4 > end:
            return True
        stream.seek(position)
        frame = _Frame(stream.read(4))
        if not frame.same_stream(first) or frame.bitrate != first.bitrate:
            return False
        position += frame.length
    return True


# ---------------------------------------------------------------- FLAC


def flac_seconds(stream: BinaryIO) -> float | None:
    """From STREAMINFO: total samples (0 when the encoder did not know) / sample rate."""
    stream.seek(0)
    head = stream.read(4 + 4 + 34)
    if head[:4] != b"fLaC" or head[4] & 0x7F != 0 or len(head) < 42:
        return None  # STREAMINFO must be the first block
    info = int.from_bytes(head[18:26], "big")  # rate 20, channels 3, bits 5, samples 36
    rate = info >> 44
    samples = info & ((1 << 36) - 1)
    return samples / rate if rate > 0 and samples > 0 else None


# ---------------------------------------------------------------- Ogg


def ogg_seconds(stream: BinaryIO) -> float | None:
    """The last page's granule position over the rate of the first page's codec."""
    stream.seek(0)
    first = stream.read(27 + 255 + 64)
    if first[:4] != b"OggS":
        return None
    serial = first[14:18]
    body = first[27 + first[26] :]
    if body[:7] == b"\x01vorbis":
        rate, skip = struct.unpack("<I", body[12:16])[0], 0
    elif body[:8] == b"OpusHead":
        rate, skip = 48000, struct.unpack("<H", body[10:12])[0]  # Opus counts at 48 kHz
    else:
        return None  # FLAC or Speex in Ogg: not read here
    end = stream.seek(0, os.SEEK_END)
    stream.seek(max(0, end - _OGG_TAIL))
    tail = stream.read()
    at = tail.rfind(b"OggS")
    while at >= 0:
        page = tail[at : at + 27]
        if len(page) == 27 and page[4] == 0 and page[14:18] == serial:
            granule = struct.unpack("<q", page[6:14])[0]
            if granule >= 0:  # -1: no packet ends on this page
                samples = granule - skip
                return samples / rate if rate > 0 and samples > 0 else None
        at = tail.rfind(b"OggS", 0, at)
    return None


# ---------------------------------------------------------------- AIFF


def aiff_seconds(stream: BinaryIO) -> float | None:
    """From the COMM chunk: sample frames / sample rate (an 80-bit float)."""
    stream.seek(0)
    head = stream.read(12)
    if head[:4] != b"FORM" or head[8:12] not in (b"AIFF", b"AIFC"):
        return None
    for _ in range(64):  # COMM comes early; a broken file is not walked for long
        chunk = stream.read(8)
        if len(chunk) < 8:
            return None
        kind, size = chunk[:4], struct.unpack(">I", chunk[4:])[0]
        if kind == b"COMM":
            comm = stream.read(18)
            frames = struct.unpack(">I", comm[2:6])[0]
            rate = _extended(comm[8:18])
            return frames / rate if rate > 0 and frames > 0 else None
        stream.seek(size + (size & 1), os.SEEK_CUR)  # chunks are padded to even sizes
    return None


def _extended(raw: bytes) -> float:
    """An IEEE 754 80-bit extended float (AIFF's sample rate)."""
    exponent = int.from_bytes(raw[:2], "big")
    mantissa = int.from_bytes(raw[2:10], "big")
    sign = -1.0 if exponent & 0x8000 else 1.0
    exponent &= 0x7FFF
    if exponent == 0 and mantissa == 0:
        return 0.0
    if exponent == 0x7FFF:
        return 0.0  # infinity or NaN: no rate
    return sign * mantissa * 2.0 ** (exponent - 16383 - 63)
