"""Hostile photos that are small on the wire but huge once decoded are refused from their header."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import ImageFile

from facecheck.engine import errors
from facecheck.engine.config import EngineConfig
from facecheck.engine.decoding import DEFAULT_MAX_DECODE_BYTES, decode_image, estimated_decode_bytes

from .images import encode

ROOT = Path(__file__).resolve().parents[2]


def deep_png(width: int, height: int, *, depth: int = 16, colour: int = 0) -> bytes:
    """A valid all-black PNG (colour 0 grey, 2 RGB, 6 RGBA): about 95 KB at 7000 x 7000 16-bit grey."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    channels = {0: 1, 2: 3, 6: 4}[colour]
    row = b"\x00" * (1 + width * channels * depth // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row * 100) for _ in range(height // 100))
    body += compressor.compress(row * (height % 100)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


@pytest.fixture
def no_pixel_decoding(monkeypatch):  # type: ignore[no-untyped-def]
    def refuse(self):  # type: ignore[no-untyped-def]
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize("colour", [0, 2, 6], ids=["grey16", "rgb16", "rgba16"])
def test_a_deep_7000_pixel_png_is_refused_before_any_pixel_is_decoded(no_pixel_decoding, colour):
    data = deep_png(7000, 7000, colour=colour)
    assert len(data) < 400_000
    with pytest.raises(errors.FaceImageError) as info:
        decode_image(data)
    assert info.value.code == errors.IMAGE_TOO_MANY_PIXELS
    assert info.value.details["estimated_bytes"] > DEFAULT_MAX_DECODE_BYTES


def test_an_eight_bit_7000_pixel_png_under_the_pixel_cap_is_refused_too(no_pixel_decoding):
    with pytest.raises(errors.FaceImageError) as info:
        decode_image(deep_png(7000, 7000, depth=8, colour=2))
    assert info.value.code == errors.IMAGE_TOO_MANY_PIXELS


def test_a_small_sixteen_bit_png_still_decodes():
    decoded = decode_image(deep_png(300, 200))
    assert decoded.bgr.shape == (200, 300, 3)


def test_a_12_megapixel_jpeg_fits_because_it_decodes_at_reduced_scale():
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 255, size=(3000, 4000, 3), dtype=np.uint8)
    assert estimated_decode_bytes("RGB", "PNG", (4000, 3000)) < DEFAULT_MAX_DECODE_BYTES  # even at full scale
    decoded = decode_image(encode(photo, "JPEG"), max_decode_bytes=40 * 1024 * 1024)
    assert decoded.decoded_size == (2000, 1500)


def test_a_24_megapixel_iphone_heic_is_within_the_default_budget():
    assert estimated_decode_bytes("RGB", "HEIF", (5712, 4284)) <= DEFAULT_MAX_DECODE_BYTES


def test_the_budget_comes_from_settings(settings):
    settings.FACECHECK_MAX_DECODE_BYTES = 1234
    assert EngineConfig.from_settings().max_decode_bytes == 1234


MEASURE = """
import resource, sys
from facecheck.engine.decoding import decode_image
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    decode_image(data)
except Exception as exc:
    print(getattr(exc, "code", repr(exc)))
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_refusing_the_95_kb_png_costs_megabytes_not_gigabytes(tmp_path):
    path = tmp_path / "deep.png"
    path.write_bytes(deep_png(7000, 7000))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.settings_test"}
    code = "import django; django.setup()\n" + MEASURE
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    outcome, megabytes = result.stdout.split()
    assert outcome == errors.IMAGE_TOO_MANY_PIXELS
    assert int(megabytes) < 50
