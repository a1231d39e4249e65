"""The default file storage: files encrypted at rest (AES-GCM, backend.crypto), owner-only permissions.

Face photos and evidence are written encrypted with mode 0600 in directories 0700; ``open()`` returns the
plaintext (in memory: photos and scans are capped at a few MB), ``size()`` the plaintext size. Files
written before encryption (no magic header) still read as they are; ``manage.py encryption_rotate``
encrypts them in place.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import FileSystemStorage

from backend import crypto


class EncryptedFileSystemStorage(FileSystemStorage):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("file_permissions_mode", 0o600)
        kwargs.setdefault("directory_permissions_mode", 0o700)
        super().__init__(**kwargs)

    def _save(self, name: str, content: File) -> str:  # type: ignore[override]
        if hasattr(content, "seek"):
            content.seek(0)
        data = content.read()
        return super()._save(name, ContentFile(crypto.encrypt_file_bytes(data)))  # type: ignore[misc]

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("encrypted files are written through save(), not opened for writing")
        with open(self.path(name), "rb") as handle:
            data = handle.read()
        return ContentFile(crypto.decrypt_file_bytes(data), name=name)

    def read_raw(self, name: str) -> bytes:
        with open(self.path(name), "rb") as handle:
            return handle.read()

    def size(self, name: str) -> int:
        path = self.path(name)
        with open(path, "rb") as handle:
            head = handle.read(len(crypto.FILE_MAGIC))
        raw = os.path.getsize(path)
        return raw - len(crypto.FILE_MAGIC) - crypto.OVERHEAD if crypto.is_encrypted_file(head) else raw

    def rewrite_encrypted(self, name: str) -> bool:
        """Re-encrypt one file with the current key (or encrypt a plaintext one) in place, atomically.
        Returns False when it already is under the current key."""
        raw = self.read_raw(name)
        if (
            crypto.is_encrypted_file(raw)
            and crypto.blob_key_id(raw[len(crypto.FILE_MAGIC) :]) == crypto.current_key_id()
        ):
            return False
        path = self.path(name)
        temporary = f"{path}.rotating"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(crypto.encrypt_file_bytes(crypto.decrypt_file_bytes(raw)))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        os.chmod(path, 0o600)
        return True
