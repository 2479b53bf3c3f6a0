"""Reads of partner organisations, their people and their invitations.

Every query starts from who is asking: a head of school (through their membership) or
an organisation's administrator (through their user). Each returns nothing by default;
the ``*_get`` helpers raise 404 for what the reader may not see.
"""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from alliance.charter.models import CharterAdhesion, CharterVersion
from alliance.charter.selectors import charter_current
from alliance.core import clock
from alliance.partners.models import (
    PartnerInvitation,
    PartnerOrganisation,
    PartnerPerson,
)
from alliance.partners.perms import can_manage_partners
from alliance.tenancy.models import Membership, Role, School


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ------------------------------------------------------------------- the head of a school


def organisations_of_school(membership: Membership | None) -> QuerySet[PartnerOrganisation]:
    """The organisations registered with the head's school; nothing for anyone else."""
    if not can_manage_partners(membership):
        return PartnerOrganisation.objects.none()
    assert membership is not None
    return PartnerOrganisation.objects.filter(registrations__school=membership.school).order_by(
        "name", "pk"
    )


def organisation_for_head_get(membership: Membership | None, public_id: Any) -> PartnerOrganisation:
    organisation = organisations_of_school(membership).filter(public_id=public_id).first()
    if organisation is None:
        raise Http404
    return organisation


# ------------------------------------------------------------------- the organisation


def organisations_administered_by(user: Any) -> QuerySet[PartnerOrganisation]:
    """The organisations ``user`` administers today (an active person with ``is_admin``)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return PartnerOrganisation.objects.none()
    return PartnerOrganisation.objects.filter(
        people__user=user, people__is_admin=True, people__left_at__isnull=True
    ).order_by("name", "pk")


def organisation_administered_get(user: Any, public_id: Any) -> PartnerOrganisation:
    organisation = organisations_administered_by(user).filter(public_id=public_id).first()
    if organisation is None:
        raise Http404
    return organisation


def people_of(organisation: PartnerOrganisation) -> QuerySet[PartnerPerson]:
    """The organisation's current people (who have not left)."""
    return (
        PartnerPerson.objects.filter(organisation=organisation, left_at__isnull=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


def person_of_get(organisation: PartnerOrganisation, public_id: Any) -> PartnerPerson:
    person = people_of(organisation).filter(public_id=public_id).first()
    if person is None:
        raise Http404
    return person


def invitations_pending(organisation: PartnerOrganisation) -> QuerySet[PartnerInvitation]:
    return PartnerInvitation.objects.filter(
        organisation=organisation,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=clock.now(),
    ).order_by("-created_at", "pk")


def invitation_pending_by_token(token: str) -> PartnerInvitation | None:
    """The invitation a link points to, if it may still be used; ``None`` otherwise."""
    if not token or len(token) > 100:
        return None
    return (
        invitations_pending_all()
        .select_related("organisation", "invited_by")
        .filter(token_hash=token_hash(token))
        .first()
    )


def invitations_pending_all() -> QuerySet[PartnerInvitation]:
    return PartnerInvitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=clock.now()
    )


# ------------------------------------------------------------------- charter adhesion


@dataclass(frozen=True)
class AdhesionStatus:
    """Where one person of an organisation works, and whether they adhered there."""

    person: PartnerPerson
    school: School | None
    membership: Membership | None
    charter: CharterVersion | None
    adhered_at: Any = None

    @property
    def adhered(self) -> bool:
        return self.adhered_at is not None


def adhesion_statuses(
    organisation: PartnerOrganisation, *, school: School | None = None
) -> list[AdhesionStatus]:
    """Per person, per school where they hold a live partner membership for this organisation,
    whether they adhered to that school's current charter (and when).

    ``school`` narrows the list to one school (the head's view); a person with no live
    membership there gets one row without a school.
    """
    people = list(people_of(organisation))
    memberships = (
        Membership.objects.live()
        .filter(
            role=Role.PARTNER,
            partner_organisation=organisation,
            user__in=[p.user_id for p in people],
        )
        .select_related("school")
        .order_by("school__name", "pk")
    )
    if school is not None:
        memberships = memberships.filter(school=school)
    by_user: dict[int, list[Membership]] = {}
    for membership in memberships:
        by_user.setdefault(membership.user_id, []).append(membership)
    currents: dict[int, CharterVersion | None] = {}
    rows: list[AdhesionStatus] = []
    for person in people:
        held = by_user.get(person.user_id, [])
        if not held:
            rows.append(AdhesionStatus(person, school, None, None))
            continue
        for membership in held:
            if membership.school_id not in currents:
                currents[membership.school_id] = charter_current(membership.school)
            current = currents[membership.school_id]
            adhesion = (
                CharterAdhesion.objects.filter(membership=membership, charter_version=current)
                .only("adhered_at")
                .first()
                if current is not None
                else None
            )
            rows.append(
                AdhesionStatus(
                    person,
                    membership.school,
                    membership,
                    current,
                    adhesion.adhered_at if adhesion else None,
                )
            )
    return rows
