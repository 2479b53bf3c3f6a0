"""Writes of pupil data. Each one checks the actor, validates, and audits in the same transaction."""

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.core import clock
from alliance.pupils.models import Guardian, Pupil
from alliance.pupils.perms import can_edit_pupils
from alliance.pupils.signals import pupil_left
from alliance.tenancy.models import Division, Membership

PUPIL_FIELDS = ("last_name", "first_name", "birth_date", "division", "national_id")
GUARDIAN_FIELDS = (
    "last_name",
    "first_name",
    "relationship",
    "legal_responsibility",
    "phone",
    "email",
    "address",
)


class EditConflictError(ValidationError):
    """Someone else saved the record after the form was opened."""


def _check_can_edit(actor: Membership, pupil_school_id: int) -> None:
    if not can_edit_pupils(actor) or actor.school_id != pupil_school_id:
        raise PermissionDenied


def _check_division(division: Division | None, school_id: int) -> None:
    if division is not None and division.school_id != school_id:
        raise ValidationError({"division": _("This division belongs to another school.")})


@transaction.atomic
def pupil_create(
    *,
    actor: Membership,
    last_name: str,
    first_name: str,
    birth_date: dt.date,
    division: Division | None = None,
    national_id: str = "",
) -> Pupil:
    _check_can_edit(actor, actor.school_id)
    _check_division(division, actor.school_id)
    pupil = Pupil(
        school_id=actor.school_id,
        last_name=last_name.strip(),
        first_name=first_name.strip(),
        birth_date=birth_date,
        division=division,
        national_id=national_id.strip().upper(),
    )
    pupil.full_clean()
    pupil.save()
    audit_record(action="create", target=pupil, membership=actor)
    return pupil


@transaction.atomic
def pupil_update(
    *, actor: Membership, pupil: Pupil, expected_version: int, **changes: Any
) -> Pupil:
    """Apply ``changes``; refuse with a conflict when the pupil changed since ``expected_version``."""
    _check_can_edit(actor, pupil.school_id)
    unknown = set(changes) - set(PUPIL_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _check_division(changes.get("division"), pupil.school_id)
    for name, value in changes.items():
        setattr(pupil, name, value.strip() if isinstance(value, str) else value)
    pupil.national_id = pupil.national_id.upper()
    pupil.full_clean()
    # Optimistic lock: the row is written only if nobody saved it since the form was read.
    updated = Pupil.objects.filter(pk=pupil.pk, version=expected_version).update(
        **{name: getattr(pupil, name) for name in changes},
        version=F("version") + 1,
        updated_at=clock.now(),
    )
    if updated != 1:
        raise EditConflictError(
            _(
                "Someone else changed this pupil while you were editing. Reload the page to see their changes."
            )
        )
    pupil.refresh_from_db()
    audit_record(action="update", target=pupil, membership=actor)
    return pupil


@transaction.atomic
def pupil_mark_left(*, actor: Membership, pupil: Pupil, left_on: dt.date | None = None) -> Pupil:
    _check_can_edit(actor, pupil.school_id)
    if pupil.left_on is None:
        pupil.left_on = left_on or clock.today()
        pupil.version += 1
        pupil.save(update_fields=["left_on", "version", "updated_at"])
        audit_record(action="update", target=pupil, membership=actor)
        pupil_left.send(sender=Pupil, pupil=pupil, actor=actor)
    return pupil


@transaction.atomic
def guardian_create(*, actor: Membership, pupil: Pupil, **fields: Any) -> Guardian:
    _check_can_edit(actor, pupil.school_id)
    unknown = set(fields) - set(GUARDIAN_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    guardian = Guardian(school_id=pupil.school_id, pupil=pupil, **fields)
    guardian.full_clean()
    guardian.save()
    audit_record(action="create", target=guardian, membership=actor)
    return guardian
