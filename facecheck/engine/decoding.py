"""Safe decoding of untrusted photos into BGR arrays.

The order matters: the byte cap is checked before Pillow sees the data, the pixel cap and the
memory budget are checked from the header before any pixel is decoded (a 20,000 x 20,000 PNG is a
few hundred kilobytes but would need gigabytes once decoded; a 95 KB 16-bit 7000 x 7000 greyscale
PNG, under the pixel cap, used to take 1.2 GB), and only a fixed list of formats is accepted.

The memory budget (``max_decode_bytes``) is the estimated peak from the decoded pixels to the RGB
array: pixels (after JPEG's reduced-scale decoding) times the peak bytes per pixel of the image's
mode, measured per mode and format (see docs/security.md).
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

from . import errors

try:  # HEIC/HEIF selfies from iPhones; optional so a slim install still decodes JPEG/PNG/WebP.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - pillow-heif is in requirements.txt
    HEIF_AVAILABLE = False

ALLOWED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP", "HEIF"})
# Pillow tries every registered plugin otherwise (PSD, TGA, ...): restrict it to what we accept.
# The JPEG opener also returns MPO (multi-picture JPEGs from some phones).
Image.init()
_OPEN_FORMATS = tuple(f for f in ("JPEG", "PNG", "WEBP", "HEIF") if f in Image.OPEN)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000
# A 24 MP RGB HEIC (recent iPhones) needs about 10.5 bytes per pixel: 257 MB, just inside.
DEFAULT_MAX_DECODE_BYTES = 256 * 1024 * 1024
# Peak bytes per decoded pixel, decoder output to the resized RGB array, measured on 3000 x 3000
# images in a fresh process (ru_maxrss; see docs/security.md) and rounded up.
_PEAK_BYTES_PER_PIXEL: dict[str, float] = {
    "RGB": 10,
    "YCbCr": 10,
    "L": 11,
    "1": 11,
    "P": 11,
    "CMYK": 14,
    "I;16": 13,
    "I;16B": 13,
    "I;16L": 13,
    "RGBA": 20,
    "RGBa": 20,
    "LA": 20,
    "La": 20,
    "PA": 20,
    "I": 22,
    "F": 22,
}
_UNLISTED_MODE_BYTES_PER_PIXEL = 24
# Decoders with their own full-size buffer alive while Pillow copies it out.
_FORMAT_EXTRA_BYTES_PER_PIXEL: dict[str, float] = {"HEIF": 0.5, "WEBP": 8}
# Detection runs at 640 and alignment at 112 px: more than this only costs time.
DEFAULT_WORK_SIDE = 1600


@dataclass(frozen=True)
class DecodedImage:
    bgr: np.ndarray  # H x W x 3 uint8, orientation applied, possibly downscaled
    sha256: str  # of the submitted bytes
    format: str
    original_size: tuple[int, int]  # (width, height) as stored in the file, before orientation
    decoded_size: tuple[int, int]  # (width, height) libjpeg produced: smaller when it decoded at reduced scale


def decode_image(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    work_side: int = DEFAULT_WORK_SIDE,
    max_decode_bytes: int = DEFAULT_MAX_DECODE_BYTES,
) -> DecodedImage:
    """Decode untrusted bytes or raise :class:`errors.FaceImageError` with a specific code."""
    if not data:
        raise errors.FaceImageError(errors.IMAGE_EMPTY)
    if len(data) > max_bytes:
        raise errors.FaceImageError(errors.IMAGE_TOO_BIG, details={"bytes": len(data), "max_bytes": max_bytes})
    digest = hashlib.sha256(data).hexdigest()
    try:
        with warnings.catch_warnings():
            # Our own pixel cap below is stricter than Pillow's warning level.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=_OPEN_FORMATS)
    except Image.DecompressionBombError as exc:
        raise errors.FaceImageError(errors.IMAGE_TOO_MANY_PIXELS) from exc
    except (OSError, SyntaxError, ValueError) as exc:  # UnidentifiedImageError is an OSError
        raise errors.FaceImageError(errors.IMAGE_INVALID) from exc
    fmt = image.format or ""
    if fmt not in ALLOWED_FORMATS:
        raise errors.FaceImageError(errors.IMAGE_INVALID)
    width, height = image.size
    if width <= 0 or height <= 0:
        raise errors.FaceImageError(errors.IMAGE_INVALID)
    if width * height > max_pixels:
        raise errors.FaceImageError(
            errors.IMAGE_TOO_MANY_PIXELS, details={"width": width, "height": height, "max_pixels": max_pixels}
        )
    try:
        if fmt in ("JPEG", "MPO") and max(width, height) > work_side:
            # Let libjpeg decode at 1/2, 1/4 or 1/8 scale, as long as the longest side stays at least
            # work_side: a 12 MP selfie decodes 4x faster. Pillow keeps a scale only if *both* sides stay
            # at or above the requested box, so ask for the photo's own shape at work_side.
            scale = work_side / max(width, height)
            image.draft("RGB", (max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))))
        # After draft(), size and mode are what the decoder will produce; still no pixel decoded.
        needed = estimated_decode_bytes(image.mode, fmt, image.size)
        if needed > max_decode_bytes:
            raise errors.FaceImageError(
                errors.IMAGE_TOO_MANY_PIXELS,
                details={"width": width, "height": height, "mode": image.mode, "estimated_bytes": needed},
            )
        image.load()
        decoded_size = image.size
        ImageOps.exif_transpose(image, in_place=True)  # no copy of an upright photo (30 ms at 12 MP)
        rgb = _to_rgb(image)
    except Image.DecompressionBombError as exc:
        raise errors.FaceImageError(errors.IMAGE_TOO_MANY_PIXELS) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise errors.FaceImageError(errors.IMAGE_TRUNCATED) from exc
    arr = np.asarray(rgb, dtype=np.uint8)
    longest = max(arr.shape[0], arr.shape[1])
    if longest > work_side:
        scale = work_side / longest
        arr = cv2.resize(arr, (round(arr.shape[1] * scale), round(arr.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    bgr = cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)  # several times faster than a reversed-axis copy
    return DecodedImage(bgr=bgr, sha256=digest, format=fmt, original_size=(width, height), decoded_size=decoded_size)


def estimated_decode_bytes(mode: str, fmt: str, size: tuple[int, int]) -> int:
    """Peak memory from decoding to the RGB array, from the header alone."""
    per_pixel = _PEAK_BYTES_PER_PIXEL.get(mode, _UNLISTED_MODE_BYTES_PER_PIXEL)
    per_pixel += _FORMAT_EXTRA_BYTES_PER_PIXEL.get(fmt, 0)
    return int(size[0] * size[1] * per_pixel)


def _to_rgb(image: Image.Image) -> Image.Image:
    """Grayscale, palette, 16-bit and transparent images all become plain 8-bit RGB."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # Integer steps, no float64 copy (8 bytes a pixel): 16-bit values keep their top byte.
        arr = np.asarray(image)
        if arr.dtype.kind == "f":
            arr = np.nan_to_num(arr, nan=0.0, posinf=65535.0, neginf=0.0)
        arr = np.clip(arr, 0, 65535).astype(np.uint16, copy=False)
        image = Image.fromarray((arr >> 8).astype(np.uint8) if arr.max() > 255 else arr.astype(np.uint8))
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        # Transparent areas become mid-grey rather than black so they do not look like a dark photo.
        background = Image.new("RGBA", rgba.size, (128, 128, 128, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode != "RGB":
        return image.convert("RGB")
    return image
