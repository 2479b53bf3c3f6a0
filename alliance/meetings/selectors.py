"""Reads of meetings and minutes. Every one starts from the acting membership.

Need-to-know (charter art. 3b), in words:

- a meeting is visible to the head of its school, to the members convened to it, and to the
  team of a case on its agenda (for that case only);
- an agenda item (a case, with what the meeting recorded about it) is visible to the head;
  to the members *present* at the meeting (they heard it); and otherwise only to those who
  may see its case (its current team). A member convened but absent, or not convened, sees
  only the items of their own cases;
- everyone else — other staff, the académie, admins — sees no meeting at all.

Partners (docs/decisions/0013) never open the meeting pages: a partner on a case's team, under
an agreement in force, may be convened to a meeting whose agenda holds only cases whose team
they are on; on that case's page they see the meeting's date, duration, place and status and
their own attendance (``partner_convocations``) — not the minutes, which have no audience
and so stay with the school's members.
"""

import uuid
from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from alliance.cases.models import Case, CaseTeamMember
from alliance.cases.selectors import cases_visible_to
from alliance.charter.selectors import charter_current
from alliance.meetings.models import AgendaItem, Attendance, Meeting, MeetingParticipant
from alliance.meetings.perms import can_list_meetings
from alliance.tenancy.models import Membership, Role, School

#: School roles that may be convened to any GPDS meeting. Partners are convened only to the
#: meetings of their cases (``convenable_partners``, checked again by the services).
CONVENABLE_ROLES = frozenset({Role.HEAD, Role.STAFF})


def meetings_visible_to(membership: Membership | None) -> QuerySet[Meeting]:
    """The meetings ``membership`` may open (see the module docstring for the rule)."""
    if membership is None or not can_list_meetings(membership):
        return Meeting.objects.none()
    meetings = Meeting.objects.filter(school_id=membership.school_id)
    if membership.role == Role.HEAD:
        return meetings
    convened = MeetingParticipant.objects.filter(
        meeting_id=OuterRef("pk"), membership_id=membership.pk
    )
    own_case = AgendaItem.objects.filter(
        meeting_id=OuterRef("pk"), case__in=cases_visible_to(membership)
    )
    return meetings.filter(Exists(convened) | Exists(own_case))


def meeting_get_visible(membership: Membership | None, public_id: uuid.UUID | str) -> Meeting:
    """Fetch one meeting and check access at once: missing and forbidden are the same 404."""
    try:
        return (
            meetings_visible_to(membership)
            .select_related("convened_by__user", "school")
            .get(public_id=public_id)
        )
    except (Meeting.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def was_present(membership: Membership | None, meeting: Meeting) -> bool:
    return (
        membership is not None
        and MeetingParticipant.objects.filter(
            meeting_id=meeting.pk, membership_id=membership.pk, attendance=Attendance.PRESENT
        ).exists()
    )


def agenda_items_visible_to(
    membership: Membership | None, meeting: Meeting
) -> QuerySet[AgendaItem]:
    """The agenda items of ``meeting`` that ``membership`` may read (module docstring)."""
    if (
        membership is None
        or meeting.school_id != membership.school_id
        or not can_list_meetings(membership)
    ):
        return AgendaItem.objects.none()
    items = AgendaItem.objects.filter(meeting_id=meeting.pk, school_id=membership.school_id)
    if membership.role != Role.HEAD and not was_present(membership, meeting):
        items = items.filter(case__in=cases_visible_to(membership))
    return items.select_related("case__pupil__division", "recorded_by__user").order_by(
        "position", "pk"
    )


def agenda_item_get_visible(
    membership: Membership | None, meeting: Meeting, public_id: uuid.UUID | str
) -> AgendaItem:
    try:
        return agenda_items_visible_to(membership, meeting).get(public_id=public_id)
    except (AgendaItem.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def meeting_participants(meeting: Meeting) -> QuerySet[MeetingParticipant]:
    """The convened members (call only after checking the meeting is visible)."""
    return meeting.participants.select_related("membership__user").order_by(
        "membership__user__last_name", "membership__user__first_name", "pk"
    )


def convenable_members(school: School | int) -> QuerySet[Membership]:
    """Members who may be convened: live, of the school, head or staff, adhered to the current charter."""
    school_id = school if isinstance(school, int) else school.pk
    school_obj = school if isinstance(school, School) else School.objects.get(pk=school_id)
    current = charter_current(school_obj)
    if current is None:
        return Membership.objects.none()
    return (
        Membership.objects.live()
        .filter(
            school_id=school_id,
            role__in=CONVENABLE_ROLES,
            charter_adhesions__charter_version=current,
        )
        .select_related("user")
        .distinct()
        .order_by("user__last_name", "user__first_name", "pk")
    )


def convenable_partners(school: School | int) -> QuerySet[Membership]:
    """Partners who may be offered in the convening form: live, of the school, adhered to the
    current charter, under an agreement in force, and on the current team of an open case.

    Offering is not enough: ``services`` convene a partner only if every case on the agenda is
    one whose team they are on (``partner_may_attend``).
    """
    from alliance.agreements.selectors import partner_has_active_agreement

    school_id = school if isinstance(school, int) else school.pk
    school_obj = school if isinstance(school, School) else School.objects.get(pk=school_id)
    current = charter_current(school_obj)
    if current is None:
        return Membership.objects.none()
    on_open_team = CaseTeamMember.objects.current().filter(
        membership_id=OuterRef("pk"), case__school_id=school_id, case__closed_at__isnull=True
    )
    partners = (
        Membership.objects.live()
        .filter(
            school_id=school_id,
            role=Role.PARTNER,
            charter_adhesions__charter_version=current,
        )
        .filter(Exists(on_open_team))
        .select_related("user", "school")
        .distinct()
    )
    allowed = [m.pk for m in partners if partner_has_active_agreement(m)]
    return (
        Membership.objects.filter(pk__in=allowed)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def partner_may_attend(membership: Membership, cases: Iterable[Case]) -> bool:
    """A partner may be convened to a meeting about ``cases`` only if they see every one of
    them (on its team now, adhered, agreement in force): they would hear each one discussed."""
    wanted = {c.pk for c in cases}
    seen = set(cases_visible_to(membership).filter(pk__in=wanted).values_list("pk", flat=True))
    return bool(wanted) and wanted <= seen


def partner_convocations(membership: Membership | None, case: Case) -> QuerySet[MeetingParticipant]:
    """The partner's convocations to the meetings of ``case``: nothing unless the membership
    is a partner who sees the case now. The row gives the meeting (date, place, status) and
    the partner's attendance; nothing of the agenda or the minutes."""
    if membership is None or membership.role != Role.PARTNER:
        return MeetingParticipant.objects.none()
    if not cases_visible_to(membership).filter(pk=case.pk).exists():
        return MeetingParticipant.objects.none()
    return (
        MeetingParticipant.objects.filter(
            membership_id=membership.pk,
            school_id=case.school_id,
            meeting__agenda_items__case_id=case.pk,
        )
        .select_related("meeting")
        .distinct()
        .order_by("-meeting__starts_at", "-pk")
    )


def parents_first_satisfied() -> Q:
    """Cases whose family was reached, or whose exception to parents first was approved."""
    return (
        Q(family_associated_at__isnull=False)
        | Q(family_contacts__reached=True)
        | Q(family_exception__approved_at__isnull=False)
    )


def agenda_candidates(membership: Membership | None) -> QuerySet[Case]:
    """Open cases the head may put on an agenda: visible, and parents first satisfied."""
    return (
        cases_visible_to(membership)
        .open()
        .filter(pk__in=Case.objects.filter(parents_first_satisfied()).values("pk"))
        .select_related("pupil__division")
        .order_by("pupil__last_name", "pupil__first_name", "pk")
    )


def meetings_list(membership: Membership | None) -> QuerySet[Meeting]:
    return (
        meetings_visible_to(membership)
        .select_related("convened_by__user")
        .annotate(item_count=Count("agenda_items", distinct=True))
        .order_by("-starts_at", "-pk")
    )
