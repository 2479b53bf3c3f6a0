"""Writes on schools and memberships."""

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction

from alliance.audit.services import audit_record
from alliance.tenancy.models import Division, Membership, School, SchoolYear

if TYPE_CHECKING:
    from alliance.partners.models import PartnerOrganisation
    from alliance.people.models import User


@transaction.atomic
def school_create(*, name: str, uai: str, school_type: str, city: str = "") -> School:
    school = School(name=name, uai=uai, school_type=school_type, city=city)
    school.full_clean()
    school.save()
    audit_record(action="create", target=school, school=school)
    return school


@transaction.atomic
def school_year_create(
    *, school: School, label: str, starts_on: dt.date, ends_on: dt.date
) -> SchoolYear:
    year = SchoolYear(school=school, label=label, starts_on=starts_on, ends_on=ends_on)
    year.full_clean()
    year.save()
    return year


def division_get_or_create(*, school_year: SchoolYear, code: str, level: str = "") -> Division:
    division, _created = Division.objects.get_or_create(
        school=school_year.school, school_year=school_year, code=code, defaults={"level": level}
    )
    return division


@transaction.atomic
def membership_create(
    *,
    user: "User",
    school: School,
    role: str,
    profession: str,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    partner_organisation: "PartnerOrganisation | None" = None,
    actor: Membership | None = None,
) -> Membership:
    membership = Membership(
        user=user,
        school=school,
        role=role,
        profession=profession,
        valid_from=valid_from,
        valid_until=valid_until,
        partner_organisation=partner_organisation,
    )
    membership.full_clean()
    membership.save()
    audit_record(action="create", target=membership, membership=actor, school=school)
    return membership
