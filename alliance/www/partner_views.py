"""Partner organisations: the head's pages, the organisation administrator's, the invitation link.

See docs/decisions/0014-partner-organisations.md. The head acts through their membership
(``rule_required``); an organisation's administrator through their user, with or without
any school membership; everything they may not see is a 404.
"""

import uuid

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.partners import selectors, services
from alliance.partners.models import PartnerInvitation, PartnerOrganisation, PartnerPerson
from alliance.partners.perms import can_manage_partners
from alliance.tenancy.models import Membership, Role
from alliance.www.decorators import rule_required
from alliance.www.forms import add_service_errors
from alliance.www.partner_forms import (
    AdminInviteForm,
    GrantForm,
    InviteForm,
    NewAccountForm,
    OrganisationRegisterForm,
)


def _link_builder(request: HttpRequest) -> services.LinkBuilder:
    def link_for(token: str) -> str:
        return request.build_absolute_uri(reverse("partner_invitation_accept", args=[token]))

    return link_for


def _flash_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --------------------------------------------------------------------------- the head


@rule_required(can_manage_partners)
def partner_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    organisations = list(selectors.organisations_of_school(membership))
    return render(request, "www/partners/partner_list.html", {"organisations": organisations})


@rule_required(can_manage_partners)
def partner_register(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    form = OrganisationRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                organisation, created = services.organisation_register(
                    actor=membership,
                    name=data["name"],
                    kind=data["kind"],
                    siret=data["siret"],
                    admin_email=data["admin_email"],
                    link_for=_link_builder(request),
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if created:
                messages.success(
                    request,
                    _("Organisation registered. Its administrator gets an invitation by e-mail."),
                )
            else:
                messages.success(
                    request,
                    _(
                        "This SIRET number belongs to “%(name)s”, already known to Alliance: "
                        "it is now registered with your school."
                    )
                    % {"name": organisation.name},
                )
            return redirect("partner_detail", public_id=organisation.public_id)
    return render(request, "www/partners/partner_register.html", {"form": form})


@rule_required(can_manage_partners)
def partner_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    organisation = selectors.organisation_for_head_get(membership, public_id)
    statuses = selectors.adhesion_statuses(organisation, school=membership.school)
    return render(
        request,
        "www/partners/partner_detail.html",
        {
            "organisation": organisation,
            "statuses": statuses,
            "admins": [p for p in selectors.people_of(organisation) if p.is_admin],
            "invitations": [
                i
                for i in selectors.invitations_pending(organisation).select_related("invited_from")
                if i.is_admin
                and i.invited_from is not None
                and i.invited_from.school_id == membership.school_id
            ],
            "admin_form": AdminInviteForm(),
            "grant_form": GrantForm(),
        },
    )


@rule_required(can_manage_partners)
def partner_admin_invite(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    organisation = selectors.organisation_for_head_get(membership, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AdminInviteForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                services.invitation_create(
                    organisation=organisation,
                    email=form.cleaned_data["email"],
                    kind="professional",
                    is_admin=True,
                    actor_user=request.user,
                    actor_membership=membership,
                    link_for=_link_builder(request),
                )
        except ValidationError as error:
            _flash_errors(request, error)
        else:
            messages.success(request, _("Invitation sent."))
    else:
        messages.error(request, _("Give a valid e-mail address."))
    return redirect("partner_detail", public_id=organisation.public_id)


@rule_required(can_manage_partners)
def partner_grant(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    organisation = selectors.organisation_for_head_get(membership, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = GrantForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Invalid request: reload the page and try again."))
        return redirect("partner_detail", public_id=organisation.public_id)
    person = selectors.person_of_get(organisation, form.cleaned_data["person"])
    try:
        services.grant_partner_membership(
            actor=membership, person=person, valid_until=form.cleaned_data["valid_until"]
        )
    except ValidationError as error:
        _flash_errors(request, error)
    else:
        messages.success(
            request,
            _("%(person)s may now work in the school, once they adhere to its charter.")
            % {"person": person.user},
        )
    return redirect("partner_detail", public_id=organisation.public_id)


@rule_required(can_manage_partners)
def partner_membership_end(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    organisation = selectors.organisation_for_head_get(membership, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    wanted = request.POST.get("membership", "")
    target = (
        Membership.objects.filter(
            public_id=wanted,
            school=membership.school,
            role=Role.PARTNER,
            partner_organisation=organisation,
        ).first()
        if _is_uuid(wanted)
        else None
    )
    if target is None:
        raise Http404
    try:
        services.partner_membership_end(actor=membership, membership=target)
    except ValidationError as error:
        _flash_errors(request, error)
    else:
        messages.success(request, _("Membership ended: this person no longer works in the school."))
    return redirect("partner_detail", public_id=organisation.public_id)


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- the organisation


@login_required
def my_organisations(request: HttpRequest) -> HttpResponse:
    organisations = list(selectors.organisations_administered_by(request.user))
    if not organisations:
        raise Http404
    return render(request, "www/partners/my_organisations.html", {"organisations": organisations})


@login_required
def organisation_admin(request: HttpRequest, public_id: str) -> HttpResponse:
    organisation = selectors.organisation_administered_get(request.user, public_id)
    return _organisation_page(request, organisation, InviteForm())


def _organisation_page(
    request: HttpRequest, organisation: PartnerOrganisation, form: InviteForm
) -> HttpResponse:
    return render(
        request,
        "www/partners/organisation_admin.html",
        {
            "organisation": organisation,
            "statuses": selectors.adhesion_statuses(organisation),
            "invitations": list(selectors.invitations_pending(organisation)),
            "form": form,
        },
    )


@login_required
def organisation_invite(request: HttpRequest, public_id: str) -> HttpResponse:
    organisation = selectors.organisation_administered_get(request.user, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                services.invitation_create(
                    organisation=organisation,
                    email=form.cleaned_data["email"],
                    kind=form.cleaned_data["kind"],
                    is_admin=form.cleaned_data["is_admin"],
                    actor_user=request.user,
                    link_for=_link_builder(request),
                )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Invitation sent."))
            return redirect("organisation_admin", public_id=organisation.public_id)
    return _organisation_page(request, organisation, form)


@login_required
def partner_invitation_revoke(request: HttpRequest, public_id: str) -> HttpResponse:
    invitation = (
        PartnerInvitation.objects.select_related("organisation", "invited_from")
        .filter(public_id=public_id)
        .first()
    )
    if invitation is None:
        raise Http404
    organisation = invitation.organisation
    membership = getattr(request, "membership", None)
    if selectors.organisations_administered_by(request.user).filter(pk=organisation.pk).exists():
        actor_membership, back = None, reverse("organisation_admin", args=[organisation.public_id])
    elif (
        can_manage_partners(membership)
        and invitation.invited_from is not None
        and invitation.invited_from.school_id == membership.school_id
    ):
        actor_membership, back = (
            membership,
            reverse("partner_detail", args=[organisation.public_id]),
        )
    else:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.invitation_revoke(
            invitation=invitation, actor_user=request.user, actor_membership=actor_membership
        )
    except ValidationError as error:
        _flash_errors(request, error)
    else:
        messages.success(request, _("Invitation revoked: its link no longer works."))
    return redirect(back)


@login_required
def organisation_person_remove(request: HttpRequest, public_id: str) -> HttpResponse:
    person = (
        PartnerPerson.objects.select_related("organisation", "user")
        .filter(
            public_id=public_id,
            left_at__isnull=True,
            organisation__in=selectors.organisations_administered_by(request.user),
        )
        .first()
    )
    if person is None:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.person_remove(person=person, actor_user=request.user)
    except ValidationError as error:
        _flash_errors(request, error)
    else:
        messages.success(
            request,
            _("%(person)s was removed from the organisation and no longer works in any school.")
            % {"person": person.user},
        )
    return redirect("organisation_admin", public_id=person.organisation.public_id)


# --------------------------------------------------------------------------- the invitation link


def partner_invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the invitation e-mail. An invalid, used, revoked or expired link: one 404."""
    invitation = selectors.invitation_pending_by_token(token)
    if invitation is None:
        return render(request, "www/partners/invitation_invalid.html", status=404)
    user = request.user
    account_exists = get_user_model().objects.filter(email__iexact=invitation.email).exists()
    context: dict[str, object] = {"invitation": invitation, "token": token, "form": None}
    if user.is_authenticated:
        context["mismatch"] = user.email.lower() != invitation.email.lower()
        if request.method == "POST" and not context["mismatch"]:
            try:
                person = services.invitation_accept(token=token, user=user)
            except (ValidationError, PermissionDenied):
                return render(request, "www/partners/invitation_invalid.html", status=404)
            return _joined(request, person)
        return render(request, "www/partners/invitation_accept.html", context)
    context["account_exists"] = account_exists
    context["login_url"] = f"{reverse('login')}?next={request.path}"
    if account_exists:
        return render(request, "www/partners/invitation_accept.html", context)
    form = NewAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.invitation_accept_new_account(
                token=token,
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password1"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            auth_login(request, person.user, backend="django.contrib.auth.backends.ModelBackend")
            with transaction.atomic():
                audit_record(
                    action="login",
                    actor=person.user,
                    object_type="people.user",
                    object_public_id=str(person.user.public_id),
                )
            return _joined(request, person)
    context["form"] = form
    return render(request, "www/partners/invitation_accept.html", context)


def _joined(request: HttpRequest, person: PartnerPerson) -> HttpResponse:
    messages.success(
        request,
        _("You joined %(organisation)s.") % {"organisation": person.organisation.name},
    )
    if person.is_admin:
        return redirect("organisation_admin", public_id=person.organisation.public_id)
    return redirect("home")
