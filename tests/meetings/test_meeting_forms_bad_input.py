"""Every meeting form with bad input gets a clear message (or the 404 of a missing page) and
writes nothing: the edit form, attendance, the minutes of an item, cancelling.

The convening form has its own parametrised test in test_meeting_pages.py.
"""

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from alliance.core import clock
from alliance.meetings import services
from tests.conftest import login
from tests.meetings.builders import member, open_case, staff_team
from tests.meetings.test_meeting_pages import form_data, state

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(school, charter):
    return staff_team(school)


def refused(response) -> bool:
    body = response.content.decode()
    return response.status_code == 200 and ("fr-error-text" in body or "fr-alert--error" in body)


@pytest.fixture
def coming(team):
    """A meeting convened for next week, one case on its agenda."""
    head = team["head"]
    case = open_case(head)
    meeting = services.meeting_convene(
        actor=head,
        starts_at=clock.now() + dt.timedelta(days=7),
        place="B12",
        members=[team["cpe"]],
        cases=[case],
    )
    return meeting, case


@pytest.mark.parametrize(
    "problem",
    [
        "empty_place",
        "long_place",
        "no_date",
        "beyond_a_year",
        "long_duration",
        "no_case",
        "foreign_member",
        "foreign_case",
        "unknown_member",
        "family_not_on_agenda",
        "parents_not_reached",
        "stale_version",
    ],
)
def test_the_edit_form_refuses_bad_input(client, team, coming, other_school, problem):
    head = team["head"]
    meeting, case = coming
    members, cases = [team["cpe"]], [case]
    extra: dict = {"version": str(meeting.version)}
    if problem == "empty_place":
        extra["place"] = " "
    elif problem == "long_place":
        extra["place"] = "x" * 201
    elif problem == "no_date":
        extra["date"] = ""
    elif problem == "beyond_a_year":
        extra["date"] = (clock.today() + dt.timedelta(days=400)).isoformat()
    elif problem == "long_duration":
        extra["duration_minutes"] = "481"
    elif problem == "no_case":
        cases = []
    elif problem == "foreign_member":
        members = [member(other_school, cpe=True)]
    elif problem == "foreign_case":
        cases = [open_case(member(other_school, head=True))]
    elif problem == "unknown_member":
        members = []
        extra["members"] = [str(uuid.uuid4())]
    elif problem == "family_not_on_agenda":
        extra["family_invited"] = [str(open_case(head).public_id)]
    elif problem == "parents_not_reached":
        cases = [open_case(head, family_reached=False)]
    elif problem == "stale_version":
        extra["version"] = str(meeting.version - 1)
    login(client, head)
    before = state()
    data = form_data(members, cases)
    data.update(extra)
    response = client.post(reverse("meeting_edit", kwargs={"public_id": meeting.public_id}), data)
    assert refused(response), problem
    assert state() == before


def test_attendance_is_refused_before_the_start_and_with_bad_choices(
    client, team, coming, monkeypatch
):
    head = team["head"]
    meeting, _case = coming
    participants = {p.membership_id: p for p in meeting.participants.all()}
    url = reverse("meeting_attendance", kwargs={"public_id": meeting.public_id})
    everyone = {f"attendance_{p.public_id}": "present" for p in participants.values()}
    login(client, head)
    before = state()
    # Before the meeting starts: the service refuses, with a message.
    response = client.post(url, {**everyone, "version": meeting.version})
    assert refused(response)
    assert state() == before
    later = meeting.starts_at + dt.timedelta(minutes=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    for data in (
        {**everyone, f"attendance_{participants[head.pk].public_id}": "asleep"},
        {k: "absent" for k in everyone},  # nobody present
        {**everyone, "version": "x"},
        {**everyone, "version": str(meeting.version + 3)},  # stale
    ):
        payload = {"version": meeting.version, **data}
        assert refused(client.post(url, payload)), data
        assert state() == before, data


def test_minutes_of_another_schools_item_are_a_404_and_write_nothing(
    client, team, coming, other_school
):
    head = team["head"]
    meeting, _case = coming
    other_head = member(other_school, head=True)
    foreign = services.meeting_convene(
        actor=other_head,
        starts_at=clock.now() - dt.timedelta(hours=1),
        place="Ailleurs",
        members=[],
        cases=[open_case(other_head)],
    )
    foreign_item = foreign.agenda_items.get()
    login(client, head)
    before = state()
    for meeting_id, item_id in (
        (meeting.public_id, foreign_item.public_id),  # a foreign item under our meeting
        (foreign.public_id, foreign_item.public_id),  # the foreign meeting itself
    ):
        url = reverse("agenda_item_record", kwargs={"public_id": meeting_id, "item_id": item_id})
        assert client.get(url).status_code == 404
        assert client.post(url, {"decisions": "Piraté", "version": "1"}).status_code == 404
    assert state() == before


def test_a_stale_or_impossible_cancellation_says_why_and_writes_nothing(client, team, coming):
    meeting, _case = coming
    login(client, team["head"])
    url = reverse("meeting_cancel", kwargs={"public_id": meeting.public_id})
    before = state()
    assert client.post(url, {"version": str(meeting.version + 1)}).status_code == 302
    assert client.post(url, {"version": "not a number"}).status_code == 302
    assert state() == before
    body = client.get(reverse("meeting_detail", kwargs={"public_id": meeting.public_id}))
    assert "Reload" in body.content.decode() or "Rechargez" in body.content.decode()
    meeting.refresh_from_db()
    assert meeting.status == "convened"
