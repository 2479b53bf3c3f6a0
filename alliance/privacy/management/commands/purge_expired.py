"""``manage.py purge_expired``: apply the retention schedule (daily), or ``--dry-run`` it.

Lists what is due per category and, for cases and pupils, their public ids only (never a name).
Without ``--dry-run`` it archives, deletes and trims in one transaction, audited (counts only).
``--enqueue`` hands the run to the background workers instead (django-tasks).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from alliance.privacy.purge import purge_run
from alliance.privacy.retention import schedule


class Command(BaseCommand):
    help = "Apply the retention schedule: archive, delete, trim (use --dry-run to list first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="List what would go; change nothing."
        )
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="Queue the purge for the background workers instead of running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"] and not options["dry_run"]:
            from alliance.privacy.tasks import purge_expired

            result = purge_expired.enqueue()
            self.stdout.write(f"retention purge queued (task {result.id})")
            return
        for name, rule in schedule().describe():
            self.stdout.write(f"schedule {name}: {rule}")
        outcome = purge_run(dry_run=options["dry_run"])
        verb = "would go" if options["dry_run"] else "done"
        for category, count in outcome.counts.items():
            self.stdout.write(f"{category}: {count}")
        for category, ids in outcome.public_ids.items():
            for public_id in ids:
                self.stdout.write(f"{category} {public_id}")
        total = sum(n for key, n in outcome.counts.items() if not key.startswith("rows:"))
        message = f"retention purge ({verb}): {total} item(s)"
        if outcome.run is not None:
            message += f", recorded as purge {outcome.run.public_id}"
        self.stdout.write(self.style.SUCCESS(message))
