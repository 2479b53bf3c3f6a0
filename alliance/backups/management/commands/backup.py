"""``manage.py backup``: write a backup directory (dump + manifest) of the database."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.backups import services


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup, or pg_dump custom format) with a manifest "
        "(row counts, audit chain head, migrations, SHA-256). The master key is NOT included."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            default=None,
            help="Directory to write the backup into (default: VAR_DIR/backups).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"] or Path(settings.VAR_DIR) / "backups")
        try:
            path = services.create_backup(output)
        except (services.BackupError, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from None
        manifest = services.load_manifest(path)
        rows = sum(manifest["tables"].values())
        self.stdout.write(f"backup written: {path}")
        self.stdout.write(
            f"{len(manifest['tables'])} tables, {rows} rows, audit head "
            f"{(manifest['audit_head'] or {}).get('sequence', 0)}, "
            f"SHA-256 {manifest['dump_sha256']}"
        )
        self.stdout.write(
            self.style.WARNING(
                "The master key is not in the backup. Encrypted fields can only be read with "
                f"master key {manifest['master_key_id']}: keep it separately, never next to "
                "the backup."
            )
        )
