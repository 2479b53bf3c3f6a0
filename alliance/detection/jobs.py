"""The job handler of events imports: runs ``events_import`` on a staged file."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from alliance.core.textfiles import FileError
from alliance.detection.importer import HANDLER, events_import
from alliance.jobs.models import ImportJob, StagedUpload
from alliance.jobs.progress import Progress
from alliance.jobs.registry import JobFailed, register


@register(HANDLER)
def run_event_import(job: ImportJob, progress: Progress) -> dict[str, Any]:
    upload = (
        StagedUpload.objects.filter(pk=job.upload_id).first() if job.upload_id is not None else None
    )
    if upload is None:
        raise JobFailed(
            _("The file is no longer on the server (files are kept one day): upload it again.")
        )
    try:
        report = events_import(
            actor=job.membership,
            kind=job.kind,
            data=bytes(upload.data),
            filename=upload.filename,
            mapping=job.params.get("mapping"),
            period=str(job.params.get("period", "")),
            dry_run=job.dry_run,
            progress=progress,
            job=job,
        )
    except FileError as error:
        raise JobFailed(
            _("The file was not imported; nothing was changed."),
            result={"errors": error.message.splitlines(), "error_total": error.total},
        ) from error
    except PermissionDenied as error:
        raise JobFailed(_("This membership may no longer import into this school.")) from error
    return report.as_json()
