"""``manage.py restore BACKUP``: restore a backup into an empty database, then verify it."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.backups import services


class Command(BaseCommand):
    help = (
        "Restore a backup directory into the configured database (refused unless it is empty, "
        "or --force), then verify: row counts, audit chain, migrations, decryption of every "
        "encrypted field with the configured master key. Exits non-zero on any failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", help="The backup directory (holding manifest.json).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the content of a database that is not empty.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = services.restore_backup(Path(options["backup"]), force=options["force"])
        except (services.BackupError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"restored {options['backup']}")
        for line in report.lines:
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(
                f"the restored database does not verify ({len(report.failures)} failure(s))"
            )
        self.stdout.write(self.style.SUCCESS("restore verified"))
