"""The steps of an events import from the web page: stage the file, start the dry run, confirm.

Each step checks the actor; the work itself runs in an ``ImportJob``
(``alliance.detection.jobs``), inline for small files and in a worker for large ones.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from alliance.detection.importer import HANDLER
from alliance.detection.mapping import Mapping
from alliance.detection.models import EventKind
from alliance.detection.perms import can_import_events
from alliance.detection.tables import Table, read_table
from alliance.jobs.models import ImportJob, JobStatus, StagedUpload
from alliance.jobs.services import import_job_create, import_job_start, staged_upload_create
from alliance.tenancy.models import Membership


class ImportNotReadyError(Exception):
    """The dry run cannot be turned into an import (problems found, file gone, already done)."""


def _check(actor: Membership | None) -> Membership:
    if actor is None or not can_import_events(actor):
        raise PermissionDenied
    return actor


def event_upload_stage(
    *, actor: Membership, kind: str, data: bytes, filename: str, period: str = ""
) -> tuple[StagedUpload, Table]:
    """Read the file (``FileError`` if it cannot be read as a table) and keep it for the next steps."""
    _check(actor)
    if kind not in EventKind.values:
        raise ValueError(f"unknown kind of events: {kind!r}")
    table = read_table(data, filename)
    upload = staged_upload_create(
        actor=actor,
        kind=kind,
        filename=table.filename,
        data=data,
        params={"period": period.strip(), "rows": len(table.rows)},
    )
    return upload, table


def event_import_start(
    *, actor: Membership, upload: StagedUpload, mapping: Mapping, dry_run: bool
) -> ImportJob:
    """Create the job that imports (or dry-runs) ``upload`` with ``mapping``, and start it."""
    _check(actor)
    rows = int(upload.params.get("rows", 0))
    job = import_job_create(
        actor=actor,
        handler=HANDLER,
        kind=upload.kind,
        upload=upload,
        params={"mapping": dict(mapping), "period": upload.params.get("period", "")},
        dry_run=dry_run,
        total=rows,
    )
    import_job_start(job, rows=rows)
    job.refresh_from_db()
    return job


def event_import_confirm(*, actor: Membership, dry_run_job: ImportJob) -> ImportJob:
    """After a clean dry run, import the same file with the same mapping."""
    _check(actor)
    if (
        not dry_run_job.dry_run
        or dry_run_job.status != JobStatus.DONE
        or dry_run_job.school_id != actor.school_id
    ):
        raise ImportNotReadyError(_("Only a finished dry run can be imported."))
    if dry_run_job.result.get("error_total"):
        raise ImportNotReadyError(
            _("The dry run found problems: correct the file, then upload it again.")
        )
    upload = (
        StagedUpload.objects.filter(pk=dry_run_job.upload_id).first()
        if dry_run_job.upload_id is not None
        else None
    )
    if upload is None:
        raise ImportNotReadyError(
            _("The file is no longer on the server (files are kept one day): upload it again.")
        )
    return event_import_start(
        actor=actor,
        upload=upload,
        mapping=dry_run_job.params.get("mapping", {}),
        dry_run=False,
    )
