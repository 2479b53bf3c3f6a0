"""``manage.py rotate_keys``: rotate the schools' data keys, or the master key.

docs/operations.md (Encryption keys) gives the procedures.
"""

import os
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.tenancy.models import School
from alliance.vault import crypto, services


class Command(BaseCommand):
    help = (
        "Give every school (or --school UAI) a new primary data key and re-encrypt every "
        "encrypted field under it; old keys are kept, retired, until nothing names them "
        "(--destroy-unused destroys those). With --new-master-key-file or "
        "--new-master-key-env, re-wrap every school key under a new master key instead. "
        "--generate-master-key prints a new master key. --status lists the keys."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", action="append", default=[], metavar="UAI")
        parser.add_argument("--batch-size", type=int, default=services.BATCH_SIZE)
        parser.add_argument("--destroy-unused", action="store_true")
        parser.add_argument("--new-master-key-file", metavar="PATH")
        parser.add_argument(
            "--new-master-key-env",
            metavar="VARIABLE",
            help="Name of an environment variable holding the new master key.",
        )
        parser.add_argument("--generate-master-key", action="store_true")
        parser.add_argument("--status", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["generate_master_key"]:
            self.stdout.write(crypto.generate_master_key())
            return
        try:
            crypto.master_key()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        if options["status"]:
            self._status()
            return
        if options["new_master_key_file"] or options["new_master_key_env"]:
            self._rotate_master(options)
            return
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        schools = None
        if options["school"]:
            schools = list(School.objects.filter(uai__in=options["school"]).order_by("pk"))
            missing = set(options["school"]) - {s.uai for s in schools}
            if missing:
                raise CommandError(f"No school with UAI {', '.join(sorted(missing))}.")
        try:
            report = services.rotate_school_keys(
                schools=schools,
                batch_size=options["batch_size"],
                destroy_unused=options["destroy_unused"],
                progress=self.stdout.write,
            )
        except crypto.DecryptionError as error:
            raise CommandError(
                f"rotation stopped: {error}. Rows already re-encrypted stay readable."
            ) from None
        for label, count in sorted(report.reencrypted.items()):
            self.stdout.write(f"re-encrypted {count} value(s) of {label}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.new_keys)} school key(s) rotated, "
                f"{sum(report.reencrypted.values())} value(s) re-encrypted, "
                f"{len(report.destroyed)} unused key(s) destroyed"
            )
        )

    def _rotate_master(self, options: dict[str, Any]) -> None:
        if options["new_master_key_file"]:
            path = Path(options["new_master_key_file"])
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError as error:
                raise CommandError(f"{path}: {error.strerror}") from None
            source = str(path)
        else:
            name = options["new_master_key_env"]
            text = os.environ.get(name, "")
            if not text:
                raise CommandError(f"The environment variable {name} is empty or not set.")
            source = name
        try:
            new_master = crypto.parse_master_key(text, source=source)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        try:
            count = services.rotate_master_key(new_master)
        except crypto.DecryptionError as error:
            raise CommandError(f"nothing changed: {error}") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"{count} school key(s) re-wrapped under master key "
                f"{crypto.master_key_id(new_master)}. Now configure the new master key "
                "(ALLIANCE_MASTER_KEY or ALLIANCE_MASTER_KEY_FILE) and restart every process; "
                "keep the old one until then."
            )
        )

    def _status(self) -> None:
        from alliance.vault.models import SchoolKey

        references = services.key_references()
        current = crypto.master_key_id(crypto.master_key())
        self.stdout.write(f"configured master key: {current}")
        for key in SchoolKey.objects.order_by("school_id", "version"):
            state = (
                "destroyed" if key.destroyed_at else ("primary" if key.is_primary else "retired")
            )
            wrapped = "" if key.master_key_id == current else " (other master key!)"
            self.stdout.write(
                f"school {key.school_id} v{key.version} {key.key_id} {state}, "
                f"{references[key.key_id]} value(s){wrapped}"
            )
        if references["?"]:
            self.stdout.write(self.style.WARNING(f"{references['?']} value(s) not in alx1 format"))
