"""Writes of the jobs app: stage a file, create a job, start it, run it.

Starting a job (``import_job_start``) runs it inline when the file is small
(``settings.JOBS_INLINE_MAX_ROWS`` data rows or fewer) and otherwise enqueues the
django-tasks task; with the immediate backend (tests, demo) the task runs inline
too. Either way the job row is the one record people follow.
"""

import datetime as dt
import hashlib
import logging
import traceback
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.core import clock
from alliance.jobs.models import STAGED_UPLOAD_TTL, ImportJob, JobStatus, StagedUpload
from alliance.jobs.progress import JobProgress
from alliance.jobs.registry import JobFailed, get_handler
from alliance.tenancy.models import Membership

logger = logging.getLogger(__name__)

#: Default for ``settings.JOBS_INLINE_MAX_ROWS``.
DEFAULT_INLINE_MAX_ROWS = 2000


def inline_max_rows() -> int:
    return int(getattr(settings, "JOBS_INLINE_MAX_ROWS", DEFAULT_INLINE_MAX_ROWS))


def staged_uploads_purge_expired() -> int:
    """Delete the staged files nobody imported in time. Returns how many were deleted."""
    deleted, _by_model = StagedUpload.objects.expired().delete()
    return deleted


@transaction.atomic
def staged_upload_create(
    *,
    actor: Membership,
    kind: str,
    filename: str,
    data: bytes,
    params: dict[str, Any] | None = None,
    ttl: dt.timedelta | None = None,
) -> StagedUpload:
    """Keep an uploaded file until its import runs (audited: a file of pupil data is on the server).

    ``ttl``: how long it waits for its import (``STAGED_UPLOAD_TTL`` unless shorter is asked).
    """
    staged_uploads_purge_expired()
    now = clock.now()
    upload = StagedUpload.objects.create(
        school_id=actor.school_id,
        membership=actor,
        kind=kind,
        filename=filename[:255],
        data=data,
        size=len(data),
        file_sha256=hashlib.sha256(data).hexdigest(),
        params=params or {},
        created_at=now,
        expires_at=now + (ttl if ttl is not None else STAGED_UPLOAD_TTL),
    )
    audit_record(action="upload", target=upload, membership=actor)
    return upload


def staged_upload_delete(upload_pk: int) -> None:
    StagedUpload.objects.filter(pk=upload_pk).delete()


def import_job_create(
    *,
    actor: Membership,
    handler: str,
    kind: str,
    upload: StagedUpload,
    params: dict[str, Any],
    dry_run: bool,
    total: int = 0,
) -> ImportJob:
    """A job, queued, for ``upload``; ``params`` must hold no personal data."""
    return ImportJob.objects.create(
        school_id=actor.school_id,
        membership=actor,
        handler=handler,
        kind=kind,
        dry_run=dry_run,
        upload=upload,
        filename=upload.filename,
        file_sha256=upload.file_sha256,
        params={**params, "language": translation.get_language() or settings.LANGUAGE_CODE},
        progress_total=total,
        created_at=clock.now(),
    )


def import_job_start(job: ImportJob, *, rows: int) -> None:
    """Run ``job`` now if it is small, else hand it to the task backend.

    Not inside a transaction: the job writes its progress as it goes, and a worker
    must see the job's row as soon as the task is enqueued.
    """
    if rows <= inline_max_rows():
        import_job_run(job.pk)
        return
    from alliance.jobs.tasks import run_import_job

    result = run_import_job.enqueue(job.pk)
    ImportJob.objects.filter(pk=job.pk).update(task_id=str(result.id))


def _finish(job_pk: int, status: str, *, result: dict[str, Any], error: str = "") -> None:
    updates: dict[str, Any] = {
        "status": status,
        "result": result,
        "error_message": error,
        "finished_at": clock.now(),
    }
    if status == JobStatus.DONE:
        job = ImportJob.objects.only("progress_total").get(pk=job_pk)
        updates["progress_done"] = job.progress_total
    ImportJob.objects.filter(pk=job_pk).update(**updates)


def import_job_run(job_pk: int) -> None:
    """Do the work of one job and record the outcome on its row.

    A job already finished is left alone (a task delivered twice does the work once).
    The staged file is deleted when a real import finishes, whatever the outcome; a
    dry run keeps it for the import that may follow (it expires after a day).
    """
    job = (
        ImportJob.objects.select_related("school", "membership__user", "membership__school")
        .filter(pk=job_pk)
        .first()
    )
    if job is None or job.is_finished:
        return
    staged_uploads_purge_expired()
    ImportJob.objects.filter(pk=job_pk).update(status=JobStatus.RUNNING, started_at=clock.now())
    progress = JobProgress(job_pk, total=job.progress_total)
    language = str(job.params.get("language") or settings.LANGUAGE_CODE)
    try:
        with translation.override(language):
            try:
                result = get_handler(job.handler)(job, progress)
            except JobFailed as failure:
                _finish(job_pk, JobStatus.FAILED, result=failure.result, error=failure.message)
            except Exception as error:
                # No exception message in the log: it could quote a cell of the file.
                logger.error(
                    "import job %s (%s) failed: %s\n%s",
                    job_pk,
                    job.handler,
                    type(error).__name__,
                    "".join(traceback.format_tb(error.__traceback__)),
                )
                _finish(
                    job_pk,
                    JobStatus.FAILED,
                    result={},
                    error=_(
                        "An unexpected error stopped the job; nothing was written. "
                        "The error is recorded in the server log under job %(job)s."
                    )
                    % {"job": job.public_id},
                )
            else:
                _finish(job_pk, JobStatus.DONE, result=result)
    finally:
        if not job.dry_run and job.upload_id is not None:
            staged_upload_delete(job.upload_id)
