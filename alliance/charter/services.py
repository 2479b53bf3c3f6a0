"""Writes on the charter: publish a version, record its board presentation, adhere."""

import datetime as dt
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.charter.models import BoardPresentation, CharterAdhesion, CharterVersion
from alliance.charter.selectors import charter_current
from alliance.core import clock
from alliance.tenancy.models import Membership, Role, School

DEFAULT_CHARTER_PATH = Path(__file__).with_name("default_charter_fr.md")


def default_charter_text() -> tuple[str, str]:
    """The product's default charter (title, body), in its own words, after the five articles."""
    title, _sep, body = DEFAULT_CHARTER_PATH.read_text(encoding="utf-8").partition("\n")
    return title.strip(), body.strip()


@transaction.atomic
def charter_publish(
    *, school: School, title: str, body: str, actor: Membership | None
) -> CharterVersion:
    """Publish a new version of the school's charter; every member must adhere again.

    Only the head of the school may publish (``actor`` is ``None`` only for set-up scripts).
    """
    if actor is not None and (actor.role != Role.HEAD or actor.school_id != school.pk):
        raise PermissionDenied
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise ValidationError(_("A charter needs a title and a text."))
    current = charter_current(school)
    if current is not None and current.title == title and current.body == body:
        raise ValidationError(_("This text is the same as the current version."))
    version = CharterVersion.objects.create(
        school=school,
        number=(current.number + 1) if current else 1,
        title=title,
        body=body,
        published_at=clock.now(),
        published_by=actor,
    )
    audit_record(action="publish", target=version, membership=actor, school=school)
    return version


@transaction.atomic
def board_presentation_record(
    *, version: CharterVersion, presented_on: dt.date, minutes_reference: str, actor: Membership
) -> BoardPresentation:
    """Record that a charter version was presented to the board (art. 5). Head only."""
    if actor.role != Role.HEAD or actor.school_id != version.school_id:
        raise PermissionDenied
    if presented_on > clock.today():
        raise ValidationError(_("The board meeting date cannot be in the future."))
    if not minutes_reference.strip():
        raise ValidationError(_("Give the reference of the board's minutes."))
    presentation = BoardPresentation.objects.create(
        school_id=version.school_id,
        charter_version=version,
        presented_on=presented_on,
        minutes_reference=minutes_reference.strip(),
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    audit_record(action="create", target=presentation, membership=actor)
    return presentation


@transaction.atomic
def charter_adhere(*, membership: Membership, version: CharterVersion) -> CharterAdhesion:
    """Adhere to ``version``, which must be the school's current one. Idempotent."""
    if version.school_id != membership.school_id:
        raise PermissionDenied
    current = charter_current(membership.school)
    if current is None or current.pk != version.pk:
        raise ValidationError(_("This is not the current version of the charter."))
    adhesion, created = CharterAdhesion.objects.get_or_create(
        membership=membership,
        charter_version=version,
        defaults={
            "school_id": membership.school_id,
            "user_id": membership.user_id,
            "adhered_at": clock.now(),
        },
    )
    if created:
        audit_record(action="adhere", target=version, membership=membership)
    membership._adhered_current = True  # type: ignore[attr-defined]
    return adhesion
