"""rill.core.attachments.prepare: verify, orient, convert, downscale, re-encode, thumbnails, and
the bad-file matrix. Every fixture is generated here; nothing touches the network.

The helpers at the top (``encode``, ``noise``, ``gradient``, ``oriented_jpeg``) are
shared with the other test_images* and test_attachments modules.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from rill.core.attachments import formats as image_formats
from rill.core.attachments.prepare import (
    DEFAULT_LIMITS,
    AttachmentError,
    AttachmentLimits,
    PreparedImage,
    make_thumbnail,
    prepare_image,
)
from rill.core.errors import InvalidRequestError, RillError

RED, BLUE = (220, 20, 20), (20, 20, 220)


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def solid(size: tuple[int, int] = (120, 80), color: tuple[int, int, int] = RED) -> Image.Image:
    return Image.new("RGB", size, color)


def gradient(size: tuple[int, int]) -> Image.Image:
    """Smooth colour: compresses well, like a sky."""
    ramp = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT), ramp))


def noise(size: tuple[int, int], sigma: float = 60) -> Image.Image:
    """Colour noise over a gradient: compresses badly, like a detailed photo."""
    bands = [Image.effect_noise(size, sigma) for _ in range(3)]
    return Image.blend(Image.merge("RGB", bands), gradient(size), 0.3)


def halves(size: tuple[int, int]) -> Image.Image:
    """Left half red, right half blue: shows where a rotation put things."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return image


def oriented_jpeg(size: tuple[int, int], orientation: int) -> bytes:
    image = halves(size)
    exif = image.getexif()
    exif[0x0112] = orientation
    return encode(image, "JPEG", quality=92, exif=exif)


def near(pixel: object, color: tuple[int, int, int], tolerance: int = 40) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(int(a) - b) <= tolerance for a, b in zip(pixel[:3], color, strict=True))


def decoded(prepared: PreparedImage) -> Image.Image:
    image = Image.open(io.BytesIO(prepared.data))
    image.load()
    return image


# ---------------------------------------------------------------- pass-through


@pytest.mark.parametrize(
    ("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_small_png_jpeg_webp_go_byte_for_byte(tmp_path: Path, fmt: str, mime: str) -> None:
    data = encode(noise((300, 200)), fmt)
    path = tmp_path / "picture.bin"  # the content decides, not the name
    path.write_bytes(data)
    prepared = prepare_image(path)
    assert prepared.data == data
    assert prepared.mime_type == mime
    assert (prepared.width, prepared.height) == (300, 200)
    assert not (prepared.converted or prepared.downscaled or prepared.reencoded)
    assert not prepared.needs_upload
    assert prepared.name == "picture.bin" and prepared.path == path
    assert prepared.original_bytes == len(data) == prepared.byte_size


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO", "PPM", "TGA"])
def test_other_formats_become_png(fmt: str) -> None:
    data = encode(halves((64, 48)), fmt)
    size = Image.open(io.BytesIO(data)).size  # ICO keeps its largest icon, 48×36
    prepared = prepare_image(data, name=f"x.{fmt.lower()}")
    assert prepared.mime_type == "image/png" and prepared.converted and prepared.reencoded
    assert prepared.original_format == fmt
    image = decoded(prepared)
    assert image.format == "PNG" and image.size == size
    assert near(image.getpixel((2, 2)), RED) and near(image.getpixel((size[0] - 3, 2)), BLUE)


def test_gif_sends_its_first_frame_as_png() -> None:
    frames = [solid((40, 30), RED).convert("P"), solid((40, 30), BLUE).convert("P")]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    prepared = prepare_image(data, name="anim.gif")
    assert prepared.mime_type == "image/png" and prepared.original_format == "GIF"
    assert near(decoded(prepared).convert("RGB").getpixel((10, 10)), RED)


def test_transparency_survives_conversion() -> None:
    image = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    image.paste((10, 200, 10, 255), (10, 10, 40, 40))
    prepared = prepare_image(encode(image, "TIFF"), name="logo.tiff")
    out = decoded(prepared).convert("RGBA")
    assert out.getpixel((0, 0))[3] == 0 and out.getpixel((25, 25))[3] == 255


def test_sixteen_bit_greyscale_is_scaled_not_clipped() -> None:
    ramp = Image.linear_gradient("L").resize((64, 64)).convert("I")
    wide = ramp.point(lambda v: v * 257).convert("I;16")
    prepared = prepare_image(
        encode(wide, "PNG"), name="depth.png", limits=AttachmentLimits(max_side=32)
    )
    out = decoded(prepared).convert("L")
    low, high = out.getextrema()  # type: ignore[misc]
    assert low < 30 and high > 220  # a clipped conversion would be all white


# ---------------------------------------------------------------- orientation


def test_exif_orientation_6_is_applied_and_the_tag_removed() -> None:
    data = oriented_jpeg((400, 200), 6)  # stored landscape; shown rotated 90° clockwise
    prepared = prepare_image(data, name="phone.jpg")
    assert prepared.rotated and prepared.reencoded and not prepared.downscaled
    assert (prepared.width, prepared.height) == (200, 400)
    assert (prepared.original_width, prepared.original_height) == (400, 200)
    image = decoded(prepared)
    assert image.size == (200, 400) and prepared.mime_type == "image/jpeg"
    assert image.getexif().get(0x0112) in (None, 1)
    # The stored left (red) half is now on top, the right (blue) half at the bottom.
    assert near(image.getpixel((100, 50)), RED) and near(image.getpixel((100, 350)), BLUE)


@pytest.mark.parametrize(
    ("orientation", "size"), [(1, (400, 200)), (3, (400, 200)), (6, (200, 400)), (8, (200, 400))]
)
def test_every_orientation_gives_upright_pixels(orientation: int, size: tuple[int, int]) -> None:
    prepared = prepare_image(oriented_jpeg((400, 200), orientation), name="o.jpg")
    assert (prepared.width, prepared.height) == size
    assert prepared.rotated == (orientation != 1)


def test_orientation_and_downscale_together() -> None:
    data = oriented_jpeg((4000, 2000), 6)
    prepared = prepare_image(data, name="big.jpg", limits=AttachmentLimits(max_side=1000))
    assert (prepared.width, prepared.height) == (500, 1000)
    image = decoded(prepared)
    assert near(image.getpixel((250, 100)), RED) and near(image.getpixel((250, 900)), BLUE)
    thumb = Image.open(io.BytesIO(prepared.thumbnail or b""))
    assert thumb.size == (128, 256)


# ---------------------------------------------------------------- size limits


def test_downscale_to_the_default_3072() -> None:
    prepared = prepare_image(encode(gradient((4000, 3000)), "PNG"), name="sky.png")
    assert DEFAULT_LIMITS.max_side == 3072
    assert (prepared.width, prepared.height) == (3072, 2304)
    assert prepared.downscaled and prepared.mime_type == "image/png"  # line art stays PNG
    assert decoded(prepared).size == (3072, 2304)


def test_downscale_to_a_custom_limit_keeps_jpeg() -> None:
    data = encode(noise((1600, 900)), "JPEG", quality=90)
    prepared = prepare_image(data, name="shot.jpg", limits=AttachmentLimits(max_side=800))
    assert (prepared.width, prepared.height) == (800, 450)
    assert prepared.mime_type == "image/jpeg" and not prepared.converted


def test_reencode_walks_the_quality_ladder_under_the_byte_limit() -> None:
    data = encode(noise((1500, 1000)), "JPEG", quality=97)
    limit = 600_000
    assert len(data) > limit
    prepared = prepare_image(
        data, name="detail.jpg", limits=AttachmentLimits(max_image_bytes=limit)
    )
    assert prepared.byte_size <= limit and prepared.reencoded and not prepared.needs_upload
    assert (prepared.width, prepared.height) == (1500, 1000)  # pixels kept, quality cut
    assert prepared.mime_type == "image/jpeg"


def test_a_big_png_photo_becomes_jpeg_and_one_with_alpha_webp() -> None:
    limits = AttachmentLimits(max_image_bytes=300_000)
    photo = prepare_image(encode(noise((800, 600)), "PNG"), name="p.png", limits=limits)
    assert photo.mime_type == "image/jpeg" and photo.converted and photo.byte_size <= 300_000
    clear = noise((800, 600)).convert("RGBA")
    clear.putalpha(Image.linear_gradient("L").resize((800, 600)))
    alpha = prepare_image(encode(clear, "PNG"), name="a.png", limits=limits)
    assert alpha.mime_type == "image/webp" and alpha.byte_size <= 300_000
    assert decoded(alpha).mode == "RGBA"


def test_an_image_that_cannot_fit_inline_is_marked_for_upload() -> None:
    data = encode(noise((1200, 900)), "JPEG", quality=95)
    limits = AttachmentLimits(max_image_bytes=20_000)
    prepared = prepare_image(data, name="dense.jpg", limits=limits)
    assert prepared.needs_upload and prepared.byte_size > 20_000
    assert prepared.mime_type == "image/jpeg"


def test_too_large_even_after_downscaling_gives_numbers(tmp_path: Path) -> None:
    path = tmp_path / "dense.jpg"
    path.write_bytes(encode(noise((2000, 1500)), "JPEG", quality=95))
    limits = AttachmentLimits(max_side=1024, max_image_bytes=20_000, allow_upload=False)
    with pytest.raises(AttachmentError) as caught:
        prepare_image(path, limits=limits)
    error = caught.value
    assert error.code == "too_large"
    assert str(error).startswith(f"Cannot attach {path}: too large even after downscaling: ")
    assert "1024×768 px" in str(error) and "20 KB inline limit" in str(error)
    assert "MB" in str(error) or "KB" in str(error)


# ---------------------------------------------------------------- thumbnails


def test_thumbnail_first_is_small_upright_png(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(oriented_jpeg((4000, 3000), 6))
    thumb = Image.open(io.BytesIO(make_thumbnail(path)))
    assert thumb.format == "PNG" and thumb.size == (192, 256)
    assert near(thumb.getpixel((96, 30)), RED) and near(thumb.getpixel((96, 220)), BLUE)
    assert Image.open(io.BytesIO(make_thumbnail(path.read_bytes(), 64))).size == (48, 64)


def test_prepared_images_carry_a_thumbnail() -> None:
    for data in (encode(solid((40, 30)), "PNG"), encode(gradient((1000, 500)), "BMP")):
        prepared = prepare_image(data, name="t")
        assert prepared.thumbnail is not None
        thumb = Image.open(io.BytesIO(prepared.thumbnail))
        assert thumb.format == "PNG" and max(thumb.size) <= 256


def test_describe_is_a_tooltip() -> None:
    prepared = prepare_image(encode(gradient((4000, 1000)), "BMP"), name="wide.bmp")
    assert prepared.describe().startswith("wide.bmp — 3072×768 px, ")
    assert "converted from BMP" in prepared.describe()
    assert "downscaled from 4000×1000" in prepared.describe()


# ---------------------------------------------------------------- HEIC / HEIF


def test_heic_passes_through_unverified_without_pillow_heif(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(image_formats, "heif_decoder_available", lambda: False)
    data = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    prepared = prepare_image(data, name="IMG_0001.HEIC")
    assert (prepared.mime_type, prepared.data, prepared.thumbnail) == ("image/heic", data, None)
    heif = b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1" + b"\x00" * 64
    assert prepare_image(heif, name="x.heif").mime_type == "image/heif"
    with pytest.raises(AttachmentError, match="pillow-heif is not installed") as caught:
        make_thumbnail(data, name="IMG_0001.HEIC")
    assert caught.value.code == "unsupported"


def test_real_heic_is_decoded_with_pillow_heif() -> None:
    pytest.importorskip("pillow_heif")
    assert image_formats.heif_decoder_available()
    small = encode(halves((64, 48)), "HEIF")
    prepared = prepare_image(small, name="IMG.HEIC")
    assert prepared.mime_type == "image/heic" and prepared.data == small
    assert (prepared.width, prepared.height) == (64, 48) and prepared.thumbnail
    big = prepare_image(
        encode(halves((640, 480)), "HEIF"), name="b", limits=AttachmentLimits(max_side=320)
    )
    assert big.mime_type == "image/jpeg" and (big.width, big.height) == (320, 240)


# ---------------------------------------------------------------- bad files


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size and has no pixels (headers are all Pillow opens first)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def corrupt_png() -> bytes:
    data = bytearray(encode(noise((64, 64)), "PNG"))
    start = data.index(b"IDAT") + 4
    data[start : start + 2] = b"\x00\x00"  # a zlib header that is not one
    return bytes(data)


BAD_FILES: list[tuple[str, bytes | str | None, str, str]] = [
    ("missing.png", "absent", "file not found", "not_found"),
    ("folder.png", None, "it is a directory", "directory"),
    ("empty.png", b"", "the file is empty", "empty"),
    ("notes.png", b"just some text, not pixels\n", "not an image (no known image format)",
     "not_image"),
    ("cut.png", encode(noise((64, 64)), "PNG")[:400], "the image data is truncated", "truncated"),
    ("cut.jpg", encode(noise((640, 480)), "JPEG")[:5000], "the image data is truncated",
     "truncated"),
    ("broken.png", corrupt_png(), "the image data is corrupt", "corrupt"),
    ("drawing.svg", b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>',
     "unsupported format SVG", "unsupported"),
    ("bomb.png", png_header_only(20_000, 20_000), "too large to decode safely (400 megapixels",
     "bomb"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "reason", "code"), BAD_FILES)
def test_bad_files_name_the_file_and_the_reason(
    tmp_path: Path, name: str, content: bytes | str | None, reason: str, code: str
) -> None:
    path = tmp_path / name
    if content is None:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(AttachmentError) as caught:
        prepare_image(path)
    message = str(caught.value)
    assert message.startswith(f"Cannot attach {path}: "), message
    assert reason in message, message
    assert caught.value.code == code
    if isinstance(content, bytes) and content:
        with pytest.raises(AttachmentError) as again:  # the same from bytes, named by the caller
            prepare_image(content, name="pasted.png")
        assert str(again.value).startswith("Cannot attach pasted.png: ")
        assert again.value.code == code


def test_bombs_are_measured_against_the_configured_limit() -> None:
    data = encode(solid((400, 300)), "PNG")
    with pytest.raises(AttachmentError) as caught:
        prepare_image(data, name="b.png", limits=AttachmentLimits(max_pixels=100_000))
    assert caught.value.code == "bomb"
    assert "(400×300 px = 0.1 megapixels; the limit is 0.1 megapixels;" in str(caught.value)
    assert "decompression bomb" in str(caught.value)


def test_a_thumbnail_of_a_bad_file_says_why() -> None:
    with pytest.raises(AttachmentError, match="not an image"):
        make_thumbnail(b"hello", name="hello.png")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.png"
    path.write_bytes(encode(solid(), "PNG"))
    path.chmod(0)
    with pytest.raises(AttachmentError, match="permission denied") as caught:
        prepare_image(path)
    assert caught.value.code == "permission"


def test_a_file_over_the_read_limit_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.tif"
    path.write_bytes(b"II*\x00" + b"\x00" * 4000)
    with pytest.raises(AttachmentError, match="too large to open") as caught:
        prepare_image(path, limits=AttachmentLimits(max_file_bytes=2000))
    assert caught.value.code == "too_large"


def test_unicode_paths_work(tmp_path: Path) -> None:
    folder = tmp_path / "tests" / "fixtures" / "images"
    folder.mkdir(parents=True)
    path = folder / "café 日本.png"
    path.write_bytes(encode(solid(), "PNG"))
    prepared = prepare_image(path)
    assert prepared.name == "café 日本.png" and prepared.mime_type == "image/png"
    assert make_thumbnail(path)
    with pytest.raises(AttachmentError) as caught:
        prepare_image(folder / "ünïcödé 不在.png")
    assert "ünïcödé 不在.png: file not found" in str(caught.value)


def test_image_errors_belong_to_the_hierarchy() -> None:
    error = AttachmentError("x.png", "file not found", code="not_found")
    assert isinstance(error, InvalidRequestError) and isinstance(error, RillError)
    assert error.kind == "attachment" and error.source == "x.png"


# ---------------------------------------------------------------- limits


def test_limits_from_the_environment() -> None:
    limits = AttachmentLimits.from_env(
        {"RILL_IMAGE_MAX_SIDE": "1024", "RILL_INLINE_REQUEST_BYTES": "100000000"}
    )
    assert limits.max_side == 1024 and limits.inline_request_bytes == 100_000_000
    assert limits.max_image_bytes == DEFAULT_LIMITS.max_image_bytes
    with pytest.raises(ValueError, match="RILL_IMAGE_MAX_BYTES must be a whole number"):
        AttachmentLimits.from_env({"RILL_IMAGE_MAX_BYTES": "7MB"})
    with pytest.raises(ValueError, match="max_side"):
        AttachmentLimits(max_side=2)


def test_the_default_pixel_limit_is_pillows_own() -> None:
    # Written out so rill.core.attachments loads without Pillow (the window's start-up).
    from rill.core.attachments.prepare import DEFAULT_MAX_PIXELS

    assert int(Image.MAX_IMAGE_PIXELS or 0) == DEFAULT_MAX_PIXELS


def test_rill_core_attachments_loads_without_pillow() -> None:
    code = "import sys, rill.core.attachments; sys.exit('PIL' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
