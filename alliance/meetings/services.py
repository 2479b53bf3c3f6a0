"""Writes on GPDS meetings. Each one checks the actor, validates, and audits in the same transaction.

- Only the head convenes, changes, cancels, and records attendance and minutes (art. 2).
- Only live members of the school who adhered to the current charter can be convened (art. 3);
  a partner only to a meeting whose every case they see (docs/decisions/0013).
- A case goes on the agenda only if the head may see it and parents first holds (art. 4a).
- Recording the examination of a case moves it to ``examined`` through the cases services.
- Invitations are e-mailed after the commit, without any pupil's name.
- ``expected_version`` guards every edit against a lost update.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.cases import services as case_services
from alliance.cases.models import Case, CaseStatus, InvolvementKind
from alliance.cases.selectors import cases_visible_to
from alliance.core import clock
from alliance.meetings.invitations import send_invitations
from alliance.meetings.models import (
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    MINUTES_TEXT_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    AgendaItem,
    Attendance,
    Meeting,
    MeetingParticipant,
    MeetingStatus,
)
from alliance.meetings.perms import can_manage_meetings
from alliance.meetings.selectors import (
    convenable_members,
    convenable_partners,
    partner_may_attend,
)
from alliance.pupils.services import EditConflictError
from alliance.tenancy.models import Membership, Role

#: At most this many cases on one agenda (ten minutes each already makes a long meeting).
MAX_AGENDA_ITEMS = 30
#: A meeting is convened at most this far ahead, or recorded at most this far after the fact.
MAX_DISTANCE = dt.timedelta(days=366)


class MeetingEditConflictError(EditConflictError):
    """Someone else changed the meeting (or the item) after the form was opened."""


def _conflict() -> MeetingEditConflictError:
    return MeetingEditConflictError(
        _(
            "Someone else changed this meeting while you were editing. "
            "Reload the page to see their changes, then try again."
        ),
        code="conflict",
    )


def _check_head(actor: Membership, school_id: int) -> None:
    if not can_manage_meetings(actor) or actor.school_id != school_id:
        raise PermissionDenied


def _bump(meeting: Meeting, expected_version: int) -> None:
    """Optimistic lock: bump the version only if nobody saved the meeting since the form was read."""
    updated = Meeting.objects.filter(pk=meeting.pk, version=expected_version).update(
        version=F("version") + 1, updated_at=clock.now()
    )
    if updated != 1:
        raise _conflict()
    meeting.version = expected_version + 1


def _clean_place(place: str) -> str:
    place = (place or "").strip()
    if not place:
        raise ValidationError({"place": _("Say where the meeting takes place.")})
    if len(place) > PLACE_MAX_LENGTH:
        raise ValidationError({"place": _("At most %(n)d characters.") % {"n": PLACE_MAX_LENGTH}})
    return place


def _check_schedule(starts_at: dt.datetime, duration_minutes: int) -> None:
    errors = {}
    if starts_at is None or starts_at.tzinfo is None:
        errors["starts_at"] = _("Give the date and time of the meeting.")
    elif abs(starts_at - clock.now()) > MAX_DISTANCE:
        errors["starts_at"] = _("The meeting must be within a year from today.")
    if not (MIN_DURATION_MINUTES <= (duration_minutes or 0) <= MAX_DURATION_MINUTES):
        errors["duration_minutes"] = _(
            "The duration must be between %(min)d and %(max)d minutes."
        ) % {"min": MIN_DURATION_MINUTES, "max": MAX_DURATION_MINUTES}
    if errors:
        raise ValidationError(errors)


def _check_members(actor: Membership, members: Iterable[Membership]) -> list[Membership]:
    members = list(dict.fromkeys(members))
    allowed = set(convenable_members(actor.school_id).values_list("pk", flat=True))
    allowed |= set(convenable_partners(actor.school_id).values_list("pk", flat=True))
    if any(m.pk not in allowed for m in members):
        raise ValidationError(
            {
                "members": _(
                    "Only members of this school whose membership is in force and who adhered "
                    "to the current charter can be convened."
                )
            },
            code="not_convenable",
        )
    if actor.pk not in {m.pk for m in members}:
        members.insert(0, actor)  # the head who convenes takes part
    return members


def _check_partners(members: Iterable[Membership], cases: list[Case]) -> None:
    """A partner is convened only to a meeting whose every case they see (docs/decisions/0013):
    present, they would hear each situation on the agenda discussed."""
    for member in members:
        if member.role == Role.PARTNER and not partner_may_attend(member, cases):
            raise ValidationError(
                {
                    "members": _(
                        "A partner can be convened only to a meeting whose agenda holds only "
                        "situations whose team they are on: make a separate meeting for the "
                        "other situations."
                    )
                },
                code="partner_other_cases",
            )


def _check_cases(actor: Membership, cases: Iterable[Case]) -> list[Case]:
    cases = list(dict.fromkeys(cases))
    if not cases:
        raise ValidationError({"cases": _("Put at least one situation on the agenda.")})
    if len(cases) > MAX_AGENDA_ITEMS:
        raise ValidationError(
            {"cases": _("At most %(n)d situations on one agenda.") % {"n": MAX_AGENDA_ITEMS}}
        )
    visible = set(
        cases_visible_to(actor)
        .open()
        .filter(pk__in=[c.pk for c in cases])
        .values_list("pk", flat=True)
    )
    if any(c.pk not in visible for c in cases):
        raise ValidationError(
            {"cases": _("One of the situations is not an open case of this school.")},
            code="not_visible",
        )
    for case in cases:
        try:
            case_services.ensure_parents_first(case)
        except ValidationError as error:
            raise ValidationError({"cases": error.messages}, code="parents_first") from error
    return cases


def _notify(meeting: Meeting, membership_ids: Iterable[int], *, cancelled: bool = False) -> None:
    ids = sorted(set(membership_ids))
    if ids:
        transaction.on_commit(partial(send_invitations, meeting.pk, ids, cancelled=cancelled))


def _record_family_invited(meeting: Meeting, actor: Membership, cases: Iterable[Case]) -> None:
    for case in cases:
        case_services.family_involvement_record(
            case=case,
            actor=actor,
            kind=InvolvementKind.INVITED,
            occurred_on=clock.today(),
            related_public_id=meeting.public_id,
        )


def _add_items(
    meeting: Meeting, actor: Membership, cases: list[Case], family_invited: set[int], start: int
) -> list[AgendaItem]:
    items = []
    for offset, case in enumerate(cases):
        item = AgendaItem(
            school_id=meeting.school_id,
            meeting=meeting,
            case=case,
            position=start + offset,
            family_invited=case.pk in family_invited,
        )
        item.full_clean()
        item.save()
        audit_record(action="create", target=item, membership=actor)
        items.append(item)
    return items


@transaction.atomic
def meeting_convene(
    *,
    actor: Membership,
    starts_at: dt.datetime,
    place: str,
    members: Iterable[Membership],
    cases: Iterable[Case],
    family_invited_cases: Iterable[Case] = (),
    duration_minutes: int = 60,
) -> Meeting:
    """The head convenes a GPDS meeting; the invitations leave after the commit."""
    _check_head(actor, actor.school_id)
    place = _clean_place(place)
    _check_schedule(starts_at, duration_minutes)
    members = _check_members(actor, members)
    cases = _check_cases(actor, cases)
    _check_partners(members, cases)
    family_invited = {c.pk for c in family_invited_cases}
    if family_invited - {c.pk for c in cases}:
        raise ValidationError(
            {"family_invited": _("A family can be invited only for a situation on the agenda.")}
        )
    meeting = Meeting(
        school_id=actor.school_id,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        place=place,
        convened_by=actor,
        convened_at=clock.now(),
    )
    meeting.full_clean()
    meeting.save()
    audit_record(action="create", target=meeting, membership=actor)
    for member in members:
        participant = MeetingParticipant(
            school_id=actor.school_id, meeting=meeting, membership=member
        )
        participant.full_clean()
        participant.save()
    _add_items(meeting, actor, cases, family_invited, start=1)
    _record_family_invited(meeting, actor, [c for c in cases if c.pk in family_invited])
    _notify(meeting, [m.pk for m in members])
    return meeting


def _lock_meeting(meeting: Meeting, expected_version: int | None) -> Meeting:
    fresh = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if expected_version is not None and fresh.version != expected_version:
        raise _conflict()
    return fresh


def _require_status(meeting: Meeting, status: str, message: str) -> None:
    if meeting.status != status:
        raise ValidationError(message, code="status")


@transaction.atomic
def meeting_update(
    *,
    actor: Membership,
    meeting: Meeting,
    expected_version: int,
    starts_at: dt.datetime,
    place: str,
    members: Iterable[Membership],
    cases: Iterable[Case],
    family_invited_cases: Iterable[Case] = (),
    duration_minutes: int = 60,
) -> Meeting:
    """Change a convened meeting. Everyone still convened gets the new invitation; those no
    longer convened get a cancellation. Items already recorded cannot leave the agenda."""
    _check_head(actor, meeting.school_id)
    fresh = _lock_meeting(meeting, expected_version)
    _require_status(
        fresh, MeetingStatus.CONVENED, _("Only a meeting that has not been held can be changed.")
    )
    place = _clean_place(place)
    _check_schedule(starts_at, duration_minutes)
    members = _check_members(actor, members)
    cases = _check_cases(actor, cases)
    _check_partners(members, cases)
    family_invited = {c.pk for c in family_invited_cases}
    if family_invited - {c.pk for c in cases}:
        raise ValidationError(
            {"family_invited": _("A family can be invited only for a situation on the agenda.")}
        )
    # Members: add the new ones, withdraw the convocation of those removed.
    current = {p.membership_id: p for p in fresh.participants.all()}
    wanted = {m.pk for m in members}
    removed = [p for mid, p in current.items() if mid not in wanted]
    for participant in removed:
        audit_record(action="delete", target=participant, membership=actor)
        participant.delete()
    for member in members:
        if member.pk not in current:
            MeetingParticipant.objects.create(
                school_id=fresh.school_id, meeting=fresh, membership=member
            )
    # Agenda: keep the items still wanted, drop the others, add the new ones.
    items = {i.case_id: i for i in fresh.agenda_items.all()}
    wanted_cases = {c.pk for c in cases}
    for case_id, item in items.items():
        if case_id not in wanted_cases:
            if item.is_recorded:
                raise ValidationError(
                    {"cases": _("A situation whose minutes are recorded stays on the agenda.")}
                )
            audit_record(action="delete", target=item, membership=actor)
            item.delete()
    newly_invited = []
    for item in fresh.agenda_items.all():
        invited = item.case_id in family_invited
        if invited != item.family_invited:
            item.family_invited = invited
            item.save(update_fields=["family_invited", "updated_at"])
            if invited:
                newly_invited.append(item.case)
    start = max((i.position for i in items.values()), default=0) + 1
    added = [c for c in cases if c.pk not in items]
    _add_items(fresh, actor, added, family_invited, start=start)
    newly_invited += [c for c in added if c.pk in family_invited]
    fresh.starts_at = starts_at
    fresh.duration_minutes = duration_minutes
    fresh.place = place
    fresh.full_clean()
    fresh.save(update_fields=["starts_at", "duration_minutes", "place", "updated_at"])
    _bump(fresh, expected_version)
    audit_record(action="update", target=fresh, membership=actor)
    _record_family_invited(fresh, actor, newly_invited)
    meeting.refresh_from_db()
    _notify(meeting, wanted)
    _notify(meeting, [p.membership_id for p in removed], cancelled=True)
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: Membership, meeting: Meeting, expected_version: int) -> Meeting:
    """Cancel a meeting that has not been held; every convened member is told."""
    _check_head(actor, meeting.school_id)
    fresh = _lock_meeting(meeting, expected_version)
    _require_status(
        fresh, MeetingStatus.CONVENED, _("Only a meeting that has not been held can be cancelled.")
    )
    if fresh.agenda_items.filter(recorded_at__isnull=False).exists():
        raise ValidationError(_("Minutes are recorded for this meeting: it cannot be cancelled."))
    fresh.status = MeetingStatus.CANCELLED
    fresh.save(update_fields=["status", "updated_at"])
    _bump(fresh, expected_version)
    audit_record(action="update", target=fresh, membership=actor)
    meeting.refresh_from_db()
    _notify(meeting, fresh.participants.values_list("membership_id", flat=True), cancelled=True)
    return meeting


@transaction.atomic
def meeting_record_attendance(
    *,
    actor: Membership,
    meeting: Meeting,
    expected_version: int,
    attendance: Mapping[int, str],
    family_present: Mapping[int, bool | None] | None = None,
) -> Meeting:
    """Record who was present (per convened membership id) and, per agenda item id, whether the
    family came. The meeting is then *held*: its minutes go to the members present."""
    _check_head(actor, meeting.school_id)
    fresh = _lock_meeting(meeting, expected_version)
    if fresh.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("This meeting was cancelled."), code="status")
    if fresh.starts_at > clock.now():
        raise ValidationError(
            _("The meeting has not started yet: attendance is recorded during the meeting."),
            code="not_started",
        )
    participants = {p.membership_id: p for p in fresh.participants.all()}
    recorded = {Attendance.PRESENT, Attendance.ABSENT, Attendance.EXCUSED}
    if set(attendance) != set(participants) or any(v not in recorded for v in attendance.values()):
        raise ValidationError(
            {
                "attendance": _(
                    "Say for each convened member whether they were present, absent or excused."
                )
            }
        )
    if not any(v == Attendance.PRESENT for v in attendance.values()):
        raise ValidationError({"attendance": _("At least one member must be present.")})
    items = {i.pk: i for i in fresh.agenda_items.select_related("case")}
    family_present = dict(family_present or {})
    if set(family_present) - set(items):
        raise ValidationError({"family_present": _("This situation is not on the agenda.")})
    for membership_id, value in attendance.items():
        participant = participants[membership_id]
        if participant.attendance != value:
            participant.attendance = value
            participant.save(update_fields=["attendance", "updated_at"])
    day = timezone.localtime(fresh.starts_at).date()
    for item_id, present in family_present.items():
        item = items[item_id]
        if item.family_present != present:
            was = item.family_present
            item.family_present = present
            item.save(update_fields=["family_present", "updated_at"])
            if present and not was and item.case.is_open:
                case_services.family_involvement_record(
                    case=item.case,
                    actor=actor,
                    kind=InvolvementKind.PRESENT,
                    occurred_on=min(day, clock.today()),
                    related_public_id=fresh.public_id,
                )
    if fresh.status == MeetingStatus.CONVENED:
        fresh.status = MeetingStatus.HELD
        fresh.held_at = clock.now()
        fresh.save(update_fields=["status", "held_at", "updated_at"])
    _bump(fresh, expected_version)
    audit_record(action="update", target=fresh, membership=actor)
    meeting.refresh_from_db()
    return meeting


def _clean_minutes_text(value: str, field: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")}, code="required")
    if len(value) > MINUTES_TEXT_MAX_LENGTH:
        raise ValidationError(
            {field: _("At most %(n)d characters.") % {"n": MINUTES_TEXT_MAX_LENGTH}},
            code="max_length",
        )
    return value


#: Statuses from which recording a meeting's examination moves the case to ``examined``.
EXAMINATION_PENDING = frozenset({CaseStatus.REFERRED, CaseStatus.FAMILY_ASSOCIATED})


@transaction.atomic
def agenda_item_record(
    *,
    actor: Membership,
    item: AgendaItem,
    expected_version: int,
    situation_summary: str,
    decisions: str,
    next_steps: str = "",
) -> AgendaItem:
    """Record what the meeting said and decided about one case.

    The first examination of a case (still ``referred`` or ``family_associated``) moves it to
    ``examined`` through ``cases.services.case_mark_examined`` (parents first checked again).
    """
    _check_head(actor, item.school_id)
    meeting = Meeting.objects.select_for_update().get(pk=item.meeting_id)
    if meeting.status != MeetingStatus.HELD:
        raise ValidationError(
            _("Record the attendance first: the minutes follow the meeting."), code="status"
        )
    fields = {
        "situation_summary": _clean_minutes_text(situation_summary, "situation_summary"),
        "decisions": _clean_minutes_text(decisions, "decisions", required=True),
        "next_steps": _clean_minutes_text(next_steps, "next_steps"),
    }
    now = clock.now()
    # Lock the row and compare the version, then save() the instance: the minutes are
    # encrypted at rest, and only an instance can seal them (decision 0016).
    locked = AgendaItem.objects.select_for_update().get(pk=item.pk)
    if locked.version != expected_version:
        raise _conflict()
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.recorded_by = actor
    locked.recorded_at = now
    locked.save(update_fields=[*fields, "recorded_by", "recorded_at"])
    AgendaItem.objects.filter(pk=item.pk).update(version=F("version") + 1, updated_at=now)
    item.refresh_from_db()
    audit_record(action="update", target=item, membership=actor)
    case = Case.objects.get(pk=item.case_id)
    if case.status in EXAMINATION_PENDING:
        case_services.case_mark_examined(case=case, actor=actor, meeting=meeting)
    return item
