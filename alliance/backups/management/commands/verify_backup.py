"""``manage.py verify_backup BACKUP``: check a backup, or the database against it."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.backups import services


class Command(BaseCommand):
    help = (
        "Verify a backup directory: checksum, then (SQLite) the copy itself or (PostgreSQL) "
        "the archive's table of contents. With --database, verify the configured database "
        "against the backup's manifest instead (what restore does after restoring). "
        "Exits non-zero on any failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="The backup directory (holding manifest.json).")
        parser.add_argument("--database", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        backup = Path(options["backup"])
        try:
            if options["database"]:
                report = services.verify_database(services.load_manifest(backup))
            else:
                report = services.verify_backup(backup)
        except (services.BackupError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from None
        for line in report.lines:
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(f"verification failed ({len(report.failures)} failure(s))")
        self.stdout.write(self.style.SUCCESS("backup verified"))
