"""Builders shared by the meetings and plans tests: cases made through the cases services."""

import datetime as dt

from alliance.cases import services as case_services
from alliance.cases.models import Case
from alliance.core import clock
from alliance.tenancy.models import Profession
from tests import factories
from tests.conftest import adhered


def member(school, **traits):
    """A live member of ``school`` who adhered to its current charter."""
    return adhered(factories.MembershipFactory(school=school, **traits))


def open_case(head, *, pupil=None, family_reached=True, team=(), referent=None) -> Case:
    """A case opened by ``head`` for ``pupil`` (a new one by default), the family reached."""
    pupil = pupil or factories.PupilFactory(school=head.school)
    case = case_services.case_refer(actor=head, pupil=pupil, reason="Absences répétées").case
    if family_reached:
        case_services.family_contact_record(
            case=case,
            actor=head,
            contacted_on=clock.today(),
            channel="phone",
            reached=True,
            outcome="La mère est informée.",
        )
    for membership in team:
        case_services.case_team_add(case=case, actor=head, membership=membership)
    if referent is not None:
        case_services.case_assign_referent(case=case, actor=head, referent=referent)
    case.refresh_from_db()
    return case


def soon(days=3, hour=12, minute=30) -> dt.datetime:
    """A meeting time ``days`` from now (negative: in the past), at a round local hour."""
    local = clock.now().astimezone(dt.timezone(dt.timedelta(hours=1)))
    moment = (local + dt.timedelta(days=days)).replace(
        hour=hour, minute=minute, second=0, microsecond=0
    )
    return moment


def staff_team(school):
    """The story's five: head, CPE, form tutor, PsyEN, nurse."""
    return {
        "head": member(school, head=True),
        "cpe": member(school, cpe=True),
        "form_tutor": member(school, profession=Profession.FORM_TUTOR),
        "psyen": member(school, profession=Profession.PSYEN),
        "nurse": member(school, nurse=True),
    }
