"""Convening a GPDS meeting: who may be convened, what may go on the agenda, invitations."""

import datetime as dt

import icalendar
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from alliance.cases import services as case_services
from alliance.cases.models import CaseStatus, FamilyInvolvement, InvolvementKind
from alliance.charter.services import charter_publish
from alliance.core import clock
from alliance.meetings import services
from alliance.meetings.models import AgendaItem, Attendance, Meeting, MeetingParticipant
from alliance.meetings.selectors import convenable_members
from alliance.pupils.services import EditConflictError
from tests import factories
from tests.meetings.builders import member, open_case, soon, staff_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(school, charter):
    return staff_team(school)


def nothing_written():
    return (Meeting.objects.count(), MeetingParticipant.objects.count(), AgendaItem.objects.count())


def convene(head, members, cases, **extra):
    return services.meeting_convene(
        actor=head,
        starts_at=extra.pop("starts_at", soon()),
        place="Salle B12",
        members=members,
        cases=cases,
        **extra,
    )


# --- who may be convened ------------------------------------------------------------------


def test_only_live_adherent_members_of_the_school_can_be_convened(team, school, other_school):
    head = team["head"]
    case = open_case(head)
    not_adhered = factories.MembershipFactory(school=school, cpe=True)
    expired = factories.MembershipFactory(school=school, expired=True)
    from tests.conftest import adhered

    adhered(expired)
    stranger = member(other_school, cpe=True)
    partner = member(school, partner=True)
    for refused in (not_adhered, expired, stranger, partner):
        before = nothing_written()
        with pytest.raises(ValidationError) as error:
            convene(head, [team["cpe"], refused], [case])
        assert "members" in error.value.message_dict
        assert nothing_written() == before
    eligible = set(convenable_members(school))
    assert set(team.values()) <= eligible
    assert not {not_adhered, expired, stranger, partner} & eligible


def test_a_new_charter_version_makes_everyone_adhere_again_before_being_convened(team, school):
    head = team["head"]
    case = open_case(head)
    charter_publish(school=school, title="Charte v2", body="Nouveau texte", actor=head)
    head._adhered_current = None
    from tests.conftest import adhered

    adhered(head)
    with pytest.raises(ValidationError):
        convene(head, [team["cpe"]], [case])  # the CPE has not adhered to v2
    cpe = adhered(team["cpe"])
    assert convene(head, [cpe], [case]).participants.count() == 2


def test_only_the_head_convenes(team):
    case = open_case(team["head"])
    for name in ("cpe", "form_tutor", "nurse"):
        with pytest.raises(PermissionDenied):
            convene(team[name], [team["head"]], [case])
    assert Meeting.objects.count() == 0


def test_the_head_who_convenes_is_convened(team):
    meeting = convene(team["head"], [team["cpe"]], [open_case(team["head"])])
    assert set(meeting.participants.values_list("membership", flat=True)) == {
        team["head"].pk,
        team["cpe"].pk,
    }


# --- the agenda -----------------------------------------------------------------------------


def test_parents_first_a_case_whose_family_was_not_reached_cannot_be_on_the_agenda(team):
    head = team["head"]
    waiting = open_case(head, family_reached=False)
    before = nothing_written()
    with pytest.raises(ValidationError) as error:
        convene(head, [team["cpe"]], [waiting])
    assert "cases" in error.value.message_dict
    assert "Parents" in str(error.value) or "parents" in str(error.value).lower()
    assert nothing_written() == before
    # An attempt that did not reach the family is not enough either.
    case_services.family_contact_record(
        case=waiting, actor=head, contacted_on=clock.today(), channel="letter", reached=False
    )
    with pytest.raises(ValidationError):
        convene(head, [team["cpe"]], [waiting])
    # The head's approved exception (Yanis) opens the agenda.
    case_services.family_exception_approve(
        case=waiting, actor=head, reason="Trois tentatives sans réponse (courrier, téléphone, ENT)."
    )
    meeting = convene(head, [team["cpe"]], [waiting])
    assert meeting.agenda_items.get().case == waiting


def test_a_case_of_another_school_or_closed_cannot_be_on_the_agenda(team, other_school):
    head = team["head"]
    other_head = member(other_school, head=True)
    foreign = open_case(other_head)
    closed = open_case(head)
    case_services.case_close(case=closed, actor=head, outcome="moved_away")
    for refused in (foreign, closed):
        with pytest.raises(ValidationError) as error:
            convene(head, [team["cpe"]], [refused])
        assert "cases" in error.value.message_dict
    assert Meeting.objects.count() == 0


def test_an_empty_agenda_and_bad_schedules_are_refused(team):
    head = team["head"]
    case = open_case(head)
    with pytest.raises(ValidationError):
        convene(head, [team["cpe"]], [])
    with pytest.raises(ValidationError):
        convene(head, [team["cpe"]], [case], starts_at=clock.now() + dt.timedelta(days=800))
    with pytest.raises(ValidationError):
        convene(head, [team["cpe"]], [case], duration_minutes=5)
    with pytest.raises(ValidationError):
        services.meeting_convene(
            actor=head, starts_at=soon(), place="  ", members=[team["cpe"]], cases=[case]
        )
    with pytest.raises(ValidationError):
        services.meeting_convene(
            actor=head, starts_at=soon(), place="x" * 201, members=[team["cpe"]], cases=[case]
        )
    assert Meeting.objects.count() == 0


def test_family_invited_is_recorded_as_the_familys_involvement(team):
    head = team["head"]
    case, other = open_case(head), open_case(head)
    meeting = convene(head, [team["cpe"]], [case, other], family_invited_cases=[case])
    assert FamilyInvolvement.objects.filter(
        case=case, kind=InvolvementKind.INVITED, related_public_id=meeting.public_id
    ).exists()
    assert not FamilyInvolvement.objects.filter(case=other, kind=InvolvementKind.INVITED).exists()


# --- invitations ------------------------------------------------------------------------------


def test_invitations_leave_after_the_commit_with_a_calendar_file_and_no_pupil_name(
    team, django_capture_on_commit_callbacks
):
    head = team["head"]
    pupils = [
        factories.PupilFactory(school=head.school, first_name="Inès", last_name="Belkacem"),
        factories.PupilFactory(school=head.school, first_name="Yanis", last_name="Lambert"),
    ]
    cases = [open_case(head, pupil=p) for p in pupils]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        meeting = convene(head, list(team.values()), cases)
    assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 5
    assert {m.to[0] for m in mail.outbox} == {t.user.email for t in team.values()}
    for message in mail.outbox:
        (name, content, mimetype) = message.attachments[0]
        assert name.endswith(".ics")
        assert mimetype.startswith("text/calendar")
        text = content if isinstance(content, str) else content.decode()
        everything = f"{message.subject}\n{message.body}\n{text}"
        for pupil in pupils:
            assert pupil.last_name not in everything
            assert pupil.first_name not in everything
        assert "2 situations" in message.body
        assert "Salle B12" in message.body
        assert "Document interne" in message.body
        calendar = icalendar.Calendar.from_ical(text)
        (event,) = calendar.walk("VEVENT")
        assert str(event["uid"]) == f"{meeting.public_id}@alliance"
        assert event.decoded("dtstart") == meeting.starts_at
        assert str(event["location"]) == "Salle B12"
        assert str(calendar["method"]) == "REQUEST"


def test_a_change_sends_a_new_sequence_and_a_cancellation_to_whoever_is_removed(
    team, django_capture_on_commit_callbacks
):
    head = team["head"]
    case = open_case(head)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = convene(head, [team["cpe"], team["nurse"]], [case])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_update(
            actor=head,
            meeting=meeting,
            expected_version=meeting.version,
            starts_at=meeting.starts_at + dt.timedelta(hours=1),
            place="Salle B14",
            members=[team["cpe"]],
            cases=[case],
        )
    by_recipient = {m.to[0]: m for m in mail.outbox}
    cancelled = icalendar.Calendar.from_ical(
        by_recipient[team["nurse"].user.email].attachments[0][1]
    )
    assert str(cancelled["method"]) == "CANCEL"
    changed = icalendar.Calendar.from_ical(by_recipient[team["cpe"].user.email].attachments[0][1])
    (event,) = changed.walk("VEVENT")
    assert int(event["sequence"]) == 2
    assert str(event["location"]) == "Salle B14"


def test_a_mail_server_failure_does_not_undo_the_meeting(
    team, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.meetings.test_meeting_services.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        meeting = convene(team["head"], [team["cpe"]], [open_case(team["head"])])
    assert Meeting.objects.filter(pk=meeting.pk).exists()


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("smtp down")


# --- during the meeting -------------------------------------------------------------------


def test_attendance_then_minutes_move_the_case_to_examined(team, monkeypatch):
    head = team["head"]
    case = open_case(head, team=[team["cpe"]])
    meeting = convene(head, [team["cpe"], team["nurse"]], [case], family_invited_cases=[case])
    item = meeting.agenda_items.get()
    with pytest.raises(ValidationError):  # not started yet
        services.meeting_record_attendance(
            actor=head,
            meeting=meeting,
            expected_version=meeting.version,
            attendance={p: Attendance.PRESENT for p in (head.pk, team["cpe"].pk, team["nurse"].pk)},
        )
    later = meeting.starts_at + dt.timedelta(minutes=15)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(ValidationError):  # minutes before attendance
        services.agenda_item_record(
            actor=head,
            item=item,
            expected_version=item.version,
            situation_summary="",
            decisions="Tutorat",
        )
    with pytest.raises(ValidationError):  # someone missing
        services.meeting_record_attendance(
            actor=head,
            meeting=meeting,
            expected_version=meeting.version,
            attendance={head.pk: Attendance.PRESENT},
        )
    services.meeting_record_attendance(
        actor=head,
        meeting=meeting,
        expected_version=meeting.version,
        attendance={head.pk: "present", team["cpe"].pk: "present", team["nurse"].pk: "excused"},
        family_present={item.pk: True},
    )
    meeting.refresh_from_db()
    assert meeting.status == "held"
    assert FamilyInvolvement.objects.filter(case=case, kind=InvolvementKind.PRESENT).exists()
    with pytest.raises(ValidationError) as error:  # decisions are required
        services.agenda_item_record(
            actor=head,
            item=item,
            expected_version=item.version,
            situation_summary="x",
            decisions=" ",
        )
    assert "decisions" in error.value.message_dict
    services.agenda_item_record(
        actor=head,
        item=item,
        expected_version=item.version,
        situation_summary="Absences en hausse.",
        decisions="Tutorat hebdomadaire.",
        next_steps="Rencontre avec la famille.",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.EXAMINED
    assert case.events.filter(
        to_status=CaseStatus.EXAMINED, related_public_id=meeting.public_id
    ).exists()


def test_lost_updates_are_refused(team, monkeypatch):
    head = team["head"]
    case = open_case(head)
    meeting = convene(head, [team["cpe"]], [case])
    stale = meeting.version
    services.meeting_update(
        actor=head,
        meeting=meeting,
        expected_version=stale,
        starts_at=meeting.starts_at,
        place="Salle B14",
        members=[team["cpe"]],
        cases=[case],
    )
    with pytest.raises(EditConflictError):
        services.meeting_update(
            actor=head,
            meeting=meeting,
            expected_version=stale,
            starts_at=meeting.starts_at,
            place="CDI",
            members=[team["cpe"]],
            cases=[case],
        )
    meeting.refresh_from_db()
    assert meeting.place == "Salle B14"
    monkeypatch.setattr(clock, "now", lambda: meeting.starts_at + dt.timedelta(minutes=5))
    services.meeting_record_attendance(
        actor=head,
        meeting=meeting,
        expected_version=meeting.version,
        attendance={head.pk: "present", team["cpe"].pk: "present"},
    )
    item = meeting.agenda_items.get()
    first = item.version
    services.agenda_item_record(
        actor=head, item=item, expected_version=first, situation_summary="", decisions="Première"
    )
    with pytest.raises(EditConflictError):
        services.agenda_item_record(
            actor=head, item=item, expected_version=first, situation_summary="", decisions="Seconde"
        )
    item.refresh_from_db()
    assert item.decisions == "Première"


def test_cancel_tells_everyone(team, django_capture_on_commit_callbacks):
    head = team["head"]
    with django_capture_on_commit_callbacks(execute=True):
        meeting = convene(head, [team["cpe"]], [open_case(head)])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_cancel(actor=head, meeting=meeting, expected_version=meeting.version)
    assert meeting.status == "cancelled"
    assert len(mail.outbox) == 2
    assert all("CANCEL" in m.attachments[0][2] for m in mail.outbox)
