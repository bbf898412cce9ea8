"""Pass-through images lose their metadata (EXIF with GPS, XMP, IPTC, text) losslessly.

Each image is built with Pillow carrying a GPS position, XMP, a comment and an ICC
profile; what ``prepare_image`` sends (and what reaches the fake Gemini server) has
no EXIF/GPS/XMP, keeps the ICC profile and decodes to exactly the same pixels.
"""

from __future__ import annotations

import base64
import io
import random
import struct
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, PngImagePlugin

from rill.core.attachments.heif import strip_heif
from rill.core.attachments.metadata import png_crc_ok, strip_jpeg, strip_png, strip_webp
from rill.core.attachments.prepare import prepare_image
from rill.core.providers.gemini import GeminiProvider
from rill.core.types import GenerateRequest, GenerationSettings, Message, Part, Role
from tests.fakes.gemini_server import FakeGemini

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description exif:GPSLatitude="52,31.2N"/></rdf:RDF></x:xmpmeta>'
)
ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
SECRET = b"Serial 4242-SECRET"


def picture(size: tuple[int, int] = (96, 64)) -> Image.Image:
    rng = random.Random(7)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Camera"
    exif[ExifTags.Base.BodySerialNumber] = SECRET.decode()
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    return exif


def jpeg(*, progressive: bool = False, orientation: int = 1, trailer: bool = False) -> bytes:
    out = io.BytesIO()
    picture().save(
        out,
        "JPEG",
        quality=90,
        exif=gps_exif(orientation),
        icc_profile=ICC,
        comment=b"shot at home",
        xmp=XMP,
        progressive=progressive,
    )
    data = out.getvalue()
    if trailer:  # what phones append after EOI: a second image with its own EXIF
        extra = io.BytesIO()
        picture((16, 16)).save(extra, "JPEG", exif=gps_exif())
        data += extra.getvalue()
    return data


def png() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "shot at home")
    info.add_text("Location", "52.52N 13.41E", zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    out = io.BytesIO()
    picture().save(out, "PNG", pnginfo=info, exif=gps_exif(), icc_profile=ICC)
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    picture().save(out, "WEBP", lossless=True, exif=gps_exif(), xmp=XMP, icc_profile=ICC)
    return out.getvalue()


def png_chunks(data: bytes) -> Iterator[bytes]:
    pos = 8
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        yield kind
        pos += 12 + length


def webp_chunks(data: bytes) -> Iterator[bytes]:
    pos = 12
    while pos + 8 <= len(data):
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        yield data[pos : pos + 4]
        pos += 8 + length + (length & 1)


def same_pixels(a: bytes, b: bytes) -> bool:
    with Image.open(io.BytesIO(a)) as first, Image.open(io.BytesIO(b)) as second:
        return first.size == second.size and first.tobytes() == second.tobytes()


def assert_clean(data: bytes) -> None:
    assert b"Exif\0\0" not in data
    assert SECRET not in data
    assert b"xmpmeta" not in data and b"shot at home" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif()
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert image.info.get("icc_profile") == ICC  # colour kept


# ---------------------------------------------------------------- the functions


@pytest.mark.parametrize("progressive", [False, True])
def test_jpeg_loses_exif_xmp_comment_and_keeps_icc(progressive: bool) -> None:
    original = jpeg(progressive=progressive)
    with Image.open(io.BytesIO(original)) as image:  # the fixture does carry GPS
        assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    stripped = strip_jpeg(original)
    assert_clean(stripped)
    assert same_pixels(original, stripped)
    assert len(stripped) < len(original)
    assert stripped.startswith(b"\xff\xd8\xff\xe0") and stripped.endswith(b"\xff\xd9")


def test_jpeg_trailing_images_with_their_exif_go_too() -> None:
    original = jpeg(trailer=True)
    stripped = strip_jpeg(original)
    assert_clean(stripped)
    assert stripped.count(b"\xff\xd8") == 1
    assert same_pixels(original, stripped)


def test_jpeg_with_restart_markers_keeps_its_scan_intact() -> None:
    out = io.BytesIO()
    picture((256, 128)).save(out, "JPEG", exif=gps_exif(), restart_marker_blocks=4)
    original = out.getvalue()
    assert b"\xff\xdd" in original  # DRI: the scan holds RSTn markers
    stripped = strip_jpeg(original)
    assert b"Exif\0\0" not in stripped
    assert same_pixels(original, stripped)


def test_a_clean_or_broken_jpeg_is_returned_as_it_is() -> None:
    out = io.BytesIO()
    picture().save(out, "JPEG")
    clean = out.getvalue()
    assert strip_jpeg(clean) is clean
    truncated = jpeg()[:-200]
    assert strip_jpeg(truncated) is truncated


def test_png_loses_exif_and_text_chunks_and_keeps_iccp() -> None:
    original = png()
    assert {b"eXIf", b"tEXt", b"zTXt", b"iTXt"} <= set(png_chunks(original))
    stripped = strip_png(original)
    assert set(png_chunks(stripped)).isdisjoint({b"eXIf", b"tEXt", b"zTXt", b"iTXt"})
    assert b"iCCP" in set(png_chunks(stripped))
    assert png_crc_ok(stripped)
    assert_clean(stripped)
    assert same_pixels(original, stripped)


def test_webp_loses_exif_and_xmp_and_keeps_iccp() -> None:
    original = webp()
    assert {b"EXIF", b"XMP "} <= set(webp_chunks(original))
    stripped = strip_webp(original)
    chunks = list(webp_chunks(stripped))
    assert b"EXIF" not in chunks and b"XMP " not in chunks and b"ICCP" in chunks
    assert struct.unpack("<I", stripped[4:8])[0] == len(stripped) - 8
    flags = stripped[20]  # VP8X flags: EXIF and XMP bits cleared, ICC kept
    assert not flags & 0x0C and flags & 0x20
    assert_clean(stripped)
    assert same_pixels(original, stripped)


def heic(*, metadata: bool = True) -> bytes:
    pytest.importorskip("pillow_heif").register_heif_opener()
    out = io.BytesIO()
    if metadata:
        picture().save(out, format="HEIF", exif=gps_exif().tobytes(), xmp=XMP)
    else:
        picture().save(out, format="HEIF")
    return out.getvalue()


try:
    HEIC_SAMPLE = heic()
except pytest.skip.Exception:  # no pillow-heif: the HEIC tests skip themselves
    HEIC_SAMPLE = b""


def test_heic_loses_exif_and_xmp_in_place_and_keeps_its_pixels() -> None:
    original = heic()
    assert SECRET in original and b"GPSLatitude" in original
    stripped = strip_heif(original)
    assert len(stripped) == len(original)  # blanked where they were: offsets hold
    assert SECRET not in stripped and b"GPSLatitude" not in stripped
    with Image.open(io.BytesIO(stripped)) as image:
        assert not image.getexif()  # an empty directory, readable (zeros were not)
        assert not image.info.get("xmp", b"").strip()
    assert same_pixels(original, stripped)


def test_a_clean_or_broken_heic_is_returned_as_it_is() -> None:
    clean = heic(metadata=False)
    assert strip_heif(clean) == clean
    broken = heic()[:300]
    assert strip_heif(broken) == broken
    assert strip_heif(b"\x00\x00\x00\x18ftypheic" + b"\xff" * 40) == (
        b"\x00\x00\x00\x18ftypheic" + b"\xff" * 40
    )


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_strip_heif_never_raises_on_damaged_files(data: st.DataObject) -> None:
    if not HEIC_SAMPLE:
        pytest.skip("pillow-heif is not installed")
    original = bytearray(HEIC_SAMPLE)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(original) - 1))
        original[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(original)))
    damaged = bytes(original[:cut])
    stripped = strip_heif(damaged)  # must not raise, whatever the boxes say
    assert len(stripped) == len(damaged)


def test_a_heic_photo_is_sent_without_its_gps() -> None:
    original = heic()
    prepared = prepare_image(original, name="IMG_0001.HEIC")
    assert prepared.mime_type in ("image/heic", "image/heif") and not prepared.reencoded
    assert SECRET not in prepared.data and b"GPSLatitude" not in prepared.data
    assert same_pixels(original, prepared.data)


# ---------------------------------------------------------------- prepare_image and the wire


@pytest.mark.parametrize(
    ("make", "mime"), [(jpeg, "image/jpeg"), (png, "image/png"), (webp, "image/webp")]
)
def test_pass_through_images_are_sent_without_metadata(make: object, mime: str) -> None:
    assert callable(make)
    original = make()
    prepared = prepare_image(original, name="photo")
    assert prepared.mime_type == mime and not prepared.reencoded
    assert_clean(prepared.data)
    assert same_pixels(original, prepared.data)
    assert prepared.original_bytes == len(original) > prepared.byte_size


def test_a_rotated_photo_is_reencoded_without_any_exif() -> None:
    prepared = prepare_image(jpeg(orientation=6), name="turned")
    assert prepared.rotated and prepared.reencoded
    assert SECRET not in prepared.data and b"Exif\0\0" not in prepared.data
    with Image.open(io.BytesIO(prepared.data)) as image:
        assert not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert image.size == (64, 96)  # upright


async def test_the_bytes_on_the_wire_have_no_gps(fake_gemini: FakeGemini) -> None:
    original = jpeg()
    prepared = prepare_image(original, name="photo.jpg")
    provider = GeminiProvider("test-key", fake_gemini.base_url)
    try:
        request = GenerateRequest(
            (Message(role=Role.USER, parts=[prepared.to_part(), Part.from_text("Where?")]),),
            GenerationSettings(model="gemini-2.5-flash", stream=False),
        )
        await provider.generate(request)
    finally:
        await provider.aclose()
    sent = fake_gemini.requests_for("generateContent")[-1].json
    inline = sent["contents"][0]["parts"][0]["inlineData"]
    assert inline["mimeType"] == "image/jpeg"
    wire = base64.b64decode(inline["data"])
    assert_clean(wire)
    assert same_pixels(original, wire)
