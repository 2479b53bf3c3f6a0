"""Per-school data keys, stored wrapped (encrypted) by the deployment's master key.

Envelope encryption (docs/decisions/0016-encryption-and-backups.md): each school has data
keys (AES-256-GCM), random, one of them primary (new writes); the others are retired and
kept until no ciphertext names them, then destroyed (the wrapped key is erased). The master
key never enters the database; ``master_key_id`` is a fingerprint of the master key that
wraps the row, so a wrong master key is named as such instead of looking like tampering.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class SchoolKey(models.Model):
    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    #: Globally unique, random: ciphertexts name their key by it ("alx1:<key_id>:…").
    key_id = models.CharField(max_length=24, unique=True, editable=False)
    version = models.PositiveIntegerField()
    #: base64(nonce ‖ AES-GCM(master key, data key)); empty once destroyed.
    wrapped_key = models.TextField(blank=True)
    master_key_id = models.CharField(max_length=16)
    is_primary = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    retired_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("school data key")
        verbose_name_plural = _("school data keys")
        ordering = ["school_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["school", "version"], name="vault_key_version_unique"),
            models.UniqueConstraint(
                fields=["school"], condition=Q(is_primary=True), name="vault_one_primary_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key_id} (school {self.school_id}, v{self.version})"
