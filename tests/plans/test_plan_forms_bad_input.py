"""Every plan form with bad input gets a clear message and writes nothing: starting the plan,
editing an action, activating, recording an agreement, completing a review.

Adding an action has its own parametrised test in test_plan_pages.py.
"""

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from alliance.core import clock
from alliance.plans import services
from alliance.plans.models import ActionPlan, ActionType
from tests import factories
from tests.conftest import login
from tests.meetings.builders import member, open_case
from tests.plans.test_plan_pages import is_refused, rows

pytestmark = pytest.mark.django_db


def tutoring(school):
    return ActionType.objects.get(school=school, code="tutoring")


@pytest.fixture
def plan(team, examined):
    """The examined case's plan, one action with two goals, not started yet."""
    plan = services.plan_create(actor=team["cpe"], case=examined)
    services.plan_action_add(
        actor=team["cpe"],
        plan=plan,
        expected_version=plan.version,
        goals=["Rattraper le français", "Rendre ses devoirs"],
        action_type=tutoring(plan.school),
        time_frame="in_school",
        owner=team["form_tutor"],
        starts_on=clock.today(),
        frequency="weekly",
    )
    plan.refresh_from_db()
    return plan


def day(offset: int) -> str:
    return (clock.today() + dt.timedelta(days=offset)).isoformat()


def test_a_plan_cannot_be_started_before_the_examination(client, team):
    case = open_case(team["head"], referent=team["cpe"])
    login(client, team["cpe"])
    before = rows()
    response = client.post(reverse("plan_for_case", kwargs={"public_id": case.public_id}))
    assert response.status_code == 200
    body = response.content.decode()
    assert "fr-alert--error" in body and "GPDS" in body
    assert rows() == before and not ActionPlan.objects.exists()


@pytest.mark.parametrize(
    "problem",
    [
        "dates_reversed",
        "review_before_start",
        "no_start",
        "bad_status",
        "bad_frequency",
        "foreign_type",
        "foreign_owner",
        "owner_off_the_team",
        "long_new_goal",
        "too_many_goals",
        "long_carried_by",
        "stale_version",
        "forged_version",
    ],
)
def test_the_action_edit_form_refuses_bad_input(client, team, plan, other_school, problem):
    action = plan.actions.get()
    data = {
        "action_type": str(action.action_type.public_id),
        "time_frame": "in_school",
        "owner": str(team["form_tutor"].public_id),
        "starts_on": day(0),
        "frequency": "weekly",
        "status": "in_progress",
        "version": str(action.version),
    }
    data.update(
        {
            "dates_reversed": {"ends_on": day(-1)},
            "review_before_start": {"review_on": day(-1)},
            "no_start": {"starts_on": ""},
            "bad_status": {"status": "vanished"},
            "bad_frequency": {"frequency": "hourly"},
            "owner_off_the_team": {"owner": str(team["nurse"].public_id)},
            "long_new_goal": {"new_goals": "x" * 301},
            "too_many_goals": {"new_goals": "\n".join(f"But {i}" for i in range(9))},
            "long_carried_by": {"carried_by": "x" * 201},
            "stale_version": {"version": str(action.version + 1)},
            "forged_version": {"version": "x"},
        }.get(problem, {})
    )
    if problem == "foreign_type":
        services.action_types_ensure(school=other_school)
        data["action_type"] = str(tutoring(other_school).public_id)
    if problem == "foreign_owner":
        data["owner"] = str(member(other_school, head=True).public_id)
    login(client, team["cpe"])
    before = rows()
    response = client.post(
        reverse("plan_action_edit", kwargs={"public_id": action.public_id}), data
    )
    assert is_refused(response), problem
    assert rows() == before
    assert action.goals.count() == 2


@pytest.mark.parametrize(
    "data",
    [
        {"next_review_on": ""},
        {"next_review_on": "31/02/2026"},
        {"next_review_on": day(0)},  # the first review comes after today
        {"next_review_on": day(-3)},
        {"next_review_on": day(30), "version": "999"},  # stale
        {"next_review_on": day(30), "version": "x"},
    ],
)
def test_the_activation_form_refuses_bad_input(client, team, plan, data):
    login(client, team["cpe"])
    before = rows()
    payload = {"version": str(plan.version), **data}
    response = client.post(reverse("plan_activate", kwargs={"public_id": plan.public_id}), payload)
    assert is_refused(response), data
    assert rows() == before
    plan.case.refresh_from_db()
    assert plan.case.status == "examined"


def test_a_plan_without_a_live_action_cannot_start(client, team, examined):
    empty = services.plan_create(actor=team["cpe"], case=examined)
    login(client, team["cpe"])
    before = rows()
    response = client.post(
        reverse("plan_activate", kwargs={"public_id": empty.public_id}),
        {"next_review_on": day(30), "version": str(empty.version)},
    )
    assert is_refused(response) and rows() == before


@pytest.mark.parametrize(
    "problem",
    ["future", "before_the_plan", "foreign_guardian", "bad_channel", "bad_party", "no_party"],
)
def test_the_agreement_form_refuses_bad_input(client, team, plan, other_school, problem):
    mother = factories.GuardianFactory(pupil=plan.case.pupil)
    data = {
        "party": "family",
        "guardian": str(mother.public_id),
        "agreed": "yes",
        "agreed_on": day(0),
        "channel": "meeting",
    }
    if problem == "future":
        data["agreed_on"] = day(2)
    elif problem == "before_the_plan":
        data["agreed_on"] = day(-30)
    elif problem == "foreign_guardian":
        other_pupil = factories.PupilFactory(school=other_school)
        data["guardian"] = str(factories.GuardianFactory(pupil=other_pupil).public_id)
    elif problem == "bad_channel":
        data["channel"] = "pigeon"
    elif problem == "bad_party":
        data["party"] = "neighbour"
    elif problem == "no_party":
        del data["party"]
    login(client, team["cpe"])
    before = rows()
    response = client.post(
        reverse("plan_agreement_add", kwargs={"public_id": plan.public_id}), data
    )
    assert is_refused(response), problem
    assert rows() == before


@pytest.fixture
def review(team, plan):
    services.plan_activate(
        actor=team["cpe"],
        plan=plan,
        expected_version=plan.version,
        next_review_on=clock.today() + dt.timedelta(days=30),
    )
    plan.refresh_from_db()
    opened = services.plan_review_open(actor=team["cpe"], plan=plan, expected_version=plan.version)
    plan.refresh_from_db()
    return opened


@pytest.mark.parametrize(
    "problem",
    [
        "missing_goal",
        "bad_result",
        "missing_decision",
        "bad_decision",
        "held_in_the_future",
        "next_before_this",
        "long_summary",
        "all_stopped_none_added",
        "new_action_foreign_owner",
        "new_action_without_goal",
        "stale_version",
        "forged_version",
    ],
)
def test_the_review_form_refuses_bad_input(client, team, plan, review, other_school, problem):
    action = plan.actions.get()
    first, second = action.goals.order_by("position")
    data = {
        "held_on": day(0),
        "next_review_on": day(40),
        "version": str(plan.version),
        f"goal_{first.public_id}": "reached",
        f"goal_{second.public_id}": "partly",
        f"action_{action.public_id}": "continued",
    }
    new_action = {
        "new-action_type": str(tutoring(plan.school).public_id),
        "new-time_frame": "outside_school",
        "new-owner": str(team["form_tutor"].public_id),
        "new-starts_on": day(0),
        "new-frequency": "weekly",
        "new-goals": "Venir à l'atelier",
    }
    if problem == "missing_goal":
        del data[f"goal_{second.public_id}"]
    elif problem == "bad_result":
        data[f"goal_{first.public_id}"] = "brilliant"
    elif problem == "missing_decision":
        del data[f"action_{action.public_id}"]
    elif problem == "bad_decision":
        data[f"action_{action.public_id}"] = "added"
    elif problem == "held_in_the_future":
        data["held_on"] = day(3)
    elif problem == "next_before_this":
        data["next_review_on"] = day(-1)
    elif problem == "long_summary":
        data["summary"] = "x" * 1001
    elif problem == "all_stopped_none_added":
        data[f"action_{action.public_id}"] = "stopped"
    elif problem == "new_action_foreign_owner":
        data.update(new_action, **{"new-owner": str(member(other_school, head=True).public_id)})
    elif problem == "new_action_without_goal":
        data.update(new_action, **{"new-goals": ""})
    elif problem == "stale_version":
        data["version"] = str(plan.version - 1)
    elif problem == "forged_version":
        data["version"] = "x"
    login(client, team["cpe"])
    before = rows()
    response = client.post(reverse("plan_review", kwargs={"public_id": review.public_id}), data)
    assert is_refused(response), problem
    assert rows() == before
    review.refresh_from_db()
    assert review.status == "open"


def test_another_schools_plan_action_or_review_is_a_404(client, team, review, other_school):
    outsider = member(other_school, head=True)
    login(client, outsider)
    plan = review.plan
    action = plan.actions.get()
    before = rows()
    for name, public_id in (
        ("plan_detail", plan.public_id),
        ("plan_action_add", plan.public_id),
        ("plan_action_edit", action.public_id),
        ("plan_activate", plan.public_id),
        ("plan_agreement_add", plan.public_id),
        ("plan_review_open", plan.public_id),
        ("plan_review", review.public_id),
    ):
        url = reverse(name, kwargs={"public_id": public_id})
        missing = reverse(name, kwargs={"public_id": uuid.uuid4()})
        assert client.post(url, {"version": "1"}).status_code == 404, name
        assert client.get(url).content == client.get(missing).content, name
    assert rows() == before


@pytest.mark.parametrize("version", ["", "x", "999"])
def test_opening_a_review_with_a_stale_or_forged_version_says_why(client, team, plan, version):
    services.plan_activate(
        actor=team["cpe"],
        plan=plan,
        expected_version=plan.version,
        next_review_on=clock.today() + dt.timedelta(days=30),
    )
    login(client, team["cpe"])
    before = rows()
    url = reverse("plan_review_open", kwargs={"public_id": plan.public_id})
    response = client.post(url, {"version": version})
    assert response.status_code == 302
    assert rows() == before
    page = client.get(response["Location"]).content.decode()
    assert "fr-alert--error" in page and ("Reload" in page or "Rechargez" in page)
    plan.case.refresh_from_db()
    assert plan.case.status == "plan_active"
