"""Fixtures of the partner tests: an organisation registered with the school, its administrator."""

import pytest

from alliance.core import clock
from alliance.partners.models import PartnerPerson, PartnerRegistration
from tests import factories


@pytest.fixture
def organisation(school, head):
    organisation = factories.PartnerOrganisationFactory(name="Association Horizon")
    PartnerRegistration.objects.create(
        school=school, organisation=organisation, registered_by=head, registered_at=clock.now()
    )
    return organisation


@pytest.fixture
def org_admin(organisation):
    """The organisation's administrator: a user with no school membership at all."""
    user = factories.UserFactory(first_name="Aline", last_name="Lemaire")
    return PartnerPerson.objects.create(
        organisation=organisation,
        user=user,
        kind="professional",
        is_admin=True,
        joined_at=clock.now(),
    )


@pytest.fixture
def volunteer(organisation):
    return PartnerPerson.objects.create(
        organisation=organisation,
        user=factories.UserFactory(first_name="Victor", last_name="Benevole"),
        kind="volunteer",
        joined_at=clock.now(),
    )


@pytest.fixture
def move_clock(monkeypatch):
    """Move the application clock by a timedelta (``move_clock(dt.timedelta(days=8))``)."""

    def move(delta):
        later = clock.now() + delta
        monkeypatch.setattr(clock, "now", lambda: later)
        return later

    return move
