"""Roster imports as background jobs: the handler that runs one, and the start of one.

The page shows the dry run in the request (it names pupils, which a job never keeps),
then the confirmed import runs as an ``ImportJob`` (``alliance.jobs``): inline when the
file lists at most ``JOBS_INLINE_MAX_ROWS`` pupils, in a worker otherwise. The job
imports the staged file only if the plan is still the one its dry run announced
(its fingerprint); it keeps counts and warnings, never a name.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from alliance.core import clock
from alliance.jobs.models import STAGED_UPLOAD_TTL, ImportJob, StagedUpload
from alliance.jobs.progress import Progress
from alliance.jobs.registry import JobFailed, register
from alliance.jobs.services import import_job_create, import_job_start
from alliance.pupils.imports.errors import PlanChanged, RosterError
from alliance.pupils.imports.pending import PENDING_KIND
from alliance.pupils.imports.pipeline import roster_import_file
from alliance.pupils.perms import can_import_roster
from alliance.tenancy.models import Membership

#: The job handler name of roster imports (``alliance.jobs.registry``).
HANDLER = "pupils.roster"


def roster_import_start(*, actor: Membership, upload: StagedUpload, fingerprint: str) -> ImportJob:
    """Import ``upload`` as its dry run announced (``fingerprint``), inline or in the background.

    Returns the job as it is once started: finished when it ran inline, queued otherwise.
    """
    if actor is None or not can_import_roster(actor) or upload.school_id != actor.school_id:
        raise PermissionDenied
    if not fingerprint:
        raise ValueError("a roster import job needs the fingerprint of its dry run")
    rows = int(upload.params.get("rows", 0))
    # The file now waits for its job, not for a confirmation: a worker may take a while.
    StagedUpload.objects.filter(pk=upload.pk).update(expires_at=clock.now() + STAGED_UPLOAD_TTL)
    job = import_job_create(
        actor=actor,
        handler=HANDLER,
        kind=PENDING_KIND,
        upload=upload,
        params={"full_list": bool(upload.params.get("full_list")), "fingerprint": fingerprint},
        dry_run=False,
        total=rows,
    )
    import_job_start(job, rows=rows)
    job.refresh_from_db()
    return job


@register(HANDLER)
def run_roster_import(job: ImportJob, progress: Progress) -> dict[str, Any]:
    upload = (
        StagedUpload.objects.filter(pk=job.upload_id).first() if job.upload_id is not None else None
    )
    if upload is None:
        raise JobFailed(
            _("The file is no longer on the server (files are kept one day): upload it again.")
        )
    fingerprint = str(job.params.get("fingerprint") or "")
    if not job.dry_run and not fingerprint:
        # Never import what nobody saw in a dry run.
        raise JobFailed(_("This import was not checked by a dry run: upload the file again."))
    try:
        report = roster_import_file(
            actor=job.membership,
            data=bytes(upload.data),
            filename=upload.filename,
            dry_run=job.dry_run,
            full_list=bool(job.params.get("full_list")),
            expected_fingerprint=None if job.dry_run else fingerprint,
            progress=progress,
        )
    except PlanChanged as error:
        raise JobFailed(
            _(
                "Nothing was imported: the pupils recorded changed since the dry run. Upload "
                "the file again to see what the import would do now."
            ),
            result={"plan_changed": True},
        ) from error
    except RosterError as error:
        # The problems quote cells of the file: the job keeps only how many there are.
        raise JobFailed(
            _(
                "The file was not imported; nothing was changed. Upload it again: the dry run "
                "lists each problem."
            ),
            result={"error_total": error.total},
        ) from error
    except PermissionDenied as error:
        raise JobFailed(_("This membership may no longer import into this school.")) from error
    summary = report.summary()
    if report.roster_import is not None:
        summary["roster_import"] = str(report.roster_import.public_id)
    return summary
