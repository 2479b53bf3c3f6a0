"""The access matrix: every persona × every view × pupils of two schools.

An outsider gets 404 (the same answer as a missing record); a member who has
not adhered to the charter is sent to it; refused writes change nothing; and a
test walks the URL resolver so that no view escapes the matrix.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from alliance.audit.models import AuditEvent
from alliance.charter.models import BoardPresentation, CharterAdhesion, CharterVersion
from alliance.pupils.models import Guardian, Pupil, RosterImport
from alliance.tenancy.models import Membership, Profession, Role
from tests import factories
from tests.conftest import adhered, login

HEADS = {"head", "deputy"}
STAFF = {
    "cpe",
    "teacher",
    "form_tutor",
    "dropout_referent",
    "psyen",
    "nurse",
    "social_worker",
    "doctor",
}
PUPIL_READERS = HEADS | STAFF
PUPIL_EDITORS = HEADS | {"cpe"}
ADHERED_MEMBERS = PUPIL_READERS | {"partner", "volunteer", "district", "admin"}

PERSONAS = {
    # name: (role, profession)
    "head": (Role.HEAD, Profession.PRINCIPAL),
    "deputy": (Role.HEAD, Profession.DEPUTY),
    "cpe": (Role.STAFF, Profession.CPE),
    "teacher": (Role.STAFF, Profession.TEACHER),
    "form_tutor": (Role.STAFF, Profession.FORM_TUTOR),
    "dropout_referent": (Role.STAFF, Profession.DROPOUT_REFERENT),
    "psyen": (Role.STAFF, Profession.PSYEN),
    "nurse": (Role.STAFF, Profession.NURSE),
    "social_worker": (Role.STAFF, Profession.SOCIAL_WORKER),
    "doctor": (Role.STAFF, Profession.DOCTOR),
    "partner": (Role.PARTNER, Profession.PARTNER_PROFESSIONAL),
    "volunteer": (Role.PARTNER, Profession.VOLUNTEER),
    "district": (Role.DISTRICT, Profession.DISTRICT_OFFICER),
    "admin": (Role.ADMIN, Profession.TECHNICAL_ADMIN),
}
# Special personas: not adhered, expired membership, head of the other school only, anonymous.
ALL_PERSONAS = [*PERSONAS, "not_adhered", "expired", "outsider", "anonymous"]
EVERY_MEMBER = ADHERED_MEMBERS | {"outsider"}
EVERY_LOGGED_IN = EVERY_MEMBER | {"not_adhered", "expired"}


@dataclass
class World:
    school: object
    other_school: object
    pupil: object
    other_pupil: object
    members: dict = field(default_factory=dict)


@pytest.fixture
def world(db):
    school = factories.SchoolFactory(name="Collège Jean Moulin")
    other = factories.SchoolFactory(name="Lycée professionnel Louise Michel")
    factories.CharterVersionFactory(school=school, number=1)
    factories.CharterVersionFactory(school=other, number=1)
    division = factories.DivisionFactory(
        school_year=factories.SchoolYearFactory(school=school), code="4E B"
    )
    pupil = factories.PupilFactory(
        school=school, last_name="Belkacem", first_name="Inès", division=division
    )
    factories.GuardianFactory(pupil=pupil)
    other_pupil = factories.PupilFactory(school=other, last_name="Haddad", first_name="Samir")
    members = {}
    for name, (role, profession) in PERSONAS.items():
        extra = {}
        if role == Role.PARTNER:
            extra["partner_organisation"] = factories.PartnerOrganisationFactory()
        members[name] = adhered(
            factories.MembershipFactory(school=school, role=role, profession=profession, **extra)
        )
    members["not_adhered"] = factories.MembershipFactory(
        school=school, role=Role.HEAD, profession=Profession.PRINCIPAL
    )
    members["expired"] = factories.MembershipFactory(
        school=school, cpe=True, valid_from=dt.date(2019, 9, 1), valid_until=dt.date(2021, 8, 31)
    )
    members["outsider"] = adhered(factories.MembershipFactory(school=other, head=True))
    members["anonymous"] = None
    return World(school, other, pupil, other_pupil, members)


def _pupil_kwargs(world):
    return {"public_id": world.pupil.public_id}


def _other_pupil_kwargs(world):
    return {"public_id": world.other_pupil.public_id}


def _no_kwargs(world):
    return {}


@dataclass(frozen=True)
class ViewCase:
    """Who gets 200 on GET (``readers``); everyone else logged in with a live membership gets ``refused``."""

    kwargs: object
    readers: frozenset
    refused: int = 404
    get_allowed: bool = True  # False for POST-only views (405 for members who pass the guards)
    gate_open: bool = False  # reachable before adhering to the charter
    needs_membership: bool = True
    post_data: dict | None = None  # a write attempted by each refused persona


def case(kwargs, readers, **options):
    return ViewCase(kwargs, frozenset(readers), **options)


VIEW_MATRIX = {
    "home": case(_no_kwargs, EVERY_MEMBER | {"expired"}, needs_membership=False),
    "login": case(_no_kwargs, {"anonymous"}, gate_open=True, needs_membership=False),
    "logout": case(
        _no_kwargs,
        EVERY_LOGGED_IN | {"anonymous"},
        get_allowed=False,
        gate_open=True,
        needs_membership=False,
    ),
    "set_language": case(_no_kwargs, set(), gate_open=True, needs_membership=False),
    "school_switch": case(
        _no_kwargs, EVERY_LOGGED_IN, get_allowed=False, gate_open=True, needs_membership=False
    ),
    "charter": case(_no_kwargs, EVERY_MEMBER | {"not_adhered"}, gate_open=True),
    "charter_adhere": case(
        _no_kwargs, EVERY_MEMBER | {"not_adhered"}, get_allowed=False, gate_open=True
    ),
    "charter_publish": case(
        _no_kwargs,
        HEADS | {"outsider", "not_adhered"},
        gate_open=True,
        post_data={"title": "Charte piratée", "body": "x"},
    ),
    "charter_board": case(
        _no_kwargs,
        HEADS | {"outsider"},
        get_allowed=False,
        post_data={"presented_on": "2026-09-24", "minutes_reference": "CA 99"},
    ),
    "pupil_list": case(_no_kwargs, PUPIL_READERS | {"outsider"}),
    "pupil_create": case(
        _no_kwargs,
        PUPIL_EDITORS | {"outsider"},
        post_data={"last_name": "Intrus", "first_name": "Eve", "birth_date": "2012-01-01"},
    ),
    "roster_import": case(_no_kwargs, PUPIL_EDITORS | {"outsider", "admin"}),
    "pupil_detail": case(_pupil_kwargs, PUPIL_READERS),
    "pupil_edit": case(
        _pupil_kwargs,
        PUPIL_EDITORS,
        post_data={
            "last_name": "Changé",
            "first_name": "X",
            "birth_date": "2012-01-01",
            "version": "1",
        },
    ),
    "guardian_create": case(
        _pupil_kwargs, PUPIL_EDITORS, post_data={"last_name": "Intrus", "relationship": "other"}
    ),
    "pupil_access_log": case(_pupil_kwargs, HEADS),
    "access_log": case(_no_kwargs, HEADS | {"outsider"}),
}


def _url_names(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _url_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name
        elif isinstance(pattern, URLPattern):
            raise AssertionError(
                f"unnamed URL pattern {pattern.pattern}: name it and add it to the matrix"
            )


def test_every_view_is_in_the_matrix():
    names = set(_url_names(get_resolver().url_patterns))
    assert names == set(VIEW_MATRIX), (
        f"missing from the matrix: {sorted(names - set(VIEW_MATRIX))}; "
        f"stale in the matrix: {sorted(set(VIEW_MATRIX) - names)}"
    )


def expected_get(view: ViewCase, persona: str) -> int:
    """``readers`` are the personas who pass the view's guards: 200 on GET, or 405 for POST-only views."""
    if persona == "anonymous" and persona not in view.readers:
        return 302  # to the login page
    if persona == "not_adhered" and not view.gate_open:
        return 302  # to the charter
    if persona in view.readers:
        return 200 if view.get_allowed else 405
    return view.refused


def snapshot():
    return {
        "pupils": sorted(
            Pupil.objects.values_list(
                "public_id", "last_name", "first_name", "birth_date", "version"
            )
        ),
        "guardians": Guardian.objects.count(),
        "charters": CharterVersion.objects.count(),
        "presentations": BoardPresentation.objects.count(),
        "adhesions": CharterAdhesion.objects.count(),
        "imports": RosterImport.objects.count(),
        "memberships": Membership.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


@pytest.mark.parametrize("name", sorted(VIEW_MATRIX))
def test_view_answers_each_persona_as_the_matrix_says(client, world, name):
    view = VIEW_MATRIX[name]
    url = reverse(name, kwargs=view.kwargs(world))
    for persona in ALL_PERSONAS:
        client.logout()
        membership = world.members[persona]
        if membership is not None:
            login(client, membership)
        response = client.get(url)
        expected = expected_get(view, persona)
        if name == "set_language":
            expected = 302
        elif name == "login" and persona != "anonymous":
            expected = 302  # already logged in: sent home
        assert response.status_code == expected, (
            f"{persona} GET {name}: {response.status_code} != {expected}"
        )
        body = response.content.decode(errors="replace")
        # Pupils of the school appear only to those who may read them; the other school's never do.
        if persona not in PUPIL_READERS:
            assert world.pupil.last_name not in body, f"{persona} saw a pupil in {name}"
        if persona != "outsider":
            assert world.other_pupil.last_name not in body, (
                f"{persona} saw another school's pupil in {name}"
            )


@pytest.mark.parametrize("name", sorted(n for n, v in VIEW_MATRIX.items() if v.post_data))
def test_refused_writes_leave_the_database_unchanged(client, world, name):
    view = VIEW_MATRIX[name]
    url = reverse(name, kwargs=view.kwargs(world))
    may_write = view.readers
    for persona in ALL_PERSONAS:
        if persona in may_write:
            continue
        client.logout()
        membership = world.members[persona]
        if membership is not None:
            login(client, membership)
        before = snapshot()
        response = client.post(url, view.post_data)
        assert response.status_code in {302, 404}, f"{persona} POST {name}: {response.status_code}"
        if response.status_code == 302:
            assert response["Location"].startswith((reverse("login"), reverse("charter"))), persona
        assert snapshot() == before, f"{persona} POST {name} changed the database"


@pytest.mark.parametrize(
    "name", ["pupil_detail", "pupil_edit", "guardian_create", "pupil_access_log"]
)
def test_a_pupil_of_another_school_is_a_404_like_a_missing_one(client, world, name):
    for persona in ADHERED_MEMBERS:
        login(client, world.members[persona])
        other = client.get(reverse(name, kwargs={"public_id": world.other_pupil.public_id}))
        missing = client.get(reverse(name, kwargs={"public_id": uuid.uuid4()}))
        assert other.status_code == missing.status_code == 404, persona
        assert other.content == missing.content, persona


def test_the_outsider_sees_their_own_pupil_and_nothing_else(client, world):
    login(client, world.members["outsider"])
    assert client.get(reverse("pupil_detail", kwargs=_other_pupil_kwargs(world))).status_code == 200
    listing = client.get(reverse("pupil_list")).content.decode()
    assert world.other_pupil.last_name in listing
    assert world.pupil.last_name not in listing


def test_search_never_reaches_another_school(client, world):
    login(client, world.members["head"])
    listing = client.get(reverse("pupil_list"), {"q": world.other_pupil.last_name}).content.decode()
    # The query is echoed in the search box; the pupil's link must not be there.
    assert str(world.other_pupil.public_id) not in listing
    assert "0 élève" in listing or "0 pupil" in listing
