"""Importing vie-scolaire events: upload → column mapping and preview → dry run → import → report.

The views are thin: reading and mapping live in ``alliance.detection``, the run in an
``ImportJob`` (``alliance.jobs``) whose progress the job page polls every second.
Everything is for those who may import (head, CPE, technical administrator); any
other membership, and any job or file of another school, is a 404.
"""

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from alliance.core import clock
from alliance.core.textfiles import FileError
from alliance.detection.fields import fields_for
from alliance.detection.importer import HANDLER, preview_rows
from alliance.detection.mapping import check_mapping, column_mapping_save, propose_mapping
from alliance.detection.models import EventKind
from alliance.detection.perms import can_import_events
from alliance.detection.presets import PRESETS_BY_NAME
from alliance.detection.selectors import event_imports_visible_to
from alliance.detection.services import (
    ImportNotReadyError,
    event_import_confirm,
    event_import_start,
    event_upload_stage,
)
from alliance.detection.tables import read_table
from alliance.jobs.models import ImportJob, JobStatus, StagedUpload
from alliance.jobs.selectors import (
    import_job_get_visible,
    import_jobs_visible_to,
    staged_upload_get_visible,
)
from alliance.pupils.perms import can_view_pupils
from alliance.www.decorators import rule_required
from alliance.www.event_import_forms import ColumnMappingForm, EventUploadForm

KINDS = frozenset(EventKind.values)
HISTORY_PAGE_SIZE = 50

#: Every key a finished job's report may have, with its value when the job did not give it.
_REPORT_DEFAULTS: dict[str, Any] = {
    "rows": 0,
    "new": 0,
    "updated": 0,
    "unchanged": 0,
    "duplicates": 0,
    "skipped": 0,
    "error_rows": 0,
    "errors": [],
    "error_total": 0,
    "warnings": [],
    "encoding": "",
    "delimiter": "",
}


@rule_required(can_import_events)
def event_import_upload(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    form = EventUploadForm(request.POST or None, request.FILES or None)
    error = None
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        period = form.cleaned_data["period"]
        try:
            upload, table = event_upload_stage(
                actor=membership,
                kind=form.cleaned_data["kind"],
                data=uploaded.read(),
                filename=uploaded.name,
                period=period,
            )
        except FileError as exc:
            error = exc
        else:
            proposal = propose_mapping(membership.school, upload.kind, table.headers)
            if proposal.source == "saved" and not check_mapping(
                upload.kind, proposal.mapping, table.headers, period_given=bool(period)
            ):
                messages.info(
                    request,
                    _(
                        "These columns were mapped before: the saved mapping was used. "
                        "You can change it from the report."
                    ),
                )
                job = event_import_start(
                    actor=membership, upload=upload, mapping=proposal.mapping, dry_run=True
                )
                return redirect("event_import_job", public_id=job.public_id)
            return redirect("event_import_mapping", public_id=upload.public_id)
    return render(
        request,
        "www/events/upload.html",
        {"form": form, "error_lines": error.message.splitlines() if error else []},
    )


@rule_required(can_import_events)
def event_import_mapping(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    upload = staged_upload_get_visible(membership, public_id, kinds=KINDS)
    try:
        table = read_table(bytes(upload.data), upload.filename)
    except FileError as exc:  # pragma: no cover - it was read when it was uploaded
        raise Http404 from exc
    period = str(upload.params.get("period", ""))
    proposal = propose_mapping(membership.school, upload.kind, table.headers)
    if request.method == "POST":
        form = ColumnMappingForm(
            request.POST, kind=upload.kind, table=table, period_given=bool(period)
        )
        if "confirm" in request.POST and form.is_valid():
            column_mapping_save(
                actor=membership,
                kind=upload.kind,
                headers=table.headers,
                mapping=form.mapping,
                preset=proposal.preset if form.mapping == proposal.mapping else "",
            )
            job = event_import_start(
                actor=membership, upload=upload, mapping=form.mapping, dry_run=True
            )
            return redirect("event_import_job", public_id=job.public_id)
        mapping = form.posted_mapping()
    else:
        form = ColumnMappingForm(
            initial=ColumnMappingForm.initial_for(proposal.mapping),
            kind=upload.kind,
            table=table,
            period_given=bool(period),
        )
        mapping = proposal.mapping
    context = {
        "upload": upload,
        "kind_label": EventKind(upload.kind).label,
        "period": period,
        "rows": len(table.rows),
        "form": form,
        "proposal": proposal,
        "preset_label": PRESETS_BY_NAME[proposal.preset].label if proposal.preset else "",
        "other_kinds": [str(p.label) for p in proposal.other_kind_presets],
        "columns": [t for t in fields_for(upload.kind) if t.name in mapping],
        "preview": preview_rows(
            school=membership.school,
            kind=upload.kind,
            table=table,
            mapping=mapping,
            period=period,
            show_identities=can_view_pupils(membership),
        ),
    }
    if request.htmx and request.method == "POST":  # type: ignore[attr-defined]
        return render(request, "www/events/_preview.html", context)
    return render(request, "www/events/mapping.html", context)


def _job_context(job: ImportJob) -> dict[str, Any]:
    report = {**_REPORT_DEFAULTS, **(job.result or {})}
    upload_alive = (
        job.upload_id is not None
        and StagedUpload.objects.filter(pk=job.upload_id, expires_at__gt=clock.now()).exists()
    )
    return {
        "job": job,
        "kind_label": EventKind(job.kind).label if job.kind in KINDS else job.kind,
        "report": report,
        "failed": job.status == JobStatus.FAILED,
        "can_import": (
            job.dry_run
            and job.status == JobStatus.DONE
            and not report["error_total"]
            and bool(report["new"] or report["updated"])
            and upload_alive
        ),
        "mapping_url_id": job.upload.public_id if upload_alive and job.upload else None,
    }


@rule_required(can_import_events)
def event_import_job(request: HttpRequest, public_id: str) -> HttpResponse:
    job = import_job_get_visible(request.membership, public_id, handler=HANDLER)  # type: ignore[attr-defined]
    return render(request, "www/events/job.html", _job_context(job))


@rule_required(can_import_events)
def event_import_job_progress(request: HttpRequest, public_id: str) -> HttpResponse:
    """The job's status, polled by htmx every second until the job has finished."""
    job = import_job_get_visible(request.membership, public_id, handler=HANDLER)  # type: ignore[attr-defined]
    return render(request, "www/events/_job_status.html", _job_context(job))


@rule_required(can_import_events)
def event_import_run(request: HttpRequest, public_id: str) -> HttpResponse:
    """Import for real what a clean dry run checked (POST only, once the job is known to be visible)."""
    membership = request.membership  # type: ignore[attr-defined]
    dry_run_job = import_job_get_visible(membership, public_id, handler=HANDLER)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        job = event_import_confirm(actor=membership, dry_run_job=dry_run_job)
    except ImportNotReadyError as error:
        messages.error(request, str(error))
        return redirect("event_import_job", public_id=dry_run_job.public_id)
    return redirect("event_import_job", public_id=job.public_id)


@rule_required(can_import_events)
def event_import_history(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    imports = event_imports_visible_to(membership).select_related("membership__user")
    page = Paginator(imports, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    jobs = [
        {"job": job, "kind_label": EventKind(job.kind).label if job.kind in KINDS else job.kind}
        for job in import_jobs_visible_to(membership, handler=HANDLER)
        .select_related("membership__user")
        .defer("result", "params")[:20]
    ]
    return render(request, "www/events/history.html", {"page": page, "jobs": jobs})
