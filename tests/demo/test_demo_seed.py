"""The demo data: two schools, every role and profession, the charter gate, story pupils, determinism."""

import hashlib
import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count, F, Q

from alliance.audit.models import AuditEvent
from alliance.audit.services import audit_verify
from alliance.charter.models import BoardPresentation, CharterVersion
from alliance.charter.selectors import has_adhered_to_current
from alliance.charter.services import default_charter_text
from alliance.core import clock
from alliance.demo import generator
from alliance.demo.generator import (
    COLLEGE,
    DEMO_PASSWORD,
    LP,
    PERSONAS,
    college_divisions,
    demo_summary,
    format_logins,
    lp_divisions,
    luhn_valid,
    seed_demo,
)
from alliance.partners.models import PartnerOrganisation
from alliance.people.models import User
from alliance.pupils.models import Guardian, GuardianRelationship, Pupil
from alliance.tenancy.models import Division, Membership, Profession, Role, School
from alliance.tenancy.uai import is_valid_uai
from alliance.tenancy.years import school_year_label

SMALL = 60


@pytest.fixture
def demo(db):
    return seed_demo(total_pupils=SMALL, seed=7)


def _year_start() -> int:
    return int(school_year_label(clock.today())[:4])


def digest() -> str:
    """A digest of everything a person reads in the demo data (not ids, not timestamps)."""
    h = hashlib.sha256()
    rows = [
        *School.objects.order_by("uai").values_list("uai", "name", "school_type", "city"),
        *Division.objects.order_by("school__uai", "code").values_list(
            "school__uai", "code", "level"
        ),
        *Pupil.objects.order_by(
            "school__uai", "division__code", "last_name", "first_name", "birth_date"
        ).values_list(
            "school__uai", "division__code", "last_name", "first_name", "birth_date", "national_id"
        ),
        *Guardian.objects.order_by(
            "pupil__school__uai",
            "pupil__last_name",
            "pupil__first_name",
            "pupil__birth_date",
            "relationship",
            "last_name",
            "first_name",
            "phone",
        ).values_list(
            "pupil__last_name",
            "pupil__first_name",
            "pupil__birth_date",
            "relationship",
            "last_name",
            "first_name",
            "legal_responsibility",
            "phone",
            "email",
            "address",
        ),
        *User.objects.order_by("email").values_list("email", "first_name", "last_name"),
        *Membership.objects.order_by("user__email", "school__uai").values_list(
            "user__email",
            "school__uai",
            "role",
            "profession",
            "partner_organisation__name",
            "valid_from",
            "valid_until",
        ),
        *PartnerOrganisation.objects.order_by("name").values_list("name", "kind", "siret"),
        *BoardPresentation.objects.order_by("school__uai").values_list(
            "school__uai", "presented_on", "minutes_reference"
        ),
    ]
    for row in rows:
        h.update(repr(row).encode())
    return h.hexdigest()


def _seed_and_digest(seed: int, total: int = SMALL) -> str:
    with transaction.atomic():
        seed_demo(total_pupils=total, seed=seed)
        result = digest()
        transaction.set_rollback(True)
    return result


# --- Schools, divisions, pupils -----------------------------------------------------------


def test_two_schools_with_valid_uai(demo):
    schools = {s.uai: s for s in School.objects.all()}
    assert set(schools) == {COLLEGE.uai, LP.uai}
    for school in schools.values():
        assert is_valid_uai(school.uai)
        school.full_clean()  # the model's own validators, UAI check letter included
    assert schools[COLLEGE.uai].school_type == "college"
    assert schools[LP.uai].school_type == "lp"
    assert [s.name for s in demo.schools] == [COLLEGE.name, LP.name]


def test_pupils_split_55_45_into_the_expected_divisions(demo):
    college, lp = School.objects.get(uai=COLLEGE.uai), School.objects.get(uai=LP.uai)
    assert Pupil.objects.filter(school=college).count() == 33
    assert Pupil.objects.filter(school=lp).count() == 27
    assert demo.pupils == SMALL
    codes = set(Division.objects.filter(school=college).values_list("code", flat=True))
    assert {f"{level} {letter}" for level in ("6e", "5e", "4e", "3e") for letter in "ABCD"} <= codes
    lp_codes = list(Division.objects.filter(school=lp).values_list("code", flat=True))
    assert lp_codes and all(re.fullmatch(r"(2NDE|1RE|TLE) [A-Z]+\d*", c) for c in lp_codes)
    assert "1RE MELEC" in lp_codes
    # Every pupil is in a division of their own school, of the current school year.
    label = school_year_label(clock.today())
    assert not Pupil.objects.exclude(division__school=F("school")).exists()
    assert set(Division.objects.values_list("school_year__label", flat=True)) == {label}


def test_the_default_size_is_about_600_and_500_pupils_in_classes_of_25():
    college = college_divisions(605)
    lp = lp_divisions(495)
    assert sum(d.size for d in college) == 605
    assert sum(d.size for d in lp) == 495
    assert all(22 <= d.size <= 28 for d in college)
    assert all(18 <= d.size <= 24 for d in lp)


def test_a_large_total_makes_more_divisions_not_bigger_ones():
    college = college_divisions(55_000)
    lp = lp_divisions(45_000)
    assert sum(d.size for d in college) == 55_000
    assert sum(d.size for d in lp) == 45_000
    assert max(d.size for d in college) <= 28
    assert max(d.size for d in lp) <= 24
    codes = [d.code for d in college] + [d.code for d in lp]
    assert len(codes) == len(set(codes))
    assert all(len(c) <= 32 for c in codes)  # Division.code's max_length


def test_birth_dates_fit_the_level(db):
    seed_demo(total_pupils=400, seed=11)
    start = _year_start()
    normal_age = {"6e": 11, "5e": 12, "4e": 13, "3e": 14, "2nde": 15, "1re": 16, "Tle": 17}
    on_time = 0
    pupils = list(Pupil.objects.select_related("division"))
    for pupil in pupils:
        age = start - pupil.birth_date.year
        expected = normal_age[pupil.division.level]
        assert expected - 1 <= age <= expected + 2, (pupil.division.level, pupil.birth_date)
        on_time += age == expected
    assert on_time / len(pupils) > 0.6


def test_the_story_pupils_exist_where_the_stories_put_them(demo):
    ines = Pupil.objects.select_related("school", "division").get(
        first_name="Inès", last_name="Belkacem"
    )
    assert ines.school.uai == COLLEGE.uai
    assert ines.division.code == "4e B"
    assert {g.relationship for g in ines.guardians.all()} == {"mother", "father"}
    yanis = Pupil.objects.select_related("school").get(first_name="Yanis", last_name="Lambert")
    assert yanis.school.uai == COLLEGE.uai
    samir = Pupil.objects.select_related("school", "division").get(
        first_name="Samir", last_name="Benchikh"
    )
    assert samir.school.uai == LP.uai
    assert samir.division.code.startswith("1RE MELEC")
    assert samir.left_on is None  # he leaves in March, in the story, not before


def test_guardians_and_pupil_ids_look_real_but_are_invented(db):
    seed_demo(total_pupils=600, seed=3)
    guardians = list(Guardian.objects.all())
    phones = [g.phone for g in guardians if g.phone]
    assert phones and all(re.fullmatch(r"0[16] \d\d \d\d \d\d \d\d", p) for p in phones)
    # Only the numbers ARCEP reserves for fiction: nobody can be called by mistake.
    assert all(p.startswith(("06 39 98 ", "01 99 00 ")) for p in phones)
    emails = [g.email for g in guardians if g.email]
    assert emails and all(e.endswith(("@example.fr", "@example.org")) for e in emails)
    assert all(g.address for g in guardians)
    relationships = {g.relationship for g in guardians}
    assert {
        GuardianRelationship.MOTHER,
        GuardianRelationship.FATHER,
        GuardianRelationship.GUARDIAN,
        GuardianRelationship.CHILD_WELFARE,
    } <= relationships
    per_pupil = list(
        Pupil.objects.annotate(
            n=Count("guardians", filter=Q(guardians__legal_responsibility=True))
        ).values_list("n", flat=True)
    )
    assert per_pupil.count(2) > per_pupil.count(1) > 0  # usually two, sometimes one
    ines = [p.national_id for p in Pupil.objects.all()]
    with_ine = [i for i in ines if i]
    assert 0.5 < len(with_ine) / len(ines) < 0.9  # some pupils have an INE, not all
    assert all(re.fullmatch(r"\d{10}[A-Z]", i) for i in with_ine)
    # Diverse names: many distinct family names, not one repeated list.
    assert Pupil.objects.values("last_name").distinct().count() > 150


# --- People, roles, charter -----------------------------------------------------------------


def test_every_role_and_profession_has_a_persona(demo):
    memberships = Membership.objects.all()
    assert {m.role for m in memberships} == set(Role.values)
    assert {m.profession for m in memberships} == set(Profession.values)
    for persona in PERSONAS:
        user = User.objects.get(email=persona.email)
        assert authenticate(username=persona.email, password=DEMO_PASSWORD) == user
        assert user.memberships.count() == len(persona.schools)


def test_the_psyen_and_the_academie_serve_both_schools(demo):
    for email in ("psyen@demo.example.fr", "academie@demo.example.fr"):
        schools = set(
            Membership.objects.live()
            .filter(user__email=email)
            .values_list("school__uai", flat=True)
        )
        assert schools == {COLLEGE.uai, LP.uai}
    assert (
        Membership.objects.get(user__email="academie@demo.example.fr", school__uai=LP.uai).role
        == Role.DISTRICT
    )


def test_partners_belong_to_their_organisations(demo):
    orgs = {o.name: o for o in PartnerOrganisation.objects.all()}
    assert set(orgs) == {
        "Association Coup de Pouce Quartier",
        "Mission locale du Val des Alliances",
    }
    for org in orgs.values():
        assert re.fullmatch(r"\d{14}", org.siret) and luhn_valid(org.siret)
        org.full_clean()
        people = Membership.objects.filter(partner_organisation=org, school__uai=COLLEGE.uai)
        assert people.count() >= 2  # a coordinator and a volunteer or professional
    partner_memberships = Membership.objects.filter(role=Role.PARTNER)
    assert not partner_memberships.filter(partner_organisation__isnull=True).exists()
    assert (
        not Membership.objects.exclude(role=Role.PARTNER)
        .filter(partner_organisation__isnull=False)
        .exists()
    )
    coordinatrice = Membership.objects.get(user__email="coordinatrice@coup-de-pouce.example.org")
    assert coordinatrice.partner_organisation.name == "Association Coup de Pouce Quartier"
    assert coordinatrice.valid_until is not None  # the agreement ends in June
    # Every membership is in force today (the demo works on the day it is seeded).
    assert Membership.objects.live().count() == Membership.objects.count()


def test_charter_v1_presented_to_the_board_and_adhered_by_all_but_the_new_teacher(demo):
    title, _body = default_charter_text()
    start = _year_start()
    for school in School.objects.all():
        versions = list(CharterVersion.objects.filter(school=school))
        assert [(v.number, v.title) for v in versions] == [(1, title)]
        assert versions[0].published_by.role == Role.HEAD
        board = BoardPresentation.objects.get(charter_version=versions[0])
        assert board.presented_on.year == start
        assert board.presented_on.month == 9 or board.presented_on == clock.today()
        assert re.fullmatch(rf"CA {start}-\d\d", board.minutes_reference)
    not_adhered = [
        m
        for m in Membership.objects.select_related("user", "school")
        if not has_adhered_to_current(m)
    ]
    assert [m.user.email for m in not_adhered] == ["nouveau.prof@clg-demo.example.fr"]
    rows = {row.email: row for row in demo.logins}
    assert [e for e, row in rows.items() if not row.adhered] == ["nouveau.prof@clg-demo.example.fr"]


# --- Determinism, idempotence, audit --------------------------------------------------------


def test_same_seed_same_data_and_another_seed_other_data(db):
    first = _seed_and_digest(seed=5)
    assert School.objects.count() == 0  # rolled back
    assert _seed_and_digest(seed=5) == first
    assert _seed_and_digest(seed=6) != first


def test_the_generator_does_not_depend_on_the_database(db):
    """Same seed, same plan: the rows drawn before anything is written are identical."""
    import random

    def plan(seed):
        maker = generator._PeopleMaker(random.Random(seed), 2026)
        rows = list(generator.generate_pupils(maker, COLLEGE, college_divisions(100)))
        return [
            (d.code, r.first_name, r.last_name, r.birth_date, r.national_id, r.guardians)
            for d, r in rows
        ]

    assert plan(1) == plan(1)
    assert plan(1) != plan(2)


def test_seeding_twice_changes_nothing(demo):
    before = (digest(), AuditEvent.objects.count(), Pupil.objects.count(), User.objects.count())
    again = seed_demo(total_pupils=500, seed=99)
    assert again.created is False
    assert demo.created is True
    assert (
        digest(),
        AuditEvent.objects.count(),
        Pupil.objects.count(),
        User.objects.count(),
    ) == before
    assert again.logins == demo.logins


def test_one_import_event_per_school_and_no_personal_data_in_the_trail(demo):
    seeds = AuditEvent.objects.filter(object_type="demo.seed")
    assert sorted(e.school_id for e in seeds) == sorted(School.objects.values_list("pk", flat=True))
    assert {e.action for e in seeds} == {"import"}
    # Far fewer events than rows: the pupils were not audited one by one.
    bulk_created = AuditEvent.objects.filter(
        object_type__in=["pupils.pupil", "pupils.guardian"], action="create"
    )
    assert not bulk_created.exists()
    assert audit_verify() is None
    personal = set()
    for pupil in Pupil.objects.all():
        personal |= {pupil.first_name, pupil.last_name, pupil.birth_date.isoformat()}
        if pupil.national_id:
            personal.add(pupil.national_id)
    for guardian in Guardian.objects.all():
        personal |= {guardian.last_name, guardian.phone, guardian.email} - {""}
    for user in User.objects.all():
        personal |= {user.email, user.first_name, user.last_name}
    personal = {p for p in personal if len(p) >= 3}
    for event in AuditEvent.objects.all():
        text = " ".join(
            str(v)
            for v in (event.action, event.object_type, event.object_public_id, event.request_id)
        )
        assert not any(p in text for p in personal), text


# --- The command ------------------------------------------------------------------------------


def test_command_creates_then_prints_the_logins(db, settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo_seed", "--pupils", "40", "--seed", "1", stdout=out)
    text = out.getvalue()
    assert "Demo data created" in text
    assert DEMO_PASSWORD in text
    for persona in PERSONAS:
        assert persona.email in text
    assert re.search(r"nouveau\.prof@clg-demo\.example\.fr\s+collège\s+staff\s+teacher\s+NO", text)
    assert Pupil.objects.count() == 40

    out = io.StringIO()
    call_command("demo_seed", "--pupils", "40", stdout=out)
    assert "already" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()
    assert Pupil.objects.count() == 40


def test_command_refuses_to_reset_existing_data_and_says_how(demo, settings):
    settings.DEBUG = True
    with pytest.raises(CommandError, match=r"To start again: .*migrate") as refused:
        call_command("demo_seed", "--reset", stdout=io.StringIO())
    if connection.vendor == "sqlite":  # names the file to delete
        assert str(settings.DATABASES["default"]["NAME"]) in str(refused.value)
    assert Pupil.objects.count() == SMALL


def test_command_refuses_reset_off_sqlite_without_debug(db, settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setattr(
        "alliance.demo.management.commands.demo_seed.connection.vendor", "postgresql"
    )
    with pytest.raises(CommandError, match="SQLite demo or a DEBUG"):
        call_command("demo_seed", "--reset", stdout=io.StringIO())


def test_command_needs_debug_to_create_accounts_with_a_published_password(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="ALLIANCE_DEBUG=1"):
        call_command("demo_seed", "--pupils", "10", stdout=io.StringIO())
    assert not School.objects.exists()
    call_command("demo_seed", "--pupils", "10", "--allow-without-debug", stdout=io.StringIO())
    assert School.objects.count() == 2


def test_login_table_lists_every_persona(demo):
    table = format_logins(demo_summary(created=False))
    lines = table.splitlines()
    assert len(lines) == 2 + len(PERSONAS)
    assert "psyen@demo.example.fr" in table and "collège, LP" in table


@pytest.mark.parametrize("document", ["docs/demo.md", "README.md"])
def test_the_documentation_lists_every_login_and_the_password(document):
    from django.conf import settings

    doc = (settings.BASE_DIR / document).read_text(encoding="utf-8")
    assert DEMO_PASSWORD in doc
    for persona in PERSONAS:
        row = next(line for line in doc.splitlines() if f"`{persona.email}`" in line)
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2:4] == [persona.role, persona.profession], row
        assert (cells[4] == "yes") == persona.adheres, row
