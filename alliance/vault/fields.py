"""``EncryptedTextField``: a text column that holds only ciphertext.

How it knows the row (docs/decisions/0016-encryption-and-backups.md): ``from_db_value``
cannot see the row, so it returns the stored text wrapped in ``Sealed``; the field's
descriptor opens it on first attribute access, with the row's school and public id (the
associated data), and keeps the plaintext on the instance. ``pre_save`` seals on the way
in. Consequences:

- ``note.body`` is plaintext; a wrong key, a destroyed key, a tampered or moved ciphertext
  raise ``DecryptionError`` on access (never ciphertext, never ``""``);
- ``values()``/``values_list()`` give ``Sealed`` objects, which refuse to turn into text;
- ``QuerySet.update(body=...)``, ``bulk_update`` and lookups on the content are refused
  (``PlaintextWriteRefusedError``): there is no row to bind the ciphertext to, and an
  encrypted column cannot be searched. The empty string is stored as is (nothing to hide).
"""

from __future__ import annotations

from typing import Any

from django.db import models, router
from django.db.models.query_utils import DeferredAttribute

from alliance.vault import crypto, keyring


class Sealed:
    """A stored ciphertext read without its row. Deliberately not a ``str``."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token

    @property
    def key_id(self) -> str:
        return crypto.key_id_of(self.token)

    def __str__(self) -> str:
        raise crypto.DecryptionError(
            "an encrypted value was read without its row (values()/values_list()); "
            "read it from the model instance"
        )

    def __repr__(self) -> str:
        return "<Sealed ciphertext>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)


class _Token(str):
    """Ciphertext the field itself produced for a row: the only non-empty text it writes."""


class EncryptedAttribute(DeferredAttribute):
    """Opens the sealed value on first access (a data descriptor, so it always runs)."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            value = self.field.open_for(instance, value.token)  # type: ignore[attr-defined]
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """Encrypted at rest under the row's school key; see the module docstring."""

    descriptor_class = EncryptedAttribute

    def __init__(
        self,
        *args: Any,
        school_field: str = "school",
        row_id_field: str = "public_id",
        **kwargs: Any,
    ) -> None:
        self.school_field = school_field
        self.row_id_field = row_id_field
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.school_field != "school":
            kwargs["school_field"] = self.school_field
        if self.row_id_field != "public_id":
            kwargs["row_id_field"] = self.row_id_field
        return name, path, args, kwargs

    # ------------------------------------------------------------------ row context
    def _context(self, instance: Any) -> tuple[str, int, str]:
        using = instance._state.db or router.db_for_write(type(instance), instance=instance)
        school_id = getattr(instance, self.model._meta.get_field(self.school_field).attname)  # type: ignore[union-attr]
        row_id = getattr(instance, self.row_id_field)
        if school_id is None or row_id in (None, ""):
            raise crypto.VaultError(
                f"{self.model._meta.label}.{self.name}: the row has no {self.school_field} or "
                f"{self.row_id_field}, so its value cannot be bound to it"
            )
        return using, school_id, str(row_id)

    def _aad(self, key_id: str, school_id: int, row_id: str) -> bytes:
        return crypto.value_aad(
            key_id=key_id,
            school_id=school_id,
            label=self.model._meta.label,
            field=self.name,
            row_id=row_id,
        )

    def seal_for(self, instance: Any, plaintext: str) -> str:
        using, school_id, row_id = self._context(instance)
        key = keyring.primary_key(school_id, using=using)
        return crypto.seal(
            key.aead, plaintext, key_id=key.key_id, aad=self._aad(key.key_id, school_id, row_id)
        )

    def open_for(self, instance: Any, token: str) -> str:
        using, school_id, row_id = self._context(instance)
        key = keyring.key_by_id(crypto.key_id_of(token), using=using)
        if key.school_id != school_id:
            raise crypto.DecryptionError(
                f"{self.model._meta.label}.{self.name}: the value names key {key.key_id} of "
                "another school"
            )
        return crypto.open_sealed(key.aead, token, aad=self._aad(key.key_id, school_id, row_id))

    # ------------------------------------------------------------------ Django hooks
    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return Sealed(value)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Sealed):
            return value
        return super().to_python(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or value == "":
            return value
        if isinstance(value, Sealed):
            return value.token
        if isinstance(value, _Token):
            return str(value)
        raise crypto.PlaintextWriteRefusedError(
            f"{self.model._meta.label}.{self.name} is encrypted: write it by assigning the "
            "attribute and calling save() on the instance (no update(), bulk_update() or "
            "lookup on its content)"
        )

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if value is None or value == "" or isinstance(value, Sealed):
            return value
        return _Token(self.seal_for(model_instance, str(value)))


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted field of every installed model (concrete models only)."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        if model._meta.proxy:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField) and field.model is model:
                found.append((model, field))
    return found
