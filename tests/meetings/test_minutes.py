"""Minutes: to the members present and, per situation, to its team; PDF marked internal."""

import datetime as dt
import io

import pypdf
import pytest
from django.urls import reverse

from alliance.audit.models import AuditEvent
from alliance.core import clock
from alliance.meetings import services
from alliance.meetings.selectors import agenda_items_visible_to, meetings_visible_to
from alliance.www.meeting_views import minutes_html
from tests import factories
from tests.conftest import login
from tests.meetings.builders import member, open_case, staff_team

pytestmark = pytest.mark.django_db

MARKING_START = "Document interne — ne pas verser au dossier scolaire de l"


@pytest.fixture
def held(school, charter, monkeypatch):
    """A meeting held a week ago on two cases, A and B.

    Present: the head, the CPE, the nurse. Excused: the PsyEN. A's team: the form tutor (absent,
    not convened) and the PsyEN; B's team: nobody but the head. Another teacher follows nothing.
    """
    team = staff_team(school)
    head = team["head"]
    a_pupil = factories.PupilFactory(school=school, first_name="Inès", last_name="Belkacem")
    b_pupil = factories.PupilFactory(school=school, first_name="Yanis", last_name="Lambert")
    case_a = open_case(head, pupil=a_pupil, team=[team["form_tutor"], team["psyen"]])
    case_b = open_case(head, pupil=b_pupil)
    meeting = services.meeting_convene(
        actor=head,
        starts_at=clock.now() - dt.timedelta(days=7),
        place="Salle B12",
        members=[team["cpe"], team["nurse"], team["psyen"]],
        cases=[case_a, case_b],
    )
    services.meeting_record_attendance(
        actor=head,
        meeting=meeting,
        expected_version=meeting.version,
        attendance={
            head.pk: "present",
            team["cpe"].pk: "present",
            team["nurse"].pk: "present",
            team["psyen"].pk: "excused",
        },
    )
    for item, text in zip(
        meeting.agenda_items.order_by("position"), ("DECISION-A", "DECISION-B"), strict=True
    ):
        services.agenda_item_record(
            actor=head,
            item=item,
            expected_version=item.version,
            situation_summary="",
            decisions=text,
        )
    team["teacher"] = member(school)
    return {"meeting": meeting, "team": team, "a": a_pupil, "b": b_pupil}


def visible_pupils(membership, meeting):
    return {i.case.pupil.last_name for i in agenda_items_visible_to(membership, meeting)}


def test_who_reads_which_item_of_the_minutes(held):
    meeting, team = held["meeting"], held["team"]
    a, b = held["a"].last_name, held["b"].last_name
    assert visible_pupils(team["head"], meeting) == {a, b}
    assert visible_pupils(team["cpe"], meeting) == {a, b}  # present
    assert visible_pupils(team["nurse"], meeting) == {a, b}  # present
    assert visible_pupils(team["psyen"], meeting) == {a}  # excused, on A's team
    assert visible_pupils(team["form_tutor"], meeting) == {a}  # not convened, on A's team
    assert visible_pupils(team["teacher"], meeting) == set()
    assert meeting not in meetings_visible_to(team["teacher"])


def test_the_minutes_page_shows_each_reader_only_their_items(client, held):
    meeting, team = held["meeting"], held["team"]
    url = reverse("meeting_detail", kwargs={"public_id": meeting.public_id})
    expectations = {
        "cpe": ({"DECISION-A", "DECISION-B", held["a"].last_name, held["b"].last_name}, set()),
        "form_tutor": ({"DECISION-A", held["a"].last_name}, {"DECISION-B", held["b"].last_name}),
        "psyen": ({"DECISION-A"}, {"DECISION-B", held["b"].last_name}),
    }
    for name, (seen, unseen) in expectations.items():
        login(client, team[name])
        body = client.get(url).content.decode()
        for text in seen:
            assert text in body, (name, text)
        for text in unseen:
            assert text not in body, (name, text)
    login(client, team["teacher"])
    assert client.get(url).status_code == 404


def test_reading_the_minutes_is_audited(client, held):
    meeting, team = held["meeting"], held["team"]
    login(client, team["form_tutor"])
    client.get(reverse("meeting_detail", kwargs={"public_id": meeting.public_id}))
    client.get(reverse("meeting_minutes_pdf", kwargs={"public_id": meeting.public_id}))
    actions = set(
        AuditEvent.objects.filter(
            object_public_id=str(meeting.public_id), actor_membership_id=team["form_tutor"].pk
        ).values_list("action", flat=True)
    )
    assert actions == {"view", "export"}


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def test_the_pdf_is_marked_internal_on_every_page_and_holds_only_the_readers_items(client, held):
    meeting, team = held["meeting"], held["team"]
    url = reverse("meeting_minutes_pdf", kwargs={"public_id": meeting.public_id})
    login(client, team["form_tutor"])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    pages = pdf_text(response.content)
    text = "\n".join(pages)
    for page in pages:
        assert MARKING_START in page
    assert held["a"].last_name in text
    assert "DECISION-A" in text
    assert held["b"].last_name not in text
    assert "DECISION-B" not in text
    # The HTML that feeds WeasyPrint says the same.
    html = minutes_html(team["form_tutor"], meeting)
    assert MARKING_START in html and held["b"].last_name not in html


def test_a_long_pdf_carries_the_marking_on_every_page(school, charter, monkeypatch):
    team = staff_team(school)
    head = team["head"]
    cases = [open_case(head) for _ in range(8)]
    meeting = services.meeting_convene(
        actor=head,
        starts_at=clock.now() - dt.timedelta(days=1),
        place="B12",
        members=[team["cpe"]],
        cases=cases,
    )
    services.meeting_record_attendance(
        actor=head,
        meeting=meeting,
        expected_version=meeting.version,
        attendance={head.pk: "present", team["cpe"].pk: "present"},
    )
    for item in meeting.agenda_items.all():
        services.agenda_item_record(
            actor=head,
            item=item,
            expected_version=item.version,
            situation_summary="Résumé. " * 120,
            decisions="Décision. " * 80,
        )
    from alliance.core.pdf import render_pdf

    pages = pdf_text(render_pdf(minutes_html(head, meeting)))
    assert len(pages) > 2
    assert all(MARKING_START in page for page in pages)
