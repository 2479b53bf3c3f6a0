"""Reads of meetings and minutes. Every one starts from the acting membership.

Need-to-know (charter art. 3b), in words:

- a meeting is visible to the head of its school, to the members convened to it, and to the
  team of a case on its agenda (for that case only);
- an agenda item (a case, with what the meeting recorded about it) is visible to the head;
  to the members *present* at the meeting (they heard it); and otherwise only to those who
  may see its case (its current team). A member convened but absent, or not convened, sees
  only the items of their own cases;
- everyone else — other staff, partners, the académie, admins — sees no meeting at all.
"""

import uuid

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from alliance.cases.models import Case
from alliance.cases.selectors import cases_visible_to
from alliance.charter.selectors import charter_current
from alliance.meetings.models import AgendaItem, Attendance, Meeting, MeetingParticipant
from alliance.meetings.perms import can_list_meetings
from alliance.tenancy.models import Membership, Role, School

#: Roles that may be convened to a GPDS meeting today (partners join with their agreements).
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
