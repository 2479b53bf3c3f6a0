"""factory_boy factories, with traits named after business situations."""

import datetime as dt

import factory

from alliance.charter.models import CharterAdhesion, CharterVersion
from alliance.partners.models import PartnerKind, PartnerOrganisation
from alliance.people.models import User
from alliance.pupils.models import Guardian, GuardianRelationship, Pupil
from alliance.tenancy.models import (
    Division,
    Membership,
    Profession,
    Role,
    School,
    SchoolType,
    SchoolYear,
)
from alliance.tenancy.uai import uai_check_letter

PASSWORD = "correct-horse-battery-staple"


def _uai(n: int) -> str:
    body = f"075{n:04d}"
    return body + uai_check_letter(body)


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    name = factory.Sequence(lambda n: f"Collège Test {n}")
    uai = factory.Sequence(lambda n: _uai(n + 100))
    school_type = SchoolType.COLLEGE


class SchoolYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolYear
        django_get_or_create = ("school", "label")

    school = factory.SubFactory(SchoolFactory)
    label = "2026-2027"
    starts_on = dt.date(2026, 9, 1)
    ends_on = dt.date(2027, 8, 31)


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Division

    school_year = factory.SubFactory(SchoolYearFactory)
    school = factory.SelfAttribute("school_year.school")
    code = factory.Sequence(lambda n: f"4E{n}")
    level = "4e"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    username = factory.SelfAttribute("email")
    first_name = "Camille"
    last_name = factory.Sequence(lambda n: f"Martin{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PartnerOrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerOrganisation

    name = factory.Sequence(lambda n: f"Association {n}")
    kind = PartnerKind.ASSOCIATION


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)
    role = Role.STAFF
    profession = Profession.TEACHER
    valid_from = dt.date(2020, 9, 1)
    valid_until = None

    class Params:
        head = factory.Trait(role=Role.HEAD, profession=Profession.PRINCIPAL)
        cpe = factory.Trait(role=Role.STAFF, profession=Profession.CPE)
        nurse = factory.Trait(role=Role.STAFF, profession=Profession.NURSE)
        partner = factory.Trait(
            role=Role.PARTNER,
            profession=Profession.PARTNER_PROFESSIONAL,
            partner_organisation=factory.SubFactory(PartnerOrganisationFactory),
        )
        expired = factory.Trait(valid_until=dt.date(2021, 8, 31))


class CharterVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CharterVersion

    school = factory.SubFactory(SchoolFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = "Charte de l'alliance éducative"
    body = "Texte de la charte."
    published_at = factory.LazyFunction(lambda: dt.datetime(2026, 9, 1, 8, 0, tzinfo=dt.UTC))


class CharterAdhesionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CharterAdhesion

    membership = factory.SubFactory(MembershipFactory)
    school = factory.SelfAttribute("membership.school")
    user = factory.SelfAttribute("membership.user")
    charter_version = factory.SubFactory(
        CharterVersionFactory, school=factory.SelfAttribute("..school")
    )
    adhered_at = factory.LazyFunction(lambda: dt.datetime(2026, 9, 2, 8, 0, tzinfo=dt.UTC))


class PupilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pupil

    school = factory.SubFactory(SchoolFactory)
    last_name = factory.Sequence(lambda n: f"Dupont{n}")
    first_name = "Inès"
    birth_date = dt.date(2012, 5, 17)
    division = None
    national_id = ""

    class Params:
        left = factory.Trait(left_on=dt.date(2026, 10, 1))


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    pupil = factory.SubFactory(PupilFactory)
    school = factory.SelfAttribute("pupil.school")
    last_name = factory.SelfAttribute("pupil.last_name")
    first_name = "Sophie"
    relationship = GuardianRelationship.MOTHER
    phone = "06 12 34 56 78"
