"""``alliance audit verify``: check the audit trail's hash chain end to end."""

from django.core.management.base import BaseCommand, CommandError

from alliance.audit.models import AuditEvent
from alliance.audit.services import audit_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; name the first altered, missing or reordered row."

    def handle(self, *args: object, **options: object) -> None:
        chain_break = audit_verify()
        if chain_break is not None:
            raise CommandError(str(chain_break))
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"audit chain intact: {count} events verified"))
