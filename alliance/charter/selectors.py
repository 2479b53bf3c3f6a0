"""Reads of the charter: the current version and who adhered to it."""

from alliance.charter.models import CharterAdhesion, CharterVersion
from alliance.tenancy.models import Membership, School


def charter_current(school: School) -> CharterVersion | None:
    """The school's current charter: its highest published version, if any."""
    return CharterVersion.objects.filter(school=school).order_by("-number").first()


def has_adhered_to_current(membership: Membership | None) -> bool:
    """True when the membership adhered to its school's current charter version.

    A school with no published charter has no adherent: nobody sees pupils there
    until the head publishes one and members adhere.
    """
    if membership is None:
        return False
    cached = getattr(membership, "_adhered_current", None)
    if cached is not None:
        return bool(cached)
    current = charter_current(membership.school)
    result = (
        current is not None
        and CharterAdhesion.objects.filter(membership=membership, charter_version=current).exists()
    )
    membership._adhered_current = result  # type: ignore[attr-defined]
    return result


def adhesion_of(membership: Membership, version: CharterVersion) -> CharterAdhesion | None:
    return CharterAdhesion.objects.filter(membership=membership, charter_version=version).first()
