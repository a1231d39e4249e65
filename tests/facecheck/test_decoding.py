"""Safe decoding: every malformed or hostile upload ends in its own error code, never a crash."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from facecheck.engine import errors
from facecheck.engine.decoding import HEIF_AVAILABLE, decode_image

from .images import encode, png_bomb


def _photo(width: int = 64, height: int = 48) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, size=(height, width, 3), dtype=np.uint8)


def _code(data: bytes, **kwargs: object) -> str:
    with pytest.raises(errors.FaceImageError) as info:
        decode_image(data, **kwargs)
    return info.value.code


def test_empty_file_is_refused():
    assert _code(b"") == errors.IMAGE_EMPTY


def test_text_file_is_not_an_image():
    assert _code(b"%PDF-1.7 this is certainly not a photo\n" * 20) == errors.IMAGE_INVALID


def test_unsupported_format_is_refused():
    assert _code(encode(_photo(), "BMP")) == errors.IMAGE_INVALID


def test_truncated_jpeg_is_refused():
    data = encode(_photo(320, 240), "JPEG", quality=95)
    assert _code(data[: len(data) // 2]) == errors.IMAGE_TRUNCATED


def test_truncated_png_is_refused():
    data = encode(_photo(320, 240), "PNG")
    assert _code(data[: len(data) // 2]) == errors.IMAGE_TRUNCATED


def test_oversized_file_is_refused_before_decoding():
    assert _code(encode(_photo()), max_bytes=100) == errors.IMAGE_TOO_BIG


def test_png_decompression_bomb_is_refused_from_its_header():
    data = png_bomb(20_000, 20_000)
    assert len(data) < 2_000_000  # small on the wire, 400 MB once decoded
    assert _code(data) == errors.IMAGE_TOO_MANY_PIXELS


def test_pixel_cap_is_configurable():
    assert _code(encode(_photo(100, 100), "PNG"), max_pixels=5_000) == errors.IMAGE_TOO_MANY_PIXELS


def test_exif_orientation_is_applied():
    rgb = np.zeros((40, 80, 3), dtype=np.uint8)
    rgb[:, :40] = (255, 0, 0)  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise for display
    decoded = decode_image(encode(rgb, "JPEG", quality=95, exif=exif.tobytes()))
    assert decoded.bgr.shape[:2] == (80, 40)
    # After a clockwise turn the red half is on top; BGR keeps red in channel 2.
    assert decoded.bgr[10, 20, 2] > 200 and decoded.bgr[70, 20, 2] < 60


def test_grayscale_becomes_three_channels():
    grey = Image.fromarray(np.full((30, 40), 90, dtype=np.uint8), mode="L")
    decoded = decode_image(encode(grey, "PNG"))
    assert decoded.bgr.shape == (30, 40, 3)
    assert np.all(decoded.bgr == 90)


def test_transparent_png_is_composited_on_grey():
    rgba = np.zeros((20, 20, 4), dtype=np.uint8)  # fully transparent black
    decoded = decode_image(encode(Image.fromarray(rgba, mode="RGBA"), "PNG"))
    assert decoded.bgr.shape == (20, 20, 3)
    assert np.all(decoded.bgr == 128)


def test_sixteen_bit_png_is_scaled_to_eight_bits():
    deep = Image.fromarray(np.full((10, 10), 65535, dtype=np.uint16))
    decoded = decode_image(encode(deep, "PNG"))
    assert np.all(decoded.bgr == 255)


def test_webp_decodes():
    decoded = decode_image(encode(_photo(50, 40), "WEBP", lossless=True))
    assert decoded.format == "WEBP" and decoded.bgr.shape == (40, 50, 3)


@pytest.mark.skipif(not HEIF_AVAILABLE, reason="pillow-heif is not installed")
def test_heic_decodes():
    decoded = decode_image(encode(_photo(64, 48), "HEIF", quality=90))
    assert decoded.format == "HEIF" and decoded.bgr.shape == (48, 64, 3)


def test_large_photo_is_downscaled_to_the_working_size():
    decoded = decode_image(encode(_photo(4000, 3000), "JPEG"), work_side=1600)
    assert max(decoded.bgr.shape[:2]) == 1600
    assert decoded.original_size == (4000, 3000)


def test_same_bytes_give_the_same_hash_and_other_bytes_another():
    a = encode(_photo(), "PNG")
    b = encode(_photo() // 2, "PNG")
    assert decode_image(a).sha256 == decode_image(io.BytesIO(a).getvalue()).sha256
    assert decode_image(a).sha256 != decode_image(b).sha256


@pytest.mark.parametrize(("width", "height"), [(3000, 4000), (4000, 3000)])
def test_a_phone_photo_is_decoded_at_half_scale_not_full_size(width, height):
    """libjpeg's reduced-scale decoding: a 12 MP selfie never exists in memory at full size."""
    decoded = decode_image(encode(_photo(width, height), "JPEG"), work_side=1600)
    assert decoded.original_size == (width, height)
    assert decoded.decoded_size == (width // 2, height // 2)
    assert max(decoded.bgr.shape[:2]) == 1600


def test_a_photo_barely_above_the_working_size_is_decoded_at_full_scale():
    """Half scale would drop below the working size (1700 -> 850 px): the full image is decoded."""
    decoded = decode_image(encode(_photo(1700, 1200), "JPEG"), work_side=1600)
    assert decoded.decoded_size == (1700, 1200)
