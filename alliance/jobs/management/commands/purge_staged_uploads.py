"""``purge_staged_uploads``: delete the uploaded files whose import never ran (after 24 hours).

Files are also purged at each upload and each job run; this command is for a daily cron, so
an abandoned file does not wait for the next import to be deleted.
"""

from typing import Any

from django.core.management.base import BaseCommand

from alliance.jobs.services import staged_uploads_purge_expired


class Command(BaseCommand):
    help = "Delete staged import files older than 24 hours (their import never ran)."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = staged_uploads_purge_expired()
        self.stdout.write(f"{deleted} staged file(s) deleted.")
