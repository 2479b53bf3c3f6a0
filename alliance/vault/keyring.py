"""School data keys in the database, unwrapped on demand and cached per process.

The cache is keyed by the random, globally unique ``key_id`` and remembers which master key
unwrapped each entry: changing the configured master key (or a test overriding it) makes
every entry miss, so a wrong master key fails even for keys already used by this process.
Destroying a key drops it from the cache (other processes keep a copy until they restart,
which is harmless: a key is destroyed only when no ciphertext names it any more).
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, transaction

from alliance.core import clock
from alliance.vault import crypto


@dataclass(frozen=True)
class DataKey:
    key_id: str
    school_id: int
    version: int
    aead: AESGCM


_cache: dict[str, tuple[str, DataKey]] = {}
_lock = threading.Lock()


def clear_cache(key_id: str | None = None) -> None:
    with _lock:
        if key_id is None:
            _cache.clear()
        else:
            _cache.pop(key_id, None)


def _key_model(model: Any = None) -> Any:
    if model is not None:
        return model
    from alliance.vault.models import SchoolKey

    return SchoolKey


def _unwrap_row(row: Any, master: bytes) -> DataKey:
    if not row.wrapped_key:
        raise crypto.DecryptionError(f"school key {row.key_id} was destroyed")
    current_id = crypto.master_key_id(master)
    if row.master_key_id != current_id:
        raise crypto.WrongMasterKeyError(
            f"school key {row.key_id} is wrapped by master key {row.master_key_id}, but the "
            f"configured master key is {current_id}"
        )
    data_key = crypto.unwrap_key(
        master, row.wrapped_key, key_id=row.key_id, school_id=row.school_id, version=row.version
    )
    return DataKey(row.key_id, row.school_id, row.version, AESGCM(data_key))


def unwrap_data_key(row: Any, master: bytes) -> bytes:
    """The raw data key of a ``SchoolKey`` row (for re-wrapping under a new master key)."""
    _unwrap_row(row, master)  # checks the master key id and the row's integrity
    return crypto.unwrap_key(
        master, row.wrapped_key, key_id=row.key_id, school_id=row.school_id, version=row.version
    )


def key_by_id(key_id: str, *, using: str = "default", model: Any = None) -> DataKey:
    master = crypto.master_key()
    master_id = crypto.master_key_id(master)
    cached = _cache.get(key_id)
    if cached is not None and cached[0] == master_id:
        return cached[1]
    row = _key_model(model)._default_manager.using(using).filter(key_id=key_id).first()
    if row is None:
        raise crypto.DecryptionError(f"no school key {key_id} in the database")
    key = _unwrap_row(row, master)
    with _lock:
        _cache[key_id] = (master_id, key)
    return key


def create_key(school_id: int, *, using: str = "default", model: Any = None) -> Any:
    """A new random data key for the school, made primary (the previous primary is retired).

    Runs in the caller's transaction; returns the ``SchoolKey`` row.
    """
    key_model = _key_model(model)
    manager = key_model._default_manager.using(using)
    master = crypto.master_key()
    now = clock.now()
    with transaction.atomic(using=using):
        previous = manager.filter(school_id=school_id).order_by("-version").first()
        version = previous.version + 1 if previous else 1
        manager.filter(school_id=school_id, is_primary=True).update(
            is_primary=False, retired_at=now
        )
        key_id = "k" + secrets.token_hex(8)
        data_key = crypto.new_data_key()
        row = manager.create(
            school_id=school_id,
            key_id=key_id,
            version=version,
            wrapped_key=crypto.wrap_key(
                master, data_key, key_id=key_id, school_id=school_id, version=version
            ),
            master_key_id=crypto.master_key_id(master),
            is_primary=True,
            created_at=now,
        )
    return row


def primary_key(school_id: int, *, using: str = "default", model: Any = None) -> DataKey:
    """The school's primary data key; its first one is created on the first write."""
    manager = _key_model(model)._default_manager.using(using)
    row = manager.filter(school_id=school_id, is_primary=True).first()
    if row is None:
        try:
            row = create_key(school_id, using=using, model=model)
        except IntegrityError:  # another writer created it first
            row = manager.get(school_id=school_id, is_primary=True)
    return key_by_id(row.key_id, using=using, model=model)
