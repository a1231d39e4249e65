"""Model fields encrypted at rest (backend.crypto): the attribute holds the plaintext, the column the ciphertext.

``EncryptedTextField(blind_index="phone_bidx", index_domain="phone")`` keeps a sibling column (declared
on the model, usually unique or indexed) equal to ``crypto.blind_index(value, domain=...)`` whenever the
attribute is set, so lookups go ``filter(phone_bidx=blind_index(phone, domain="phone"))`` and the
index stays right through ``save()``, ``bulk_create()``, ``bulk_update()`` and form validation alike.

The ciphertext cannot be compared: any lookup other than ``isnull`` raises ``FieldError`` instead of
silently matching nothing. Values are checked by the field's ``validators`` before every write (the
CHECK constraint the database can no longer make on a ciphertext), raising ``IntegrityError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import FieldError, ValidationError
from django.db import IntegrityError, models
from django.db.models.query_utils import DeferredAttribute

from backend import crypto

ALLOWED_LOOKUPS = frozenset({"isnull"})


class _EncryptedAttribute(DeferredAttribute):
    """Setting the plaintext also sets the blind-index attribute."""

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = value
        field = self.field
        if isinstance(field, EncryptedTextField) and field.blind_index:
            instance.__dict__[field.blind_index] = field.index_of(value)


class _EncryptedMixin:
    context: str
    name: str
    attname: str

    def contribute_to_class(self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)  # type: ignore[misc]
        # Associated data: a ciphertext moved to another column or model does not decrypt there.
        self.context = f"{cls._meta.label_lower}.{name}"

    def get_lookup(self, lookup_name: str) -> Any:
        # None: Django then tries ``get_transform``, which raises the explanation below.
        return super().get_lookup(lookup_name) if lookup_name in ALLOWED_LOOKUPS else None  # type: ignore[misc]

    def get_transform(self, name: str) -> Any:
        raise FieldError(f"{self.context} is encrypted: compare its blind index instead of '{name}' on the ciphertext.")

    def _check_before_write(self, value: Any) -> None:
        try:
            self.run_validators(value)  # type: ignore[attr-defined]
        except ValidationError as exc:
            raise IntegrityError(f"{self.context}: {'; '.join(exc.messages)}") from exc


class EncryptedTextField(_EncryptedMixin, models.TextField):  # type: ignore[misc]
    """Text encrypted with AES-GCM; ``None`` and ``""`` are stored as they are (nothing to hide)."""

    descriptor_class = _EncryptedAttribute

    def __init__(
        self,
        *args: Any,
        blind_index: str = "",
        index_domain: str = "",
        index_normalize: Callable[[str], str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.blind_index = blind_index
        self.index_domain = index_domain or ""
        self.index_normalize = index_normalize  # applied before the HMAC (e.g. a canonical form of names)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.blind_index:
            kwargs["blind_index"] = self.blind_index
            kwargs["index_domain"] = self.index_domain
        if self.index_normalize is not None:
            kwargs["index_normalize"] = self.index_normalize
        return name, path, args, kwargs

    def formfield(self, **kwargs: Any) -> Any:
        kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(**kwargs)

    def index_of(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        text = str(value) if self.index_normalize is None else self.index_normalize(str(value))
        return crypto.blind_index(text, domain=self.index_domain)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt_text(value, context=self.context)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        value = self.to_python(value)
        if value == "" and self.null:
            return None
        if value is None or value == "":
            return value
        self._check_before_write(value)
        return crypto.encrypt_text(value, context=self.context)


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """The lookup column of an ``EncryptedTextField`` (whose ``blind_index=`` names this field): recomputed
    from the plaintext on every save and bulk insert. Declare it before its source field, so that
    ``Model(**kwargs)`` does not reset it to its default after the source set it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def _source(self, instance: models.Model) -> EncryptedTextField | None:
        for field in instance._meta.concrete_fields:
            if isinstance(field, EncryptedTextField) and field.blind_index == self.attname:
                return field
        return None

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        source = self._source(model_instance)
        if source is not None and source.attname in model_instance.__dict__:
            setattr(model_instance, self.attname, source.index_of(model_instance.__dict__[source.attname]))
        return getattr(model_instance, self.attname)


class EncryptedBinaryField(_EncryptedMixin, models.BinaryField):  # type: ignore[misc]
    """Bytes encrypted with AES-GCM (face embeddings); reusable for any binary column.

    To encrypt an existing ``BinaryField``: change its class to this one, then a data migration that
    encrypts the stored rows with ``backend.migration_helpers.encrypt_binary_column``."""

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> bytes | None:
        if value is None:
            return None
        return crypto.decrypt(bytes(value), context=self.context)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        if value is None:
            return None
        self._check_before_write(value)
        return super().get_db_prep_save(crypto.encrypt(bytes(value), context=self.context), connection)


class BlindIndexUniqueMixin:
    """Model mixin: a unique blind index reports its duplicates as errors of the plaintext field, so a form
    that edits ``id_number`` (and not the hidden ``id_number_bidx``) still says "already exists"."""

    def validate_unique(self, exclude: Any = None) -> None:
        exclude = set(exclude or ())
        sources = {
            f.blind_index: f.name
            for f in self._meta.concrete_fields  # type: ignore[attr-defined]
            if isinstance(f, EncryptedTextField) and f.blind_index
        }
        for index, source in sources.items():
            if source not in exclude:
                exclude.discard(index)
        try:
            super().validate_unique(exclude=exclude)  # type: ignore[misc]
        except ValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            raise ValidationError({sources.get(k, k): v for k, v in exc.error_dict.items()}) from exc
