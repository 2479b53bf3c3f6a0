"""``import_roster``: import a school's roster as one member of that school.

    alliance import_roster --school 0751234A --as cpe@example.fr ExportXML.zip [--dry-run]

Every kind of roster file is accepted and recognised from its content: SIECLE XML
(zip or XML), SIECLE spreadsheet (.xls, .xlsx), Pronote list (CSV; ``--full-list``
when it holds every pupil), Alliance roster CSV.

The import runs exactly as from the web page: same checks, same permission
(head, CPE or technical administrator, live, having adhered to the charter),
same audit trail, attributed to that person's membership. It runs in the command's
own process (no worker needed), drawing a progress bar on stderr as it reads, checks
and writes.
"""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from alliance.jobs.progress import CommandStream, TerminalProgress
from alliance.pupils.imports.errors import RosterError
from alliance.pupils.imports.pipeline import roster_import_file
from alliance.pupils.imports.report import ImportReport
from alliance.pupils.perms import can_import_roster
from alliance.tenancy.commands import membership_for_command
from alliance.tenancy.models import Membership


class Command(BaseCommand):
    help = (
        "Import a roster file (SIECLE XML or spreadsheet, Pronote list, Alliance CSV; see "
        "docs/formats/) into a school, acting as one of its members. With --dry-run, show "
        "what would change without writing anything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the roster file (any supported format)")
        parser.add_argument("--school", required=True, metavar="UAI", help="the school's UAI code")
        parser.add_argument(
            "--as",
            dest="as_email",
            required=True,
            metavar="EMAIL",
            help="e-mail of the person importing (head, CPE or technical administrator)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change; write nothing"
        )
        parser.add_argument(
            "--full-list",
            action="store_true",
            help="a Pronote list that holds every pupil: those missing from it have left",
        )

    def handle(self, *args: object, **options: object) -> None:
        path = options["file"]
        assert isinstance(path, Path)
        actor = self._actor(str(options["school"]), str(options["as_email"]))
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(
                _("cannot read %(path)s: %(reason)s")
                % {"path": path, "reason": error.strerror or error}
            ) from error
        bar = TerminalProgress(CommandStream(self.stderr))
        try:
            report = roster_import_file(
                actor=actor,
                data=data,
                filename=path.name,
                dry_run=bool(options["dry_run"]),
                full_list=bool(options["full_list"]),
                progress=bar,
            )
        except RosterError as error:
            raise CommandError(
                "{}\n{}".format(_("The file was not imported; nothing was changed."), error)
            ) from error
        except PermissionDenied as error:  # pragma: no cover - _actor already checked
            raise CommandError(_("This membership may not import a roster.")) from error
        finally:
            bar.close()
        self._print(report)

    def _actor(self, uai: str, email: str) -> Membership:
        return membership_for_command(
            uai=uai,
            email=email,
            allowed=can_import_roster,
            refusal=_(
                "%(email)s has no membership of %(uai)s allowed to import a roster (head, CPE or "
                "technical administrator, in force, having adhered to the charter)."
            ),
        )

    def _print(self, report: ImportReport) -> None:
        # The same sentences as the import page (alliance/templates/www/roster_import.html).
        # Names are not printed: a terminal's scrollback is not the place for them.
        if report.dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was written")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Roster imported")))
        self.stdout.write(_("File recognised as: %(source)s.") % {"source": report.source_label})
        if report.delimiter:
            self.stdout.write(
                _("File read as %(encoding)s, separator “%(delimiter)s”.")
                % {"encoding": report.encoding, "delimiter": report.delimiter}
            )
        elif report.encoding:
            self.stdout.write(_("Read as %(encoding)s.") % {"encoding": report.encoding})
        for detail in report.details:
            self.stdout.write(detail)
        self.stdout.write(_("Pupils created: %(n)s") % {"n": report.created})
        self.stdout.write(_("Pupils updated: %(n)s") % {"n": report.updated})
        for item in report.updated_items:
            self.stdout.write(f"  {item.locator}: {', '.join(item.fields)}")
        self.stdout.write(_("Pupils unchanged: %(n)s") % {"n": report.unchanged})
        self.stdout.write(_("Pupils marked as having left: %(n)s") % {"n": report.left})
        self.stdout.write(
            _("Ambiguous pupils (neither created nor updated): %(n)s") % {"n": report.ambiguous}
        )
        for item in report.ambiguous_items:
            self.stdout.write(f"  {item.locator}")
        self.stdout.write(
            _("Skipped (pupils who had already left, guardians of unknown pupils): %(n)s")
            % {"n": report.skipped}
        )
        self.stdout.write(_("Divisions created: %(n)s") % {"n": report.divisions_created})
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(_("Warning: %(warning)s") % {"warning": warning}))
        if report.not_imported:
            self.stdout.write(_("Not imported, on purpose (Alliance keeps only what it needs):"))
            for note in report.not_imported:
                self.stdout.write(f"  - {note}")
