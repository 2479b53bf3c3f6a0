import datetime as dt

import pytest

from alliance.core import clock
from alliance.meetings import services as meeting_services
from tests.meetings.builders import open_case, staff_team


@pytest.fixture
def team(school, charter):
    return staff_team(school)


@pytest.fixture
def examined(team):
    """A case examined at a meeting held yesterday; the CPE is its referent, the form tutor on it."""
    head = team["head"]
    case = open_case(head, team=[team["form_tutor"]], referent=team["cpe"])
    meeting = meeting_services.meeting_convene(
        actor=head,
        starts_at=clock.now() - dt.timedelta(days=1),
        place="B12",
        members=[team["cpe"]],
        cases=[case],
    )
    meeting_services.meeting_record_attendance(
        actor=head,
        meeting=meeting,
        expected_version=meeting.version,
        attendance={head.pk: "present", team["cpe"].pk: "present"},
    )
    item = meeting.agenda_items.get()
    meeting_services.agenda_item_record(
        actor=head, item=item, expected_version=item.version, situation_summary="", decisions="Plan"
    )
    case.refresh_from_db()
    return case
