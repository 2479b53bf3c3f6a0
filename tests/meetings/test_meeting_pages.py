"""The meeting pages: forms refuse bad input with a clear message and write nothing."""

import datetime as dt
import uuid

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from alliance.audit.models import AuditEvent
from alliance.cases.models import CaseStatus
from alliance.core import clock
from alliance.meetings import services
from alliance.meetings.models import AgendaItem, Meeting, MeetingParticipant
from tests.conftest import login
from tests.meetings.builders import member, open_case, staff_team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(school, charter):
    return staff_team(school)


def state():
    return (
        sorted(Meeting.objects.values_list("pk", "place", "version")),
        MeetingParticipant.objects.count(),
        sorted(AgendaItem.objects.values_list("pk", "decisions", "version")),
        AuditEvent.objects.count(),
    )


def form_data(members, agenda, **extra):
    day = clock.today() + dt.timedelta(days=4)
    data = {
        "date": day.isoformat(),
        "time": "12:30",
        "duration_minutes": "60",
        "place": "Salle B12",
        "members": [str(m.public_id) for m in members],
        "cases": [str(c.public_id) for c in agenda],
    }
    data.update(extra)
    return data


def test_the_head_convenes_from_the_page(client, team, django_capture_on_commit_callbacks):
    head = team["head"]
    case = open_case(head)
    login(client, head)
    page = client.get(reverse("meeting_create")).content.decode()
    assert case.pupil.last_name in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("meeting_create"),
            form_data([team["cpe"], team["nurse"]], [case], family_invited=[str(case.public_id)]),
        )
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "meeting_detail", kwargs={"public_id": meeting.public_id}
    )
    assert timezone.localtime(meeting.starts_at).strftime("%H:%M") == "12:30"
    assert meeting.agenda_items.get().family_invited
    assert len(mail.outbox) == 3


@pytest.mark.parametrize(
    "problem",
    [
        "empty_place",
        "long_place",
        "no_date",
        "bad_time",
        "short_duration",
        "no_case",
        "foreign_member",
        "not_adhered_member",
        "foreign_case",
        "unknown_case",
        "family_not_on_agenda",
        "parents_not_reached",
    ],
)
def test_bad_input_gets_a_clear_message_and_writes_nothing(
    client, team, school, other_school, problem
):
    head = team["head"]
    case = open_case(head)
    other = open_case(head)
    members = [team["cpe"]]
    extra: dict = {}
    cases = [case]
    if problem == "empty_place":
        extra["place"] = ""
    elif problem == "long_place":
        extra["place"] = "x" * 201
    elif problem == "no_date":
        extra["date"] = ""
    elif problem == "bad_time":
        extra["time"] = "25:99"
    elif problem == "short_duration":
        extra["duration_minutes"] = "5"
    elif problem == "no_case":
        cases = []
    elif problem == "foreign_member":
        members = [member(other_school, cpe=True)]
    elif problem == "not_adhered_member":
        from tests import factories

        members = [factories.MembershipFactory(school=school, cpe=True)]
    elif problem == "foreign_case":
        cases = [open_case(member(other_school, head=True))]
    elif problem == "unknown_case":
        extra["cases"] = [str(uuid.uuid4())]
    elif problem == "family_not_on_agenda":
        extra["family_invited"] = [str(other.public_id)]
    elif problem == "parents_not_reached":
        cases = [open_case(head, family_reached=False)]
    login(client, head)
    before = state()
    response = client.post(reverse("meeting_create"), form_data(members, cases, **extra))
    assert response.status_code == 200
    assert b"fr-error-text" in response.content or b"fr-alert--error" in response.content
    assert state() == before


def test_a_stale_edit_form_is_refused_with_a_conflict_message(client, team):
    head = team["head"]
    case = open_case(head)
    meeting = services.meeting_convene(
        actor=head,
        starts_at=clock.now() + dt.timedelta(days=3),
        place="B12",
        members=[team["cpe"]],
        cases=[case],
    )
    login(client, head)
    url = reverse("meeting_edit", kwargs={"public_id": meeting.public_id})
    stale = form_data([team["cpe"]], [case], version=str(meeting.version), place="CDI")
    services.meeting_update(
        actor=head,
        meeting=meeting,
        expected_version=meeting.version,
        starts_at=meeting.starts_at,
        place="Salle B14",
        members=[team["cpe"]],
        cases=[case],
    )
    before = state()
    response = client.post(url, stale)
    assert response.status_code == 200
    assert "Reload" in response.content.decode() or "Rechargez" in response.content.decode()
    assert state() == before
    meeting.refresh_from_db()
    assert meeting.place == "Salle B14"


def test_attendance_and_minutes_from_the_pages(client, team, monkeypatch):
    head = team["head"]
    case = open_case(head)
    meeting = services.meeting_convene(
        actor=head,
        starts_at=clock.now() + dt.timedelta(days=1),
        place="B12",
        members=[team["cpe"]],
        cases=[case],
        family_invited_cases=[case],
    )
    later = meeting.starts_at + dt.timedelta(minutes=20)
    monkeypatch.setattr(clock, "now", lambda: later)
    login(client, head)
    participants = {p.membership_id: p for p in meeting.participants.all()}
    item = meeting.agenda_items.get()
    url = reverse("meeting_attendance", kwargs={"public_id": meeting.public_id})
    assert client.get(url).status_code == 200
    incomplete = {
        "version": meeting.version,
        f"attendance_{participants[head.pk].public_id}": "present",
    }
    before = state()
    assert client.post(url, incomplete).status_code == 200
    assert state() == before
    response = client.post(
        url,
        {
            **incomplete,
            f"attendance_{participants[team['cpe'].pk].public_id}": "absent",
            f"family_{item.public_id}": "yes",
        },
    )
    assert response.status_code == 302
    item_url = reverse(
        "agenda_item_record", kwargs={"public_id": meeting.public_id, "item_id": item.public_id}
    )
    item.refresh_from_db()
    before = state()
    too_long = client.post(item_url, {"decisions": "x" * 4001, "version": item.version})
    assert too_long.status_code == 200
    empty = client.post(item_url, {"decisions": "", "version": item.version})
    assert empty.status_code == 200
    assert state() == before
    ok = client.post(item_url, {"decisions": "Tutorat", "version": item.version})
    assert ok.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.EXAMINED
    # A forged item id (another meeting's, or none) is a 404.
    missing = reverse(
        "agenda_item_record", kwargs={"public_id": meeting.public_id, "item_id": uuid.uuid4()}
    )
    assert client.get(missing).status_code == 404
