"""Fixtures of the vault tests: a case with a team note holding a marker string."""

import pytest

from alliance.cases import services
from alliance.vault import keyring

NOTE_MARKER = "ZXQ-NOTE-EN-CLAIR"


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    keyring.clear_cache()
    yield
    keyring.clear_cache()


def make_case(head, cpe, pupil):
    referral = services.case_refer(actor=cpe, pupil=pupil, reason="Absences répétées")
    services.case_assign_referent(case=referral.case, actor=head, referent=cpe)
    return referral.case


def write_note(case, author, body=NOTE_MARKER):
    return services.case_note_create(case=case, actor=author, audience="team", body=body)


@pytest.fixture
def case(head, cpe, pupil):
    return make_case(head, cpe, pupil)


@pytest.fixture
def note(case, cpe):
    return write_note(case, cpe)
