"""The audit trail: append-only (database triggers) and tamper-evident (hash chain).

An event records who did what to which object, never the content of a field.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    VIEW = "view", _("viewed")
    CREATE = "create", _("created")
    UPDATE = "update", _("updated")
    DELETE = "delete", _("deleted")
    IMPORT = "import", _("imported")
    EXPORT = "export", _("exported")
    ADHERE = "adhere", _("adhered")
    PUBLISH = "publish", _("published")
    LOGIN = "login", _("logged in")
    LOGIN_FAILED = "login_failed", _("failed login")
    LOGOUT = "logout", _("logged out")


class AuditEvent(models.Model):
    """One audited act. Rows are never updated nor deleted (triggers refuse it).

    ``sequence`` numbers the global chain without gaps; ``entry_hash`` is the
    SHA-256 of ``previous_hash`` and the canonical form of the row, so altering,
    removing or reordering a row breaks the chain at that row.
    Foreign keys are plain ids (no cascade): deleting a user must not delete their trail.
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    occurred_at = models.DateTimeField(_("time"))
    actor_user_id = models.BigIntegerField(null=True)
    actor_membership_id = models.BigIntegerField(null=True)
    school_id = models.BigIntegerField(null=True, db_index=True)
    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=64)
    object_public_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    request_id = models.CharField(max_length=32, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["sequence"]
        indexes = [models.Index(fields=["school_id", "object_type", "object_public_id"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}"


class AuditAnchor(models.Model):
    """Where the chain starts again after the retention purge removed its oldest events.

    Written by the purge *before* it deletes: the database triggers let a DELETE through only
    for events at or below the highest anchor's ``up_to_sequence``, and refuse any change to an
    anchor. ``audit_verify`` checks the first kept event against ``last_hash``.
    """

    up_to_sequence = models.PositiveBigIntegerField(unique=True)
    last_hash = models.CharField(max_length=64)
    purged_count = models.PositiveBigIntegerField()
    purged_before = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("audit chain anchor")
        verbose_name_plural = _("audit chain anchors")
        ordering = ["up_to_sequence"]

    def __str__(self) -> str:
        return f"anchor at #{self.up_to_sequence}"
