"""Key rotation, master-key rotation, key destruction and the decryption check.

Every change to keys runs in a transaction with its audit event; re-encryption runs in
batches, each batch atomic (a crash leaves every row readable: under the old key or the
new one). Audit events carry ids only; the counts go to the command's output.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction

from alliance.audit.services import audit_record
from alliance.core import clock
from alliance.tenancy.models import School
from alliance.vault import crypto, keyring
from alliance.vault.fields import EncryptedTextField, Sealed, _Token, encrypted_fields
from alliance.vault.models import SchoolKey

BATCH_SIZE = 500


@dataclass
class RotationReport:
    new_keys: dict[int, str] = field(default_factory=dict)  # school id → key id
    reencrypted: Counter[str] = field(default_factory=Counter)  # "app.Model.field" → rows
    destroyed: list[str] = field(default_factory=list)  # key ids


def _label(model: type[models.Model], enc_field: EncryptedTextField) -> str:
    return f"{model._meta.label}.{enc_field.name}"


def _school_attname(model: type[models.Model], enc_field: EncryptedTextField) -> str:
    return model._meta.get_field(enc_field.school_field).attname  # type: ignore[union-attr]


def _stored(
    model: type[models.Model], enc_field: EncryptedTextField, school_id: int | None = None
) -> Iterator[tuple[Any, int, str]]:
    """(pk, school id, stored token) of every non-empty value, without decrypting."""
    school_attname = _school_attname(model, enc_field)
    rows = model._base_manager.exclude(**{f"{enc_field.attname}__isnull": True})
    if school_id is not None:
        rows = rows.filter(**{school_attname: school_id})
    for pk, row_school, value in rows.values_list("pk", school_attname, enc_field.attname).iterator(
        chunk_size=2000
    ):
        if isinstance(value, Sealed):
            yield pk, row_school, value.token


def key_references() -> Counter[str]:
    """How many stored values name each key id (malformed values count under ``?``)."""
    counts: Counter[str] = Counter()
    for model, enc_field in encrypted_fields():
        for _pk, _school, token in _stored(model, enc_field):
            try:
                counts[crypto.key_id_of(token)] += 1
            except crypto.DecryptionError:
                counts["?"] += 1
    return counts


def _reencrypt_school(
    school_id: int, primary: keyring.DataKey, batch_size: int, report: RotationReport
) -> None:
    for model, enc_field in encrypted_fields():
        stale = [
            pk
            for pk, _school, token in _stored(model, enc_field, school_id)
            if not token.startswith(f"{crypto.PREFIX}{primary.key_id}:")
        ]
        for start in range(0, len(stale), batch_size):
            batch = stale[start : start + batch_size]
            with transaction.atomic():
                rows = model._base_manager.select_for_update().filter(pk__in=batch)
                for row in rows:
                    plaintext = getattr(row, enc_field.attname)  # opens with the old key
                    if plaintext in (None, ""):
                        continue
                    token = enc_field.seal_for(row, plaintext)  # seals with the primary
                    model._base_manager.filter(pk=row.pk).update(
                        **{enc_field.attname: _Token(token)}
                    )
                    report.reencrypted[_label(model, enc_field)] += 1


def rotate_school_keys(
    *,
    schools: list[School] | None = None,
    batch_size: int = BATCH_SIZE,
    destroy_unused: bool = False,
    progress: Callable[[str], None] | None = None,
) -> RotationReport:
    """A new primary key per school, every encrypted value re-sealed under it.

    The previous keys are retired (kept: rows a crash left behind still open). With
    ``destroy_unused``, retired keys that no stored value names any more are destroyed.
    """
    report = RotationReport()
    for school in schools if schools is not None else School.objects.order_by("pk"):
        with transaction.atomic():
            row = keyring.create_key(school.pk)
            audit_record(
                action="create",
                object_type="vault.schoolkey",
                object_public_id=row.key_id,
                school=school,
            )
        report.new_keys[school.pk] = row.key_id
        primary = keyring.key_by_id(row.key_id)
        _reencrypt_school(school.pk, primary, batch_size, report)
        with transaction.atomic():
            audit_record(
                action="update",
                object_type="vault.reencryption",
                object_public_id=row.key_id,
                school=school,
            )
        if progress:
            progress(f"school {school.pk}: new key {row.key_id} (version {row.version})")
    if destroy_unused:
        report.destroyed = destroy_unused_keys()
    return report


def destroy_unused_keys() -> list[str]:
    """Destroy every retired key that no stored value names (its wrapped key is erased)."""
    referenced = key_references()
    destroyed = []
    candidates = SchoolKey.objects.filter(is_primary=False, destroyed_at__isnull=True)
    for key in candidates.select_related("school"):
        if referenced[key.key_id]:
            continue
        with transaction.atomic():
            SchoolKey.objects.filter(pk=key.pk).update(wrapped_key="", destroyed_at=clock.now())
            audit_record(
                action="delete",
                object_type="vault.schoolkey",
                object_public_id=key.key_id,
                school=key.school,
            )
        keyring.clear_cache(key.key_id)
        destroyed.append(key.key_id)
    return destroyed


def rotate_master_key(new_master: bytes) -> int:
    """Re-wrap every school key under ``new_master`` in one transaction; returns the count.

    The data keys do not change, so no value is re-encrypted. The operator then configures
    the new master key (and keeps the old one until the switch is done everywhere).
    """
    old_master = crypto.master_key()
    new_id = crypto.master_key_id(new_master)
    count = 0
    with transaction.atomic():
        keys = list(SchoolKey.objects.select_for_update().filter(destroyed_at__isnull=True))
        for key in keys:
            data_key = keyring.unwrap_data_key(key, old_master)
            key.wrapped_key = crypto.wrap_key(
                new_master,
                data_key,
                key_id=key.key_id,
                school_id=key.school_id,
                version=key.version,
            )
            key.master_key_id = new_id
            key.save(update_fields=["wrapped_key", "master_key_id"])
            count += 1
        audit_record(action="update", object_type="vault.masterkey", object_public_id=new_id)
    keyring.clear_cache()
    return count


@dataclass
class DecryptionCheck:
    checked: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # "app.Model.field: reason" → rows
    first_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def check_decryption(*, using: str = "default", batch_size: int = 500) -> DecryptionCheck:
    """Open every stored encrypted value with the configured master key; count failures.

    Reports model, field, row public id and the reason; never a value.
    """
    result = DecryptionCheck()
    for model, enc_field in encrypted_fields():
        label = _label(model, enc_field)
        school_attname = _school_attname(model, enc_field)
        only = {"pk", school_attname, enc_field.row_id_field, enc_field.attname}
        rows = (
            model._base_manager.using(using)
            .exclude(**{f"{enc_field.attname}__isnull": True})
            .exclude(**{enc_field.attname: ""})  # stored as is: nothing to decrypt
            .only(*only)
            .order_by("pk")
        )
        for row in rows.iterator(chunk_size=batch_size):
            result.checked[label] += 1
            try:
                getattr(row, enc_field.attname)
            except crypto.VaultError as error:
                result.failures[label] += 1
                if len(result.first_errors) < 10:
                    row_id = getattr(row, enc_field.row_id_field)
                    result.first_errors.append(f"{label} row {row_id}: {error}")
    return result
