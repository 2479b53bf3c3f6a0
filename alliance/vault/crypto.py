"""The cryptography of encryption at rest: the master key, key wrapping, sealing values.

Pure functions over bytes (AES-256-GCM from ``cryptography``); the database side is in
``keyring``. Formats (docs/decisions/0016-encryption-and-backups.md):

- master key: 32 random bytes, written as URL-safe base64 (``generate_master_key``);
- wrapped data key: ``base64(nonce ‖ AES-GCM(master, data key, aad))`` with
  ``aad = "alliance-school-key|<key_id>|<school id>|<version>"``;
- sealed value: ``alx1:<key_id>:<base64(nonce ‖ AES-GCM(data key, utf-8 text, aad))>`` with
  ``aad = "alx1|<key_id>|<school id>|<app.Model>|<field>|<row public id>"``, so a ciphertext
  moved to another row, field, model or school does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FORMAT = "alx1"
PREFIX = FORMAT + ":"
KEY_BYTES = 32
NONCE_BYTES = 12
DEV_KEY_FILENAME = "dev-master.key"


class VaultError(Exception):
    """Base of the vault's errors. Messages name keys and rows, never a value's content."""


class DecryptionError(VaultError):
    """A value could not be decrypted: wrong key, tampered or moved ciphertext, destroyed key.

    Fail closed: callers never get the ciphertext or an empty string instead. Deliberately
    not a ``ValueError``/``AttributeError``: Django templates would swallow those silently.
    """


class WrongMasterKeyError(DecryptionError):
    """The configured master key is not the one that wraps a school's data key."""


class PlaintextWriteRefusedError(VaultError):
    """A plaintext value reached the database outside ``Model.save()`` (e.g. ``update()``)."""


def generate_master_key() -> str:
    """A new master key, as the text to put in ``ALLIANCE_MASTER_KEY`` or a key file."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def parse_master_key(text: str, *, source: str = "ALLIANCE_MASTER_KEY") -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(
            f"{source} must be {KEY_BYTES} random bytes in URL-safe base64 (44 characters); "
            "generate one with `manage.py rotate_keys --generate-master-key`."
        )
    return key


def master_key_id(key: bytes) -> str:
    """A fingerprint naming a master key (not a secret: one-way, domain-separated)."""
    return hashlib.sha256(b"alliance-master-key-id\x00" + key).hexdigest()[:16]


@lru_cache(maxsize=8)
def _read_key_file(path: str) -> bytes:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise ImproperlyConfigured(
            f"ALLIANCE_MASTER_KEY_FILE {path!r} cannot be read: {error.strerror}"
        ) from None
    return parse_master_key(text, source=f"the master key file {path!r}")


def _dev_key() -> bytes:
    """DEBUG only: a generated key under VAR_DIR, created on first use (mode 0600)."""
    path = Path(settings.VAR_DIR) / DEV_KEY_FILENAME
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(generate_master_key() + "\n")
    return _read_key_file(str(path))


def master_key() -> bytes:
    """The configured master key: ``ALLIANCE_MASTER_KEY``, else ``ALLIANCE_MASTER_KEY_FILE``.

    With neither, a development key under ``VAR_DIR`` when ``DEBUG`` is on; otherwise an
    error (settings already refuse to start a production process without one).
    """
    text = getattr(settings, "ALLIANCE_MASTER_KEY", "")
    if text:
        return parse_master_key(text)
    path = getattr(settings, "ALLIANCE_MASTER_KEY_FILE", "")
    if path:
        return _read_key_file(str(path))
    if settings.DEBUG:
        return _dev_key()
    raise ImproperlyConfigured(
        "No master key: set ALLIANCE_MASTER_KEY or ALLIANCE_MASTER_KEY_FILE "
        "(docs/operations.md, Encryption keys)."
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _wrap_aad(key_id: str, school_id: int, version: int) -> bytes:
    return f"alliance-school-key|{key_id}|{school_id}|{version}".encode()


def wrap_key(master: bytes, data_key: bytes, *, key_id: str, school_id: int, version: int) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(master).encrypt(nonce, data_key, _wrap_aad(key_id, school_id, version))
    return _b64(nonce + sealed)


def unwrap_key(master: bytes, wrapped: str, *, key_id: str, school_id: int, version: int) -> bytes:
    try:
        raw = _unb64(wrapped)
        return AESGCM(master).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], _wrap_aad(key_id, school_id, version)
        )
    except (InvalidTag, binascii.Error, ValueError):
        raise DecryptionError(
            f"school key {key_id} does not open with the configured master key "
            "(wrong master key, or the wrapped key was altered)"
        ) from None


def value_aad(*, key_id: str, school_id: int, label: str, field: str, row_id: str) -> bytes:
    return f"{FORMAT}|{key_id}|{school_id}|{label}|{field}|{row_id}".encode()


def seal(aead: AESGCM, plaintext: str, *, key_id: str, aad: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    return f"{PREFIX}{key_id}:{_b64(nonce + aead.encrypt(nonce, plaintext.encode(), aad))}"


def key_id_of(token: str) -> str:
    """The key a ciphertext names, without decrypting it; raises on a malformed value."""
    fmt, sep, rest = token.partition(":")
    key_id, sep2, payload = rest.partition(":")
    if fmt != FORMAT or not sep or not sep2 or not key_id or not payload:
        raise DecryptionError(
            "the stored value is not Alliance ciphertext (unencrypted or corrupted data)"
        )
    return key_id


def open_sealed(aead: AESGCM, token: str, *, aad: bytes) -> str:
    key_id = key_id_of(token)
    try:
        raw = _unb64(token.split(":", 2)[2])
        return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad).decode()
    except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError):
        raise DecryptionError(
            f"a value sealed with key {key_id} does not decrypt for its row "
            "(tampered, moved from another row, or wrong key)"
        ) from None
