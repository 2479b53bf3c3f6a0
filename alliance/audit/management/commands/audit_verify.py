"""``alliance audit verify``: check the audit trail's hash chain end to end."""

from django.core.management.base import BaseCommand, CommandError

from alliance.audit.models import AuditEvent
from alliance.audit.services import audit_anchor_latest, audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; name the first altered, missing or reordered row."

    def handle(self, *args: object, **options: object) -> None:
        chain_break = audit_verify()
        if chain_break is not None:
            raise CommandError(str(chain_break))
        anchor = audit_anchor_latest()
        if anchor is None:
            count = AuditEvent.objects.count()
            self.stdout.write(self.style.SUCCESS(f"audit chain intact: {count} events verified"))
            return
        count = AuditEvent.objects.filter(sequence__gt=anchor.up_to_sequence).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {count} events verified from the retention anchor at "
                f"sequence {anchor.up_to_sequence} ({anchor.purged_count} older events purged "
                f"before {anchor.purged_before:%Y-%m-%d})"
            )
        )
