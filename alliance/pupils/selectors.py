"""Reads of pupil data. Every one starts from the acting membership and returns nothing by default."""

import uuid

from django.db.models import Q, QuerySet
from django.http import Http404

from alliance.charter.selectors import has_adhered_to_current
from alliance.pupils.models import Guardian, Pupil
from alliance.tenancy.models import Membership, Role

#: Roles that see the pupils of their school. Partners see pupils only through
#: the cases they are asked to work on (later); the académie and technical
#: admins never see pupils.
ROLES_SEEING_SCHOOL_PUPILS = frozenset({Role.HEAD, Role.STAFF})


def pupils_visible_to(membership: Membership | None) -> QuerySet[Pupil]:
    """The pupils ``membership`` may see.

    Rule, in words: a head or a staff member sees the pupils of the school of
    that membership, only while the membership is live and only after adhering
    to the school's current charter. Anyone else sees no pupil at all.
    """
    if (
        membership is None
        or membership.role not in ROLES_SEEING_SCHOOL_PUPILS
        or not membership.is_live()
        or not has_adhered_to_current(membership)
    ):
        return Pupil.objects.none()
    return Pupil.objects.filter(school_id=membership.school_id)


def pupil_get_visible(membership: Membership | None, public_id: uuid.UUID | str) -> Pupil:
    """Fetch one pupil and check access at once: missing and forbidden are the same 404."""
    try:
        return pupils_visible_to(membership).select_related("division").get(public_id=public_id)
    except (Pupil.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def pupils_search(
    membership: Membership | None,
    *,
    query: str = "",
    division_code: str = "",
    include_left: bool = False,
) -> QuerySet[Pupil]:
    pupils = pupils_visible_to(membership).select_related("division")
    if not include_left:
        pupils = pupils.filter(left_on__isnull=True)
    for word in query.split():
        pupils = pupils.filter(Q(last_name__icontains=word) | Q(first_name__icontains=word))
    if division_code:
        pupils = pupils.filter(division__code=division_code)
    return pupils.order_by("last_name", "first_name", "pk")


def guardians_visible_to(membership: Membership | None) -> QuerySet[Guardian]:
    """Guardians of the pupils ``membership`` may see, and no others."""
    return Guardian.objects.filter(pupil__in=pupils_visible_to(membership))
