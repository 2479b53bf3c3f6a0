"""Reads of action plans. Every one starts from the cases the acting membership may see."""

import uuid

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from alliance.cases.models import Case, CaseTeamMember
from alliance.cases.selectors import cases_visible_to
from alliance.plans.models import (
    ActionGoal,
    ActionPlan,
    ActionType,
    PlanAction,
    PlanReview,
    ReviewStatus,
)
from alliance.tenancy.models import Membership, Role


def plans_visible_to(membership: Membership | None) -> QuerySet[ActionPlan]:
    """The plans of the cases ``membership`` may see (head: the school's; staff: their teams')."""
    return ActionPlan.objects.filter(case__in=cases_visible_to(membership))


def plan_get_visible(membership: Membership | None, public_id: uuid.UUID | str) -> ActionPlan:
    """Fetch one plan and check access at once: missing and forbidden are the same 404."""
    try:
        return (
            plans_visible_to(membership)
            .select_related("case__pupil__division", "case__referent__user")
            .get(public_id=public_id)
        )
    except (ActionPlan.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def plan_of_case(case: Case) -> ActionPlan | None:
    """The action plan of ``case``, if any (call only after checking the case is visible)."""
    return ActionPlan.objects.filter(case_id=case.pk, school_id=case.school_id).first()


def plan_actions(plan: ActionPlan) -> QuerySet[PlanAction]:
    """The actions of a visible plan with their goals, type and owner, in two queries."""
    return (
        plan.actions.select_related("action_type", "owner__user")
        .prefetch_related(Prefetch("goals", queryset=ActionGoal.objects.order_by("position", "pk")))
        .order_by("position", "pk")
    )


def action_get_visible(membership: Membership | None, public_id: uuid.UUID | str) -> PlanAction:
    try:
        return (
            PlanAction.objects.filter(plan__in=plans_visible_to(membership))
            .select_related("plan__case__pupil", "action_type", "owner__user")
            .get(public_id=public_id)
        )
    except (PlanAction.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def review_get_visible(membership: Membership | None, public_id: uuid.UUID | str) -> PlanReview:
    try:
        return (
            PlanReview.objects.filter(plan__in=plans_visible_to(membership))
            .select_related("plan__case__pupil", "opened_by__user", "completed_by__user")
            .get(public_id=public_id)
        )
    except (PlanReview.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def open_review_of(plan: ActionPlan) -> PlanReview | None:
    return plan.reviews.filter(status=ReviewStatus.OPEN).first()


def action_types_offered(school_id: int) -> QuerySet[ActionType]:
    """The action types the school offers in new actions."""
    return ActionType.objects.filter(school_id=school_id, is_active=True).order_by(
        "position", "label"
    )


def action_owner_candidates(plan: ActionPlan) -> QuerySet[Membership]:
    """Who may carry an action: the school's heads and the case's current team (live members)."""
    team = CaseTeamMember.objects.current().filter(case_id=plan.case_id).values("membership_id")
    return (
        Membership.objects.live()
        .filter(school_id=plan.school_id)
        .filter(Q(role=Role.HEAD) | Q(pk__in=team))
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )
