"""Audio files the duration tests make byte by byte: MP3 frames (constant or variable
bitrate, with a Xing, Info or VBRI header or none), FLAC's STREAMINFO, Ogg pages
(Vorbis and Opus, with real CRCs) and AIFF's COMM chunk. Their audio is silence or
zeros: the readers under test only ever look at headers."""

from __future__ import annotations

import struct

# MPEG-1 Layer III, 48 kHz, joint stereo: 128 kbit/s frames are exactly 384 bytes and
# 160 kbit/s ones 480, each 1152 samples (24 ms).
_MP3_RATE_INDEX = {128: 9, 160: 10}
FRAME_SECONDS = 1152 / 48000


def _mp3_frame(kbps: int, payload: bytes = b"") -> bytes:
    header = bytes([0xFF, 0xFB, _MP3_RATE_INDEX[kbps] << 4 | 1 << 2, 0x40])
    length = 144 * kbps * 1000 // 48000
    return (header + payload).ljust(length, b"\x00")


def _id3(size: int = 300) -> bytes:
    syncsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x04\x00\x00" + syncsafe + b"\x00" * size


def mp3_bytes(frames: int, *, header: str | None = None, vbr: bool = False) -> bytes:
    """``frames`` audio frames after an ID3v2 tag; ``header``: "Xing", "Info" or "VBRI"
    in a first frame that counts them; ``vbr``: every third frame at 160 kbit/s."""
    out = bytearray(_id3())
    count = struct.pack(">I", frames)
    if header in ("Xing", "Info"):  # after 32 bytes of side information
        out += _mp3_frame(128, b"\x00" * 32 + header.encode() + struct.pack(">I", 1) + count)
    elif header == "VBRI":
        out += _mp3_frame(128, b"\x00" * 32 + b"VBRI" + b"\x00\x01" + b"\x00" * 8 + count)
    for index in range(frames):
        out += _mp3_frame(160 if vbr and index % 3 == 2 else 128)
    return bytes(out)


def flac_bytes(samples: int, rate: int = 44100) -> bytes:
    """A FLAC stream's marker and STREAMINFO (``samples`` 0: length unknown)."""
    info = rate << 44 | (2 - 1) << 41 | (16 - 1) << 36 | samples
    streaminfo = struct.pack(">HH", 4096, 4096) + b"\x00" * 6 + info.to_bytes(8, "big")
    return b"fLaC" + bytes([0x80, 0, 0, 34]) + streaminfo + b"\x00" * 16


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = (crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def ogg_page(body: bytes, granule: int, sequence: int, flags: int = 0, serial: int = 7) -> bytes:
    """One Ogg page holding ``body`` (under 255 bytes), its CRC filled in."""
    head = b"OggS\x00" + struct.pack("<BqII", flags, granule, serial, sequence)
    page = head + b"\x00\x00\x00\x00" + bytes([1, len(body)]) + body
    return page[:22] + struct.pack("<I", _ogg_crc(page)) + page[26:]


def ogg_bytes(seconds: float, codec: str = "vorbis") -> bytes:
    """A first page naming the codec, a middle page, and a last page whose granule
    position is ``seconds`` of samples (Opus: at 48 kHz, after a 312-sample pre-skip)."""
    if codec == "vorbis":
        rate, skip = 44100, 0
        ident = b"\x01vorbis" + struct.pack("<IBI", 0, 2, rate) + b"\x00" * 12 + b"\xb8\x01"
    elif codec == "opus":
        rate, skip = 48000, 312
        ident = b"OpusHead" + struct.pack("<BBHIhB", 1, 2, skip, 44100, 0, 0)
    else:
        rate, skip, ident = 16000, 0, b"Speex   " + b"\x00" * 72
    total = round(seconds * rate) + skip
    return (
        ogg_page(ident, 0, 0, flags=2)
        + ogg_page(b"\x00" * 200, total // 2, 1)
        + ogg_page(b"\x00" * 200, total, 2, flags=4)
    )


def _extended(value: int) -> bytes:
    """``value`` (> 0) as an 80-bit IEEE extended float, as AIFF stores its rate."""
    if value == 0:
        return b"\x00" * 10
    exponent = value.bit_length() - 1
    return struct.pack(">HQ", 16383 + exponent, value << (63 - exponent))


def aiff_bytes(frames: int, rate: int = 44100) -> bytes:
    """Mono 16-bit AIFF: a COMM chunk after an odd-sized NAME chunk, then SSND."""
    name = b"NAME" + struct.pack(">I", 5) + b"memo\x00\x00"  # padded to an even size
    comm = b"COMM" + struct.pack(">IhIh", 18, 1, frames, 16) + _extended(rate)
    ssnd = b"SSND" + struct.pack(">III", 8 + frames * 2, 0, 0) + b"\x00" * (frames * 2)
    body = b"AIFF" + name + comm + ssnd
    return b"FORM" + struct.pack(">I", len(body)) + body
