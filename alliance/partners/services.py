"""Writes on partner organisations: register, invite, accept, remove, grant a school membership.

Every write is keyword-only, atomic and audited in the same transaction. Invitation
e-mails leave after the commit (``transaction.on_commit``): no mail for an invitation
that was rolled back. See docs/decisions/0014-partner-organisations.md.
"""

import datetime as dt
import logging
import secrets
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.core import clock
from alliance.partners.models import (
    PartnerInvitation,
    PartnerKind,
    PartnerOrganisation,
    PartnerPerson,
    PartnerPersonKind,
    PartnerRegistration,
)
from alliance.partners.perms import can_manage_partners
from alliance.partners.selectors import organisations_administered_by, token_hash
from alliance.partners.siret import normalise_siret, validate_siret
from alliance.tenancy.models import Membership, Profession, Role

logger = logging.getLogger(__name__)

#: How long an invitation link may be used.
INVITATION_VALIDITY = dt.timedelta(days=7)

#: A function that turns an invitation token into the absolute link of the acceptance page.
LinkBuilder = Callable[[str], str]

PROFESSION_OF_KIND = {
    PartnerPersonKind.PROFESSIONAL: Profession.PARTNER_PROFESSIONAL,
    PartnerPersonKind.VOLUNTEER: Profession.VOLUNTEER,
}


def _require_head(actor: Membership) -> None:
    if not can_manage_partners(actor):
        raise PermissionDenied


def _require_registered(actor: Membership, organisation: PartnerOrganisation) -> None:
    if not PartnerRegistration.objects.filter(
        school_id=actor.school_id, organisation=organisation
    ).exists():
        raise PermissionDenied


def _require_admin(user: Any, organisation: PartnerOrganisation) -> None:
    if not organisations_administered_by(user).filter(pk=organisation.pk).exists():
        raise PermissionDenied


# --------------------------------------------------------------------------- organisations


@transaction.atomic
def organisation_register(
    *,
    actor: Membership,
    name: str,
    kind: str,
    siret: str = "",
    admin_email: str = "",
    link_for: LinkBuilder | None = None,
) -> tuple[PartnerOrganisation, bool]:
    """Register an organisation with the head's school; returns it and whether it was new.

    A SIRET already known finds the existing organisation (its name and kind are kept).
    ``admin_email`` invites its administrator (required for a new organisation).
    """
    _require_head(actor)
    siret = normalise_siret(siret)
    name = " ".join(name.split())
    errors: dict[str, list[Any]] = {}
    try:
        validate_siret(siret)
    except ValidationError as error:
        errors["siret"] = error.error_list
    organisation = (
        PartnerOrganisation.objects.select_for_update().filter(siret=siret).first()
        if siret and "siret" not in errors
        else None
    )
    created = organisation is None
    if created:
        if not name:
            errors["name"] = [ValidationError(_("Give the organisation's name."))]
        if kind not in PartnerKind.values:
            errors["kind"] = [ValidationError(_("Choose the kind of organisation."))]
        if not admin_email:
            errors["admin_email"] = [
                ValidationError(
                    _("Give the e-mail address of the person who will administer the organisation.")
                )
            ]
    if errors:
        raise ValidationError(errors)
    if organisation is None:
        organisation = PartnerOrganisation(name=name, kind=kind, siret=siret)
        organisation.full_clean()
        organisation.save()
        audit_record(action="create", target=organisation, membership=actor)
    registration, new_registration = PartnerRegistration.objects.get_or_create(
        school_id=actor.school_id,
        organisation=organisation,
        defaults={"registered_by": actor, "registered_at": clock.now()},
    )
    if new_registration:
        audit_record(action="create", target=registration, membership=actor)
    if admin_email:
        invitation_create(
            organisation=organisation,
            email=admin_email,
            kind=PartnerPersonKind.PROFESSIONAL,
            is_admin=True,
            actor_user=actor.user,
            actor_membership=actor,
            link_for=link_for,
        )
    return organisation, created


# --------------------------------------------------------------------------- invitations


@transaction.atomic
def invitation_create(
    *,
    organisation: PartnerOrganisation,
    email: str,
    kind: str,
    is_admin: bool = False,
    actor_user: Any,
    actor_membership: Membership | None = None,
    link_for: LinkBuilder | None = None,
) -> tuple[PartnerInvitation, str]:
    """Invite ``email`` to join ``organisation``; returns the invitation and its token.

    The organisation's administrator invites professionals and volunteers; the head of a
    school the organisation is registered with invites its administrator. A pending
    invitation to the same address is replaced (revoked). The e-mail leaves on commit
    when ``link_for`` is given.
    """
    if actor_membership is not None:
        _require_head(actor_membership)
        _require_registered(actor_membership, organisation)
        if not is_admin or actor_membership.user_id != actor_user.pk:
            raise PermissionDenied
    else:
        _require_admin(actor_user, organisation)
    email = get_user_model().objects.normalize_email((email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {"email": _("“%(value)s” is not an e-mail address.") % {"value": email}}
        ) from None
    if kind not in PartnerPersonKind.values:
        raise ValidationError({"kind": _("Choose professional or volunteer.")})
    existing = (
        PartnerPerson.objects.filter(
            organisation=organisation, left_at__isnull=True, user__email__iexact=email
        )
        .only("is_admin")
        .first()
    )
    if existing is not None and (existing.is_admin or not is_admin):
        raise ValidationError({"email": _("This person is already part of the organisation.")})
    now = clock.now()
    for old in PartnerInvitation.objects.select_for_update().filter(
        organisation=organisation,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ):
        old.revoked_at = now
        old.save(update_fields=["revoked_at"])
        audit_record(action="revoke", target=old, actor=actor_user, membership=actor_membership)
    token = secrets.token_urlsafe(32)
    invitation = PartnerInvitation.objects.create(
        organisation=organisation,
        email=email,
        kind=kind,
        is_admin=is_admin,
        token_hash=token_hash(token),
        created_at=now,
        expires_at=now + INVITATION_VALIDITY,
        invited_by=actor_user,
        invited_from=actor_membership,
    )
    audit_record(action="invite", target=invitation, actor=actor_user, membership=actor_membership)
    if link_for is not None:
        transaction.on_commit(partial(invitation_email_send, invitation.pk, link_for(token)))
    return invitation, token


def invitation_email_send(invitation_id: int, link: str) -> bool:
    """Send the invitation e-mail (after the commit). A mail failure is logged by public id."""
    invitation = (
        PartnerInvitation.objects.select_related("organisation", "invited_by")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        return False
    inviter = invitation.invited_by.get_full_name() or invitation.invited_by.email
    context = {
        "invitation": invitation,
        "organisation": invitation.organisation.name,
        "inviter": inviter,
        "link": link,
        "expires": formats.date_format(timezone.localtime(invitation.expires_at), "j F Y, H:i"),
    }
    subject = _("Invitation to join %(organisation)s on Alliance") % {
        "organisation": invitation.organisation.name
    }
    message = EmailMessage(
        subject=subject,
        body=render_to_string("www/partners/invitation_email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )
    try:
        message.send()
    except OSError:
        logger.exception("partner invitation %s: e-mail not sent", invitation.public_id)
        return False
    return True


@transaction.atomic
def invitation_revoke(
    *, invitation: PartnerInvitation, actor_user: Any, actor_membership: Membership | None = None
) -> PartnerInvitation:
    """Revoke a pending invitation: the organisation's admin, or the head whose school sent it."""
    invitation = PartnerInvitation.objects.select_for_update().get(pk=invitation.pk)
    if actor_membership is not None:
        _require_head(actor_membership)
        sender = invitation.invited_from
        if sender is None or sender.school_id != actor_membership.school_id:
            raise PermissionDenied
    else:
        _require_admin(actor_user, invitation.organisation)
    if not invitation.is_pending(clock.now()):
        raise ValidationError(_("This invitation was already used, revoked or has expired."))
    invitation.revoked_at = clock.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(action="revoke", target=invitation, actor=actor_user, membership=actor_membership)
    return invitation


def _pending_for_update(token: str) -> PartnerInvitation:
    invitation = (
        PartnerInvitation.objects.select_for_update()
        .select_related("organisation")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None or not invitation.is_pending(clock.now()):
        raise ValidationError(
            _("This invitation link is no longer valid (expired, already used or revoked).")
        )
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: Any) -> PartnerPerson:
    """``user`` (logged in, with the invited address) joins the organisation. Single use."""
    invitation = _pending_for_update(token)
    if not user.is_active or user.email.lower() != invitation.email.lower():
        raise PermissionDenied
    now = clock.now()
    person = (
        PartnerPerson.objects.select_for_update()
        .filter(organisation=invitation.organisation, user=user, left_at__isnull=True)
        .first()
    )
    if person is None:
        person = PartnerPerson.objects.create(
            organisation=invitation.organisation,
            user=user,
            kind=invitation.kind,
            is_admin=invitation.is_admin,
            invited_by=invitation.invited_by,
            joined_at=now,
        )
        audit_record(action="create", target=person, actor=user)
    elif invitation.is_admin and not person.is_admin:
        person.is_admin = True
        person.save(update_fields=["is_admin"])
        audit_record(action="update", target=person, actor=user)
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(action="accept", target=invitation, actor=user)
    return person


@transaction.atomic
def invitation_accept_new_account(
    *, token: str, first_name: str, last_name: str, password: str
) -> PartnerPerson:
    """Create the invitee's account (password checked by Django's validators), then join."""
    invitation = _pending_for_update(token)
    user_model = get_user_model()
    if user_model.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(_("An account already exists for this address: log in to accept."))
    first_name, last_name = first_name.strip(), last_name.strip()
    errors: dict[str, list[Any]] = {}
    if not first_name:
        errors["first_name"] = [ValidationError(_("Give your first name."))]
    if not last_name:
        errors["last_name"] = [ValidationError(_("Give your last name."))]
    user = user_model(
        email=invitation.email,
        username=invitation.email,
        first_name=first_name,
        last_name=last_name,
    )
    try:
        validate_password(password, user)
    except ValidationError as error:
        errors["password1"] = error.error_list
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.save()
    audit_record(action="create", target=user, actor=user)
    return invitation_accept(token=token, user=user)


# --------------------------------------------------------------------------- people


def _end_membership(membership: Membership, *, actor_user: Any, actor: Membership | None) -> bool:
    """End a membership at once: its last day becomes yesterday (``live`` counts the last day
    as in force). One that started today or later is collapsed to yesterday, never in force.
    Returns whether it changed."""
    yesterday = clock.today() - dt.timedelta(days=1)
    if membership.valid_until is not None and membership.valid_until <= yesterday:
        return False
    membership.valid_until = yesterday
    update = ["valid_until", "updated_at"]
    if membership.valid_from > yesterday:
        membership.valid_from = yesterday
        update.append("valid_from")
    membership.save(update_fields=update)
    audit_record(
        action="end",
        target=membership,
        actor=actor_user,
        membership=actor,
        school=membership.school,
    )
    return True


@transaction.atomic
def person_remove(*, person: PartnerPerson, actor_user: Any) -> PartnerPerson:
    """The organisation's admin removes a person, who loses their partner memberships with it."""
    person = PartnerPerson.objects.select_for_update().get(pk=person.pk)
    _require_admin(actor_user, person.organisation)
    if person.left_at is not None:
        raise ValidationError(_("This person already left the organisation."))
    if person.is_admin and not (
        PartnerPerson.objects.filter(
            organisation=person.organisation, is_admin=True, left_at__isnull=True
        )
        .exclude(pk=person.pk)
        .exists()
    ):
        raise ValidationError(
            _("An organisation needs an administrator: invite another one before leaving.")
        )
    person.left_at = clock.now()
    person.save(update_fields=["left_at"])
    audit_record(action="remove", target=person, actor=actor_user)
    memberships = Membership.objects.select_for_update().filter(
        user_id=person.user_id, role=Role.PARTNER, partner_organisation=person.organisation
    )
    for membership in memberships:
        _end_membership(membership, actor_user=actor_user, actor=None)
    return person


@transaction.atomic
def grant_partner_membership(
    *, actor: Membership, person: PartnerPerson, valid_until: dt.date | None = None
) -> Membership:
    """The head lets a person of a registered organisation work in the school (``partner``
    role). The charter gate then asks them to adhere before they see anything."""
    _require_head(actor)
    person = PartnerPerson.objects.select_related("user", "organisation").get(pk=person.pk)
    _require_registered(actor, person.organisation)
    if person.left_at is not None or not person.user.is_active:
        raise ValidationError(_("This person is no longer part of the organisation."))
    today = clock.today()
    if valid_until is not None and valid_until < today:
        raise ValidationError({"valid_until": _("The end date cannot be in the past.")})
    profession = PROFESSION_OF_KIND[PartnerPersonKind(person.kind)]
    membership = (
        Membership.objects.select_for_update()
        .filter(
            user=person.user, school_id=actor.school_id, role=Role.PARTNER, profession=profession
        )
        .first()
    )
    if (
        membership is not None
        and membership.is_live()
        and (membership.partner_organisation_id == person.organisation_id)
    ):
        raise ValidationError(_("This person already works in the school."))
    if membership is None:
        membership = Membership(
            user=person.user,
            school_id=actor.school_id,
            role=Role.PARTNER,
            profession=profession,
            valid_from=today,
        )
        action = "create"
    else:
        # The same person came back (or moved organisation): the row is unique per
        # (user, school, role, profession), so it is opened again from today.
        action = "update"
        if membership.valid_from > today:
            membership.valid_from = today
    membership.partner_organisation = person.organisation
    membership.valid_until = valid_until
    membership.full_clean()
    membership.save()
    audit_record(action=action, target=membership, membership=actor)
    return membership


@transaction.atomic
def partner_membership_end(*, actor: Membership, membership: Membership) -> Membership:
    """The head ends a partner's membership of the school at once."""
    _require_head(actor)
    membership = (
        Membership.objects.select_for_update().select_related("school").get(pk=membership.pk)
    )
    if membership.school_id != actor.school_id or membership.role != Role.PARTNER:
        raise PermissionDenied
    if not _end_membership(membership, actor_user=actor.user, actor=actor):
        raise ValidationError(_("This membership has already ended."))
    return membership
