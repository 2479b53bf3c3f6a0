"""Shared fixtures. Invalid template variables in Alliance's own templates fail the test."""

import pytest
from django.conf import settings

from alliance.charter.services import charter_adhere
from tests import factories


class InvalidTemplateVariable(str):
    """``string_if_invalid`` that raises for Alliance's templates (third-party ones are lenient)."""

    def __mod__(self, other: object) -> str:
        import inspect

        for frame_info in inspect.stack():
            origin = frame_info.frame.f_locals.get("context")
            template = getattr(getattr(origin, "template", None), "origin", None)
            name = getattr(template, "name", "") or ""
            if (
                name
                and str(settings.BASE_DIR / "alliance") in name
                and "/site-packages/" not in name
            ):
                raise AssertionError(f"invalid template variable {other!r} in {name}")
        return ""


@pytest.fixture(autouse=True)
def _strict_templates(settings):
    for engine in settings.TEMPLATES:
        engine.setdefault("OPTIONS", {})["string_if_invalid"] = InvalidTemplateVariable("%s")


@pytest.fixture(autouse=True)
def _english_off(settings):
    settings.LANGUAGE_CODE = "fr"


@pytest.fixture
def school(db):
    return factories.SchoolFactory(name="Collège Jean Moulin")


@pytest.fixture
def other_school(db):
    return factories.SchoolFactory(name="Lycée professionnel Louise Michel")


@pytest.fixture
def charter(school):
    return factories.CharterVersionFactory(school=school, number=1)


def adhered(membership):
    """Make ``membership`` adhere to its school's current charter (publishing v1 if none)."""
    from alliance.charter.selectors import charter_current

    version = charter_current(membership.school) or factories.CharterVersionFactory(
        school=membership.school, number=1
    )
    charter_adhere(membership=membership, version=version)
    return membership


@pytest.fixture
def head(school, charter):
    return adhered(factories.MembershipFactory(school=school, head=True))


@pytest.fixture
def cpe(school, charter):
    return adhered(factories.MembershipFactory(school=school, cpe=True))


@pytest.fixture
def teacher(school, charter):
    return adhered(factories.MembershipFactory(school=school))


@pytest.fixture
def pupil(school):
    return factories.PupilFactory(school=school)


def login(client, membership):
    client.force_login(membership.user)
    session = client.session
    session["alliance_membership"] = str(membership.public_id)
    session.save()
    return client


@pytest.fixture(autouse=True)
def _audit_rows_flushable(request):
    """Let transactional tests flush the append-only audit table at teardown.

    The flush runs in the teardown of ``transactional_db``; this fixture is set
    up after it, so its teardown runs first and empties the table past the triggers.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or (marker is not None and marker.kwargs.get("transaction", False))
    )
    if not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    from django.db import connection

    from tests.audit.tampering import triggers_disabled

    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
