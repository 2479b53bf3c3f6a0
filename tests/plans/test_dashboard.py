"""The head's dashboard: every section, filters, need-to-know, and a constant number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.cases import services as case_services
from alliance.core import clock
from alliance.meetings import services as meeting_services
from alliance.plans import services as plan_services
from alliance.plans.models import ActionType
from tests import factories
from tests.conftest import login
from tests.meetings.builders import member, open_case

pytestmark = pytest.mark.django_db


def populate(team, count, *, division=None):
    """``count`` cases in every state: waiting for the family, examined, plan active and overdue."""
    head, cpe, tutor = team["head"], team["cpe"], team["form_tutor"]
    kinds = ("waiting", "associated", "active")
    cases = {k: [] for k in kinds}
    for index in range(count):
        kind = kinds[index % 3]
        pupil = factories.PupilFactory(school=head.school, division=division)
        case = open_case(
            head, pupil=pupil, family_reached=kind != "waiting", team=[tutor], referent=cpe
        )
        cases[kind].append(case)
    active = cases["active"]
    if active:
        meeting = meeting_services.meeting_convene(
            actor=head,
            starts_at=clock.now() - dt.timedelta(days=20),
            place="B12",
            members=[cpe],
            cases=active,
        )
        meeting_services.meeting_record_attendance(
            actor=head,
            meeting=meeting,
            expected_version=meeting.version,
            attendance={head.pk: "present", cpe.pk: "present"},
        )
        tutoring = None
        for item in meeting.agenda_items.all():
            meeting_services.agenda_item_record(
                actor=head,
                item=item,
                expected_version=item.version,
                situation_summary="",
                decisions="Tutorat",
            )
        for case in active:
            case.refresh_from_db()
            plan = plan_services.plan_create(actor=cpe, case=case)
            tutoring = tutoring or ActionType.objects.get(school=head.school, code="tutoring")
            for frame in ("in_school", "outside_school"):
                plan.refresh_from_db()
                plan_services.plan_action_add(
                    actor=cpe,
                    plan=plan,
                    expected_version=plan.version,
                    goals=["But"],
                    action_type=tutoring,
                    time_frame=frame,
                    owner=tutor,
                    starts_on=clock.today(),
                    frequency="weekly",
                )
            plan.refresh_from_db()
            plan_services.plan_activate(
                actor=cpe,
                plan=plan,
                expected_version=plan.version,
                next_review_on=clock.today() + dt.timedelta(days=7),
            )
    coming = meeting_services.meeting_convene(
        actor=head,
        starts_at=clock.now() + dt.timedelta(days=2),
        place="Salle B12",
        members=[cpe],
        cases=cases["associated"] or active,
    )
    return cases, coming


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_the_number_of_queries_does_not_grow_with_the_cases(client, team, monkeypatch):
    login(client, team["head"])
    url = reverse("dashboard")
    populate(team, 3)
    later = clock.now() + dt.timedelta(days=10)  # the reviews are overdue
    real_now = clock.now
    monkeypatch.setattr(clock, "now", lambda: later)
    small, _ = count_queries(client, url)
    filtered_small, _ = count_queries(
        client, url + f"?referent={team['cpe'].public_id}&status=plan_active"
    )
    monkeypatch.setattr(clock, "now", real_now)
    populate(team, 27)
    monkeypatch.setattr(clock, "now", lambda: later)
    large, _ = count_queries(client, url)
    filtered_large, _ = count_queries(
        client, url + f"?referent={team['cpe'].public_id}&status=plan_active"
    )
    assert small == large, (small, large)
    assert filtered_small == filtered_large
    assert large <= 20, large


def test_every_section_says_what_it_should(client, team, monkeypatch):
    division = factories.DivisionFactory(
        school_year=factories.SchoolYearFactory(school=team["head"].school), code="4E B"
    )
    cases, _ = populate(team, 6, division=division)
    later = clock.now() + dt.timedelta(days=10)  # the reviews are overdue
    # The next meeting, after ``later`` (the one ``populate`` convened is then past).
    meeting_services.meeting_convene(
        actor=team["head"],
        starts_at=clock.now() + dt.timedelta(days=12),
        place="CDI",
        members=[team["cpe"]],
        cases=cases["associated"],
    )
    monkeypatch.setattr(clock, "now", lambda: later)
    login(client, team["head"])
    body = client.get(reverse("dashboard")).content.decode()
    for case in cases["waiting"]:
        assert case.pupil.last_name in body
    section = body.split('id="overdue-reviews"')[1].split("</section>")[0]
    for case in cases["active"]:
        assert case.pupil.last_name in section
    section = body.split('id="next-meeting"')[1].split("</section>")[0]
    assert "CDI" in section
    for case in cases["associated"]:
        assert case.pupil.last_name in section
    section = body.split('id="actions-by-owner"')[1].split("</section>")[0]
    assert team["form_tutor"].user.last_name in section
    assert "<td>4</td>" in section  # two actions on each of the two active cases
    section = body.split('id="referent-load"')[1].split("</section>")[0]
    assert team["cpe"].user.last_name in section and "<td>6</td>" in section
    # Filters: by status, by division, by referent.
    only_waiting = client.get(reverse("dashboard"), {"status": "referred"}).content.decode()
    cases_section = only_waiting.split('id="cases"')[1]
    assert all(c.pupil.last_name in cases_section for c in cases["waiting"])
    assert not any(c.pupil.last_name in cases_section for c in cases["active"])
    other_division = client.get(reverse("dashboard"), {"division": "3E Z"}).content.decode()
    assert not any(
        c.pupil.last_name in other_division.split('id="cases"')[1] for c in cases["waiting"]
    )
    nobody = client.get(reverse("dashboard"), {"referent": "none"}).content.decode()
    assert not any(c.pupil.last_name in nobody.split('id="cases"')[1] for c in cases["waiting"])
    # Nonsense filters are ignored, not errors.
    assert (
        client.get(reverse("dashboard"), {"status": "x' OR 1=1", "referent": "abc"}).status_code
        == 200
    )


def test_the_dashboard_is_the_heads_and_shows_nothing_of_another_school(client, team, other_school):
    other_head = member(other_school, head=True)
    foreign = open_case(
        other_head, pupil=factories.PupilFactory(school=other_school, last_name="Haddad")
    )
    populate(team, 3)
    login(client, team["head"])
    body = client.get(reverse("dashboard")).content.decode()
    assert foreign.pupil.last_name not in body
    for name in ("cpe", "form_tutor", "nurse"):
        login(client, team[name])
        assert client.get(reverse("dashboard")).status_code == 404


def test_waiting_for_the_family_shows_a_pending_exception_and_drops_an_approved_one(client, team):
    head = team["head"]
    requested = open_case(head, family_reached=False, team=[team["cpe"]])
    approved = open_case(head, family_reached=False)
    case_services.family_exception_request(case=requested, actor=team["cpe"], reason="Injoignables")
    case_services.family_exception_approve(case=approved, actor=head, reason="Trois tentatives")
    login(client, head)
    body = client.get(reverse("dashboard")).content.decode()
    section = body.split('id="waiting-family"')[1].split("</section>")[0]
    assert requested.pupil.last_name in section
    assert approved.pupil.last_name not in section
