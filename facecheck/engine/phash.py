"""64-bit DCT perceptual hash (pHash), for spotting resubmitted or re-encoded photos.

Re-saving, rescaling or lightly recompressing a photo changes its bytes but barely its pHash;
a new photo, even of the same person in the same place, changes it a lot.
"""

from __future__ import annotations

import cv2
import numpy as np


def phash64(bgr: np.ndarray) -> int:
    """Unsigned 64-bit pHash of a BGR or grey image."""
    grey = bgr if bgr.ndim == 2 else cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    small = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32)
    low = cv2.dct(small)[:8, :8].ravel()
    median = np.median(low[1:])  # the DC term only says how bright the image is
    bits = low > median
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return value


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & 0xFFFFFFFFFFFFFFFF).bit_count()


def to_signed(value: int) -> int:
    """Store an unsigned 64-bit hash in a signed BIGINT column."""
    return value - (1 << 64) if value >= (1 << 63) else value


def to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value
