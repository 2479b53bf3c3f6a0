"""The demo's partner organisations as organisations: registered with their schools, their
people (each partner persona), an administrator each, and one pending invitation.

The partner personas and their memberships are created by ``generator``; this module adds
what docs/decisions/0014-partner-organisations.md describes on top of them.
"""

import datetime as dt
import hashlib
import secrets

from alliance.audit.services import audit_record
from alliance.core import clock
from alliance.partners.models import (
    PartnerInvitation,
    PartnerPerson,
    PartnerPersonKind,
    PartnerRegistration,
)
from alliance.partners.services import INVITATION_VALIDITY
from alliance.tenancy.models import Membership, Profession, Role

#: The persona who administers each demo organisation (by login).
ADMINISTRATORS = frozenset(
    {"coordinatrice@coup-de-pouce.example.org", "coordinateur@mission-locale.example.org"}
)
#: An invitation the Coup de Pouce coordinator sent and nobody has used yet.
PENDING_INVITATION = "animateur@coup-de-pouce.example.org"


def seed_partners() -> None:
    """Run inside the demo's transaction, after the memberships and adhesions exist."""
    now = clock.now()
    partner_memberships = (
        Membership.objects.filter(role=Role.PARTNER)
        .select_related("user", "school", "partner_organisation")
        .order_by("pk")
    )
    heads = {
        m.school_id: m
        for m in Membership.objects.filter(role=Role.HEAD, profession=Profession.PRINCIPAL)
    }
    people: dict[tuple[int, int], PartnerPerson] = {}
    for membership in partner_memberships:
        organisation = membership.partner_organisation
        assert organisation is not None
        registration, created = PartnerRegistration.objects.get_or_create(
            school=membership.school,
            organisation=organisation,
            defaults={"registered_by": heads.get(membership.school_id), "registered_at": now},
        )
        if created:
            audit_record(
                action="create", target=registration, membership=heads.get(membership.school_id)
            )
        key = (organisation.pk, membership.user_id)
        if key in people:
            continue
        kind = (
            PartnerPersonKind.VOLUNTEER
            if membership.profession == Profession.VOLUNTEER
            else PartnerPersonKind.PROFESSIONAL
        )
        person = PartnerPerson.objects.create(
            organisation=organisation,
            user=membership.user,
            kind=kind,
            is_admin=membership.user.email in ADMINISTRATORS,
            joined_at=now - dt.timedelta(days=60),
        )
        audit_record(action="create", target=person, actor=membership.user)
        people[key] = person
    admin = next(
        (p for p in people.values() if p.user.email == "coordinatrice@coup-de-pouce.example.org"),
        None,
    )
    if admin is not None:
        token = secrets.token_urlsafe(32)  # thrown away: the demo sends no e-mail
        invitation = PartnerInvitation.objects.create(
            organisation=admin.organisation,
            email=PENDING_INVITATION,
            kind=PartnerPersonKind.VOLUNTEER,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            created_at=now,
            expires_at=now + INVITATION_VALIDITY,
            invited_by=admin.user,
        )
        audit_record(action="invite", target=invitation, actor=admin.user)
