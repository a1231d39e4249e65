"""Authenticated encryption of personal data at rest, and blind indexes for exact lookups.

**Ciphertext** (AES-256-GCM, ``cryptography``): ``version (1 byte) | key id (4) | nonce (12) | ciphertext+tag``.
The key id is derived from the key, so several keys coexist: ``settings.FIELD_ENCRYPTION_KEYS`` lists
them, the first encrypts, every one of them decrypts (``manage.py encryption_rotate`` re-encrypts old
rows and files with the first). The associated data names what the value is (``accounts.pensioner.name``,
``file``), so a ciphertext copied into another column does not decrypt there. Database text columns
hold the blob base64-encoded; files hold ``FILE_MAGIC`` then the blob.

**Blind index**: ``HMAC-SHA256(settings.FIELD_BLIND_INDEX_KEY, domain ":" value)`` in hex, a separate key.
Equal plaintexts give equal indexes, so a unique, indexed column of it answers "who has this ID number"
without the plaintext. ``blind_index_sql`` computes the same value inside PostgreSQL (pgcrypto's
``hmac()``), for set-based SQL that matches many rows at once.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = 1
KEY_ID_BYTES = 4
NONCE_BYTES = 12
TAG_BYTES = 16
HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES
OVERHEAD = HEADER_BYTES + TAG_BYTES
FILE_MAGIC = b"PGE\x01"  # no JPEG, PNG, HEIC, WebP or PDF starts with these bytes
FILE_CONTEXT = "file"


class DecryptionError(ValueError):
    """The value was altered, belongs to another column, or its key is not configured."""


def decode_key(text: str) -> bytes:
    """A key as configured: 32 bytes, base64 (standard or URL-safe alphabet, padding optional)."""
    text = text.strip()
    try:
        raw = base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_") + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("an encryption key must be base64") from exc
    if len(raw) != 32:
        raise ValueError(f"an encryption key must be 32 bytes, got {len(raw)}")
    return raw


def new_key() -> str:
    """A fresh random key in the configured form (what scripts/setup.sh writes into var/)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"pension-field-key-id:" + key).digest()[:KEY_ID_BYTES]


@functools.lru_cache(maxsize=8)
def _keyring(configured: tuple[str, ...]) -> tuple[bytes, dict[bytes, AESGCM]]:
    if not configured:
        raise ValueError("FIELD_ENCRYPTION_KEYS is empty")
    keys = [decode_key(text) for text in configured]
    return key_id(keys[0]), {key_id(key): AESGCM(key) for key in keys}


def _current() -> tuple[bytes, dict[bytes, AESGCM]]:
    return _keyring(tuple(settings.FIELD_ENCRYPTION_KEYS))


def current_key_id() -> bytes:
    return _current()[0]


def encrypt(data: bytes, *, context: str) -> bytes:
    current, ciphers = _current()
    nonce = os.urandom(NONCE_BYTES)
    return bytes([VERSION]) + current + nonce + ciphers[current].encrypt(nonce, data, context.encode())


def decrypt(blob: bytes, *, context: str) -> bytes:
    if len(blob) < OVERHEAD or blob[0] != VERSION:
        raise DecryptionError("not a ciphertext of this service")
    cipher = _current()[1].get(blob[1 : 1 + KEY_ID_BYTES])
    if cipher is None:
        raise DecryptionError(f"no configured key has id {blob[1 : 1 + KEY_ID_BYTES].hex()}")
    try:
        return cipher.decrypt(blob[1 + KEY_ID_BYTES : HEADER_BYTES], blob[HEADER_BYTES:], context.encode())
    except InvalidTag as exc:
        raise DecryptionError(f"ciphertext does not authenticate as {context}") from exc


def blob_key_id(blob: bytes) -> bytes:
    return blob[1 : 1 + KEY_ID_BYTES]


def encrypt_text(value: str, *, context: str) -> str:
    return base64.b64encode(encrypt(value.encode(), context=context)).decode("ascii")


def decrypt_text(token: str, *, context: str) -> str:
    try:
        blob = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("not a ciphertext of this service") from exc
    return decrypt(blob, context=context).decode()


def text_key_id(token: str) -> bytes:
    return blob_key_id(base64.b64decode(token[:8]))  # 8 base64 characters = the first 6 bytes


# --- Files ------------------------------------------------------------------------------------


def is_encrypted_file(head: bytes) -> bool:
    return head[: len(FILE_MAGIC)] == FILE_MAGIC


def encrypt_file_bytes(data: bytes) -> bytes:
    return FILE_MAGIC + encrypt(data, context=FILE_CONTEXT)


def decrypt_file_bytes(data: bytes) -> bytes:
    """Plaintext of a stored file; files written before encryption (no magic header) come back as they are."""
    if not is_encrypted_file(data):
        return data
    return decrypt(data[len(FILE_MAGIC) :], context=FILE_CONTEXT)


# --- Blind index ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _index_key(configured: str) -> bytes:
    return decode_key(configured)


def blind_index_key() -> bytes:
    return _index_key(settings.FIELD_BLIND_INDEX_KEY)


def blind_index(value: str, *, domain: str, key: bytes | None = None) -> str:
    """The lookup token of an (already normalised) value; ``domain`` separates kinds ("id_number", "phone")."""
    message = f"{domain}:{value}".encode()
    return hmac.new(key or blind_index_key(), message, hashlib.sha256).hexdigest()


def blind_index_sql(value_sql: str, *, domain: str, key: bytes | None = None) -> tuple[str, list[object]]:
    """PostgreSQL expression computing ``blind_index`` of the SQL expression ``value_sql`` (text), and its
    parameters: the domain prefix and the key travel as query parameters, never in the SQL text.
    Needs the pgcrypto extension (created by accounts' migration on PostgreSQL)."""
    sql = f"encode(hmac(convert_to(%s || ({value_sql}), 'UTF8'), %s, 'sha256'), 'hex')"
    return sql, [f"{domain}:", key or blind_index_key()]
