"""Writes on action plans. Each one checks the actor, validates, and audits in the same transaction.

- The plan is built by whoever works on the case (head, team); activating and reviewing it
  move the case along and are for the head or the referent (the cases services check again).
- Activating the plan moves the case to ``plan_active``; opening a review moves it to
  ``under_review``; completing the review moves it back to ``plan_active``.
- ``expected_version`` (the plan's, or the action's) guards every edit against a lost update.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.cases import services as case_services
from alliance.cases.models import Case, CaseStatus, InvolvementKind
from alliance.core import clock
from alliance.plans.catalogue import DEFAULT_ACTION_TYPES
from alliance.plans.models import (
    ACTION_TYPE_LABEL_MAX_LENGTH,
    CARRIED_BY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    GOAL_MAX_LENGTH,
    LIVE_ACTION_STATUSES,
    ActionDecision,
    ActionGoal,
    ActionPlan,
    ActionStatus,
    ActionType,
    AgreementChannel,
    AgreementParty,
    Frequency,
    GoalAssessment,
    GoalResult,
    PlanAction,
    PlanAgreement,
    PlanReview,
    ReviewActionDecision,
    ReviewStatus,
    TimeFrame,
)
from alliance.plans.perms import (
    can_edit_plan,
    can_manage_action_types,
    can_report_action_progress,
    can_steer_plan,
)
from alliance.plans.selectors import action_owner_candidates
from alliance.pupils.models import Guardian
from alliance.pupils.services import EditConflictError
from alliance.tenancy.models import Membership, School

MAX_GOALS_PER_ACTION = 10
#: Case statuses in which a plan may be built (the GPDS examined the case first).
PLAN_STATUSES = frozenset({CaseStatus.EXAMINED, CaseStatus.PLAN_ACTIVE, CaseStatus.UNDER_REVIEW})
ACTION_FIELDS = (
    "action_type",
    "description",
    "time_frame",
    "owner",
    "carried_by",
    "starts_on",
    "ends_on",
    "frequency",
    "review_on",
)


class PlanEditConflictError(EditConflictError):
    """Someone else changed the plan (or the action) after the form was opened."""


def _conflict() -> PlanEditConflictError:
    return PlanEditConflictError(
        _(
            "Someone else changed this action plan while you were editing. "
            "Reload the page to see their changes, then try again."
        ),
        code="conflict",
    )


def _require(predicate: Any, actor: Membership, case: Case) -> None:
    if not predicate(actor, case) or actor.school_id != case.school_id:
        raise PermissionDenied


def _too_long(value: str, limit: int) -> str:
    return _("At most %(n)d characters (here: %(length)d).") % {"n": limit, "length": len(value)}


# --------------------------------------------------------------------------- catalogue


@transaction.atomic
def action_types_ensure(*, school: School) -> list[ActionType]:
    """Give the school the default French catalogue the first time it is needed (idempotent)."""
    if not ActionType.objects.filter(school=school).exists():
        ActionType.objects.bulk_create(
            [
                ActionType(
                    school=school,
                    code=default.code,
                    label=default.label,
                    usually_outside_school_time=default.usually_outside_school_time,
                    position=index,
                )
                for index, default in enumerate(DEFAULT_ACTION_TYPES)
            ],
            ignore_conflicts=True,
        )
    return list(ActionType.objects.filter(school=school).order_by("position", "label"))


@transaction.atomic
def action_type_create(
    *, actor: Membership, label: str, usually_outside_school_time: bool = False
) -> ActionType:
    """The head adds a type of action to the school's catalogue."""
    if not can_manage_action_types(actor):
        raise PermissionDenied
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": _("This field is required.")}, code="required")
    if len(label) > ACTION_TYPE_LABEL_MAX_LENGTH:
        raise ValidationError({"label": _too_long(label, ACTION_TYPE_LABEL_MAX_LENGTH)})
    # Compared in Python: SQLite folds the case of ASCII letters only ("É" ≠ "é" there).
    existing = ActionType.objects.filter(school_id=actor.school_id).values_list("label", flat=True)
    if label.casefold() in {other.casefold() for other in existing}:
        raise ValidationError({"label": _("This type is already in the catalogue.")})
    position = (
        ActionType.objects.filter(school_id=actor.school_id).aggregate(m=Max("position"))["m"] or 0
    ) + 1
    action_type = ActionType(
        school_id=actor.school_id,
        label=label,
        usually_outside_school_time=usually_outside_school_time,
        position=position,
    )
    action_type.full_clean()
    action_type.save()
    audit_record(action="create", target=action_type, membership=actor)
    return action_type


@transaction.atomic
def action_type_set_active(
    *, actor: Membership, action_type: ActionType, is_active: bool
) -> ActionType:
    """The head offers a type again, or retires it (actions already planned keep it)."""
    if not can_manage_action_types(actor) or action_type.school_id != actor.school_id:
        raise PermissionDenied
    if action_type.is_active != is_active:
        action_type.is_active = is_active
        action_type.save(update_fields=["is_active", "updated_at"])
        audit_record(action="update", target=action_type, membership=actor)
    return action_type


# --------------------------------------------------------------------------- plan


@transaction.atomic
def plan_create(*, actor: Membership, case: Case) -> ActionPlan:
    """Start the action plan of an examined case (one plan per case)."""
    _require(can_edit_plan, actor, case)
    fresh = Case.objects.select_for_update().get(pk=case.pk)
    if fresh.status not in PLAN_STATUSES:
        raise ValidationError(
            _("The action plan is built once the GPDS has examined the case."), code="status"
        )
    if ActionPlan.objects.filter(case_id=fresh.pk).exists():
        raise ValidationError(_("This case already has an action plan."), code="exists")
    action_types_ensure(school=fresh.school)
    plan = ActionPlan(school_id=fresh.school_id, case=fresh, created_by=actor)
    plan.full_clean()
    plan.save()
    audit_record(action="create", target=plan, membership=actor)
    return plan


def _lock_plan(plan: ActionPlan, expected_version: int | None) -> ActionPlan:
    fresh = ActionPlan.objects.select_for_update().select_related("case").get(pk=plan.pk)
    if expected_version is not None and fresh.version != expected_version:
        raise _conflict()
    if fresh.case.status == CaseStatus.CLOSED:
        raise ValidationError(
            _("This case is closed: its plan can no longer be changed."), code="closed"
        )
    return fresh


def _bump_plan(plan: ActionPlan, **fields: Any) -> None:
    ActionPlan.objects.filter(pk=plan.pk).update(
        version=F("version") + 1, updated_at=clock.now(), **fields
    )
    plan.refresh_from_db()


def _clean_goals(goals: Iterable[str], *, required: bool = True) -> list[str]:
    texts = [text.strip() for text in goals if text and text.strip()]
    if required and not texts:
        raise ValidationError({"goals": _("Give at least one goal.")}, code="required")
    if len(texts) > MAX_GOALS_PER_ACTION:
        raise ValidationError(
            {"goals": _("At most %(n)d goals per action.") % {"n": MAX_GOALS_PER_ACTION}}
        )
    for text in texts:
        if len(text) > GOAL_MAX_LENGTH:
            raise ValidationError({"goals": _too_long(text, GOAL_MAX_LENGTH)})
    return texts


def _clean_action(plan: ActionPlan, values: dict[str, Any], *, new: bool) -> dict[str, Any]:
    """Check the fields of an action; every problem is reported at once, on its field."""
    errors: dict[str, str] = {}
    action_type = values.get("action_type")
    if not isinstance(action_type, ActionType) or action_type.school_id != plan.school_id:
        errors["action_type"] = _("Choose a type from the school's catalogue.")
    elif new and not action_type.is_active:
        errors["action_type"] = _("This type is no longer offered by the school.")
    if values.get("time_frame") not in TimeFrame.values:
        errors["time_frame"] = _("Say whether the action is in or outside school time.")
    if values.get("frequency") not in Frequency.values:
        errors["frequency"] = _("Choose a frequency from the list.")
    owner = values.get("owner")
    if not isinstance(owner, Membership) or not (
        action_owner_candidates(plan).filter(pk=owner.pk).exists()
    ):
        errors["owner"] = _(
            "The owner must be the head or a member of the case team whose membership is in force."
        )
    starts_on, ends_on, review_on = (
        values.get("starts_on"),
        values.get("ends_on"),
        values.get("review_on"),
    )
    if not isinstance(starts_on, dt.date):
        errors["starts_on"] = _("Give the start date.")
    else:
        if ends_on is not None and ends_on < starts_on:
            errors["ends_on"] = _("The end cannot be before the start.")
        if review_on is not None and review_on < starts_on:
            errors["review_on"] = _("The review date cannot be before the start.")
    description = (values.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = _too_long(description, DESCRIPTION_MAX_LENGTH)
    carried_by = (values.get("carried_by") or "").strip()
    if len(carried_by) > CARRIED_BY_MAX_LENGTH:
        errors["carried_by"] = _too_long(carried_by, CARRIED_BY_MAX_LENGTH)
    if errors:
        raise ValidationError(errors)
    return {**values, "description": description, "carried_by": carried_by}


def _create_action(
    plan: ActionPlan,
    actor: Membership,
    values: dict[str, Any],
    goals: list[str],
    review: PlanReview | None = None,
) -> PlanAction:
    position = (plan.actions.aggregate(m=Max("position"))["m"] or 0) + 1
    action = PlanAction(
        school_id=plan.school_id,
        plan=plan,
        position=position,
        added_in_review=review,
        **{name: values.get(name) for name in ACTION_FIELDS},
    )
    action.full_clean()
    action.save()
    for index, text in enumerate(goals, start=1):
        goal = ActionGoal(school_id=plan.school_id, action=action, text=text, position=index)
        goal.full_clean()
        goal.save()
    audit_record(action="create", target=action, membership=actor)
    return action


@transaction.atomic
def plan_action_add(
    *,
    actor: Membership,
    plan: ActionPlan,
    expected_version: int,
    goals: Sequence[str],
    **fields: Any,
) -> PlanAction:
    """Add an action, with its goals, to the plan."""
    unknown = set(fields) - set(ACTION_FIELDS)
    if unknown:
        raise ValueError(f"not an action field: {sorted(unknown)}")
    _require(can_edit_plan, actor, plan.case)
    fresh = _lock_plan(plan, expected_version)
    values = _clean_action(fresh, fields, new=True)
    texts = _clean_goals(goals)
    action = _create_action(fresh, actor, values, texts)
    _bump_plan(fresh)
    plan.refresh_from_db()
    return action


@transaction.atomic
def plan_action_update(
    *,
    actor: Membership,
    action: PlanAction,
    expected_version: int,
    status: str | None = None,
    new_goals: Sequence[str] = (),
    **fields: Any,
) -> PlanAction:
    """Change an action (and its status), add goals; refuse a lost update."""
    unknown = set(fields) - set(ACTION_FIELDS)
    if unknown:
        raise ValueError(f"not an action field: {sorted(unknown)}")
    plan = action.plan
    _require(can_edit_plan, actor, plan.case)
    fresh_plan = _lock_plan(plan, None)
    current = {name: getattr(action, name) for name in ACTION_FIELDS}
    values = _clean_action(fresh_plan, {**current, **fields}, new=False)
    if status is not None and status not in ActionStatus.values:
        raise ValidationError({"status": _("Choose a status from the list.")})
    texts = _clean_goals(new_goals, required=False)
    if action.goals.count() + len(texts) > MAX_GOALS_PER_ACTION:
        raise ValidationError(
            {"goals": _("At most %(n)d goals per action.") % {"n": MAX_GOALS_PER_ACTION}}
        )
    changes = {name: values[name] for name in ACTION_FIELDS}
    if status is not None:
        changes["status"] = status
    # Lock the row and compare the version, then save() the instance: the description and
    # the outside body are encrypted at rest, and only an instance can seal them (decision 0016).
    locked = PlanAction.objects.select_for_update().get(pk=action.pk)
    if locked.version != expected_version:
        raise _conflict()
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(changes))
    PlanAction.objects.filter(pk=action.pk).update(version=F("version") + 1, updated_at=clock.now())
    start = (action.goals.aggregate(m=Max("position"))["m"] or 0) + 1
    for index, text in enumerate(texts, start=start):
        ActionGoal.objects.create(
            school_id=action.school_id, action=action, text=text, position=index
        )
    action.refresh_from_db()
    _bump_plan(fresh_plan)
    audit_record(action="update", target=action, membership=actor)
    return action


#: What an action's owner may report on it, from which statuses: started, then done. Stopping
#: an action, or taking it up again, is the team's decision (``plan_action_update``, reviews).
PROGRESS_STEPS: dict[str, frozenset[str]] = {
    ActionStatus.IN_PROGRESS: frozenset({ActionStatus.PLANNED}),
    ActionStatus.COMPLETED: frozenset({ActionStatus.PLANNED, ActionStatus.IN_PROGRESS}),
}


def progress_choices() -> list[tuple[str, str]]:
    """The statuses an owner may report, with their labels (for the forms)."""
    return [(value, str(ActionStatus(value).label)) for value in PROGRESS_STEPS]


@transaction.atomic
def plan_action_report_progress(
    *, actor: Membership, action: PlanAction, expected_version: int, status: str
) -> PlanAction:
    """The action's owner reports it started or done; refuse a lost update.

    Only the owner, while they see the case (a partner: on the team under an agreement in
    force), and only forward: planned → in progress → completed. Nothing else of the action
    changes. Audited as an update of the action.
    """
    if not can_report_action_progress(actor, action) or actor.school_id != action.school_id:
        raise PermissionDenied
    fresh_plan = _lock_plan(action.plan, None)
    if status not in PROGRESS_STEPS:
        raise ValidationError(
            {"status": _("Report the action as started or done.")}, code="invalid_status"
        )
    current = PlanAction.objects.select_for_update().get(pk=action.pk)
    if current.version != expected_version:
        raise _conflict()
    if current.status not in PROGRESS_STEPS[status]:
        raise ValidationError(
            {
                "status": _("This action is “%(current)s”: it cannot be reported “%(wanted)s”.")
                % {
                    "current": current.get_status_display(),
                    "wanted": ActionStatus(status).label,
                }
            },
            code="invalid_step",
        )
    PlanAction.objects.filter(pk=action.pk, version=expected_version).update(
        status=status, version=F("version") + 1, updated_at=clock.now()
    )
    action.refresh_from_db()
    _bump_plan(fresh_plan)
    audit_record(action="update", target=action, membership=actor)
    return action


@transaction.atomic
def plan_activate(
    *, actor: Membership, plan: ActionPlan, expected_version: int, next_review_on: dt.date
) -> ActionPlan:
    """The plan starts: the case moves to ``plan_active`` (head or referent)."""
    _require(can_steer_plan, actor, plan.case)
    fresh = _lock_plan(plan, expected_version)
    if fresh.activated_at is not None:
        raise ValidationError(_("This action plan is already active."), code="status")
    if not fresh.actions.filter(status__in=LIVE_ACTION_STATUSES).exists():
        raise ValidationError(_("Add at least one action before starting the plan."))
    if not isinstance(next_review_on, dt.date):
        raise ValidationError({"next_review_on": _("Give the date of the first review.")})
    if next_review_on <= clock.today():
        raise ValidationError({"next_review_on": _("The first review must be after today.")})
    case_services.case_activate_plan(case=fresh.case, actor=actor, plan=fresh)
    _bump_plan(fresh, activated_at=clock.now(), next_review_on=next_review_on)
    audit_record(action="update", target=fresh, membership=actor)
    plan.refresh_from_db()
    return plan


@transaction.atomic
def plan_agreement_record(
    *,
    actor: Membership,
    plan: ActionPlan,
    party: str,
    agreed_on: dt.date,
    channel: str,
    agreed: bool = True,
    guardian: Guardian | None = None,
    comment: str = "",
) -> PlanAgreement:
    """Record the pupil's or a guardian's agreement with the plan (or their refusal): who, when, how."""
    _require(can_edit_plan, actor, plan.case)
    fresh = _lock_plan(plan, None)
    case = fresh.case
    errors: dict[str, str] = {}
    if party not in AgreementParty.values:
        errors["party"] = _("Say who agreed: the pupil or the family.")
    elif party == AgreementParty.FAMILY:
        if guardian is None:
            errors["guardian"] = _("Say which guardian agreed.")
        elif guardian.pupil_id != case.pupil_id or guardian.school_id != case.school_id:
            errors["guardian"] = _("This guardian is not one of this pupil's guardians.")
    else:
        guardian = None
    if not isinstance(agreed_on, dt.date):
        errors["agreed_on"] = _("Give the date.")
    elif agreed_on > clock.today():
        errors["agreed_on"] = _("The date cannot be in the future.")
    elif agreed_on < timezone.localtime(case.opened_at).date():
        # The situation's opening date comes from the application clock, unlike created_at.
        errors["agreed_on"] = _("The date cannot be before the situation was opened.")
    if channel not in AgreementChannel.values:
        errors["channel"] = _("Say how the agreement was given.")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = _too_long(comment, COMMENT_MAX_LENGTH)
    if errors:
        raise ValidationError(errors)
    agreement = PlanAgreement(
        school_id=fresh.school_id,
        plan=fresh,
        party=party,
        guardian=guardian,
        agreed=agreed,
        agreed_on=agreed_on,
        channel=channel,
        comment=comment,
        plan_version=fresh.version,
        recorded_by=actor,
    )
    agreement.full_clean()
    agreement.save()
    audit_record(action="create", target=agreement, membership=actor)
    case_services.family_involvement_record(
        case=case,
        actor=actor,
        kind=InvolvementKind.AGREED_PLAN if agreed else InvolvementKind.DECLINED_PLAN,
        occurred_on=agreed_on,
        guardian=guardian,
        pupil_took_part=party == AgreementParty.PUPIL,
        related_public_id=fresh.public_id,
    )
    return agreement


# --------------------------------------------------------------------------- reviews


@transaction.atomic
def plan_review_open(*, actor: Membership, plan: ActionPlan, expected_version: int) -> PlanReview:
    """Open a review: the case moves to ``under_review`` (head or referent).

    A case the head reopened after its plan had started is already under review, with no review
    in progress: the review opens without a change of status.
    """
    _require(can_steer_plan, actor, plan.case)
    fresh = _lock_plan(plan, expected_version)
    if fresh.reviews.filter(status=ReviewStatus.OPEN).exists():
        raise ValidationError(_("A review of this plan is already in progress."), code="open")
    if fresh.activated_at is None:
        raise ValidationError(
            _("Only a case with an action plan in progress can be put under review."),
            code="status",
        )
    review = PlanReview(
        school_id=fresh.school_id, plan=fresh, opened_by=actor, opened_at=clock.now()
    )
    review.full_clean()
    review.save()
    if fresh.case.status != CaseStatus.UNDER_REVIEW:
        # Refuses (and the transaction rolls the review back) unless the plan is in progress.
        case_services.case_start_review(case=fresh.case, actor=actor, review=review)
    audit_record(action="create", target=review, membership=actor)
    _bump_plan(fresh)
    plan.refresh_from_db()
    return review


@transaction.atomic
def plan_review_complete(
    *,
    actor: Membership,
    review: PlanReview,
    expected_version: int,
    held_on: dt.date,
    assessments: Mapping[int, str],
    decisions: Mapping[int, str],
    next_review_on: dt.date,
    summary: str = "",
    new_actions: Sequence[dict[str, Any]] = (),
) -> PlanReview:
    """Complete a review: each goal of the live actions assessed, each live action continued or
    stopped, new actions added; the case goes back to ``plan_active``.

    ``assessments`` maps goal ids to a ``GoalResult``; ``decisions`` maps action ids to
    ``continued`` or ``stopped``; each of ``new_actions`` holds the action's fields and ``goals``.
    ``expected_version`` is the plan's.
    """
    plan = review.plan
    _require(can_steer_plan, actor, plan.case)
    fresh = _lock_plan(plan, expected_version)
    review = PlanReview.objects.select_for_update().get(pk=review.pk)
    if review.status != ReviewStatus.OPEN:
        raise ValidationError(_("This review is already completed."), code="status")
    live_actions = {
        a.pk: a for a in fresh.actions.filter(status__in=LIVE_ACTION_STATUSES).order_by("pk")
    }
    goals = {g.pk: g for g in ActionGoal.objects.filter(action_id__in=list(live_actions))}
    errors: dict[str, str] = {}
    if not isinstance(held_on, dt.date):
        errors["held_on"] = _("Give the date of the review.")
    elif held_on > clock.today():
        errors["held_on"] = _("The date cannot be in the future.")
    if set(assessments) != set(goals) or any(
        value not in GoalResult.values for value in assessments.values()
    ):
        errors["assessments"] = _("Assess each goal: reached, partly reached or not reached.")
    kept = {ActionDecision.CONTINUED, ActionDecision.STOPPED}
    if set(decisions) != set(live_actions) or any(v not in kept for v in decisions.values()):
        errors["decisions"] = _("Say for each action whether it goes on or stops.")
    if not isinstance(next_review_on, dt.date):
        errors["next_review_on"] = _("Give the date of the next review.")
    elif isinstance(held_on, dt.date) and next_review_on <= held_on:
        errors["next_review_on"] = _("The next review must come after this one.")
    summary = (summary or "").strip()
    if len(summary) > COMMENT_MAX_LENGTH:
        errors["summary"] = _too_long(summary, COMMENT_MAX_LENGTH)
    cleaned_new = []
    if not errors:
        for values in new_actions:
            values = dict(values)
            texts = _clean_goals(values.pop("goals", ()))
            cleaned_new.append((_clean_action(fresh, values, new=True), texts))
        if not cleaned_new and all(v == ActionDecision.STOPPED for v in decisions.values()):
            errors["decisions"] = _(
                "Every action stops and none is added: close the case instead, with its outcome."
            )
    if errors:
        raise ValidationError(errors)
    for goal_id, result in assessments.items():
        GoalAssessment.objects.create(
            school_id=fresh.school_id, review=review, goal_id=goal_id, result=result
        )
    for action_id, decision in decisions.items():
        ReviewActionDecision.objects.create(
            school_id=fresh.school_id, review=review, action_id=action_id, decision=decision
        )
        action = live_actions[action_id]
        if decision == ActionDecision.STOPPED:
            PlanAction.objects.filter(pk=action_id).update(
                status=ActionStatus.STOPPED, version=F("version") + 1, updated_at=clock.now()
            )
            audit_record(action="update", target=action, membership=actor)
        elif action.status == ActionStatus.PLANNED:
            PlanAction.objects.filter(pk=action_id).update(
                status=ActionStatus.IN_PROGRESS, version=F("version") + 1, updated_at=clock.now()
            )
    for values, texts in cleaned_new:
        added = _create_action(fresh, actor, values, texts, review=review)
        ReviewActionDecision.objects.create(
            school_id=fresh.school_id, review=review, action=added, decision=ActionDecision.ADDED
        )
    review.status = ReviewStatus.COMPLETED
    review.held_on = held_on
    review.summary = summary
    review.completed_by = actor
    review.completed_at = clock.now()
    review.next_review_on = next_review_on
    review.full_clean()
    review.save()
    audit_record(action="update", target=review, membership=actor)
    _bump_plan(fresh, next_review_on=next_review_on)
    audit_record(action="update", target=fresh, membership=actor)
    case_services.case_resume_plan(case=fresh.case, actor=actor, review=review)
    return review
