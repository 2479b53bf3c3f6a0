"""Helpers for management commands that act as one person in one school."""

from collections.abc import Callable

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from alliance.people.models import User
from alliance.tenancy.models import Membership, School


def membership_for_command(
    *, uai: str, email: str, allowed: Callable[[Membership], bool], refusal: str
) -> Membership:
    """The first membership of ``email`` in the school ``uai`` that ``allowed`` accepts.

    ``refusal`` is the message when none does; it may use ``%(email)s`` and ``%(uai)s``.
    """
    school = School.objects.filter(uai=uai.strip().upper()).first()
    if school is None:
        raise CommandError(_("no school with UAI “%(uai)s”") % {"uai": uai})
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(_("no user with e-mail “%(email)s”") % {"email": email})
    memberships = (
        Membership.objects.filter(user=user, school=school)
        .select_related("user", "school")
        .order_by("pk")
    )
    for membership in memberships:
        if allowed(membership):
            return membership
    raise CommandError(refusal % {"email": email, "uai": school.uai})
