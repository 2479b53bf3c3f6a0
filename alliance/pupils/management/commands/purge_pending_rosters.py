"""``purge_pending_rosters``: delete uploaded roster files left unconfirmed for an hour.

Uploads waiting for confirmation are purged at every upload and confirmation too;
this command (run hourly by cron, or by the jobs runner) makes sure a file is not
kept longer when nobody imports anything afterwards.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from alliance.pupils.imports.pending import pending_uploads_purge


class Command(BaseCommand):
    help = "Delete uploaded roster files left unconfirmed for more than an hour."

    def handle(self, *args: object, **options: object) -> None:
        deleted = pending_uploads_purge()
        self.stdout.write(_("Unconfirmed roster files deleted: %(n)s") % {"n": deleted})
