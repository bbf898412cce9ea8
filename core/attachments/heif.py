"""EXIF and XMP blanked out of HEIC/HEIF files that are sent as they are.

HEIF (ISO/IEC 23008-12, an ISO base media file) keeps its metadata as *items* of the
top-level ``meta`` box: an item of type ``Exif`` (where phones put the GPS position),
and XMP as an item of type ``mime`` with content type ``application/rdf+xml``. The
``iinf`` box lists the items and the ``iloc`` box says where each one's bytes are.

Taking an item out would move every offset after it. Instead its bytes are overwritten
where they are, so every offset in the file stays valid and the coded image is
untouched: the file decodes to exactly the same pixels and carries no metadata. The
Exif item becomes an empty TIFF directory (zeros would be an Exif block readers choke
on) and the XMP item blank space, which XML readers skip. Anything that does not parse
as expected leaves the file unchanged.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

XMP_CONTENT_TYPE = b"application/rdf+xml"
# An Exif item holds a 4-byte offset to its TIFF header, then the TIFF data: here a
# big-endian header whose first directory has no entries and no next directory.
EMPTY_EXIF = struct.pack(">I", 0) + b"MM\x00\x2a" + struct.pack(">IHI", 8, 0, 0)


def strip_heif(data: bytes) -> bytes:
    """``data`` with its Exif and XMP items' bytes zeroed (offsets kept)."""
    try:
        extents = list(_metadata_extents(data))
    except (struct.error, ValueError, IndexError):
        return data  # not the structure we know: leave it alone
    if not extents:
        return data
    out = bytearray(data)
    for start, length, exif in extents:
        if start < 0 or length < 0 or start + length > len(out):
            return data
        if exif:
            fill = EMPTY_EXIF[:length] if length >= len(EMPTY_EXIF) else b""
            out[start : start + length] = fill + bytes(length - len(fill))
        else:
            out[start : start + length] = b" " * length
    return bytes(out)


def _metadata_extents(data: bytes) -> Iterator[tuple[int, int, bool]]:
    meta = _find(data, 0, len(data), b"meta")
    if meta is None:
        return
    children = meta[0] + 4  # a full box: version and flags come first
    iinf = _find(data, children, meta[1], b"iinf")
    iloc = _find(data, children, meta[1], b"iloc")
    if iinf is None or iloc is None:
        return
    wanted = dict(_metadata_items(data, *iinf))
    if not wanted:
        return
    idat = _find(data, children, meta[1], b"idat")
    yield from _item_extents(data, *iloc, wanted, idat[0] if idat else None)


def _boxes(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box in ``data[start:end]``."""
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise ValueError("box runs past its parent")
        yield kind, at + header, at + size
        at += size


def _find(data: bytes, start: int, end: int, kind: bytes) -> tuple[int, int] | None:
    return next(((s, e) for k, s, e in _boxes(data, start, end) if k == kind), None)


def _metadata_items(data: bytes, start: int, end: int) -> Iterator[tuple[int, bool]]:
    """(id, is Exif) of the Exif and XMP items listed in an ``iinf`` box's payload."""
    version = data[start]
    at = start + 4 + (2 if version == 0 else 4)  # the entry count, not needed
    for kind, payload, stop in _boxes(data, at, end):
        if kind != b"infe":
            continue
        infe_version = data[payload]
        if infe_version < 2:
            continue  # version 0/1 entries have no item type (not used by HEIC)
        at = payload + 4
        if infe_version == 2:
            (item_id,) = struct.unpack_from(">H", data, at)
            at += 2
        else:
            (item_id,) = struct.unpack_from(">I", data, at)
            at += 4
        item_type = data[at + 2 : at + 6]  # after item_protection_index
        if item_type == b"Exif":
            yield item_id, True
        elif item_type == b"mime":
            name_end = data.index(b"\0", at + 6, stop)
            content_type = data[name_end + 1 : data.index(b"\0", name_end + 1, stop)]
            if content_type == XMP_CONTENT_TYPE:
                yield item_id, False


def _item_extents(
    data: bytes, start: int, end: int, wanted: dict[int, bool], idat: int | None
) -> Iterator[tuple[int, int, bool]]:
    """(file offset, length, is Exif) of every extent of the ``wanted`` items."""
    version = data[start]
    at = start + 4
    sizes = data[at] << 8 | data[at + 1]
    offset_size, length_size = sizes >> 12, (sizes >> 8) & 0xF
    base_size, index_size = (sizes >> 4) & 0xF, sizes & 0xF if version in (1, 2) else 0
    at += 2
    count, at = _uint(data, at, 2 if version < 2 else 4)
    for _ in range(count):
        item_id, at = _uint(data, at, 2 if version < 2 else 4)
        method = 0
        if version in (1, 2):
            flags, at = _uint(data, at, 2)
            method = flags & 0xF
        at += 2  # data_reference_index
        base, at = _uint(data, at, base_size)
        extents, at = _uint(data, at, 2)
        for _ in range(extents):
            at += index_size
            offset, at = _uint(data, at, offset_size)
            length, at = _uint(data, at, length_size)
            if item_id not in wanted:
                continue
            if method == 0:
                yield base + offset, length, wanted[item_id]
            elif method == 1 and idat is not None:
                yield idat + base + offset, length, wanted[item_id]
            # method 2 (bytes of another item) never holds metadata of its own
        if at > end:
            raise ValueError("iloc runs past its box")


def _uint(data: bytes, at: int, size: int) -> tuple[int, int]:
    """A big-endian unsigned integer of ``size`` bytes (0 to 8) at ``at``; and after."""
    return int.from_bytes(data[at : at + size], "big"), at + size
