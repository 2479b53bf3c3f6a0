"""``purge_pending_rosters``: delete uploaded roster files left unconfirmed for an hour.

Roster files waiting for confirmation are ``jobs.StagedUpload`` rows (in the database); they
are purged at every upload and job run too. This command (run hourly by cron) makes sure a
file is not kept longer when nobody imports anything afterwards. It deletes every staged file
whose time is up, as ``purge_staged_uploads`` does.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from alliance.pupils.imports.pending import pending_uploads_purge


class Command(BaseCommand):
    help = "Delete uploaded roster files left unconfirmed for more than an hour."

    def handle(self, *args: object, **options: object) -> None:
        deleted = pending_uploads_purge()
        self.stdout.write(_("Unconfirmed roster files deleted: %(n)s") % {"n": deleted})
