"""GPDS meeting pages: list, convene, change, cancel, attendance, minutes, PDF export.

Reads go through ``meetings.selectors`` (need-to-know per agenda item); writes through
``meetings.services``. Every page showing an agenda or minutes is audited as a read; the
PDF export as an export.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record, audit_record_view
from alliance.core import clock
from alliance.core.pdf import internal_marking, render_pdf
from alliance.meetings import services
from alliance.meetings.models import Attendance, Meeting, MeetingStatus
from alliance.meetings.perms import can_list_meetings, can_manage_meetings
from alliance.meetings.selectors import (
    agenda_candidates,
    agenda_item_get_visible,
    agenda_items_visible_to,
    convenable_members,
    convenable_partners,
    meeting_get_visible,
    meeting_participants,
    meetings_list,
    was_present,
)
from alliance.tenancy.models import Membership
from alliance.www.decorators import rule_required
from alliance.www.forms import add_service_errors
from alliance.www.meeting_forms import AgendaItemForm, AttendanceForm, MeetingForm


def _meeting_form(request: HttpRequest, membership, meeting: Meeting | None = None) -> MeetingForm:
    initial: dict[str, object] = {}
    if meeting is not None:
        local = timezone.localtime(meeting.starts_at)
        items = list(meeting.agenda_items.select_related("case"))
        initial = {
            "date": local.date(),
            "time": local.time().replace(second=0, microsecond=0),
            "duration_minutes": meeting.duration_minutes,
            "place": meeting.place,
            "members": [p.membership for p in meeting.participants.select_related("membership")],
            "cases": [i.case for i in items],
            "family_invited": [i.case for i in items if i.family_invited],
            "version": meeting.version,
        }
    return MeetingForm(
        request.POST or None,
        # Partners on the team of an open case are offered too; the service convenes them
        # only to a meeting whose every case they see (docs/decisions/0013).
        members=Membership.objects.filter(
            pk__in=[
                *convenable_members(membership.school_id).values_list("pk", flat=True),
                *convenable_partners(membership.school_id).values_list("pk", flat=True),
            ]
        )
        .select_related("user")
        .order_by("role", "user__last_name", "user__first_name", "pk"),
        cases=agenda_candidates(membership),
        initial=initial,
    )


@rule_required(can_list_meetings)
def meeting_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    meetings = list(meetings_list(membership)[:200])
    now = clock.now()
    return render(
        request,
        "www/meetings/meeting_list.html",
        {
            "upcoming": [
                m for m in meetings if m.status == MeetingStatus.CONVENED and m.starts_at >= now
            ][::-1],
            "past": [
                m
                for m in meetings
                if not (m.status == MeetingStatus.CONVENED and m.starts_at >= now)
            ],
            "can_manage": can_manage_meetings(membership),
        },
    )


@rule_required(can_manage_meetings)
def meeting_create(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    form = _meeting_form(request, membership)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_convene(
                actor=membership,
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                place=data["place"],
                members=list(data["members"]),
                cases=list(data["cases"]),
                family_invited_cases=list(data["family_invited"]),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Meeting convened. The invitations are being sent."))
            return redirect("meeting_detail", public_id=meeting.public_id)
    return render(request, "www/meetings/meeting_form.html", {"form": form, "meeting": None})


@rule_required(can_manage_meetings)
def meeting_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    meeting = meeting_get_visible(membership, public_id)
    if meeting.status != MeetingStatus.CONVENED:
        messages.error(request, _("Only a meeting that has not been held can be changed."))
        return redirect("meeting_detail", public_id=meeting.public_id)
    form = _meeting_form(request, membership, meeting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.meeting_update(
                actor=membership,
                meeting=meeting,
                expected_version=data["version"] or 0,
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                place=data["place"],
                members=list(data["members"]),
                cases=list(data["cases"]),
                family_invited_cases=list(data["family_invited"]),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Meeting changed. The members are told."))
            return redirect("meeting_detail", public_id=meeting.public_id)
    return render(request, "www/meetings/meeting_form.html", {"form": form, "meeting": meeting})


@rule_required(can_manage_meetings)
def meeting_cancel(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    meeting = meeting_get_visible(membership, public_id)
    if request.method != "POST":  # after the lookup: an outsider gets 404, not 405
        return HttpResponseNotAllowed(["POST"])
    try:
        version = int(request.POST.get("version", "0"))
    except ValueError:
        version = 0
    try:
        services.meeting_cancel(actor=membership, meeting=meeting, expected_version=version)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Meeting cancelled. The members are told."))
    return redirect("meeting_detail", public_id=meeting.public_id)


@rule_required(can_list_meetings)
def meeting_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    meeting = meeting_get_visible(membership, public_id)
    items = list(agenda_items_visible_to(membership, meeting))
    total = meeting.agenda_items.count()
    audit_record_view(target=meeting, membership=membership)
    return render(
        request,
        "www/meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "items": items,
            "hidden_count": total - len(items),
            "participants": list(meeting_participants(meeting)),
            "can_manage": can_manage_meetings(membership),
            "is_convened": meeting.status == MeetingStatus.CONVENED,
            "is_held": meeting.status == MeetingStatus.HELD,
            "was_present": was_present(membership, meeting),
            "has_started": meeting.starts_at <= clock.now(),
        },
    )


@rule_required(can_manage_meetings)
def meeting_attendance(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    meeting = meeting_get_visible(membership, public_id)
    participants = list(meeting_participants(meeting))
    items = [i for i in agenda_items_visible_to(membership, meeting) if i.family_invited]
    form = AttendanceForm(
        request.POST or None,
        participants=participants,
        items=items,
        initial={"version": meeting.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_record_attendance(
                actor=membership,
                meeting=meeting,
                expected_version=form.cleaned_data["version"] or 0,
                attendance=form.attendance(),
                family_present=form.family_present(),
            )
        except ValidationError as error:
            # "Nobody present" and the like come keyed on the service's own names.
            add_service_errors(form, error)
        else:
            messages.success(request, _("Attendance recorded."))
            return redirect("meeting_detail", public_id=meeting.public_id)
    return render(
        request, "www/meetings/meeting_attendance.html", {"form": form, "meeting": meeting}
    )


@rule_required(can_manage_meetings)
def agenda_item_record(request: HttpRequest, public_id: str, item_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    meeting = meeting_get_visible(membership, public_id)
    item = agenda_item_get_visible(membership, meeting, item_id)
    form = AgendaItemForm(
        request.POST or None,
        initial={
            "situation_summary": item.situation_summary,
            "decisions": item.decisions,
            "next_steps": item.next_steps,
            "version": item.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.agenda_item_record(
                actor=membership,
                item=item,
                expected_version=data["version"] or 0,
                situation_summary=data["situation_summary"],
                decisions=data["decisions"],
                next_steps=data["next_steps"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Minutes recorded for this situation."))
            return redirect("meeting_detail", public_id=meeting.public_id)
    if request.method == "GET":
        audit_record_view(target=item, membership=membership)
    return render(
        request,
        "www/meetings/agenda_item_form.html",
        {"form": form, "meeting": meeting, "item": item},
    )


@rule_required(can_list_meetings)
def meeting_minutes_pdf(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    meeting = meeting_get_visible(membership, public_id)
    html = minutes_html(membership, meeting)
    with transaction.atomic():
        audit_record(action="export", target=meeting, membership=membership)
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    day = timezone.localtime(meeting.starts_at).date().isoformat()
    response["Content-Disposition"] = f'attachment; filename="compte-rendu-gpds-{day}.pdf"'
    return response


def minutes_html(membership, meeting: Meeting) -> str:
    """The HTML fed to WeasyPrint: only the items ``membership`` may read."""
    return render_to_string(
        "www/meetings/minutes_pdf.html",
        {
            "meeting": meeting,
            "items": list(agenda_items_visible_to(membership, meeting)),
            "participants": list(meeting_participants(meeting)),
            "present": Attendance.PRESENT,
            "marking": internal_marking(),
            "reader": membership,
            "generated_at": clock.now(),
        },
    )
