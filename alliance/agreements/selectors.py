"""Reads of agreements. Every one starts from the acting membership and returns nothing by default.

The activity of an agreement is evaluated at read time with the app clock
(``alliance.core.clock``): no job ends an agreement, its dates and its status do.
"""

import datetime as dt
import uuid

from django.db.models import QuerySet
from django.http import Http404

from alliance.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementSignature,
    AgreementStatus,
)
from alliance.agreements.perms import can_manage_agreements
from alliance.core import clock
from alliance.partners.models import PartnerOrganisation
from alliance.tenancy.models import Membership, Role


def agreements_visible_to(membership: Membership | None) -> QuerySet[Agreement]:
    """The agreements ``membership`` may read: the head, their school's; anyone else, none."""
    if membership is None or not can_manage_agreements(membership):
        return Agreement.objects.none()
    return Agreement.objects.filter(school_id=membership.school_id)


def agreement_get_visible(membership: Membership | None, public_id: uuid.UUID | str) -> Agreement:
    """Fetch one agreement and check access at once: missing and forbidden are the same 404."""
    try:
        return (
            agreements_visible_to(membership)
            .select_related("partner_organisation", "pupil", "parent_agreement", "school")
            .get(public_id=public_id)
        )
    except (Agreement.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def agreements_list(membership: Membership | None) -> QuerySet[Agreement]:
    return (
        agreements_visible_to(membership)
        .select_related("partner_organisation", "pupil")
        .order_by("kind", "-starts_on", "-pk")
    )


def agreement_is_active(agreement: Agreement, on: dt.date | None = None) -> bool:
    """In force on ``on`` (today by the app clock): see ``AgreementQuerySet.active``."""
    return Agreement.objects.active(on).filter(pk=agreement.pk).exists()


def signatures_of(agreement: Agreement) -> QuerySet[AgreementSignature]:
    return agreement.signatures.select_related("guardian", "recorded_by__user").order_by(
        "signed_on", "pk"
    )


def active_school_partner_agreements(
    school_id: int, organisation_id: int | None, on: dt.date | None = None
) -> QuerySet[Agreement]:
    """The school–partner agreements in force between the school and the organisation."""
    if organisation_id is None:
        return Agreement.objects.none()
    return Agreement.objects.active(on).filter(
        school_id=school_id,
        partner_organisation_id=organisation_id,
        kind=AgreementKind.SCHOOL_PARTNER,
    )


def partner_has_active_agreement(membership: Membership | None, on: dt.date | None = None) -> bool:
    """The membership is a partner whose organisation has a school–partner agreement in force
    with the membership's school (the condition of every access of a partner to a case)."""
    return (
        membership is not None
        and membership.role == Role.PARTNER
        and active_school_partner_agreements(
            membership.school_id, membership.partner_organisation_id, on
        ).exists()
    )


def school_partner_agreements_for_pupil_agreements(school_id: int) -> QuerySet[Agreement]:
    """The concluded, unrevoked school–partner agreements a pupil agreement may fall under."""
    return (
        Agreement.objects.filter(
            school_id=school_id,
            kind=AgreementKind.SCHOOL_PARTNER,
            status__in=["draft", "concluded"],
        )
        .select_related("partner_organisation")
        .order_by("partner_organisation__name", "-starts_on")
    )


def organisations_of_school(school_id: int) -> QuerySet[PartnerOrganisation]:
    """The partner organisations the school's head registered (those it may sign with)."""
    return PartnerOrganisation.objects.filter(registrations__school_id=school_id).order_by("name")


#: A partner is warned this many days before their access to cases ends.
ACCESS_END_NOTICE_DAYS = 30


def partner_access_ends_on(
    membership: Membership | None, on: dt.date | None = None
) -> dt.date | None:
    """The last day the partner's access to cases lasts, or ``None`` (no partner, no agreement).

    The access lasts while a school–partner agreement between the membership's school and its
    organisation is in force (``cases_visible_to``). If several follow each other with no gap
    (a renewed agreement already approved by the board), the access lasts to the end of the
    last one. A revocation ends it at once, whatever this date says.
    """
    if membership is None or membership.role != Role.PARTNER:
        return None
    day = on or clock.today()
    active = active_school_partner_agreements(
        membership.school_id, membership.partner_organisation_id, day
    )
    end = max(active.values_list("ends_on", flat=True), default=None)
    if end is None:
        return None
    following = list(
        Agreement.objects.filter(
            school_id=membership.school_id,
            partner_organisation_id=membership.partner_organisation_id,
            kind=AgreementKind.SCHOOL_PARTNER,
            status=AgreementStatus.CONCLUDED,
            board_approved_on__isnull=False,
            ends_on__gt=end,
        ).values_list("starts_on", "ends_on")
    )
    extended = True
    while extended:
        extended = False
        for starts_on, ends_on in following:
            if starts_on <= end + dt.timedelta(days=1) and ends_on > end:
                end, extended = ends_on, True
    return end


def partner_access_notice(membership: Membership | None) -> dict[str, object] | None:
    """What a partner's pages say about the end of their access: the date, and whether the
    30-day notice applies (``None`` for anyone else, or a partner with no agreement in force)."""
    ends_on = partner_access_ends_on(membership)
    if ends_on is None:
        return None
    days_left = (ends_on - clock.today()).days
    return {
        "ends_on": ends_on,
        "days_left": days_left,
        "soon": days_left <= ACCESS_END_NOTICE_DAYS,
    }
