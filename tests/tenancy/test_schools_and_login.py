"""Schools (UAI codes), memberships, and logging in."""

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from alliance.audit.models import AuditEvent
from alliance.tenancy.models import Membership
from alliance.tenancy.uai import is_valid_uai, uai_check_letter, validate_uai
from alliance.tenancy.years import school_year_label
from tests import factories
from tests.factories import PASSWORD


@pytest.mark.parametrize("uai", ["0750655E", "0750654D"])
def test_real_uai_codes_are_valid(uai):
    validate_uai(uai)


@pytest.mark.parametrize(
    ("uai", "code"),
    [
        ("0750655F", "uai_check_letter"),
        ("075065E", "uai_format"),
        ("0750655e", "uai_format"),
        ("", "uai_format"),
    ],
)
def test_bad_uai_codes_are_refused_with_a_reason(uai, code):
    with pytest.raises(ValidationError) as info:
        validate_uai(uai)
    assert info.value.code == code


@given(st.integers(0, 9_999_999))
def test_the_check_letter_always_validates(number):
    body = f"{number:07d}"
    assert is_valid_uai(body + uai_check_letter(body))


def test_school_year_labels_start_in_september():
    assert school_year_label(dt.date(2026, 11, 29)) == "2026-2027"
    assert school_year_label(dt.date(2027, 3, 1)) == "2026-2027"
    assert school_year_label(dt.date(2027, 9, 2)) == "2027-2028"


def test_memberships_are_live_only_within_their_dates(db):
    live = factories.MembershipFactory()
    expired = factories.MembershipFactory(expired=True)
    future = factories.MembershipFactory(valid_from=dt.date.today() + dt.timedelta(days=3))
    disabled = factories.MembershipFactory(user=factories.UserFactory(is_active=False))
    assert set(Membership.objects.live()) == {live}
    assert (
        live.is_live() and not expired.is_live() and not future.is_live() and not disabled.is_live()
    )


def test_a_partner_membership_needs_an_organisation(db):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        factories.MembershipFactory(
            role="partner", profession="volunteer", partner_organisation=None
        )


def test_passwords_are_hashed_with_argon2_in_production():
    from alliance import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert django_settings.AUTH_USER_MODEL == "people.User"


def test_login_and_logout_are_audited_without_the_address(client, teacher):
    response = client.post(reverse("login"), {"username": teacher.user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="login", actor_user_id=teacher.user_id).exists()
    client.post(reverse("logout"))
    assert AuditEvent.objects.filter(action="logout", actor_user_id=teacher.user_id).exists()
    client.post(reverse("login"), {"username": teacher.user.email, "password": "wrong"})
    failed = AuditEvent.objects.get(action="login_failed")
    assert teacher.user.email not in str(AuditEvent.objects.filter(pk=failed.pk).values().get())


def test_session_key_changes_at_login(client, teacher):
    client.get(reverse("login"))
    before = client.session.session_key
    client.post(reverse("login"), {"username": teacher.user.email, "password": PASSWORD})
    assert client.session.session_key != before


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.get(reverse("pupil_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_french_by_default_whatever_the_browser_says(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr"' in response.content.decode()


def test_english_when_chosen(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    response = client.get(reverse("login"))
    assert response["Content-Language"] == "en"
    assert '<html lang="en"' in response.content.decode()
