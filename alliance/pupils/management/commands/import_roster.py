"""``import_roster``: import a school's roster (CSV) as one member of that school.

    alliance import_roster --school 0751234A --as cpe@example.fr eleves.csv [--dry-run]

The import runs exactly as from the web page: same checks, same permission
(head, CPE or technical administrator, live, having adhered to the charter),
same audit trail, attributed to that person's membership.
"""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from alliance.people.models import User
from alliance.pupils.perms import can_import_roster
from alliance.pupils.roster import RosterError, RosterReport, roster_import_file
from alliance.tenancy.models import Membership, School


class Command(BaseCommand):
    help = (
        "Import a roster file (CSV, see docs/formats/roster.md) into a school, acting as one "
        "of its members. With --dry-run, show what would change without writing anything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the roster file (CSV)")
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
        try:
            report = roster_import_file(
                actor=actor, data=data, filename=path.name, dry_run=bool(options["dry_run"])
            )
        except RosterError as error:
            raise CommandError(
                "{}\n{}".format(_("The file was not imported; nothing was changed."), error)
            ) from error
        except PermissionDenied as error:  # pragma: no cover - _actor already checked
            raise CommandError(_("This membership may not import a roster.")) from error
        self._print(report)

    def _actor(self, uai: str, email: str) -> Membership:
        school = School.objects.filter(uai=uai.strip().upper()).first()
        if school is None:
            raise CommandError(_("no school with UAI “%(uai)s”") % {"uai": uai})
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(_("no user with e-mail “%(email)s”") % {"email": email})
        memberships = (
            Membership.objects.filter(user=user, school=school)
            .select_related("user", "school")
            .order_by("pk")
        )
        for membership in memberships:
            if can_import_roster(membership):
                return membership
        raise CommandError(
            _(
                "%(email)s has no membership of %(uai)s allowed to import a roster (head, CPE or "
                "technical administrator, in force, having adhered to the charter)."
            )
            % {"email": email, "uai": school.uai}
        )

    def _print(self, report: RosterReport) -> None:
        # The same sentences as the import page (alliance/templates/www/roster_import.html).
        if report.dry_run:
            self.stdout.write(self.style.WARNING(_("Dry run: nothing was written")))
        else:
            self.stdout.write(self.style.SUCCESS(_("Roster imported")))
        self.stdout.write(
            _("File read as %(encoding)s, separator “%(delimiter)s”.")
            % {"encoding": report.encoding, "delimiter": report.delimiter}
        )
        self.stdout.write(_("Pupils created: %(n)s") % {"n": report.created})
        self.stdout.write(_("Pupils updated: %(n)s") % {"n": report.updated})
        self.stdout.write(_("Pupils unchanged: %(n)s") % {"n": report.unchanged})
        self.stdout.write(_("Pupils marked as having left: %(n)s") % {"n": report.left})
        self.stdout.write(_("Divisions created: %(n)s") % {"n": report.divisions_created})
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(_("Warning: %(warning)s") % {"warning": warning}))
