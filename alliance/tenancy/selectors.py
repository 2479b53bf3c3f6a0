"""Reads of schools and memberships."""

from typing import Any

from django.db.models import QuerySet

from alliance.tenancy.models import Membership


def live_memberships_of(user: Any) -> QuerySet[Membership]:
    """The memberships a logged-in user may act through today, in a stable order."""
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return (
        Membership.objects.live()
        .filter(user=user)
        .select_related("school", "user", "partner_organisation")
        .order_by("school__name", "role", "pk")
    )
