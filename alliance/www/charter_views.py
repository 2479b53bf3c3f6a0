"""The charter page: read, adhere; for the head: publish a version, record its board presentation."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from alliance.charter import services
from alliance.charter.models import CharterAdhesion
from alliance.charter.selectors import adhesion_of, charter_current
from alliance.pupils.perms import can_manage_charter
from alliance.tenancy.models import Membership
from alliance.www.decorators import membership_required, rule_required
from alliance.www.forms import BoardPresentationForm, CharterPublishForm


@membership_required
def charter(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    current = charter_current(membership.school)
    context: dict[str, object] = {
        "charter": current,
        "adhesion": adhesion_of(membership, current) if current else None,
        "presentations": current.board_presentations.all() if current else [],
        "is_head": can_manage_charter(membership),
        "board_form": BoardPresentationForm(),
    }
    if current is not None and can_manage_charter(membership):
        live = Membership.objects.live().filter(school=membership.school)
        adhered_ids = set(
            CharterAdhesion.objects.filter(charter_version=current).values_list(
                "membership_id", flat=True
            )
        )
        live = list(live.select_related("user", "partner_organisation").order_by("user__last_name"))
        context["adherent_count"] = sum(1 for m in live if m.pk in adhered_ids)
        context["member_count"] = len(live)
        context["not_adhered"] = [m for m in live if m.pk not in adhered_ids]
    return render(request, "www/charter.html", context)


@membership_required
@require_POST
def charter_adhere(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    current = charter_current(membership.school)
    if current is None or request.POST.get("version") != str(current.public_id):
        messages.error(
            request, _("The charter changed meanwhile: read the current version before adhering.")
        )
        return redirect("charter")
    services.charter_adhere(membership=membership, version=current)
    messages.success(request, _("You adhered to the charter. Thank you."))
    return redirect("home")


@rule_required(can_manage_charter)
def charter_publish(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    current = charter_current(membership.school)
    if request.method == "POST":
        form = CharterPublishForm(request.POST)
        if form.is_valid():
            try:
                services.charter_publish(
                    school=membership.school,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    actor=membership,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request, _("New version published: every member must adhere again.")
                )
                return redirect("charter")
    else:
        title, body = (current.title, current.body) if current else services.default_charter_text()
        form = CharterPublishForm(initial={"title": title, "body": body})
    return render(request, "www/charter_publish.html", {"form": form, "charter": current})


@rule_required(can_manage_charter)
@require_POST
def board_presentation(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    current = charter_current(membership.school)
    if current is None:
        raise Http404
    form = BoardPresentationForm(request.POST)
    if form.is_valid():
        try:
            services.board_presentation_record(
                version=current,
                presented_on=form.cleaned_data["presented_on"],
                minutes_reference=form.cleaned_data["minutes_reference"],
                actor=membership,
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Board presentation recorded."))
    else:
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
    return redirect("charter")
