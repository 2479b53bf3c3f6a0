"""Action plans: validation, permissions, lost updates, reviews."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from alliance.cases.models import CaseStatus
from alliance.core import clock
from alliance.plans import services
from alliance.plans.models import ActionGoal, ActionPlan, ActionType, PlanAction, PlanAgreement
from alliance.pupils.services import EditConflictError
from tests import factories
from tests.meetings.builders import member, open_case

pytestmark = pytest.mark.django_db


def tutoring(school):
    return ActionType.objects.get(school=school, code="tutoring")


def action_values(plan, carrier, **overrides):
    values = {
        "action_type": tutoring(plan.school),
        "time_frame": "in_school",
        "owner": carrier,
        "starts_on": clock.today(),
        "frequency": "weekly",
    }
    values.update(overrides)
    return values


def rows():
    return (
        sorted(ActionPlan.objects.values_list("pk", "version")),
        sorted(PlanAction.objects.values_list("pk", "status", "version")),
        ActionGoal.objects.count(),
        PlanAgreement.objects.count(),
    )


def test_a_plan_waits_for_the_examination(team):
    case = open_case(team["head"])
    with pytest.raises(ValidationError):
        services.plan_create(actor=team["head"], case=case)
    assert not ActionPlan.objects.exists()


def test_the_default_catalogue_is_french_and_per_school(team, examined, other_school):
    services.plan_create(actor=team["cpe"], case=examined)
    labels = set(ActionType.objects.filter(school=examined.school).values_list("label", flat=True))
    assert {"Tutorat", "Aide méthodologique", "Module relais", "Stage de remobilisation"} <= labels
    assert not ActionType.objects.filter(school=other_school).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": clock.today() - dt.timedelta(days=1)}, "ends_on"),
        ({"review_on": clock.today() - dt.timedelta(days=1)}, "review_on"),
        ({"time_frame": "weekend"}, "time_frame"),
        ({"frequency": "hourly"}, "frequency"),
        ({"description": "x" * 1001}, "description"),
        ({"carried_by": "x" * 201}, "carried_by"),
        ({"starts_on": None}, "starts_on"),
    ],
)
def test_bad_action_fields_are_refused_on_their_field(team, examined, overrides, field):
    plan = services.plan_create(actor=team["cpe"], case=examined)
    before = rows()
    with pytest.raises(ValidationError) as error:
        services.plan_action_add(
            actor=team["cpe"],
            plan=plan,
            expected_version=plan.version,
            goals=["But"],
            **action_values(plan, team["form_tutor"], **overrides),
        )
    assert field in error.value.message_dict
    assert rows() == before


@pytest.mark.parametrize("goals", [[], ["  "], ["x" * 301], [f"but {i}" for i in range(11)]])
def test_goals_are_required_and_bounded(team, examined, goals):
    plan = services.plan_create(actor=team["cpe"], case=examined)
    before = rows()
    with pytest.raises(ValidationError) as error:
        services.plan_action_add(
            actor=team["cpe"],
            plan=plan,
            expected_version=plan.version,
            goals=goals,
            **action_values(plan, team["form_tutor"]),
        )
    assert "goals" in error.value.message_dict
    assert rows() == before


def test_forged_type_and_owner_from_another_school_are_refused(team, examined, other_school):
    plan = services.plan_create(actor=team["cpe"], case=examined)
    other_head = member(other_school, head=True)
    services.action_types_ensure(school=other_school)
    before = rows()
    for overrides, field in (
        ({"action_type": tutoring(other_school)}, "action_type"),
        ({"owner": other_head}, "owner"),
        ({"owner": team["nurse"]}, "owner"),  # same school, not on the team
    ):
        with pytest.raises(ValidationError) as error:
            services.plan_action_add(
                actor=team["cpe"],
                plan=plan,
                expected_version=plan.version,
                goals=["But"],
                **action_values(plan, team["form_tutor"], **overrides),
            )
        assert field in error.value.message_dict
    assert rows() == before


def test_who_may_build_and_steer_the_plan(team, examined):
    plan = services.plan_create(actor=team["form_tutor"], case=examined)  # on the team
    services.plan_action_add(
        actor=team["form_tutor"],
        plan=plan,
        expected_version=plan.version,
        goals=["But"],
        **action_values(plan, team["form_tutor"]),
    )
    plan.refresh_from_db()
    with pytest.raises(PermissionDenied):  # not on the team
        services.plan_action_add(
            actor=team["nurse"],
            plan=plan,
            expected_version=plan.version,
            goals=["But"],
            **action_values(plan, team["form_tutor"]),
        )
    with pytest.raises(PermissionDenied):  # on the team, but neither head nor referent
        services.plan_activate(
            actor=team["form_tutor"],
            plan=plan,
            expected_version=plan.version,
            next_review_on=clock.today() + dt.timedelta(days=30),
        )
    services.plan_activate(
        actor=team["cpe"],
        plan=plan,
        expected_version=plan.version,
        next_review_on=clock.today() + dt.timedelta(days=30),
    )
    examined.refresh_from_db()
    assert examined.status == CaseStatus.PLAN_ACTIVE


def test_activation_needs_an_action_and_a_future_review(team, examined):
    plan = services.plan_create(actor=team["cpe"], case=examined)
    with pytest.raises(ValidationError):
        services.plan_activate(
            actor=team["cpe"],
            plan=plan,
            expected_version=plan.version,
            next_review_on=clock.today() + dt.timedelta(days=30),
        )
    services.plan_action_add(
        actor=team["cpe"],
        plan=plan,
        expected_version=plan.version,
        goals=["But"],
        **action_values(plan, team["form_tutor"]),
    )
    plan.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        services.plan_activate(
            actor=team["cpe"],
            plan=plan,
            expected_version=plan.version,
            next_review_on=clock.today(),
        )
    assert "next_review_on" in error.value.message_dict
    examined.refresh_from_db()
    assert examined.status == CaseStatus.EXAMINED


def test_lost_updates_on_the_plan_and_on_an_action_are_refused(team, examined):
    plan = services.plan_create(actor=team["cpe"], case=examined)
    stale_plan = plan.version
    action = services.plan_action_add(
        actor=team["cpe"],
        plan=plan,
        expected_version=stale_plan,
        goals=["But"],
        **action_values(plan, team["form_tutor"]),
    )
    with pytest.raises(EditConflictError):
        services.plan_action_add(
            actor=team["head"],
            plan=plan,
            expected_version=stale_plan,
            goals=["Autre"],
            **action_values(plan, team["form_tutor"]),
        )
    stale_action = action.version
    services.plan_action_update(
        actor=team["cpe"], action=action, expected_version=stale_action, frequency="fortnightly"
    )
    with pytest.raises(EditConflictError):
        services.plan_action_update(
            actor=team["head"], action=action, expected_version=stale_action, frequency="monthly"
        )
    action.refresh_from_db()
    assert action.frequency == "fortnightly"
    assert PlanAction.objects.count() == 1


def test_agreements_name_a_guardian_of_this_pupil(team, examined):
    plan = services.plan_create(actor=team["cpe"], case=examined)
    stranger = factories.GuardianFactory(pupil=factories.PupilFactory(school=examined.school))
    before = rows()
    for kwargs, field in (
        ({"party": "family"}, "guardian"),
        ({"party": "family", "guardian": stranger}, "guardian"),
        ({"party": "nobody"}, "party"),
        ({"party": "pupil", "agreed_on": clock.today() + dt.timedelta(days=1)}, "agreed_on"),
        ({"party": "pupil", "channel": "pigeon"}, "channel"),
        ({"party": "pupil", "comment": "x" * 1001}, "comment"),
    ):
        values = {"agreed_on": clock.today(), "channel": "meeting", **kwargs}
        with pytest.raises(ValidationError) as error:
            services.plan_agreement_record(actor=team["cpe"], plan=plan, **values)
        assert field in error.value.message_dict, kwargs
    assert rows() == before


def test_a_review_must_assess_every_goal_and_decide_every_action(team, examined):
    plan = services.plan_create(actor=team["cpe"], case=examined)
    action = services.plan_action_add(
        actor=team["cpe"],
        plan=plan,
        expected_version=plan.version,
        goals=["Un", "Deux"],
        **action_values(plan, team["form_tutor"]),
    )
    plan.refresh_from_db()
    services.plan_activate(
        actor=team["cpe"],
        plan=plan,
        expected_version=plan.version,
        next_review_on=clock.today() + dt.timedelta(days=30),
    )
    review = services.plan_review_open(actor=team["cpe"], plan=plan, expected_version=plan.version)
    with pytest.raises(ValidationError):  # one review at a time
        services.plan_review_open(actor=team["cpe"], plan=plan, expected_version=plan.version)
    plan.refresh_from_db()
    first, second = action.goals.order_by("position")
    base = {
        "actor": team["cpe"],
        "review": review,
        "expected_version": plan.version,
        "held_on": clock.today(),
        "next_review_on": clock.today() + dt.timedelta(days=40),
    }
    for bad, field in (
        (
            {"assessments": {first.pk: "reached"}, "decisions": {action.pk: "continued"}},
            "assessments",
        ),
        (
            {
                "assessments": {first.pk: "reached", second.pk: "great"},
                "decisions": {action.pk: "continued"},
            },
            "assessments",
        ),
        ({"assessments": {first.pk: "reached", second.pk: "partly"}, "decisions": {}}, "decisions"),
        (
            {
                "assessments": {first.pk: "reached", second.pk: "partly"},
                "decisions": {action.pk: "stopped"},
            },
            "decisions",
        ),
        (
            {
                "assessments": {first.pk: "reached", second.pk: "partly"},
                "decisions": {action.pk: "continued"},
                "next_review_on": clock.today(),
            },
            "next_review_on",
        ),
    ):
        with pytest.raises(ValidationError) as error:
            services.plan_review_complete(**{**base, **bad})
        assert field in error.value.message_dict
    review.refresh_from_db()
    assert review.status == "open"
    examined.refresh_from_db()
    assert examined.status == CaseStatus.UNDER_REVIEW
    # Stop the action and add another: accepted.
    services.plan_review_complete(
        **base,
        assessments={first.pk: "reached", second.pk: "not_reached"},
        decisions={action.pk: "stopped"},
        new_actions=[
            {
                **action_values(plan, team["form_tutor"], time_frame="outside_school"),
                "goals": ["Trois"],
            }
        ],
    )
    examined.refresh_from_db()
    assert examined.status == CaseStatus.PLAN_ACTIVE
    added = PlanAction.objects.exclude(pk=action.pk).get()
    assert added.added_in_review == review
    assert added.decisions.get().decision == "added"


def test_the_case_moves_through_its_own_plan_only(team, examined):
    from alliance.cases import services as case_services
    from alliance.cases.models import Case

    head, cpe = team["head"], team["cpe"]
    plan = services.plan_create(actor=cpe, case=examined)
    other = open_case(head)
    case_services.case_mark_examined(case=other, actor=head)
    other_plan = services.plan_create(actor=head, case=other)
    version = Case.objects.get(pk=examined.pk).version
    with pytest.raises(ValidationError) as refusal:  # another case's plan
        case_services.case_activate_plan(case=examined, actor=head, plan=other_plan)
    assert refusal.value.code == "through_plan"
    with pytest.raises(ValidationError):  # this case's plan, but no action yet
        case_services.case_activate_plan(case=examined, actor=head, plan=plan)
    with pytest.raises(ValidationError):  # a plan not started cannot be reviewed
        services.plan_review_open(actor=cpe, plan=plan, expected_version=plan.version)
    assert Case.objects.get(pk=examined.pk).version == version
    assert not plan.reviews.exists()

    services.plan_action_add(
        actor=cpe,
        plan=plan,
        expected_version=plan.version,
        goals=["But"],
        **action_values(plan, team["form_tutor"]),
    )
    plan.refresh_from_db()
    services.plan_activate(
        actor=cpe,
        plan=plan,
        expected_version=plan.version,
        next_review_on=clock.today() + dt.timedelta(days=30),
    )
    review = services.plan_review_open(actor=cpe, plan=plan, expected_version=plan.version)
    examined.refresh_from_db()
    assert examined.status == CaseStatus.UNDER_REVIEW
    # A review still open does not resume the plan; the case stays under review.
    with pytest.raises(ValidationError):
        case_services.case_resume_plan(case=examined, actor=head, review=review)
    examined.refresh_from_db()
    assert examined.status == CaseStatus.UNDER_REVIEW
    assert examined.events.filter(to_status=CaseStatus.UNDER_REVIEW).get().related_public_id == (
        review.public_id
    )
