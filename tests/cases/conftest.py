"""Fixtures of the cases tests: a school's team, and Inès's case opened by the CPE."""

import pytest

from alliance.cases import services
from alliance.core import clock
from alliance.tenancy.models import Profession, Role
from tests import factories
from tests.conftest import adhered
from tests.test_access_matrix import world  # noqa: F401  (the access matrix's two schools)

#: A string written in the case's reason: it must never reach anyone outside the case.
REASON_MARKER = "ZXQ-MOTIF-CONFIDENTIEL"
NURSE_SECRET = "ZXQ-SECRET-INFIRMIER"


def staff(school, profession, role=Role.STAFF):
    return adhered(factories.MembershipFactory(school=school, role=role, profession=profession))


@pytest.fixture
def form_tutor(school, charter):
    return staff(school, Profession.FORM_TUTOR)


@pytest.fixture
def nurse(school, charter):
    return staff(school, Profession.NURSE)


@pytest.fixture
def psyen(school, charter):
    return staff(school, Profession.PSYEN)


@pytest.fixture
def guardian(pupil):
    return factories.GuardianFactory(pupil=pupil)


@pytest.fixture
def open_case(head, cpe, pupil, guardian):
    """Inès's case, opened by the CPE; the head put the CPE on the team as referent."""
    referral = services.case_refer(
        actor=cpe, pupil=pupil, reason=f"Absences répétées {REASON_MARKER}"
    )
    case = referral.case
    services.case_assign_referent(case=case, actor=head, referent=cpe)
    return case


@pytest.fixture
def associated_case(open_case, cpe, guardian):
    services.family_contact_record(
        case=open_case,
        actor=cpe,
        contacted_on=clock.today(),
        channel="phone",
        reached=True,
        guardian=guardian,
        outcome="La mère est informée.",
    )
    open_case.refresh_from_db()
    return open_case
