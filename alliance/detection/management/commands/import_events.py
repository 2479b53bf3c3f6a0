"""``import_events``: import a vie-scolaire export (absences, lateness, sanctions, marks, counts).

    alliance import_events absences.csv --school 0751234A --as cpe@example.fr --kind absences
        [--dry-run] [--mapping-from-preset pronote_absences] [--period "Trimestre 1"]

Runs exactly as the web import: same checks, same permission (head, CPE or technical
administrator, live, having adhered to the charter), same audit trail. The columns
are read with the named preset, or else with the mapping the school confirmed on the
web page for files with the same headers. A progress bar is drawn on stderr.
"""

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.utils.translation import gettext as _

from alliance.core.textfiles import FileError
from alliance.detection.importer import EventReport, events_import
from alliance.detection.mapping import column_mapping_save
from alliance.detection.models import EventKind
from alliance.detection.perms import can_import_events
from alliance.detection.presets import PRESETS
from alliance.jobs.progress import TerminalProgress
from alliance.tenancy.commands import membership_for_command
from alliance.tenancy.models import Membership


class _Stream:
    """Lets the progress bar write to a command's stream without its automatic line ends."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> int:
        self.wrapper.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self.wrapper.flush()


class Command(BaseCommand):
    help = (
        "Import a vie-scolaire export (CSV or .xlsx, see docs/formats/events.md) into a school, "
        "acting as one of its members. With --dry-run, show what would change and write nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the exported file (CSV or .xlsx)")
        parser.add_argument("--school", required=True, metavar="UAI", help="the school's UAI code")
        parser.add_argument(
            "--as",
            dest="as_email",
            required=True,
            metavar="EMAIL",
            help="e-mail of the person importing (head, CPE or technical administrator)",
        )
        parser.add_argument("--kind", required=True, choices=EventKind.values)
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change; write nothing"
        )
        parser.add_argument(
            "--mapping-from-preset",
            dest="preset",
            default="",
            metavar="NAME",
            help="read the columns with this preset: " + ", ".join(p.name for p in PRESETS),
        )
        parser.add_argument(
            "--period",
            default="",
            help="the period of the whole file (marks and counts without a period column)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        actor = self._actor(str(options["school"]), str(options["as_email"]))
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("cannot read %(path)s: %(reason)s")
                % {"path": path, "reason": error.strerror or error}
            ) from error
        bar = TerminalProgress(_Stream(self.stderr))
        try:
            report = events_import(
                actor=actor,
                kind=options["kind"],
                data=data,
                filename=path.name,
                preset=options["preset"],
                period=options["period"],
                dry_run=options["dry_run"],
                progress=bar,
            )
        except FileError as error:
            bar.close()
            raise CommandError(
                "{}\n{}".format(_("The file was not imported; nothing was changed."), error)
            ) from error
        except PermissionDenied as error:  # pragma: no cover - _actor already checked
            bar.close()
            raise CommandError(_("This membership may not import events.")) from error
        bar.close()
        if options["preset"] and not report.dry_run:
            # Naming the preset confirms it: the web page reuses it for files with these headers.
            column_mapping_save(
                actor=actor,
                kind=options["kind"],
                headers=self._headers(data, path.name),
                mapping=report.mapping,
                preset=report.preset,
            )
        self._print(report)
        if report.error_total:
            raise CommandError(
                _("The file has problems (listed above): correct them before importing.")
            )

    @staticmethod
    def _headers(data: bytes, filename: str) -> list[str]:
        from alliance.detection.tables import read_table

        return read_table(data, filename).headers

    def _actor(self, uai: str, email: str) -> Membership:
        return membership_for_command(
            uai=uai,
            email=email,
            allowed=can_import_events,
            refusal=_(
                "%(email)s has no membership of %(uai)s allowed to import events (head, CPE or "
                "technical administrator, in force, having adhered to the charter)."
            ),
        )

    def _print(self, report: EventReport) -> None:
        if report.dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was written")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Imported")))
        if report.encoding:
            self.stdout.write(_("File read as %(encoding)s.") % {"encoding": report.encoding})
        self.stdout.write(_("Rows read: %(n)s") % {"n": report.rows})
        self.stdout.write(_("New events: %(n)s") % {"n": report.new})
        self.stdout.write(_("Events updated: %(n)s") % {"n": report.updated})
        self.stdout.write(_("Already imported: %(n)s") % {"n": report.unchanged})
        self.stdout.write(_("Rows with errors: %(n)s") % {"n": report.error_rows})
        for line in report.errors:
            self.stdout.write(self.style.ERROR(line))
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(_("Warning: %(warning)s") % {"warning": warning}))
