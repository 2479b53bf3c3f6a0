"""Case pages: my cases, the case page and its forms, the referral form.

Reads go through ``cases.selectors`` (a case nobody may see is the same 404 as a missing one);
writes through ``cases.services``. Every read of a case page is audited. The referral answers
the same thing whether or not the pupil already has a case (docs/decisions/0007).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from alliance.agreements.selectors import partner_access_notice
from alliance.audit.services import audit_record_view
from alliance.cases import services
from alliance.cases.models import Case, CaseStatus, SignCatalogueEntry
from alliance.cases.perms import (
    can_coordinate_case,
    can_manage_sign_catalogue,
    can_open_case_pages,
    can_refer,
    can_steer_case,
    can_view_case,
    can_work_on_case,
    can_write_case_note,
    may_write_note_bodies,
)
from alliance.cases.selectors import (
    case_family_associated_or_excepted,
    case_get_visible,
    case_team,
    cases_list,
    family_exception_of,
    notes_visible_to,
    partner_team_candidates,
    referrals_made_by,
)
from alliance.meetings.perms import can_manage_meetings
from alliance.meetings.selectors import partner_convocations
from alliance.plans import services as plan_services
from alliance.plans.models import ActionPlan, PlanReview
from alliance.plans.perms import can_edit_plan
from alliance.plans.selectors import open_review_of, plan_actions, plan_of_case
from alliance.pupils.selectors import pupil_get_visible
from alliance.tenancy.models import Membership, Role
from alliance.www.case_forms import (
    TRANSITIONS,
    CaseEditForm,
    CloseForm,
    ExceptionApproveForm,
    ExceptionForm,
    FamilyContactForm,
    NoteForm,
    PartnerNoteForm,
    ReferentForm,
    ReferralForm,
    ReopenForm,
    SignForm,
    TeamAddForm,
    TeamMemberForm,
    TransitionForm,
)
from alliance.www.decorators import rule_required

CaseView = Callable[..., HttpResponse]

#: The service behind each action of the transition form. The page offers only "examine"
#: (once parents first holds); the plan's steps go through the plan's pages. A forged
#: "activate", "review" or "resume" reaches its service, which refuses it with a message.
TRANSITION_SERVICES: dict[str, Callable[..., Case]] = {
    "examine": services.case_mark_examined,
    "activate": services.case_activate_plan,
    "review": services.case_start_review,
    "resume": services.case_resume_plan,
}


def case_view(
    predicate: Callable[[Membership, Case], bool], *, post_only: bool = False
) -> Callable[[CaseView], CaseView]:
    """Fetch the visible case, then check ``predicate``: any refusal is the same 404.

    POST-only views answer 405 to a GET only once the guards passed, so the method says nothing
    about a case one may not see.
    """

    def decorator(view: CaseView) -> CaseView:
        @rule_required(can_open_case_pages)
        @wraps(view)
        def wrapper(request: HttpRequest, public_id: str, **kwargs: Any) -> HttpResponse:
            membership = request.membership  # type: ignore[attr-defined]
            case = case_get_visible(membership, public_id)
            if not predicate(membership, case):
                raise Http404
            if post_only and request.method != "POST":
                return HttpResponseNotAllowed(["POST"])
            return view(request, case, **kwargs)

        return wrapper

    return decorator


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _case_url(case: Case, anchor: str = "") -> str:
    url = reverse("case_detail", kwargs={"public_id": case.public_id})
    return f"{url}#{anchor}" if anchor else url


def _case_context(request: HttpRequest, case: Case, **forms: Any) -> dict[str, Any]:
    membership = request.membership  # type: ignore[attr-defined]
    steer = can_steer_case(membership, case)
    coordinate = can_coordinate_case(membership, case)
    work = can_work_on_case(membership, case) and case.is_open
    exception = family_exception_of(case)
    initial_version = {"version": case.version}
    parents_ok = case_family_associated_or_excepted(case)
    plan = plan_of_case(case)
    actions = list(plan_actions(plan)) if plan is not None else []
    open_review = open_review_of(plan) if plan is not None else None
    steps = (
        _next_steps(membership, case, parents_ok=parents_ok, plan=plan, open_review=open_review)
        if steer and case.is_open
        else []
    )
    context: dict[str, Any] = {
        "case": case,
        "pupil": case.pupil,
        "signs": case.signs.select_related("catalogue_entry").order_by("created_at", "pk"),
        "referrals": case.referrals.select_related("referred_by__user").order_by(
            "referred_at", "pk"
        ),
        "contacts": case.family_contacts.select_related("made_by__user", "guardian").order_by(
            "-contacted_on", "-created_at", "-pk"
        ),
        "involvements": case.family_involvements.select_related("guardian").order_by(
            "-occurred_on", "-pk"
        ),
        "team": case_team(case),
        "notes": notes_visible_to(membership, case),
        "events": case.events.select_related("actor__user", "subject__user").order_by(
            "-occurred_at", "-pk"
        )[:50],
        "parents_ok": parents_ok,
        "exception": exception,
        "can_steer": steer and case.is_open,
        "can_coordinate": coordinate and case.is_open,
        "can_reopen": coordinate and not case.is_open,
        "can_work": work,
        "steps": steps,
        # The action plan: whoever sees the case sees its plan (plans.selectors).
        "plan": plan,
        "plan_actions": actions,
        "plan_open_review": open_review,
        "plan_can_start": plan is None
        and work
        and case.status in plan_services.PLAN_STATUSES
        and bool(can_edit_plan(membership, case)),
    }
    if work:
        context["contact_form"] = forms.get("contact_form") or FamilyContactForm(case=case)
        context["note_form"] = forms.get("note_form") or NoteForm(author=membership)
        if exception is None and not context["parents_ok"]:
            context["exception_form"] = forms.get("exception_form") or ExceptionForm()
    if coordinate and case.is_open:
        context["team_add_form"] = forms.get("team_add_form") or TeamAddForm(case=case)
        # Partners under an agreement in force: who may join now, and why the others may not.
        context["partner_candidates"] = partner_team_candidates(case)
        context["referent_form"] = forms.get("referent_form") or ReferentForm(
            case=case,
            initial={
                **initial_version,
                "membership": case.referent.public_id if case.referent else None,
            },
        )
        if not context["parents_ok"]:
            context["exception_approve_form"] = (
                forms.get("exception_approve_form") or ExceptionApproveForm()
            )
    if steer and case.is_open:
        context["close_form"] = forms.get("close_form") or CloseForm(initial=initial_version)
    if coordinate and not case.is_open:
        context["reopen_form"] = forms.get("reopen_form") or ReopenForm(initial=initial_version)
    context["form_error"] = forms.get("form_error")
    context["saved"] = bool(forms.get("saved"))
    return context


def _step(label: Any, url: str, *, post: dict[str, Any] | None = None) -> dict[str, Any]:
    """A button of the "next step" section: a link, or a form posting ``post``."""
    return {"label": label, "url": url, "method": "get" if post is None else "post", "post": post}


def _next_steps(
    membership: Membership,
    case: Case,
    *,
    parents_ok: bool,
    plan: ActionPlan | None,
    open_review: PlanReview | None,
) -> list[dict[str, Any]]:
    """What may be done next, and only what is legal now (for the head or the referent).

    Before the examination: mark it examined, once parents first holds (and, for the head,
    convene the GPDS). From then on the plan's pages take over: the plan is started, activated
    once it holds an action, and reviewed there, each step through the plans services.
    """
    status = case.status
    if status in {CaseStatus.REFERRED, CaseStatus.FAMILY_ASSOCIATED}:
        if not parents_ok:
            return []
        steps = [
            _step(
                TRANSITIONS["examine"],
                reverse("case_transition", kwargs={"public_id": case.public_id}),
                post={"action": "examine", "version": case.version},
            )
        ]
        if can_manage_meetings(membership):
            steps.append(_step(_("Convene a GPDS meeting"), reverse("meeting_create")))
        return steps
    if status == CaseStatus.EXAMINED:
        if plan is None:
            return [
                _step(
                    _("Start the action plan"),
                    reverse("plan_for_case", kwargs={"public_id": case.public_id}),
                    post={},
                )
            ]
        if plan.activated_at is None:
            if not plan.has_live_action():
                return [
                    _step(
                        _("Add an action"),
                        reverse("plan_action_add", kwargs={"public_id": plan.public_id}),
                    )
                ]
            return [
                _step(
                    _("Start the plan"),
                    reverse("plan_activate", kwargs={"public_id": plan.public_id}),
                )
            ]
        return []
    if plan is None or plan.activated_at is None:
        return []
    if open_review is not None:
        return [
            _step(
                _("Complete the review"),
                reverse("plan_review", kwargs={"public_id": open_review.public_id}),
            )
        ]
    # Plan in progress, or under review after the head reopened the case.
    return [
        _step(
            _("Review the plan"),
            reverse("plan_review_open", kwargs={"public_id": plan.public_id}),
            post={"version": plan.version},
        )
    ]


def _render_case(
    request: HttpRequest, case: Case, *, status: int = 200, **forms: Any
) -> HttpResponse:
    return render(
        request, "www/cases/detail.html", _case_context(request, case, **forms), status=status
    )


# --------------------------------------------------------------------------- lists


@rule_required(can_open_case_pages)
def case_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    status = request.GET.get("status", "open")
    if status not in {"open", "all", *CaseStatus.values}:
        status = "open"
    cases = cases_list(membership, status="" if status == "all" else status)
    return render(
        request,
        "www/cases/list.html",
        {
            "cases": cases[:500],
            "status": status,
            "statuses": CaseStatus.choices,
            "referrals": referrals_made_by(membership)[:100],
            # A partner: when their access ends, with a notice 30 days before (decision 0013).
            "access": partner_access_notice(membership),
        },
    )


# --------------------------------------------------------------------------- referral


@rule_required(can_refer)
def case_refer(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    pupil = pupil_get_visible(membership, public_id)
    services.sign_catalogue_ensure(school=membership.school)
    form = ReferralForm(request.POST or None, school_id=membership.school_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.case_refer(
                actor=membership,
                pupil=pupil,
                reason=form.cleaned_data["reason"],
                sign_entries=form.cleaned_data["signs"],
                free_signs=form.cleaned_data["free_signs"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The same words whether a case was opened or a signal joined an open one.
            messages.success(
                request,
                _(
                    "Your referral has been recorded and passed on to the head of school, who "
                    "coordinates the follow-up."
                ),
            )
            return redirect("pupil_detail", public_id=pupil.public_id)
    return render(request, "www/cases/refer.html", {"form": form, "pupil": pupil})


# --------------------------------------------------------------------------- case page


@case_view(lambda m, c: bool(can_view_case(m, c)))
def case_detail(request: HttpRequest, case: Case) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    audit_record_view(target=case, membership=membership)
    if membership.role == Role.PARTNER:
        return _render_partner_case(request, case)
    return _render_case(request, case)


def _partner_case_context(
    request: HttpRequest, case: Case, *, note_form: PartnerNoteForm | None = None
) -> dict[str, Any]:
    membership = request.membership  # type: ignore[attr-defined]
    plan = plan_of_case(case)
    may_write = (
        case.is_open and can_write_case_note(membership, case) and may_write_note_bodies(membership)
    )
    return {
        "case": case,
        "pupil": case.pupil,
        "team": case_team(case),
        "notes": notes_visible_to(membership, case),
        "note_form": (note_form or PartnerNoteForm()) if may_write else None,
        "plan": plan,
        "plan_actions": list(plan_actions(plan)) if plan is not None else [],
        "progress_statuses": plan_services.progress_choices(),
        "convocations": partner_convocations(membership, case),
        "access": partner_access_notice(membership),
    }


def _render_partner_case(
    request: HttpRequest, case: Case, *, status: int = 200, **forms: Any
) -> HttpResponse:
    """A partner's page of a case: only what is shared with the whole team (docs/decisions/0013).

    The pupil's name and division, the status, the referent and the team, the notes for the
    whole team (``notes_visible_to``) and the form to write one, the action plan's actions and
    goals (with the progress form on the actions they own), the meetings of this case they are
    convened to (date, place, their attendance — never the minutes), and the date their access
    ends. Never the referrals and their reasons, the signs, the family contacts, the exception,
    the case's history, the meetings' minutes, nor a link to the pupil's page.
    """
    return render(
        request,
        "www/cases/partner_detail.html",
        _partner_case_context(request, case, **forms),
        status=status,
    )


@case_view(lambda m, c: bool(can_steer_case(m, c)))
def case_edit(request: HttpRequest, case: Case) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    if request.method == "POST":
        form = CaseEditForm(request.POST)
        if form.is_valid():
            try:
                services.case_update(
                    case=case,
                    actor=membership,
                    expected_version=form.cleaned_data["version"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect(_case_url(case))
    else:
        form = CaseEditForm(initial={"reason": case.reason, "version": case.version})
    return render(request, "www/cases/edit.html", {"form": form, "case": case})


@case_view(lambda m, c: bool(can_steer_case(m, c)), post_only=True)
def case_transition(request: HttpRequest, case: Case) -> HttpResponse:
    form = TransitionForm(request.POST)
    if form.is_valid():
        service = TRANSITION_SERVICES[form.cleaned_data["action"]]
        try:
            service(
                case=case,
                actor=request.membership,  # type: ignore[attr-defined]
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            return _render_case(request, case, status=400, form_error=_messages_of(error))
        messages.success(
            request, _("The case moved on: %(status)s.") % {"status": case.get_status_display()}
        )
        return redirect(_case_url(case))
    return _render_case(request, case, status=400, form_error=_("Invalid request."))


def _messages_of(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


@case_view(lambda m, c: bool(can_steer_case(m, c)), post_only=True)
def case_close(request: HttpRequest, case: Case) -> HttpResponse:
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.case_close(
                case=case,
                actor=request.membership,  # type: ignore[attr-defined]
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The case is closed."))
            return redirect(_case_url(case))
    return _render_case(request, case, status=400, close_form=form)


@case_view(lambda m, c: bool(can_coordinate_case(m, c)), post_only=True)
def case_reopen(request: HttpRequest, case: Case) -> HttpResponse:
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.case_reopen(
                case=case,
                actor=request.membership,  # type: ignore[attr-defined]
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The case is reopened."))
            return redirect(_case_url(case))
    return _render_case(request, case, status=400, reopen_form=form)


# --------------------------------------------------------------------------- family


def _section(
    request: HttpRequest, case: Case, template: str, anchor: str, *, ok: bool, **forms: Any
) -> HttpResponse:
    """htmx: answer with the section alone; otherwise the whole page (or a redirect on success)."""
    if _is_htmx(request):
        # 200 even for a form with errors: htmx swaps only successful answers by default.
        return render(request, template, _case_context(request, case, **forms))
    if ok:
        return redirect(_case_url(case, anchor))
    return _render_case(request, case, status=400, **forms)


@case_view(lambda m, c: bool(can_work_on_case(m, c)), post_only=True)
def family_contact_create(request: HttpRequest, case: Case) -> HttpResponse:
    form = FamilyContactForm(request.POST, case=case)
    status_before = case.status
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.family_contact_record(
                case=case,
                actor=request.membership,  # type: ignore[attr-defined]
                contacted_on=data["contacted_on"],
                channel=data["channel"],
                made_by=data["made_by"],
                guardian=data["guardian"],
                pupil_present=data["pupil_present"],
                reached=data["reached"],
                outcome=data["outcome"],
            )
        except ValidationError as error:
            _add_errors_any(form, error)
        else:
            if not _is_htmx(request) or case.status != status_before:
                messages.success(request, _("Family contact recorded."))
            if _is_htmx(request) and case.status != status_before:
                # The status changed: the whole page (transitions, parents first) must follow.
                response = HttpResponse(status=204)
                response["HX-Refresh"] = "true"
                return response
            return _section(
                request, case, "www/cases/_contacts.html", "contacts", ok=True, saved=True
            )
    return _section(
        request, case, "www/cases/_contacts.html", "contacts", ok=False, contact_form=form
    )


def _add_errors(form: Form, error: ValidationError) -> None:
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@case_view(lambda m, c: bool(can_work_on_case(m, c)), post_only=True)
def family_exception(request: HttpRequest, case: Case) -> HttpResponse:
    """A team member asks for the exception; the head approves it (or writes and approves it)."""
    membership = request.membership  # type: ignore[attr-defined]
    if can_coordinate_case(membership, case):
        form: Form = ExceptionApproveForm(request.POST)
        key = "exception_approve_form"
    else:
        form = ExceptionForm(request.POST)
        key = "exception_form"
    if form.is_valid():
        try:
            if key == "exception_approve_form":
                services.family_exception_approve(
                    case=case, actor=membership, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("Exception to parents first approved."))
            else:
                services.family_exception_request(
                    case=case, actor=membership, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("Exception requested from the head of school."))
        except ValidationError as error:
            _add_errors_any(form, error)
        else:
            return redirect(_case_url(case, "parents"))
    return _render_case(request, case, status=400, **{key: form})


def _add_errors_any(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        _add_errors(form, error)
    else:
        form.add_error(None, error)


# --------------------------------------------------------------------------- team


@case_view(lambda m, c: bool(can_coordinate_case(m, c)), post_only=True)
def case_team_add(request: HttpRequest, case: Case) -> HttpResponse:
    form = TeamAddForm(request.POST, case=case)
    if form.is_valid():
        try:
            services.case_team_add(
                case=case,
                actor=request.membership,  # type: ignore[attr-defined]
                membership=form.cleaned_data["membership"],
            )
        except ValidationError as error:
            _add_errors_any(form, error)
        else:
            messages.success(request, _("Added to the team."))
            return redirect(_case_url(case, "team"))
    return _render_case(request, case, status=400, team_add_form=form)


@case_view(lambda m, c: bool(can_coordinate_case(m, c)), post_only=True)
def case_team_remove(request: HttpRequest, case: Case) -> HttpResponse:
    form = TeamMemberForm(request.POST, case=case)
    if form.is_valid():
        try:
            services.case_team_remove(
                case=case,
                actor=request.membership,  # type: ignore[attr-defined]
                membership=form.cleaned_data["membership"],
            )
        except ValidationError as error:
            return _render_case(request, case, status=400, form_error=_messages_of(error))
        messages.success(request, _("Removed from the team."))
        return redirect(_case_url(case, "team"))
    return _render_case(
        request, case, status=400, form_error=_("Choose a member of the current team.")
    )


@case_view(lambda m, c: bool(can_coordinate_case(m, c)), post_only=True)
def case_referent(request: HttpRequest, case: Case) -> HttpResponse:
    form = ReferentForm(request.POST, case=case)
    if form.is_valid():
        try:
            services.case_assign_referent(
                case=case,
                actor=request.membership,  # type: ignore[attr-defined]
                referent=form.cleaned_data["membership"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as error:
            _add_errors_any(form, error)
        else:
            messages.success(request, _("Referent assigned."))
            return redirect(_case_url(case, "team"))
    return _render_case(request, case, status=400, referent_form=form)


# --------------------------------------------------------------------------- notes


@case_view(lambda m, c: bool(can_write_case_note(m, c)), post_only=True)
def case_note_create(request: HttpRequest, case: Case) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    if membership.role == Role.PARTNER:
        return _partner_note_create(request, case)
    form = NoteForm(request.POST, author=membership)
    if form.is_valid():
        try:
            services.case_note_create(
                case=case,
                actor=membership,
                audience=form.cleaned_data["audience"],
                body=form.cleaned_data["body"],
                is_summary_item=form.cleaned_data["is_summary_item"],
            )
        except ValidationError as error:
            _add_errors_any(form, error)
        else:
            if not _is_htmx(request):
                messages.success(request, _("Note saved."))
            return _section(request, case, "www/cases/_notes.html", "notes", ok=True, saved=True)
    return _section(request, case, "www/cases/_notes.html", "notes", ok=False, note_form=form)


def _partner_note_create(request: HttpRequest, case: Case) -> HttpResponse:
    """A partner's note: the audience is the whole team, never chosen (docs/decisions/0013)."""
    membership = request.membership  # type: ignore[attr-defined]
    form = PartnerNoteForm(request.POST)
    if form.is_valid():
        try:
            services.case_note_create(
                case=case, actor=membership, audience="team", body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            _add_errors_any(form, error)
        else:
            if _is_htmx(request):
                context = _partner_case_context(request, case)
                return render(request, "www/cases/_partner_notes.html", {**context, "saved": True})
            messages.success(request, _("Note saved."))
            return redirect(_case_url(case, "notes"))
    if _is_htmx(request):
        context = _partner_case_context(request, case, note_form=form)
        return render(request, "www/cases/_partner_notes.html", context)
    return _render_partner_case(request, case, status=400, note_form=form)


# --------------------------------------------------------------------------- sign grid


@rule_required(can_manage_sign_catalogue)
def sign_catalogue(request: HttpRequest) -> HttpResponse:
    """The school's grid of signs offered in referrals: add one, retire or offer one again.

    The French defaults stay; a retired sign stays on the referrals that recorded it.
    """
    membership = request.membership  # type: ignore[attr-defined]
    services.sign_catalogue_ensure(school=membership.school)
    do = request.POST.get("do", "")
    form = SignForm(request.POST if do == "add" else None)
    form_error = ""
    if request.method == "POST":
        if do == "add":
            if form.is_valid():
                try:
                    services.sign_catalogue_add(actor=membership, label=form.cleaned_data["label"])
                except ValidationError as error:
                    _add_errors_any(form, error)
                else:
                    messages.success(request, _("Sign added to the grid."))
                    return redirect("sign_catalogue")
        elif do in {"retire", "offer"}:
            # Addressed by its code, within the head's own school: another school's is a 404.
            entry = SignCatalogueEntry.objects.filter(
                school_id=membership.school_id, code=request.POST.get("sign", "")
            ).first()
            if entry is None:
                raise Http404
            services.sign_catalogue_set_active(
                actor=membership, entry=entry, is_active=do == "offer"
            )
            messages.success(request, _("Catalogue updated."))
            return redirect("sign_catalogue")
        else:
            form_error = _("Invalid request.")
    return render(
        request,
        "www/cases/signs.html",
        {
            "form": form,
            "form_error": form_error,
            "signs": SignCatalogueEntry.objects.filter(school_id=membership.school_id).order_by(
                "position", "label"
            ),
        },
        status=400 if request.method == "POST" else 200,
    )
