"""Action plan pages: the plan of a case, its actions and goals, agreements, reviews; the catalogue.

Reads go through ``plans.selectors`` (a plan is visible to whoever sees its case); writes
through ``plans.services``. Every page showing a plan is audited as a read.
"""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record_view
from alliance.cases.models import CaseStatus
from alliance.cases.perms import can_list_cases, can_open_case_pages
from alliance.cases.selectors import case_get_visible
from alliance.plans import services
from alliance.plans.models import LIVE_ACTION_STATUSES, ActionPlan, ActionType, ReviewStatus
from alliance.plans.perms import (
    can_edit_plan,
    can_manage_action_types,
    can_report_action_progress,
    can_steer_plan,
)
from alliance.plans.selectors import (
    action_get_visible,
    action_owner_candidates,
    action_types_offered,
    plan_actions,
    plan_get_visible,
    review_get_visible,
)
from alliance.tenancy.models import Role
from alliance.www.decorators import rule_required
from alliance.www.forms import add_service_errors
from alliance.www.plan_forms import (
    ActionEditForm,
    ActionForm,
    ActionTypeForm,
    AgreementForm,
    NewActionForm,
    PlanActivateForm,
    ReviewForm,
)


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", "0"))
    except ValueError:
        return 0


def _check(predicate, membership, case) -> None:
    """A rule on the case; refused is a 404 like a missing page (nothing leaks)."""
    if not predicate(membership, case):
        raise Http404


@rule_required(can_list_cases)
def plan_for_case(request: HttpRequest, public_id: str) -> HttpResponse:
    """The plan of a case: shown if it exists, started here otherwise."""
    membership = request.membership  # type: ignore[attr-defined]
    case = case_get_visible(membership, public_id)
    plan = ActionPlan.objects.filter(case_id=case.pk).first()
    if request.method == "POST" and plan is None:
        _check(can_edit_plan, membership, case)
        try:
            plan = services.plan_create(actor=membership, case=case)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Action plan started: add its actions."))
    if plan is not None:
        return redirect("plan_detail", public_id=plan.public_id)
    return render(
        request,
        "www/plans/plan_start.html",
        {
            "case": case,
            "can_start": can_edit_plan(membership, case) and case.status in services.PLAN_STATUSES,
        },
    )


@rule_required(can_list_cases)
def plan_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    plan = plan_get_visible(membership, public_id)
    case = plan.case
    audit_record_view(target=plan, membership=membership)
    actions = list(plan_actions(plan))
    reviews = list(
        plan.reviews.select_related("opened_by__user", "completed_by__user").prefetch_related(
            "assessments__goal", "decisions__action__action_type"
        )
    )
    open_review = next((r for r in reviews if r.status == ReviewStatus.OPEN), None)
    can_steer = can_steer_plan(membership, case)
    return render(
        request,
        "www/plans/plan_detail.html",
        {
            "plan": plan,
            "case": case,
            "actions": actions,
            "live_actions": [a for a in actions if a.status in LIVE_ACTION_STATUSES],
            "agreements": list(plan.agreements.select_related("guardian", "recorded_by__user")),
            "reviews": reviews,
            "open_review": open_review,
            "case_open": case.is_open,
            "can_edit": can_edit_plan(membership, case) and case.is_open,
            "can_activate": can_steer
            and plan.activated_at is None
            and case.status == CaseStatus.EXAMINED,
            # Under review without a review in progress: a case reopened by the head.
            "can_open_review": can_steer
            and plan.activated_at is not None
            and case.status in {CaseStatus.PLAN_ACTIVE, CaseStatus.UNDER_REVIEW}
            and open_review is None,
            "can_steer": can_steer and case.is_open,
        },
    )


def _action_choices(plan: ActionPlan) -> dict:
    return {
        "action_types": action_types_offered(plan.school_id),
        "owners": action_owner_candidates(plan),
    }


@rule_required(can_list_cases)
def plan_action_add(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    plan = plan_get_visible(membership, public_id)
    _check(can_edit_plan, membership, plan.case)
    form = ActionForm(
        request.POST or None, initial={"version": plan.version}, **_action_choices(plan)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_action_add(
                actor=membership,
                plan=plan,
                expected_version=form.cleaned_data["version"] or 0,
                goals=form.cleaned_data["goals"],
                **form.action_values(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Action added to the plan."))
            return redirect("plan_detail", public_id=plan.public_id)
    return render(
        request, "www/plans/action_form.html", {"form": form, "plan": plan, "action": None}
    )


@rule_required(can_open_case_pages)
def plan_action_progress(request: HttpRequest, public_id: str) -> HttpResponse:
    """The action's owner reports it started or done (POST only; docs/decisions/0013).

    A partner who carries an action uses it from the case page; anyone who may not is the
    same 404 as a missing action, whatever the method.
    """
    membership = request.membership  # type: ignore[attr-defined]
    action = action_get_visible(membership, public_id)
    if not can_report_action_progress(membership, action):
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.plan_action_report_progress(
            actor=membership,
            action=action,
            expected_version=_version(request),
            status=request.POST.get("status", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Progress recorded."))
    case = action.plan.case
    if membership.role == Role.PARTNER:
        return redirect(reverse("case_detail", kwargs={"public_id": case.public_id}) + "#plan")
    return redirect("plan_detail", public_id=action.plan.public_id)


@rule_required(can_list_cases)
def plan_action_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    action = action_get_visible(membership, public_id)
    plan = action.plan
    _check(can_edit_plan, membership, plan.case)
    choices = _action_choices(plan)
    # The action keeps its type even if the school retired it since.
    choices["action_types"] = ActionType.objects.filter(school_id=plan.school_id).order_by(
        "position", "label"
    )
    form = ActionEditForm(
        request.POST or None,
        initial={
            "action_type": action.action_type,
            "description": action.description,
            "time_frame": action.time_frame,
            "owner": action.owner,
            "carried_by": action.carried_by,
            "starts_on": action.starts_on,
            "ends_on": action.ends_on,
            "frequency": action.frequency,
            "review_on": action.review_on,
            "status": action.status,
            "version": action.version,
        },
        **choices,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_action_update(
                actor=membership,
                action=action,
                expected_version=form.cleaned_data["version"] or 0,
                status=form.cleaned_data["status"],
                new_goals=form.cleaned_data["new_goals"],
                **form.action_values(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("plan_detail", public_id=plan.public_id)
    return render(
        request, "www/plans/action_form.html", {"form": form, "plan": plan, "action": action}
    )


@rule_required(can_list_cases)
def plan_activate(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    plan = plan_get_visible(membership, public_id)
    _check(can_steer_plan, membership, plan.case)
    form = PlanActivateForm(request.POST or None, initial={"version": plan.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_activate(
                actor=membership,
                plan=plan,
                expected_version=form.cleaned_data["version"] or 0,
                next_review_on=form.cleaned_data["next_review_on"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The action plan is in progress."))
            return redirect("plan_detail", public_id=plan.public_id)
    return render(request, "www/plans/plan_activate.html", {"form": form, "plan": plan})


@rule_required(can_list_cases)
def plan_agreement_add(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    plan = plan_get_visible(membership, public_id)
    _check(can_edit_plan, membership, plan.case)
    form = AgreementForm(request.POST or None, guardians=plan.case.pupil.guardians.all())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.plan_agreement_record(
                actor=membership,
                plan=plan,
                party=data["party"],
                guardian=data["guardian"],
                agreed=data["agreed"],
                agreed_on=data["agreed_on"],
                channel=data["channel"],
                comment=data["comment"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Agreement recorded."))
            return redirect("plan_detail", public_id=plan.public_id)
    return render(request, "www/plans/agreement_form.html", {"form": form, "plan": plan})


@rule_required(can_list_cases)
def plan_review_open(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    plan = plan_get_visible(membership, public_id)
    _check(can_steer_plan, membership, plan.case)
    if request.method != "POST":  # after the lookup: an outsider gets 404, not 405
        return HttpResponseNotAllowed(["POST"])
    try:
        review = services.plan_review_open(
            actor=membership, plan=plan, expected_version=_version(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("plan_detail", public_id=plan.public_id)
    return redirect("plan_review", public_id=review.public_id)


@rule_required(can_list_cases)
def plan_review(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    review = review_get_visible(membership, public_id)
    plan = review.plan
    if review.status != ReviewStatus.OPEN:
        return redirect("plan_detail", public_id=plan.public_id)
    _check(can_steer_plan, membership, plan.case)
    actions = [a for a in plan_actions(plan) if a.status in LIVE_ACTION_STATUSES]
    form = ReviewForm(request.POST or None, actions=actions, initial={"version": plan.version})
    new_action = NewActionForm(request.POST or None, prefix="new", **_action_choices(plan))
    if request.method == "POST" and form.is_valid() & new_action.is_valid():
        new_actions = []
        if new_action.is_requested():
            new_actions.append(
                {**new_action.action_values(), "goals": new_action.cleaned_data["goals"]}
            )
        try:
            services.plan_review_complete(
                actor=membership,
                review=review,
                expected_version=form.cleaned_data["version"] or 0,
                held_on=form.cleaned_data["held_on"],
                summary=form.cleaned_data["summary"],
                assessments=form.assessments(),
                decisions=form.decisions(),
                next_review_on=form.cleaned_data["next_review_on"],
                new_actions=new_actions,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Review recorded: the plan goes on."))
            return redirect("plan_detail", public_id=plan.public_id)
    return render(
        request,
        "www/plans/review_form.html",
        {"form": form, "new_action": new_action, "plan": plan, "review": review},
    )


@rule_required(can_manage_action_types)
def action_types(request: HttpRequest) -> HttpResponse:
    """The school's catalogue of action types: add one, retire or offer one again."""
    membership = request.membership  # type: ignore[attr-defined]
    services.action_types_ensure(school=membership.school)
    form = ActionTypeForm(request.POST if request.POST.get("do") == "add" else None)
    if request.method == "POST":
        if request.POST.get("do") == "add":
            if form.is_valid():
                try:
                    services.action_type_create(actor=membership, **form.cleaned_data)
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(request, _("Type of action added."))
                    return redirect("action_types")
        elif request.POST.get("do") in {"retire", "offer"}:
            wanted = request.POST.get("type", "")
            action_type = (
                ActionType.objects.filter(school_id=membership.school_id, public_id=wanted).first()
                if _is_uuid(wanted)
                else None
            )
            if action_type is None:
                raise Http404
            services.action_type_set_active(
                actor=membership,
                action_type=action_type,
                is_active=request.POST["do"] == "offer",
            )
            messages.success(request, _("Catalogue updated."))
            return redirect("action_types")
    return render(
        request,
        "www/plans/action_types.html",
        {
            "form": form,
            "types": ActionType.objects.filter(school_id=membership.school_id).order_by(
                "position", "label"
            ),
        },
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, TypeError):
        return False
    return True
