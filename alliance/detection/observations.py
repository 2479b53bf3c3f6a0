"""The observation grid: staff note qualitative signs in a pupil, with a date.

The grid is the school's sign catalogue (``cases.SignCatalogueEntry``, French defaults in
``cases.services.DEFAULT_SIGNS``), the same one the referral form offers: a sign means the
same thing whether it is noted on its own or in a referral. The signs that the imported data
already measure (absences, lateness, falling results) are not offered here: the engine
counts them from the data, and noting them again would count them twice.

The head keeps the catalogue on the cases side (``cases.services.sign_catalogue_add`` and
``sign_catalogue_set_active``, page ``sign_catalogue``). ``observation_record`` checks the
actor and writes its audit events in the same transaction. Reads start from the acting
membership and return nothing by default.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.cases.models import Case, SignCatalogueEntry
from alliance.cases.selectors import cases_visible_to
from alliance.cases.services import sign_catalogue_ensure
from alliance.core import clock
from alliance.detection.models import Observation
from alliance.detection.perms import can_read_watchlist
from alliance.detection.perms import can_record_observations as _can_record
from alliance.pupils.models import Pupil
from alliance.pupils.selectors import pupils_visible_to
from alliance.tenancy.models import Membership, School

#: Signs of the catalogue the imported data already measure: not offered in the grid.
DATA_MEASURED_SIGNS = frozenset({"absences", "lateness", "falling_grades"})
#: How far back an observation may be dated (a school year and a bit).
MAX_AGE_DAYS = 400
SIGN_LABEL_MAX_LENGTH = 200


def can_record_observations(membership: Membership | None) -> bool:
    return bool(_can_record(membership))


# --------------------------------------------------------------------------- reads


def grid_signs(school: School) -> QuerySet[SignCatalogueEntry]:
    """The signs offered in the school's observation grid (defaults given on first use)."""
    sign_catalogue_ensure(school=school)
    return (
        SignCatalogueEntry.objects.filter(school=school, is_active=True)
        .exclude(code__in=DATA_MEASURED_SIGNS)
        .order_by("position", "label")
    )


def observations_visible_to(membership: Membership | None) -> QuerySet[Observation]:
    """The observations ``membership`` may read.

    Rule, in words: nothing unless the membership sees the pupils; then those who read the
    watchlist (the head, the professions the school allows) read every observation of the
    school's pupils, since the watchlist shows them as reasons; any other staff member reads
    the observations they recorded themselves, and no one else's.
    """
    if membership is None:
        return Observation.objects.none()
    observations = Observation.objects.filter(
        school_id=membership.school_id, pupil__in=pupils_visible_to(membership)
    ).select_related("sign", "recorded_by__user")
    if can_read_watchlist(membership):
        return observations
    return observations.filter(recorded_by_id=membership.pk)


def observations_of_pupil(membership: Membership | None, pupil: Pupil) -> QuerySet[Observation]:
    """The observations of ``pupil`` that ``membership`` may read, newest first."""
    return (
        observations_visible_to(membership)
        .filter(pupil_id=pupil.pk)
        .order_by("-observed_on", "-pk")
    )


def observations_for_case(membership: Membership | None, case: Case) -> QuerySet[Observation]:
    """The grid observations of the case's pupil, for the case page.

    Rule, in words: whoever may see the case reads every observation of its pupil (the
    team works on this pupil); anyone else reads none, and nothing says a case exists.
    """
    if membership is None or not cases_visible_to(membership).filter(pk=case.pk).exists():
        return Observation.objects.none()
    return (
        Observation.objects.filter(school_id=case.school_id, pupil_id=case.pupil_id)
        .select_related("sign", "recorded_by__user")
        .order_by("-observed_on", "-pk")
    )


# --------------------------------------------------------------------------- writes


@transaction.atomic
def observation_record(
    *,
    actor: Membership,
    pupil: Pupil,
    signs: Iterable[SignCatalogueEntry],
    observed_on: dt.date,
) -> list[Observation]:
    """Note ``signs`` seen in ``pupil`` on ``observed_on``; returns the new observations.

    A sign the same person already noted for the same pupil on the same day is not noted
    twice. One audit event per observation.
    """
    if not can_record_observations(actor) or pupil.school_id != actor.school_id:
        raise PermissionDenied
    if not pupils_visible_to(actor).filter(pk=pupil.pk).exists():
        raise PermissionDenied
    errors: dict[str, str] = {}
    if pupil.left_on is not None:
        errors["__all__"] = _("This pupil has left the school: no observation can be noted.")
    today = clock.today()
    if observed_on > today:
        errors["observed_on"] = _("The date cannot be in the future.")
    elif observed_on < today - dt.timedelta(days=MAX_AGE_DAYS):
        errors["observed_on"] = _("The date is more than a year ago.")
    chosen = list(dict.fromkeys(signs))
    if not chosen:
        errors["signs"] = _("Choose at least one sign.")
    for sign in chosen:
        if (
            sign.school_id != actor.school_id
            or not sign.is_active
            or sign.code in DATA_MEASURED_SIGNS
        ):
            errors["signs"] = _("This sign is not part of the school's grid.")
    if errors:
        raise ValidationError(errors)
    already = set(
        Observation.objects.filter(
            pupil_id=pupil.pk, observed_on=observed_on, recorded_by_id=actor.pk
        ).values_list("sign_id", flat=True)
    )
    created = []
    for sign in chosen:
        if sign.pk in already:
            continue
        observation = Observation(
            school_id=actor.school_id,
            pupil=pupil,
            sign=sign,
            observed_on=observed_on,
            recorded_by=actor,
        )
        observation.full_clean()
        observation.save()
        audit_record(action="create", target=observation, membership=actor)
        created.append(observation)
    return created
