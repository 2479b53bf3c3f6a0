"""Shared fixtures. Invalid template variables in Alliance's own templates fail the test."""

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connection

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


def _audit_trigger_statements(up: bool) -> list[str]:
    from alliance.audit import triggers

    if connection.vendor == "sqlite":
        return triggers.SQLITE_UP if up else triggers.SQLITE_DOWN
    if connection.vendor == "postgresql":
        action = "ENABLE" if up else "DISABLE"
        return [f"ALTER TABLE {table} {action} TRIGGER USER" for table in triggers.PROTECTED_TABLES]
    raise RuntimeError(f"no audit triggers known for {connection.vendor}")


@pytest.fixture
def _audit_triggers_put_back(django_db_blocker) -> Iterator[dict[str, bool]]:
    """Torn down after the flush: put the audit triggers back for the tests that follow."""
    state = {"lifted": False}
    yield state
    if state["lifted"]:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for statement in _audit_trigger_statements(up=True):
                cursor.execute(statement)


@pytest.fixture
def transactional_db(
    _audit_triggers_put_back, _django_db_helper, django_db_blocker
) -> Iterator[None]:
    """pytest-django's ``transactional_db`` (which ``live_server`` asks for), made flushable.

    The flush that ends a transactional test is refused by the audit table's append-only
    triggers, so they are lifted just before it (this teardown runs before
    ``_django_db_helper``'s flush) and put back just after it (``_audit_triggers_put_back``
    is set up before ``_django_db_helper``, hence torn down after it).
    """
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for statement in _audit_trigger_statements(up=False):
            cursor.execute(statement)
    _audit_triggers_put_back["lifted"] = True
