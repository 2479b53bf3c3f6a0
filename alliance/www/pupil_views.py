"""Pupil pages: list, page, create, edit, guardians, roster import and its history, access logs.

Reads go through ``pupils.selectors``; writes through ``pupils.services``;
every read of a pupil's page is audited.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliance.audit.models import AuditEvent
from alliance.audit.services import audit_record_view
from alliance.cases.perms import can_refer
from alliance.cases.selectors import cases_visible_to
from alliance.jobs.models import ImportJob, JobStatus
from alliance.jobs.selectors import import_job_get_visible, import_jobs_visible_to
from alliance.jobs.services import inline_max_rows
from alliance.people.models import User
from alliance.pupils import services
from alliance.pupils.imports.errors import RosterError
from alliance.pupils.imports.pending import (
    pending_upload_delete,
    pending_upload_get,
    pending_upload_store,
    pending_uploads_purge,
)
from alliance.pupils.imports.pipeline import roster_import_file
from alliance.pupils.imports.report import ImportReport
from alliance.pupils.jobs import HANDLER as ROSTER_HANDLER
from alliance.pupils.jobs import roster_import_start
from alliance.pupils.models import RosterImport, RosterSource
from alliance.pupils.perms import (
    can_edit_pupils,
    can_import_roster,
    can_view_access_log,
    can_view_pupils,
)
from alliance.pupils.selectors import pupil_get_visible, pupils_search
from alliance.tenancy.models import Division, Membership
from alliance.www.decorators import rule_required
from alliance.www.forms import GuardianForm, PupilForm, RosterImportForm

PAGE_SIZE = 50


@rule_required(can_view_pupils)
def pupil_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    query = request.GET.get("q", "")[:100]
    division_code = request.GET.get("division", "")[:32]
    pupils = pupils_search(membership, query=query, division_code=division_code)
    page = Paginator(pupils, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "division_code": division_code,
        "divisions": Division.objects.filter(school_id=membership.school_id)
        .order_by("code")
        .values_list("code", flat=True)
        .distinct()
        if pupils.exists() or query or division_code
        else [],
        "can_edit": can_edit_pupils(membership),
        "can_import": can_import_roster(membership),
    }
    template = "www/pupil_list_results.html" if request.htmx else "www/pupil_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@rule_required(can_view_pupils)
def pupil_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    pupil = pupil_get_visible(membership, public_id)
    audit_record_view(target=pupil, membership=membership)
    return render(
        request,
        "www/pupil_detail.html",
        {
            "pupil": pupil,
            "guardians": pupil.guardians.all(),
            "can_edit": can_edit_pupils(membership),
            "can_view_access_log": can_view_access_log(membership),
            # Need-to-know: only the cases this member may see; nothing says others exist.
            "pupil_cases": cases_visible_to(membership)
            .filter(pupil=pupil)
            .order_by("-opened_at", "-pk"),
            "can_refer": can_refer(membership) and pupil.left_on is None,
        },
    )


@rule_required(can_edit_pupils)
def pupil_create(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    form = PupilForm(request.POST or None, school=membership.school)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("version", None)
        try:
            pupil = services.pupil_create(actor=membership, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Pupil created."))
            return redirect("pupil_detail", public_id=pupil.public_id)
    return render(request, "www/pupil_form.html", {"form": form, "pupil": None})


@rule_required(can_edit_pupils)
def pupil_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    pupil = pupil_get_visible(membership, public_id)
    if request.method == "POST":
        form = PupilForm(request.POST, school=membership.school)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version") or 0
            try:
                services.pupil_update(
                    actor=membership, pupil=pupil, expected_version=version, **data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("pupil_detail", public_id=pupil.public_id)
    else:
        form = PupilForm(
            school=membership.school,
            initial={
                "last_name": pupil.last_name,
                "first_name": pupil.first_name,
                "birth_date": pupil.birth_date,
                "division": pupil.division,
                "national_id": pupil.national_id,
                "version": pupil.version,
            },
        )
    return render(request, "www/pupil_form.html", {"form": form, "pupil": pupil})


@rule_required(can_edit_pupils)
def pupil_mark_left(request: HttpRequest, public_id: str) -> HttpResponse:
    """The head or the CPE records that the pupil left the school (today).

    Their open situation, if any, closes ("left the school") and enters the retention schedule
    (decision 0015); the message is the same whether there was one or not.
    """
    membership = request.membership  # type: ignore[attr-defined]
    pupil = pupil_get_visible(membership, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if pupil.left_on is None:
        services.pupil_mark_left(actor=membership, pupil=pupil)
        messages.success(
            request,
            _(
                "The pupil is recorded as having left the school. Nothing of Alliance follows "
                "them: any open situation is closed and kept only for the retention period."
            ),
        )
    return redirect("pupil_detail", public_id=pupil.public_id)


@rule_required(can_edit_pupils)
def guardian_create(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    pupil = pupil_get_visible(membership, public_id)
    form = GuardianForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.guardian_create(actor=membership, pupil=pupil, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Guardian added."))
            return redirect("pupil_detail", public_id=pupil.public_id)
    return render(request, "www/guardian_form.html", {"form": form, "pupil": pupil})


#: The session key of the upload waiting for confirmation (its token, never its content).
PENDING_SESSION_KEY = "roster_import_pending"


def _forget_pending(request: HttpRequest, membership: Membership) -> None:
    pending = request.session.pop(PENDING_SESSION_KEY, None)
    if pending:
        pending_upload_delete(membership, pending.get("token", ""))


def _report_page(
    request: HttpRequest,
    membership: Membership,
    *,
    form: RosterImportForm,
    report: ImportReport | None = None,
    error: RosterError | None = None,
    token: str = "",
    notice: str = "",
) -> HttpResponse:
    return render(
        request,
        "www/roster_import.html",
        {
            "form": form,
            "report": report,
            "error": error,
            "token": token,
            "notice": notice,
            # The technical administrator sees counts only, never who the pupils are.
            "show_names": can_view_pupils(membership),
            # Larger files are imported in the background (alliance.jobs).
            "large_rows": inline_max_rows(),
        },
    )


def _dry_run_page(
    request: HttpRequest,
    membership: Membership,
    *,
    data: bytes,
    filename: str,
    full_list: bool,
    form: RosterImportForm | None = None,
    notice: str = "",
) -> HttpResponse:
    """Run the dry run, keep the file for its confirmation, and show what the import would do."""
    try:
        report = roster_import_file(
            actor=membership, data=data, filename=filename, dry_run=True, full_list=full_list
        )
    except RosterError as exc:
        return _report_page(request, membership, form=form or RosterImportForm(), error=exc)
    upload = pending_upload_store(
        actor=membership, data=data, filename=filename, full_list=full_list, rows=report.records
    )
    token = str(upload.public_id)
    request.session[PENDING_SESSION_KEY] = {
        "token": token,
        "fingerprint": report.fingerprint,
        "membership": str(membership.public_id),
    }
    return _report_page(
        request, membership, form=RosterImportForm(), report=report, token=token, notice=notice
    )


@rule_required(can_import_roster)
def roster_import(request: HttpRequest) -> HttpResponse:
    """Upload a file: its dry run is shown, and the file kept (server-side) until confirmed."""
    membership = request.membership  # type: ignore[attr-defined]
    form = RosterImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST" or not form.is_valid():
        pending_uploads_purge()
        return _report_page(request, membership, form=form)
    _forget_pending(request, membership)
    upload = form.cleaned_data["file"]
    return _dry_run_page(
        request,
        membership,
        data=upload.read(),
        filename=upload.name,
        full_list=form.cleaned_data["full_list"],
        form=form,
    )


@rule_required(can_import_roster)
@require_POST
def roster_import_confirm(request: HttpRequest) -> HttpResponse:
    """Import the file whose dry run was shown, only if the import does what it announced.

    The import is a job (``alliance.pupils.jobs``): a small file is imported before this
    answers, a large one in the background, and the job's page follows it either way.
    """
    membership = request.membership  # type: ignore[attr-defined]
    pending = request.session.get(PENDING_SESSION_KEY) or {}
    token = request.POST.get("token", "")
    upload = None
    if (
        token
        and pending.get("token") == token
        and pending.get("membership") == str(membership.public_id)
    ):
        upload = pending_upload_get(membership, token)
    if upload is None:
        _forget_pending(request, membership)
        messages.error(
            request,
            _(
                "There is no import waiting for confirmation (after an hour, the file is "
                "forgotten): upload the file again."
            ),
        )
        return redirect("roster_import")
    # The job owns the file from now on (it deletes it when it finishes).
    request.session.pop(PENDING_SESSION_KEY, None)
    data, filename = bytes(upload.data), upload.filename
    full_list = bool(upload.params.get("full_list"))
    job = roster_import_start(actor=membership, upload=upload, fingerprint=pending["fingerprint"])
    if job.status == JobStatus.FAILED and job.result.get("plan_changed"):
        # It ran at once and refused: announce what the import would now do, and ask again.
        return _dry_run_page(
            request,
            membership,
            data=data,
            filename=filename,
            full_list=full_list,
            notice=_(
                "Nothing was imported: the pupils recorded changed since the dry run. Here is "
                "what the import would do now; confirm again if it is right."
            ),
        )
    return redirect("roster_import_job", public_id=job.public_id)


#: Every key a finished roster job's report may have, with its value when the job did not give it.
_ROSTER_REPORT_DEFAULTS: dict[str, Any] = {
    "created": 0,
    "updated": 0,
    "unchanged": 0,
    "left": 0,
    "ambiguous": 0,
    "skipped": 0,
    "divisions_created": 0,
    "warnings": [],
    "source_format": "",
    "encoding": "",
    "error_total": 0,
    "plan_changed": False,
}


def _roster_job_context(job: ImportJob) -> dict[str, Any]:
    report = {**_ROSTER_REPORT_DEFAULTS, **(job.result or {})}
    source = report["source_format"]
    return {
        "job": job,
        "report": report,
        "source_label": RosterSource(source).label if source in RosterSource.values else "",
        "failed": job.status == JobStatus.FAILED,
    }


@rule_required(can_import_roster)
def roster_import_job(request: HttpRequest, public_id: str) -> HttpResponse:
    """A roster import job: its progress while it runs, then its report (counts, warnings)."""
    job = import_job_get_visible(request.membership, public_id, handler=ROSTER_HANDLER)  # type: ignore[attr-defined]
    return render(request, "www/roster_import_job.html", _roster_job_context(job))


@rule_required(can_import_roster)
def roster_import_job_progress(request: HttpRequest, public_id: str) -> HttpResponse:
    """The job's status, polled by htmx every second until the job has finished."""
    job = import_job_get_visible(request.membership, public_id, handler=ROSTER_HANDLER)  # type: ignore[attr-defined]
    return render(request, "www/_roster_job_status.html", _roster_job_context(job))


@rule_required(can_import_roster)
def roster_import_history(request: HttpRequest) -> HttpResponse:
    """The school's imports: who, when, which file (checksum), what format, counts, warnings."""
    membership = request.membership  # type: ignore[attr-defined]
    imports = (
        RosterImport.objects.filter(school_id=membership.school_id)
        .select_related("membership__user")
        .order_by("-imported_at", "-pk")
    )
    page = Paginator(imports, PAGE_SIZE).get_page(request.GET.get("page"))
    jobs = (
        import_jobs_visible_to(membership, handler=ROSTER_HANDLER)
        .select_related("membership__user")
        .defer("result", "params")[:20]
    )
    return render(request, "www/roster_import_history.html", {"page": page, "jobs": jobs})


def _access_events(events):
    """Attach the acting person and pupil name (only for pupils the head may see) to each event."""
    events = list(events)
    users = User.objects.in_bulk({e.actor_user_id for e in events if e.actor_user_id})
    memberships = Membership.objects.in_bulk(
        {e.actor_membership_id for e in events if e.actor_membership_id}
    )
    return [
        {
            "event": e,
            "user": users.get(e.actor_user_id),
            "membership": memberships.get(e.actor_membership_id),
        }
        for e in events
    ]


@rule_required(can_view_access_log)
def pupil_access_log(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    pupil = pupil_get_visible(membership, public_id)
    events = AuditEvent.objects.filter(
        school_id=membership.school_id,
        object_type="pupils.pupil",
        object_public_id=str(pupil.public_id),
    ).order_by("-sequence")[:500]
    return render(
        request, "www/pupil_access_log.html", {"pupil": pupil, "rows": _access_events(events)}
    )


@rule_required(can_view_access_log)
def school_access_log(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    events = AuditEvent.objects.filter(
        school_id=membership.school_id, object_type="pupils.pupil"
    ).order_by("-sequence")
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    pupils = {
        str(p.public_id): p
        for p in pupils_search(membership, include_left=True).filter(
            public_id__in=[e.object_public_id for e in page]
        )
    }
    rows = _access_events(page)
    for row in rows:
        row["pupil"] = pupils.get(row["event"].object_public_id)
    return render(request, "www/access_log.html", {"page": page, "rows": rows})
