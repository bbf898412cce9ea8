"""Metadata taken out of images that are sent as they are, without re-encoding.

A photo sent byte for byte would carry its EXIF (camera serial, time, GPS position),
XMP and IPTC to the provider. These functions cut those out of the container and
leave every byte of the compressed pixels alone, so the image decodes to exactly the
same pixels. Colour information stays: JPEG's ICC profile (APP2 ``ICC_PROFILE``) and
Adobe marker (APP14), PNG's iCCP/sRGB/gAMA/cHRM, WebP's ICCP.

Only for images that are already upright: an EXIF orientation other than 1 makes
``rill.core.attachments.prepare`` rotate the pixels and re-encode, which writes no EXIF at all.
Anything that does not parse as expected is returned unchanged (Pillow has already
verified that the image decodes; a stripping mistake must never corrupt it).
"""

from __future__ import annotations

import struct
import zlib

from rill.core.attachments.heif import strip_heif

# ---------------------------------------------------------------- JPEG

_SOI, _EOI, _SOS = 0xD8, 0xD9, 0xDA
_APP0, _APP2, _APP14, _COM = 0xE0, 0xE2, 0xEE, 0xFE
# Markers with no length field: TEM and RST0-7 (and SOI/EOI, handled apart).
_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def _keep_jpeg_segment(marker: int, payload: bytes) -> bool:
    """Whether a segment before the scan is kept: everything but metadata."""
    if marker == _APP0:
        return payload.startswith((b"JFIF\0", b"JFXX\0"))  # not e.g. an AVI1 or CIFF
    if marker == _APP2:
        return payload.startswith(b"ICC_PROFILE\0")  # MPF, FlashPix: dropped
    if marker == _APP14:
        return payload.startswith(b"Adobe")  # colour transform: changes the pixels
    # APP1 (Exif, XMP), APP3-APP13 (IPTC/Photoshop in APP13), APP15, comments: dropped.
    return not (0xE0 <= marker <= 0xEF or marker == _COM)


def strip_jpeg(data: bytes) -> bytes:
    """``data`` without EXIF, XMP, IPTC, comments and anything after the main image.

    The main image ends at its EOI: what some cameras append after it (MPF secondary
    images, gain maps, thumbnails, each with its own EXIF) goes too. Returns ``data``
    itself when there is nothing to remove or it does not parse.
    """
    if data[:2] != b"\xff\xd8":
        return data
    out = bytearray(b"\xff\xd8")
    removed = False
    pos, size = 2, len(data)
    in_scan = False
    while pos < size:
        if data[pos] != 0xFF:
            if not in_scan:
                return data  # garbage between segments: leave the file alone
            # Entropy-coded data: copy up to the next real marker (not FF00, not RSTn).
            nxt = data.find(b"\xff", pos)
            while (
                nxt != -1
                and nxt + 1 < size
                and (data[nxt + 1] == 0x00 or data[nxt + 1] in _STANDALONE or data[nxt + 1] == 0xFF)
            ):
                nxt = data.find(b"\xff", nxt + 1)
            if nxt == -1 or nxt + 1 >= size:
                return data  # no EOI: truncated, Pillow tolerated it; do not touch
            out += data[pos:nxt]
            pos = nxt
            continue
        marker = data[pos + 1] if pos + 1 < size else -1
        if marker == 0xFF:  # fill byte
            out.append(0xFF)
            pos += 1
            continue
        if marker == _EOI:
            out += b"\xff\xd9"
            removed = removed or pos + 2 < size
            return bytes(out) if removed else data
        if marker in _STANDALONE:
            out += data[pos : pos + 2]
            pos += 2
            continue
        if marker < 0 or pos + 4 > size:
            return data
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > size:
            return data
        payload = data[pos + 4 : end]
        if marker == _SOS:
            in_scan = True
            out += data[pos:end]
        elif in_scan and 0xE0 <= marker <= 0xEF:
            removed = True  # metadata between progressive scans
        elif in_scan or _keep_jpeg_segment(marker, payload):
            out += data[pos:end]
        else:
            removed = True
        pos = end
    return data  # no EOI found


# ---------------------------------------------------------------- PNG

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_METADATA = {b"eXIf", b"tEXt", b"iTXt", b"zTXt", b"tIME"}


def strip_png(data: bytes) -> bytes:
    """``data`` without eXIf, tEXt, iTXt (XMP lives here), zTXt and tIME chunks.

    Chunks are copied whole (CRCs untouched); ``data`` itself is returned when there
    is nothing to remove or a chunk does not parse.
    """
    if not data.startswith(_PNG_SIGNATURE):
        return data
    out = bytearray(_PNG_SIGNATURE)
    pos, size = len(_PNG_SIGNATURE), len(data)
    removed = False
    while pos + 12 <= size:
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > size:
            return data
        if kind in _PNG_METADATA:
            removed = True
        else:
            out += data[pos:end]
        pos = end
        if kind == b"IEND":
            break
    else:
        return data  # no IEND
    return bytes(out) if removed else data


# ---------------------------------------------------------------- WebP

_VP8X_EXIF, _VP8X_XMP = 0x08, 0x04


def strip_webp(data: bytes) -> bytes:
    """``data`` without its EXIF and XMP chunks (and their VP8X flags)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return data
    chunks: list[bytes] = []
    pos, size = 12, min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    removed = False
    while pos + 8 <= size:
        kind = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        end = pos + 8 + length + (length & 1)
        if pos + 8 + length > size:
            return data
        if kind in (b"EXIF", b"XMP "):
            removed = True
        else:
            chunks.append(data[pos:end])
        pos = end
    if not removed:
        return data
    for index, chunk in enumerate(chunks):
        if chunk[:4] == b"VP8X" and len(chunk) >= 9:
            flags = chunk[8] & ~(_VP8X_EXIF | _VP8X_XMP)
            chunks[index] = chunk[:8] + bytes([flags]) + chunk[9:]
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def strip_metadata(data: bytes, mime_type: str) -> bytes:
    """``data`` without its metadata, for JPEG, PNG, WebP and HEIC/HEIF (see
    ``rill.core.attachments.heif``); other types unchanged."""
    if mime_type in ("image/heic", "image/heif"):
        return strip_heif(data)
    if mime_type == "image/jpeg":
        return strip_jpeg(data)
    if mime_type == "image/png":
        return strip_png(data)
    if mime_type == "image/webp":
        return strip_webp(data)
    return data


def png_crc_ok(data: bytes) -> bool:
    """Every chunk's CRC matches (for tests and sanity checks)."""
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 4 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        if zlib.crc32(body) != crc:
            return False
        pos += 12 + length
        if kind == b"IEND":
            return True
    return False


__all__ = ["png_crc_ok", "strip_jpeg", "strip_metadata", "strip_png", "strip_webp"]
