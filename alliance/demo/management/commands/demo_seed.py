"""``manage.py demo_seed``: create the demo schools, people, charter and pupils, then print the logins.

Idempotent: when the demo schools exist it only prints the logins. The demo accounts
share a published password, so creating them needs ``DEBUG`` (``ALLIANCE_DEBUG=1``)
unless ``--allow-without-debug`` is given for a throw-away database (benchmarks).
"""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from alliance.demo.generator import (
    DEFAULT_SEED,
    DEFAULT_TOTAL_PUPILS,
    DemoSummary,
    demo_present,
    demo_summary,
    format_logins,
    seed_demo,
)


class Command(BaseCommand):
    help = (
        "Create the demo data (a collège and a lycée professionnel, staff and partner "
        "logins, the charter, pupils and guardians) and print the logins. Does nothing "
        "when the demo data exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--pupils",
            type=int,
            default=DEFAULT_TOTAL_PUPILS,
            help=f"pupils across both schools, split 55/45 (default {DEFAULT_TOTAL_PUPILS})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"seed of the generator: same seed, same data (default {DEFAULT_SEED})",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="start again from an empty database (SQLite or DEBUG only; tells you how)",
        )
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="create the demo accounts even with DEBUG off (throw-away databases only)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["pupils"] < 0:
            raise CommandError("--pupils must be zero or more.")
        present = demo_present()
        if options["reset"]:
            self._refuse_reset(present)
        if present:
            self.stdout.write("The demo data is already in the database: nothing changed.")
            self._print(demo_summary(created=False))
            return
        if not settings.DEBUG and not options["allow_without_debug"]:
            raise CommandError(
                "The demo accounts share a published password: create them only on a demo "
                "or development instance (ALLIANCE_DEBUG=1), or pass --allow-without-debug "
                "for a throw-away database."
            )
        started = time.perf_counter()
        summary = seed_demo(total_pupils=options["pupils"], seed=options["seed"])
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data created in {elapsed:.1f} s: {len(summary.schools)} schools, "
                f"{summary.divisions} divisions, {summary.pupils} pupils, "
                f"{summary.guardians} guardians, {len(summary.logins)} logins."
            )
        )
        self._print(summary)

    def _refuse_reset(self, present: bool) -> None:
        sqlite = connection.vendor == "sqlite"
        if not (sqlite or settings.DEBUG):
            raise CommandError("--reset is for the SQLite demo or a DEBUG instance only.")
        if not present:
            return  # nothing to reset: seed as usual
        if sqlite:
            name = settings.DATABASES["default"]["NAME"]
            how = (
                f"stop the server, delete {name} (and its -wal and -shm files if any), "
                "then run `manage.py migrate` and `manage.py demo_seed` again"
            )
        else:
            how = "drop and recreate the database, run `manage.py migrate`, then `demo_seed`"
        raise CommandError(
            "The demo data is already there, and Alliance never deletes data behind your "
            f"back (the audit trail is append-only). To start again: {how}."
        )

    def _print(self, summary: DemoSummary) -> None:
        self.stdout.write("")
        for school in summary.schools:
            self.stdout.write(
                f"  {school.short:8} {school.name} (UAI {school.uai}): {school.divisions} "
                f"divisions, {school.pupils} pupils, {school.guardians} guardians"
            )
        self.stdout.write("")
        self.stdout.write(format_logins(summary))
        self.stdout.write("")
        self.stdout.write(f"Password for every demo login: {summary.password}")
