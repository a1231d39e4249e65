"""Helpers that build test images in memory from the real photos under /work/shared."""

from __future__ import annotations

import functools
import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
LFW = SHARED / "faces-dev"
EASTASIA = SHARED / "faces-eastasia-dev"


def insightface_image(name: str) -> Path:
    """insightface ships sample photos inside the package; find them wherever the venv is."""
    import insightface

    return Path(insightface.__file__).parent / "data" / "images" / name


def encode(rgb: np.ndarray | Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    image = rgb if isinstance(rgb, Image.Image) else Image.fromarray(rgb)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def load_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@functools.lru_cache(maxsize=2)
def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid greyscale PNG of ``width`` x ``height`` black pixels: ~400 KB on disk, 400 MB decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    parts = [compressor.compress(row * 1000) for _ in range(height // 1000)]
    parts.append(compressor.compress(row * (height % 1000)))
    parts.append(compressor.flush())
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def paste(canvas_size: tuple[int, int], face: np.ndarray, at: tuple[int, int], fill: int = 200) -> np.ndarray:
    """Put ``face`` (RGB) onto a flat canvas (width, height) at (x, y)."""
    canvas = np.full((canvas_size[1], canvas_size[0], 3), fill, dtype=np.uint8)
    x, y = at
    canvas[y : y + face.shape[0], x : x + face.shape[1]] = face
    return canvas
