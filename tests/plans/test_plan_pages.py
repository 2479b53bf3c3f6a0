"""The plan pages: the journey through the forms, and bad input refused without a write."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from alliance.cases.models import CaseStatus
from alliance.core import clock
from alliance.plans.models import ActionPlan, ActionType, PlanAction, PlanAgreement, PlanReview
from tests import factories
from tests.conftest import login
from tests.meetings.builders import member

pytestmark = pytest.mark.django_db


def rows():
    return (
        sorted(ActionPlan.objects.values_list("pk", "version", "activated_at")),
        sorted(PlanAction.objects.values_list("pk", "status", "version")),
        PlanAgreement.objects.count(),
        sorted(PlanReview.objects.values_list("pk", "status")),
    )


def action_form(plan, carrier, **extra):
    tutoring = ActionType.objects.get(school=plan.school, code="tutoring")
    data = {
        "action_type": str(tutoring.public_id),
        "time_frame": "in_school",
        "owner": str(carrier.public_id),
        "starts_on": clock.today().isoformat(),
        "frequency": "weekly",
        "goals": "Rattraper le français\nRendre ses devoirs",
        "version": str(plan.version),
    }
    data.update(extra)
    return data


def is_refused(response):
    body = response.content.decode()
    return response.status_code == 200 and ("fr-error-text" in body or "fr-alert--error" in body)


def test_the_plan_through_its_pages(client, team, examined):
    cpe, tutor = team["cpe"], team["form_tutor"]
    login(client, cpe)
    start = client.post(reverse("plan_for_case", kwargs={"public_id": examined.public_id}))
    plan = ActionPlan.objects.get()
    assert start["Location"] == reverse("plan_detail", kwargs={"public_id": plan.public_id})
    added = client.post(
        reverse("plan_action_add", kwargs={"public_id": plan.public_id}), action_form(plan, tutor)
    )
    assert added.status_code == 302
    action = PlanAction.objects.get()
    assert [goal.text for goal in action.goals.all()] == [
        "Rattraper le français",
        "Rendre ses devoirs",
    ]
    plan.refresh_from_db()
    activate = client.post(
        reverse("plan_activate", kwargs={"public_id": plan.public_id}),
        {
            "next_review_on": (clock.today() + dt.timedelta(weeks=6)).isoformat(),
            "version": plan.version,
        },
    )
    assert activate.status_code == 302
    examined.refresh_from_db()
    assert examined.status == CaseStatus.PLAN_ACTIVE
    mother = factories.GuardianFactory(pupil=examined.pupil)
    agreement = client.post(
        reverse("plan_agreement_add", kwargs={"public_id": plan.public_id}),
        {
            "party": "family",
            "guardian": str(mother.public_id),
            "agreed": "yes",
            "agreed_on": clock.today().isoformat(),
            "channel": "meeting",
        },
    )
    assert agreement.status_code == 302
    page = client.get(reverse("plan_detail", kwargs={"public_id": plan.public_id})).content.decode()
    assert "Rattraper le français" in page and mother.last_name in page
    plan.refresh_from_db()
    opened = client.post(
        reverse("plan_review_open", kwargs={"public_id": plan.public_id}), {"version": plan.version}
    )
    review = PlanReview.objects.get()
    assert opened["Location"] == reverse("plan_review", kwargs={"public_id": review.public_id})
    plan.refresh_from_db()
    goals = list(action.goals.order_by("position"))
    form = {
        "held_on": clock.today().isoformat(),
        "next_review_on": (clock.today() + dt.timedelta(weeks=8)).isoformat(),
        "version": plan.version,
        f"goal_{goals[0].public_id}": "reached",
        f"goal_{goals[1].public_id}": "partly",
        f"action_{action.public_id}": "continued",
    }
    url = reverse("plan_review", kwargs={"public_id": review.public_id})
    assert client.get(url).status_code == 200
    before = rows()
    wrong_order = client.post(url, {**form, "next_review_on": clock.today().isoformat()})
    assert is_refused(wrong_order)
    half_new_action = client.post(
        url, {**form, "new-action_type": str(action.action_type.public_id)}
    )
    assert is_refused(half_new_action)
    assert rows() == before
    done = client.post(url, form)
    assert done.status_code == 302
    examined.refresh_from_db()
    assert examined.status == CaseStatus.PLAN_ACTIVE


@pytest.mark.parametrize(
    "problem",
    [
        "dates_reversed",
        "review_before_start",
        "no_goal",
        "long_goal",
        "long_description",
        "no_type",
        "foreign_type",
        "foreign_owner",
        "unknown_owner",
        "stale_version",
    ],
)
def test_the_action_form_refuses_bad_input(client, team, examined, other_school, problem):
    login(client, team["cpe"])
    client.post(reverse("plan_for_case", kwargs={"public_id": examined.public_id}))
    plan = ActionPlan.objects.get()
    yesterday = (clock.today() - dt.timedelta(days=1)).isoformat()
    extra = {
        "dates_reversed": {"ends_on": yesterday},
        "review_before_start": {"review_on": yesterday},
        "no_goal": {"goals": "  \n "},
        "long_goal": {"goals": "x" * 301},
        "long_description": {"description": "x" * 1001},
        "no_type": {"action_type": ""},
        "unknown_owner": {"owner": str(uuid.uuid4())},
        "stale_version": {"version": str(plan.version + 5)},
    }.get(problem, {})
    if problem == "foreign_type":
        from alliance.plans.services import action_types_ensure

        foreign = action_types_ensure(school=other_school)[0]
        extra = {"action_type": str(foreign.public_id)}
    if problem == "foreign_owner":
        extra = {"owner": str(member(other_school, head=True).public_id)}
    before = rows()
    response = client.post(
        reverse("plan_action_add", kwargs={"public_id": plan.public_id}),
        action_form(plan, team["form_tutor"], **extra),
    )
    assert is_refused(response), problem
    assert rows() == before


def test_the_agreement_form_refuses_another_pupils_guardian(client, team, examined):
    login(client, team["cpe"])
    client.post(reverse("plan_for_case", kwargs={"public_id": examined.public_id}))
    plan = ActionPlan.objects.get()
    stranger = factories.GuardianFactory(pupil=factories.PupilFactory(school=examined.school))
    before = rows()
    for data in (
        {"party": "family", "guardian": str(stranger.public_id)},
        {"party": "family"},
        {"party": "pupil", "agreed_on": ""},
        {"party": "pupil", "comment": "x" * 1001},
    ):
        payload = {
            "agreed": "yes",
            "agreed_on": clock.today().isoformat(),
            "channel": "phone",
            **data,
        }
        assert is_refused(
            client.post(
                reverse("plan_agreement_add", kwargs={"public_id": plan.public_id}), payload
            )
        ), data
    assert rows() == before


def test_the_catalogue_page(client, team):
    login(client, team["head"])
    url = reverse("action_types")
    assert "Tutorat" in client.get(url).content.decode()
    assert client.post(url, {"do": "add", "label": "Atelier théâtre"}).status_code == 302
    assert is_refused(client.post(url, {"do": "add", "label": "atelier THÉÂTRE"}))
    assert is_refused(client.post(url, {"do": "add", "label": "x" * 121}))
    assert is_refused(client.post(url, {"do": "add", "label": ""}))
    theatre = ActionType.objects.get(label="Atelier théâtre")
    client.post(url, {"do": "retire", "type": str(theatre.public_id)})
    theatre.refresh_from_db()
    assert not theatre.is_active
    assert client.post(url, {"do": "retire", "type": str(uuid.uuid4())}).status_code == 404


# ---------------------------------------------------------------- the plan from the case page


def case_steps(client, case) -> list[tuple[str, str]]:
    page = client.get(reverse("case_detail", kwargs={"public_id": case.public_id}))
    assert page.status_code == 200
    return [(s["method"], s["url"]) for s in page.context["steps"]]


def test_the_case_page_leads_through_the_plan_and_the_plan_back_to_the_case(client, team, examined):
    cpe, tutor = team["cpe"], team["form_tutor"]
    case_url = reverse("case_detail", kwargs={"public_id": examined.public_id})
    start_url = reverse("plan_for_case", kwargs={"public_id": examined.public_id})
    login(client, cpe)  # the referent
    # Examined: the next step starts the plan (a POST to the plan's page, not a transition).
    assert case_steps(client, examined) == [("post", start_url)]
    page = client.get(case_url).content.decode()
    assert 'id="plan"' in page and start_url in page
    assert 'value="activate"' not in page
    client.post(start_url)
    plan = ActionPlan.objects.get()
    plan_url = reverse("plan_detail", kwargs={"public_id": plan.public_id})
    # An empty plan: add an action first; the plan cannot start without one.
    assert case_steps(client, examined) == [
        ("get", reverse("plan_action_add", kwargs={"public_id": plan.public_id}))
    ]
    client.post(
        reverse("plan_action_add", kwargs={"public_id": plan.public_id}), action_form(plan, tutor)
    )
    assert case_steps(client, examined) == [
        ("get", reverse("plan_activate", kwargs={"public_id": plan.public_id}))
    ]
    page = client.get(case_url).content.decode()
    assert plan_url in page and "Rattraper le français" in page
    # The plan page links back to the case.
    assert case_url in client.get(plan_url).content.decode()
    plan.refresh_from_db()
    client.post(
        reverse("plan_activate", kwargs={"public_id": plan.public_id}),
        {
            "next_review_on": (clock.today() + dt.timedelta(weeks=6)).isoformat(),
            "version": plan.version,
        },
    )
    examined.refresh_from_db()
    assert examined.status == CaseStatus.PLAN_ACTIVE
    plan.refresh_from_db()
    review_open_url = reverse("plan_review_open", kwargs={"public_id": plan.public_id})
    assert case_steps(client, examined) == [("post", review_open_url)]
    opened = client.post(review_open_url, {"version": plan.version})
    review = PlanReview.objects.get()
    assert opened["Location"] == reverse("plan_review", kwargs={"public_id": review.public_id})
    assert case_steps(client, examined) == [("get", opened["Location"])]

    # A team member who does not steer sees the plan on the case page, and no step.
    login(client, tutor)
    page = client.get(case_url)
    assert page.context["steps"] == [] and plan_url in page.content.decode()


def test_the_plan_section_says_when_the_plan_comes(client, team):
    from tests.meetings.builders import open_case

    case = open_case(team["head"], referent=team["cpe"])
    login(client, team["cpe"])
    page = client.get(reverse("case_detail", kwargs={"public_id": case.public_id}))
    body = page.content.decode()
    assert 'id="plan"' in body
    assert reverse("plan_for_case", kwargs={"public_id": case.public_id}) not in body
    assert page.context["plan"] is None and not page.context["plan_can_start"]


def test_a_reopened_case_resumes_its_plan_through_a_review(client, team, examined):
    from alliance.cases import services as case_services
    from alliance.plans import services as plan_services

    head, cpe, tutor = team["head"], team["cpe"], team["form_tutor"]
    plan = plan_services.plan_create(actor=cpe, case=examined)
    plan_services.plan_action_add(
        actor=cpe,
        plan=plan,
        expected_version=plan.version,
        goals=["Rendre ses devoirs"],
        action_type=ActionType.objects.get(school=plan.school, code="tutoring"),
        time_frame="in_school",
        owner=tutor,
        starts_on=clock.today(),
        frequency="weekly",
    )
    plan.refresh_from_db()
    plan_services.plan_activate(
        actor=cpe,
        plan=plan,
        expected_version=plan.version,
        next_review_on=clock.today() + dt.timedelta(weeks=6),
    )
    examined.refresh_from_db()
    case_services.case_close(case=examined, actor=head, outcome="followed_outside")
    case_services.case_reopen(case=examined, actor=head, reason="Nouvelles absences")
    assert examined.status == CaseStatus.UNDER_REVIEW
    # Under review with no review in progress: the plan page opens one, without a transition.
    login(client, cpe)
    plan.refresh_from_db()
    review_open_url = reverse("plan_review_open", kwargs={"public_id": plan.public_id})
    assert case_steps(client, examined) == [("post", review_open_url)]
    detail = client.get(reverse("plan_detail", kwargs={"public_id": plan.public_id}))
    assert detail.context["can_open_review"]
    client.post(review_open_url, {"version": plan.version})
    review = PlanReview.objects.get()
    examined.refresh_from_db()
    assert examined.status == CaseStatus.UNDER_REVIEW
    plan.refresh_from_db()
    action = PlanAction.objects.get()
    goal = action.goals.get()
    done = client.post(
        reverse("plan_review", kwargs={"public_id": review.public_id}),
        {
            "held_on": clock.today().isoformat(),
            "next_review_on": (clock.today() + dt.timedelta(weeks=4)).isoformat(),
            "version": plan.version,
            f"goal_{goal.public_id}": "not_reached",
            f"action_{action.public_id}": "continued",
        },
    )
    assert done.status_code == 302
    examined.refresh_from_db()
    assert examined.status == CaseStatus.PLAN_ACTIVE
