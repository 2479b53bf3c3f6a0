"""Deterministic demo data: two schools, their staff and partners, the charter, pupils and guardians.

``seed_demo(total_pupils=1100, seed=2026)`` builds, in one transaction:

- a collège (6e–3e, at least four divisions a level, about 25–28 pupils each) and a
  lycée professionnel (2nde / 1re / Tle bac pro divisions such as ``2NDE MRC1``,
  ``1RE MELEC``, ``TLE ASSP2``), sharing ``total_pupils`` 55 / 45; a large total gives
  more divisions, never bigger ones;
- staff personas for every role and profession, two partner organisations with their
  people, one shared demo password (:data:`DEMO_PASSWORD`);
- each school's default charter (v1), its board presentation, and every persona's
  adhesion except the newly arrived teacher's, who meets the charter gate;
- pupils and guardians, bulk-inserted, with one ``import`` audit event per school
  (``object_type="demo.seed"``) instead of one event per row;
- the pupils of the field stories (``SCENARIOS.md``): Inès (4e B) and Yanis at the
  collège, Samir at the lycée professionnel.

Everything a person reads (names, dates, divisions, phone numbers, addresses) comes
from ``random.Random(seed)`` and the current school year, so the same seed gives the
same data on the same day. No real person is described: names are drawn from
:mod:`alliance.demo.names`, phone numbers from the ranges ARCEP reserves for fiction
(06 39 98 xx xx, 01 99 00 xx xx), e-mail addresses at ``example.fr`` / ``example.org``,
towns and postcodes are invented, and the UAI codes use département 099, which does not
exist, so they cannot be a real school's.

Seeding is idempotent: when the demo schools exist, ``seed_demo`` changes nothing and
returns the summary of what is there.
"""

import datetime as dt
import math
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction

from alliance.audit.services import audit_record
from alliance.charter.models import CharterVersion
from alliance.charter.selectors import has_adhered_to_current
from alliance.charter.services import (
    board_presentation_record,
    charter_adhere,
    charter_publish,
    default_charter_text,
)
from alliance.core import clock
from alliance.demo import names
from alliance.demo.agreements import seed_agreements
from alliance.demo.cases import seed_cases
from alliance.demo.detection import seed_detection
from alliance.demo.meetings import PARIS, seed_meetings, story_clock
from alliance.demo.partners import seed_partners
from alliance.partners.models import PartnerKind, PartnerOrganisation
from alliance.people.models import User
from alliance.pupils.models import Guardian, GuardianRelationship, Pupil
from alliance.tenancy.models import Division, Membership, Profession, Role, School, SchoolType
from alliance.tenancy.services import membership_create, school_create
from alliance.tenancy.uai import uai_check_letter
from alliance.tenancy.years import current_school_year, school_year_label

#: The one password of every demo login. Printed by ``demo_seed``; never use it outside a demo.
DEMO_PASSWORD = "alliance-demo-2026"  # noqa: S105
DEFAULT_TOTAL_PUPILS = 1100
DEFAULT_SEED = 2026
#: Share of the pupils at the collège; the rest are at the lycée professionnel.
COLLEGE_SHARE = 0.55
#: Pupils written per ``bulk_create`` round (pupils, then their guardians).
CHUNK_SIZE = 2000


def _uai(body: str) -> str:
    return body + uai_check_letter(body)


def luhn_valid(digits: str) -> bool:
    """The Luhn check used by SIREN and SIRET numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _with_luhn_digit(prefix: str) -> str:
    return next(prefix + d for d in "0123456789" if luhn_valid(prefix + d))


def _siret(siren_body: str, nic_body: str) -> str:
    """An invented SIRET: a Luhn-valid SIREN (9 digits), then a NIC making the 14 digits valid."""
    return _with_luhn_digit(_with_luhn_digit(siren_body) + nic_body)


# --- What the demo contains --------------------------------------------------------------


@dataclass(frozen=True)
class SchoolSpec:
    key: str
    name: str
    uai: str
    school_type: str
    city: str
    short: str  # how the login table names it


COLLEGE = SchoolSpec(
    key="college",
    name="Collège Lucie-Aubrac",
    uai=_uai("0990001"),
    school_type=SchoolType.COLLEGE,
    city="Villeneuve-les-Alliances",
    short="collège",
)
LP = SchoolSpec(
    key="lp",
    name="Lycée professionnel Louise-Michel",
    uai=_uai("0990002"),
    school_type=SchoolType.LP,
    city="Villeneuve-les-Alliances",
    short="LP",
)
SCHOOLS = (COLLEGE, LP)


@dataclass(frozen=True)
class PartnerSpec:
    key: str
    name: str
    kind: str
    siret: str


COUP_DE_POUCE = PartnerSpec(
    key="coup-de-pouce",
    name="Association Coup de Pouce Quartier",
    kind=PartnerKind.ASSOCIATION,
    siret=_siret("99120345", "0001"),
)
MISSION_LOCALE = PartnerSpec(
    key="mission-locale",
    name="Mission locale du Val des Alliances",
    kind=PartnerKind.MISSION_LOCALE,
    siret=_siret("99120678", "0002"),
)
PARTNERS = (COUP_DE_POUCE, MISSION_LOCALE)


@dataclass(frozen=True)
class Persona:
    email: str
    first_name: str
    last_name: str
    schools: tuple[str, ...]  # SchoolSpec keys
    role: str
    profession: str
    description: str
    partner: str = ""  # PartnerSpec key
    adheres: bool = True
    newly_arrived: bool = False


_C, _L = COLLEGE.key, LP.key
# fmt: off
PERSONAS: tuple[Persona, ...] = (
    # The collège
    Persona("principal@clg-demo.example.fr", "Hélène", "Marchetti", (_C,), Role.HEAD,
            Profession.PRINCIPAL, "principale du collège"),
    Persona("adjoint@clg-demo.example.fr", "Karim", "Benhamou", (_C,), Role.HEAD,
            Profession.DEPUTY, "principal adjoint"),
    Persona("cpe@clg-demo.example.fr", "Nathalie", "Roux", (_C,), Role.STAFF,
            Profession.CPE, "CPE"),
    Persona("pp.4eb@clg-demo.example.fr", "Julien", "Morel", (_C,), Role.STAFF,
            Profession.FORM_TUTOR, "professeur principal de 4e B (français)"),
    Persona("prof@clg-demo.example.fr", "Sophie", "Nguyen", (_C,), Role.STAFF,
            Profession.TEACHER, "professeure de mathématiques"),
    Persona("referent@clg-demo.example.fr", "Thomas", "Girard", (_C,), Role.STAFF,
            Profession.DROPOUT_REFERENT, "référent décrochage"),
    Persona("infirmiere@clg-demo.example.fr", "Isabelle", "Lemoine", (_C,), Role.STAFF,
            Profession.NURSE, "infirmière scolaire"),
    Persona("assistante.sociale@clg-demo.example.fr", "Fatou", "Sow", (_C,), Role.STAFF,
            Profession.SOCIAL_WORKER, "assistante sociale"),
    Persona("medecin@clg-demo.example.fr", "Marc", "Perrin", (_C,), Role.STAFF,
            Profession.DOCTOR, "médecin scolaire"),
    Persona("nouveau.prof@clg-demo.example.fr", "Lucas", "Bernard", (_C,), Role.STAFF,
            Profession.TEACHER, "professeur arrivé cette semaine : n'a pas encore adhéré",
            adheres=False, newly_arrived=True),
    # The lycée professionnel
    Persona("proviseur@lp-demo.example.fr", "Philippe", "Garnier", (_L,), Role.HEAD,
            Profession.PRINCIPAL, "proviseur du lycée professionnel"),
    Persona("cpe@lp-demo.example.fr", "Samia", "Haddad", (_L,), Role.STAFF,
            Profession.CPE, "CPE"),
    Persona("prof@lp-demo.example.fr", "Antoine", "Ribeiro", (_L,), Role.STAFF,
            Profession.TEACHER, "professeur d'électrotechnique"),
    Persona("infirmier@lp-demo.example.fr", "David", "Leroy", (_L,), Role.STAFF,
            Profession.NURSE, "infirmier scolaire"),
    # Across both schools
    Persona("psyen@demo.example.fr", "Aïcha", "Diallo", (_C, _L), Role.STAFF,
            Profession.PSYEN, "psychologue de l'Éducation nationale, dans les deux établissements"),
    Persona("academie@demo.example.fr", "Catherine", "Dubois", (_C, _L), Role.DISTRICT,
            Profession.DISTRICT_OFFICER, "chargée de mission décrochage à l'académie"),
    Persona("admin@demo.example.fr", "Mehdi", "Amrani", (_C, _L), Role.ADMIN,
            Profession.TECHNICAL_ADMIN, "administrateur technique"),
    # Partners
    Persona("coordinatrice@coup-de-pouce.example.org", "Mariam", "Koné", (_C,), Role.PARTNER,
            Profession.PARTNER_PROFESSIONAL, "coordinatrice de l'aide aux devoirs",
            partner=COUP_DE_POUCE.key),
    Persona("benevole@coup-de-pouce.example.org", "Jacques", "Petit", (_C,), Role.PARTNER,
            Profession.VOLUNTEER, "bénévole de l'aide aux devoirs", partner=COUP_DE_POUCE.key),
    Persona("coordinateur@mission-locale.example.org", "Élodie", "Marchand", (_C,), Role.PARTNER,
            Profession.PARTNER_PROFESSIONAL, "responsable de secteur, mission locale",
            partner=MISSION_LOCALE.key),
    Persona("conseillere@mission-locale.example.org", "Leïla", "Bensaïd", (_C, _L), Role.PARTNER,
            Profession.PARTNER_PROFESSIONAL, "conseillère en insertion, mission locale",
            partner=MISSION_LOCALE.key),
)


@dataclass(frozen=True)
class ScenarioGuardian:
    relationship: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class ScenarioPupil:
    school: str  # SchoolSpec key
    first_name: str
    last_name: str
    division_prefix: str  # the first division whose code starts with this
    level_age: int  # age reached during the first calendar year of the school year
    guardians: tuple[ScenarioGuardian, ...]


_M, _F = GuardianRelationship.MOTHER, GuardianRelationship.FATHER
SCENARIO_PUPILS: tuple[ScenarioPupil, ...] = (
    ScenarioPupil(_C, "Inès", "Belkacem", "4e B", 13,
                  (ScenarioGuardian(_M, "Samia", "Belkacem"), ScenarioGuardian(_F, "Mourad", "Belkacem"))),
    ScenarioPupil(_C, "Yanis", "Lambert", "3e A", 14,
                  (ScenarioGuardian(_M, "Audrey", "Lambert"), ScenarioGuardian(_F, "Cédric", "Lambert"))),
    ScenarioPupil(_L, "Samir", "Benchikh", "1RE MELEC", 16,
                  (ScenarioGuardian(_M, "Nadia", "Benchikh"), ScenarioGuardian(_F, "Rachid", "Benchikh"))),
)
# fmt: on
_SCENARIO_NAMES = frozenset((p.first_name, p.last_name) for p in SCENARIO_PUPILS)


# --- Divisions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DivisionSpec:
    code: str
    level: str
    size: int
    age: int  # normal age reached during the first calendar year of the school year
    vocational: bool


def _apportion(total: int, weights: tuple[int, ...]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` (largest remainders; sums to ``total``)."""
    weight_sum = sum(weights)
    exact = [total * w / weight_sum for w in weights]
    parts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (parts[i] - exact[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA…, like spreadsheet columns (for very large collèges)."""
    text = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        text = chr(ord("A") + rest) + text
    return text


COLLEGE_LEVELS = (("6e", 11), ("5e", 12), ("4e", 13), ("3e", 14))
COLLEGE_MIN_DIVISIONS = 4  # A to D at least: 4e B always exists
COLLEGE_DIVISION_SIZE = 28
#: (code prefix, level, age, share of the school, bac pro tracks)
LP_LEVELS = (
    ("2NDE", "2nde", 15, 36, ("MRC", "MTNE", "GATL", "ASSP")),
    ("1RE", "1re", 16, 33, ("MCV", "MELEC", "AGORA", "ASSP")),
    ("TLE", "Tle", 17, 31, ("MCV", "MELEC", "AGORA", "ASSP")),
)
LP_DIVISION_SIZE = 24


def college_divisions(pupils: int) -> list[DivisionSpec]:
    divisions = []
    for (level, age), level_pupils in zip(
        COLLEGE_LEVELS, _apportion(pupils, (1,) * len(COLLEGE_LEVELS)), strict=True
    ):
        count = max(COLLEGE_MIN_DIVISIONS, math.ceil(level_pupils / COLLEGE_DIVISION_SIZE))
        for i, size in enumerate(_apportion(level_pupils, (1,) * count)):
            divisions.append(DivisionSpec(f"{level} {_letters(i)}", level, size, age, False))
    return divisions


def lp_divisions(pupils: int) -> list[DivisionSpec]:
    divisions = []
    shares = tuple(share for *_rest, share, _tracks in LP_LEVELS)
    for (prefix, level, age, _share, tracks), level_pupils in zip(
        LP_LEVELS, _apportion(pupils, shares), strict=True
    ):
        for track, track_pupils in zip(
            tracks, _apportion(level_pupils, (1,) * len(tracks)), strict=True
        ):
            count = max(1, math.ceil(track_pupils / LP_DIVISION_SIZE))
            for i, size in enumerate(_apportion(track_pupils, (1,) * count)):
                code = f"{prefix} {track}{i + 1}" if count > 1 else f"{prefix} {track}"
                divisions.append(DivisionSpec(code, level, size, age, True))
    return divisions


def split_total(total_pupils: int) -> tuple[int, int]:
    """(collège, lycée professionnel) pupils for a total: 55 / 45."""
    college = round(total_pupils * COLLEGE_SHARE)
    return college, total_pupils - college


# --- People -------------------------------------------------------------------------------

_GROUP_WEIGHTS = tuple(g.weight for g in names.GROUPS)
_INE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


@dataclass
class PupilRow:
    first_name: str
    last_name: str
    birth_date: dt.date
    national_id: str
    guardians: list[dict[str, object]] = field(default_factory=list)


class _PeopleMaker:
    """Draws invented pupils and guardians from one seeded generator."""

    def __init__(self, rng: random.Random, year_start: int) -> None:
        self.rng = rng
        self.year_start = year_start

    def group(self) -> names.NameGroup:
        return self.rng.choices(names.GROUPS, weights=_GROUP_WEIGHTS)[0]

    def birth_date(self, age: int, vocational: bool) -> dt.date:
        r = self.rng.random()
        if vocational:  # in bac pro, many pupils are a year or two older than the norm
            shift = 0 if r < 0.58 else 1 if r < 0.90 else 2 if r < 0.98 else -1
        else:
            shift = 0 if r < 0.88 else 1 if r < 0.98 else -1
        year = self.year_start - age - shift
        days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
        return dt.date(year, 1, 1) + dt.timedelta(days=self.rng.randrange(days))

    def phone(self) -> str:
        return f"06 39 98 {self.rng.randrange(100):02d} {self.rng.randrange(100):02d}"

    def email(self, first_name: str, last_name: str) -> str:
        local = f"{_slug(first_name)}.{_slug(last_name)}"
        if self.rng.random() < 0.4:
            local += str(self.rng.randrange(1, 100))
        domain = "example.fr" if self.rng.random() < 0.7 else "example.org"
        return f"{local}@{domain}"

    def address(self) -> str:
        rng = self.rng
        postcode, town = rng.choice(names.TOWNS)
        street = f"{rng.randrange(1, 140)} {rng.choice(names.STREETS)}"
        if rng.random() < 0.25:
            street = f"{rng.choice(names.RESIDENCES)}, bât. {rng.choice('ABCDEF')}\n{street}"
        return f"{street}\n{postcode} {town}"

    def person(
        self, relationship: str, first_name: str, last_name: str, address: str, legal: bool = True
    ) -> dict[str, object]:
        rng = self.rng
        return {
            "relationship": relationship,
            "first_name": first_name,
            "last_name": last_name,
            "legal_responsibility": legal,
            "phone": self.phone() if rng.random() < 0.95 else "",
            "email": self.email(first_name, last_name) if rng.random() < 0.8 else "",
            "address": address,
        }

    def guardians(
        self,
        group: names.NameGroup,
        father_last: str,
        mother_last: str,
    ) -> list[dict[str, object]]:
        rng = self.rng
        home = self.address()
        mother_group = group if rng.random() < 0.85 else self.group()
        mother = rng.choice(mother_group.mothers)
        father = rng.choice(group.fathers)
        r = rng.random()
        people: list[dict[str, object]] = []
        if r < 0.76:  # both parents; one household in four lives apart
            people.append(self.person(_M, mother, mother_last, home))
            father_home = home if rng.random() < 0.75 else self.address()
            people.append(self.person(_F, father, father_last, father_home))
        elif r < 0.90:
            people.append(self.person(_M, mother, mother_last, home))
        elif r < 0.93:
            people.append(self.person(_F, father, father_last, home))
        elif r < 0.965:  # a relative appointed guardian (tuteur, tutrice)
            tutor_group = group if rng.random() < 0.8 else self.group()
            first = rng.choice(tutor_group.mothers if rng.random() < 0.6 else tutor_group.fathers)
            last = father_last if rng.random() < 0.5 else rng.choice(tutor_group.last_names)
            people.append(self.person(GuardianRelationship.GUARDIAN, first, last, home))
        else:  # placed with the child welfare service (ASE); the mother often keeps her rights
            people.append(self.child_welfare())
            if rng.random() < 0.55:
                people.append(self.person(_M, mother, mother_last, home))
        if rng.random() < 0.04:  # a grandparent to call, without legal responsibility
            first = rng.choice(names.GRANDPARENTS)
            people.append(
                self.person(GuardianRelationship.OTHER, first, father_last, home, legal=False)
            )
        return people

    def child_welfare(self) -> dict[str, object]:
        rng = self.rng
        sector = rng.choice(("nord", "sud", "est", "ouest"))
        postcode, town = names.TOWNS[0]
        return {
            "relationship": GuardianRelationship.CHILD_WELFARE,
            "first_name": "",
            "last_name": f"Aide sociale à l'enfance — secteur {sector}",
            "legal_responsibility": True,
            "phone": f"01 99 00 {rng.randrange(100):02d} {rng.randrange(100):02d}",
            "email": f"ase.{sector}@example.fr",
            "address": f"Maison départementale des solidarités\n2 rue de l'Hôtel-de-Ville\n{postcode} {town}",
        }

    def pupil(self, division: DivisionSpec, used_ines: set[str]) -> PupilRow:
        rng = self.rng
        while True:
            group = self.group()
            girl = rng.random() < 0.5
            if rng.random() < 0.7:
                first = rng.choice(group.girls if girl else group.boys)
            else:
                first = rng.choice(names.COMMON_GIRLS if girl else names.COMMON_BOYS)
            father_last = rng.choice(group.last_names)
            mother_last = (
                father_last
                if rng.random() < 0.65
                else rng.choice((group if rng.random() < 0.8 else self.group()).last_names)
            )
            last = father_last
            if mother_last != father_last and rng.random() < 0.12:  # double family name
                last = f"{father_last} {mother_last}"
            if (first, last) not in _SCENARIO_NAMES:
                break
        birth = self.birth_date(division.age, division.vocational)
        national_id = self.national_id(used_ines) if rng.random() < 0.7 else ""
        row = PupilRow(first, last, birth, national_id)
        row.guardians = self.guardians(group, father_last, mother_last)
        return row

    def national_id(self, used: set[str]) -> str:
        while True:
            ine = f"{self.rng.randrange(10**10):010d}{self.rng.choice(_INE_LETTERS)}"
            if ine not in used:
                used.add(ine)
                return ine

    def scenario_pupil(self, spec: ScenarioPupil, used_ines: set[str]) -> PupilRow:
        year = self.year_start - spec.level_age
        days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
        birth = dt.date(year, 1, 1) + dt.timedelta(days=self.rng.randrange(days))
        row = PupilRow(spec.first_name, spec.last_name, birth, self.national_id(used_ines))
        home = self.address()
        row.guardians = [
            self.person(g.relationship, g.first_name, g.last_name, home) for g in spec.guardians
        ]
        for guardian in row.guardians:  # the story needs the parents reachable on paper
            guardian["phone"] = guardian["phone"] or self.phone()
        return row


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join("".join(c if c.isalnum() else " " for c in ascii_text.lower()).split())


def generate_pupils(
    maker: _PeopleMaker, school: SchoolSpec, divisions: list[DivisionSpec]
) -> Iterator[tuple[DivisionSpec, PupilRow]]:
    """Every pupil of ``school``, division after division, the story pupils in their division."""
    used_ines: set[str] = set()
    scenario = [p for p in SCENARIO_PUPILS if p.school == school.key]
    placed: dict[str, list[ScenarioPupil]] = {}
    for spec in scenario:
        home = next(d for d in divisions if d.code.startswith(spec.division_prefix))
        placed.setdefault(home.code, []).append(spec)
    for division in divisions:
        story = placed.get(division.code, [])
        for spec in story:
            yield division, maker.scenario_pupil(spec, used_ines)
        for _i in range(max(0, division.size - len(story))):
            yield division, maker.pupil(division, used_ines)


# --- Writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginRow:
    email: str
    schools: tuple[str, ...]
    role: str
    profession: str
    adhered: bool
    description: str


@dataclass(frozen=True)
class SchoolRow:
    name: str
    uai: str
    short: str
    divisions: int
    pupils: int
    guardians: int


@dataclass(frozen=True)
class DemoSummary:
    created: bool
    password: str
    schools: tuple[SchoolRow, ...]
    logins: tuple[LoginRow, ...]

    @property
    def pupils(self) -> int:
        return sum(s.pupils for s in self.schools)

    @property
    def guardians(self) -> int:
        return sum(s.guardians for s in self.schools)

    @property
    def divisions(self) -> int:
        return sum(s.divisions for s in self.schools)


def demo_present() -> bool:
    """True once a demo school exists (the seeding is all-or-nothing, in one transaction)."""
    return School.objects.filter(uai__in=[s.uai for s in SCHOOLS]).exists()


def seed_demo(total_pupils: int = DEFAULT_TOTAL_PUPILS, seed: int = DEFAULT_SEED) -> DemoSummary:
    """Create the demo data unless it exists; return what the database holds."""
    if total_pupils < 0:
        raise ValueError("total_pupils must be zero or more")
    with transaction.atomic():
        if demo_present():
            return demo_summary(created=False)
        _seed(total_pupils, seed)
    return demo_summary(created=True)


def _seed(total_pupils: int, seed: int) -> None:
    today = clock.today()
    year_start = int(school_year_label(today)[:4])
    rng = random.Random(seed)

    schools = {
        spec.key: school_create(
            name=spec.name, uai=spec.uai, school_type=spec.school_type, city=spec.city
        )
        for spec in SCHOOLS
    }
    years = {key: current_school_year(school, on=today) for key, school in schools.items()}
    partners = {
        spec.key: PartnerOrganisation.objects.create(
            name=spec.name, kind=spec.kind, siret=spec.siret
        )
        for spec in PARTNERS
    }

    # Staff and partners. One hash for all: they share the demo password anyway.
    password_hash = make_password(DEMO_PASSWORD)
    memberships: list[tuple[Persona, Membership]] = []
    for persona in PERSONAS:
        user = User(
            email=persona.email,
            username=persona.email,
            first_name=persona.first_name,
            last_name=persona.last_name,
            password=password_hash,
        )
        user.save()
        for key in persona.schools:
            starts_on = years[key].starts_on
            valid_from = today if persona.newly_arrived else min(starts_on, today)
            valid_until = None
            if persona.role == Role.PARTNER:  # the agreement runs to the end of June
                valid_until = max(dt.date(starts_on.year + 1, 6, 30), today)
            membership = membership_create(
                user=user,
                school=schools[key],
                role=persona.role,
                profession=persona.profession,
                valid_from=valid_from,
                valid_until=valid_until,
                partner_organisation=partners[persona.partner] if persona.partner else None,
            )
            memberships.append((persona, membership))

    # The charter: published by each head, presented to the board in September.
    title, body = default_charter_text()
    versions: dict[int, CharterVersion] = {}
    for number, spec in enumerate(SCHOOLS):
        school = schools[spec.key]
        head = next(
            m
            for p, m in memberships
            if m.school_id == school.pk and p.profession == Profession.PRINCIPAL
        )
        version = charter_publish(school=school, title=title, body=body, actor=head)
        board_presentation_record(
            version=version,
            presented_on=min(dt.date(year_start, 9, 18 + 7 * number), today),
            minutes_reference=f"CA {year_start}-{3 + number:02d}",
            actor=head,
        )
        versions[school.pk] = version
    for persona, membership in memberships:
        if persona.adheres:
            charter_adhere(membership=membership, version=versions[membership.school_id])
    # The partner organisations' people and administrators (alliance/demo/partners.py).
    seed_partners()

    # Divisions, pupils and guardians.
    maker = _PeopleMaker(rng, year_start)
    counts = dict(zip((COLLEGE.key, LP.key), split_total(total_pupils), strict=True))
    plans = {
        COLLEGE.key: college_divisions(counts[COLLEGE.key]),
        LP.key: lp_divisions(counts[LP.key]),
    }
    for spec in SCHOOLS:
        school, year = schools[spec.key], years[spec.key]
        created = Division.objects.bulk_create(
            [
                Division(school=school, school_year=year, code=d.code, level=d.level)
                for d in plans[spec.key]
            ]
        )
        by_code = {d.code: d for d in created}
        chunk: list[tuple[Division, PupilRow]] = []
        for division_spec, row in generate_pupils(maker, spec, plans[spec.key]):
            chunk.append((by_code[division_spec.code], row))
            if len(chunk) >= CHUNK_SIZE:
                _write(school, chunk)
                chunk = []
        _write(school, chunk)
        # One event for the whole seeding of the school, and nobody's data in it.
        audit_record(action="import", object_type="demo.seed", school=school)

    # The field stories (alliance/demo/cases.py, alliance/demo/meetings.py), played so that
    # they lie mostly in the past: the cases open about ten weeks ago (but not before the
    # third week of the school year), then the meeting, the plan and its review follow.
    story_start = dt.datetime.combine(
        max(today - dt.timedelta(weeks=10), years[COLLEGE.key].starts_on + dt.timedelta(weeks=2)),
        dt.time(9, 0),
        tzinfo=PARIS,
    )
    with story_clock(story_start):
        seed_cases(college=schools[COLLEGE.key], lp=schools[LP.key])
    # Steps of the meeting story that carry no date of their own happen "after the story".
    with story_clock(story_start + dt.timedelta(weeks=9, days=3)):
        seed_meetings(college=schools[COLLEGE.key])
    # The agreements with the partner organisations; the coordinator joins Inès's team (story 5).
    seed_agreements(college=schools[COLLEGE.key])
    # The vie-scolaire events and grid observations the watchlist reads (story 1: Inès).
    seed_detection(college=schools[COLLEGE.key], lp=schools[LP.key], seed=seed)


def _write(school: School, chunk: list[tuple[Division, PupilRow]]) -> None:
    if not chunk:
        return
    pupils = Pupil.objects.bulk_create(
        [
            Pupil(
                school=school,
                division=division,
                first_name=row.first_name,
                last_name=row.last_name,
                birth_date=row.birth_date,
                national_id=row.national_id,
            )
            for division, row in chunk
        ]
    )
    Guardian.objects.bulk_create(
        [
            Guardian(school=school, pupil=pupil, **guardian)
            for pupil, (_division, row) in zip(pupils, chunk, strict=True)
            for guardian in row.guardians
        ]
    )


def demo_summary(*, created: bool) -> DemoSummary:
    schools = {s.uai: s for s in School.objects.filter(uai__in=[spec.uai for spec in SCHOOLS])}
    rows = []
    for spec in SCHOOLS:
        school = schools.get(spec.uai)
        if school is None:
            continue
        rows.append(
            SchoolRow(
                name=school.name,
                uai=school.uai,
                short=spec.short,
                divisions=Division.objects.filter(school=school).count(),
                pupils=Pupil.objects.filter(school=school).count(),
                guardians=Guardian.objects.filter(school=school).count(),
            )
        )
    short_by_pk = {
        school.pk: spec.short for spec in SCHOOLS if (school := schools.get(spec.uai)) is not None
    }
    logins = []
    for persona in PERSONAS:
        members = list(
            Membership.objects.filter(user__email=persona.email, school__in=schools.values())
            .select_related("school")
            .order_by("school__uai")
        )
        if not members:
            continue
        logins.append(
            LoginRow(
                email=persona.email,
                schools=tuple(short_by_pk[m.school_id] for m in members),
                role="/".join(sorted({m.role for m in members})),
                profession="/".join(sorted({m.profession for m in members})),
                adhered=all(has_adhered_to_current(m) for m in members),
                description=persona.description,
            )
        )
    return DemoSummary(
        created=created, password=DEMO_PASSWORD, schools=tuple(rows), logins=tuple(logins)
    )


def format_logins(summary: DemoSummary) -> str:
    """The login table, in plain text (the command) — Markdown is in docs/demo.md."""
    header = ("e-mail (login)", "school(s)", "role", "profession", "adhered")
    lines = [
        (
            row.email,
            ", ".join(row.schools),
            row.role,
            row.profession,
            "yes" if row.adhered else "NO",
        )
        for row in summary.logins
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    out = []
    for cells in (header, tuple("-" * w for w in widths), *lines):
        out.append("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    return "\n".join(out)
