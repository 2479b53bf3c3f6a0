"""Partners on case teams (docs/decisions/0013-agreements.md).

The sequence: refused before adhering to the charter, before the board's approval of the
school–partner agreement, before the family was reached; allowed while the agreement is in
force; refused again once it expired (the clock is moved), was revoked, or the partner was
removed from the team. And a partner sees only what is shared with the whole team.
"""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from alliance.agreements import services as agreement_services
from alliance.cases import services
from alliance.cases.selectors import (
    cases_visible_to,
    notes_visible_to,
    partner_team_candidates,
)
from alliance.core import clock
from alliance.partners.models import PartnerRegistration
from alliance.tenancy.models import Profession, Role
from tests import factories
from tests.cases.conftest import REASON_MARKER
from tests.conftest import adhered, login

TEAM_NOTE = "ZXQ-NOTE-EQUIPE"
STAFF_NOTE = "ZXQ-NOTE-PERSONNELS"
PRIVATE_NOTE = "ZXQ-NOTE-PERSO"
NURSE_SECRET = "ZXQ-SECRET-INFIRMIER-PARTENAIRE"
CONTACT_OUTCOME = "ZXQ-ENTRETIEN-FAMILLE"


@pytest.fixture
def organisation(school):
    organisation = factories.PartnerOrganisationFactory(name="Association Coup de Pouce")
    PartnerRegistration.objects.create(
        school=school, organisation=organisation, registered_at=clock.now()
    )
    return organisation


@pytest.fixture
def partner(school, organisation, charter):
    """A partner professional of the organisation, who has NOT adhered to the charter yet."""
    return factories.MembershipFactory(
        school=school,
        role=Role.PARTNER,
        profession=Profession.PARTNER_PROFESSIONAL,
        partner_organisation=organisation,
    )


def draft_agreement(head, organisation, *, days=90):
    return agreement_services.agreement_create(
        actor=head,
        kind="school_partner",
        partner_organisation=organisation,
        title="Convention d'accompagnement scolaire",
        purpose="Aide aux devoirs et remobilisation, hors temps scolaire.",
        parties="Le collège, représenté par sa principale ; l'association, par son président.",
        starts_on=clock.today(),
        ends_on=clock.today() + dt.timedelta(days=days),
    )


def approve(head, agreement):
    return agreement_services.agreement_board_approval_record(
        actor=head,
        agreement=agreement,
        expected_version=agreement.version,
        approved_on=clock.today(),
        reference="CA 2026-14",
    )


@pytest.fixture
def active_agreement(head, organisation):
    return approve(head, draft_agreement(head, organisation))


def reach_family(case, cpe, guardian):
    services.family_contact_record(
        case=case,
        actor=cpe,
        contacted_on=clock.today(),
        channel="phone",
        reached=True,
        guardian=guardian,
        outcome=CONTACT_OUTCOME,
    )


def refusal(case, head, partner) -> str:
    with translation.override("en"), pytest.raises(ValidationError) as info:
        services.case_team_add(case=case, actor=head, membership=partner)
    return " ".join(info.value.messages)


def case_page(client, case):
    return client.get(reverse("case_detail", kwargs={"public_id": case.public_id}))


def move_clock(monkeypatch, days):
    later = clock.now() + dt.timedelta(days=days)
    monkeypatch.setattr(clock, "now", lambda: later)


def test_the_whole_sequence(
    client, monkeypatch, school, head, cpe, open_case, guardian, organisation, partner
):
    # 1. Not adhered to the charter (and nothing else either).
    assert "charter" in refusal(open_case, head, partner)
    adhered(partner)
    # 2. Adhered, but no agreement at all, then a draft the board has not approved.
    assert "agreement" in refusal(open_case, head, partner)
    agreement = draft_agreement(head, organisation, days=30)
    message = refusal(open_case, head, partner)
    assert "board" in message and "charter" not in message
    # 3. Approved, but the family has not been reached yet (parents first).
    approve(head, agreement)
    message = refusal(open_case, head, partner)
    assert "Parents first" in message and "agreement" not in message
    assert not cases_visible_to(partner).exists()
    # 4. The family reached: the partner joins and sees the case.
    reach_family(open_case, cpe, guardian)
    assert services.case_team_add(case=open_case, actor=head, membership=partner) is not None
    assert list(cases_visible_to(partner)) == [open_case]
    login(client, partner)
    assert case_page(client, open_case).status_code == 200
    # 5. The day after the agreement ends: no access, with no job run.
    move_clock(monkeypatch, 31)
    assert not cases_visible_to(partner).exists()
    assert case_page(client, open_case).status_code == 404
    assert not notes_visible_to(partner, open_case).exists()
    # ...but the last day it was still in force.
    monkeypatch.undo()
    move_clock(monkeypatch, 30)
    assert cases_visible_to(partner).exists()


def test_the_head_sees_why_a_partner_cannot_join_yet(
    client, head, open_case, partner, active_agreement
):
    adhered(partner)
    with translation.override("en"):
        [candidate] = partner_team_candidates(open_case)
    assert candidate.membership == partner and not candidate.allowed
    assert any("Parents first" in reason for reason in candidate.reasons)
    login(client, head)
    body = case_page(client, open_case).content.decode()
    assert "partner-candidates" in body
    assert partner.partner_organisation.name in body


def test_revocation_ends_access_at_once(
    client, head, cpe, open_case, guardian, partner, active_agreement
):
    adhered(partner)
    reach_family(open_case, cpe, guardian)
    services.case_team_add(case=open_case, actor=head, membership=partner)
    assert cases_visible_to(partner).exists()
    agreement_services.agreement_revoke(
        actor=head,
        agreement=active_agreement,
        expected_version=active_agreement.version,
        reason="L'association a cessé son activité.",
    )
    assert not cases_visible_to(partner).exists()
    login(client, partner)
    assert case_page(client, open_case).status_code == 404
    # No new partner joins under a revoked agreement either.
    assert "agreement" in refusal(open_case, head, partner)


def test_removal_from_the_team_ends_access(
    client, head, cpe, open_case, guardian, partner, active_agreement
):
    adhered(partner)
    reach_family(open_case, cpe, guardian)
    services.case_team_add(case=open_case, actor=head, membership=partner)
    services.case_team_remove(case=open_case, actor=head, membership=partner)
    assert not cases_visible_to(partner).exists()
    login(client, partner)
    assert case_page(client, open_case).status_code == 404


def test_an_agreement_with_another_organisation_gives_nothing(
    head, cpe, open_case, guardian, partner, school
):
    other = factories.PartnerOrganisationFactory(name="Club de boxe")
    PartnerRegistration.objects.create(school=school, organisation=other, registered_at=clock.now())
    approve(head, draft_agreement(head, other))
    adhered(partner)
    reach_family(open_case, cpe, guardian)
    assert "agreement" in refusal(open_case, head, partner)


def test_an_agreement_not_yet_started_gives_nothing(
    head, cpe, open_case, guardian, partner, organisation
):
    agreement = agreement_services.agreement_create(
        actor=head,
        kind="school_partner",
        partner_organisation=organisation,
        title="Convention de l'an prochain",
        purpose="x",
        parties="x",
        starts_on=clock.today() + dt.timedelta(days=10),
        ends_on=clock.today() + dt.timedelta(days=100),
    )
    approve(head, agreement)
    adhered(partner)
    reach_family(open_case, cpe, guardian)
    assert "agreement" in refusal(open_case, head, partner)


def test_a_partner_is_never_the_referent(head, cpe, open_case, guardian, partner, active_agreement):
    adhered(partner)
    reach_family(open_case, cpe, guardian)
    services.case_team_add(case=open_case, actor=head, membership=partner)
    with pytest.raises(ValidationError):
        services.case_assign_referent(case=open_case, actor=head, referent=partner)


# ---------------------------------------------------------------- only what the team shares


@pytest.fixture
def partner_on_team(head, cpe, nurse, open_case, guardian, partner, active_agreement):
    adhered(partner)
    reach_family(open_case, cpe, guardian)
    services.case_team_add(case=open_case, actor=head, membership=nurse)
    services.case_team_add(case=open_case, actor=head, membership=partner)
    services.case_note_create(case=open_case, actor=cpe, audience="team", body=TEAM_NOTE)
    services.case_note_create(
        case=open_case, actor=cpe, audience="school_staff_on_team", body=STAFF_NOTE
    )
    services.case_note_create(case=open_case, actor=cpe, audience="author_only", body=PRIVATE_NOTE)
    with override_settings(ALLIANCE_CERTIFIED_HEALTH_HOSTING=True):
        services.case_note_create(
            case=open_case, actor=nurse, audience="profession", body=NURSE_SECRET
        )
    return partner


def test_a_partner_reads_only_the_notes_for_the_whole_team(open_case, partner_on_team):
    bodies = {note.body for note in notes_visible_to(partner_on_team, open_case)}
    assert bodies == {TEAM_NOTE}


def test_the_partner_page_shows_only_what_the_team_shares(client, open_case, partner_on_team):
    login(client, partner_on_team)
    response = case_page(client, open_case)
    body = response.content.decode()
    assert response.status_code == 200
    assert TEAM_NOTE in body
    for hidden in (STAFF_NOTE, PRIVATE_NOTE, NURSE_SECRET, REASON_MARKER, CONTACT_OUTCOME):
        assert hidden not in body, hidden
    # No link to the pupil's page, which partners may not open.
    assert reverse("pupil_detail", kwargs={"public_id": open_case.pupil.public_id}) not in body


def test_a_partner_lists_their_cases_and_nothing_else(client, open_case, partner_on_team):
    login(client, partner_on_team)
    listing = client.get(reverse("case_list"))
    assert listing.status_code == 200
    assert str(open_case.public_id) in listing.content.decode()
    # The pupil's page, the plan pages, the meetings, the school's writes on the case: all
    # refused (a partner writes team notes only: tests/cases/test_partner_contributions.py).
    pupil = open_case.pupil
    for name, kwargs in (
        ("pupil_detail", {"public_id": pupil.public_id}),
        ("plan_for_case", {"public_id": open_case.public_id}),
        ("meeting_list", {}),
        ("case_refer", {"public_id": pupil.public_id}),
    ):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 404, name
    for name, data in (
        ("case_family_contact", {"contacted_on": "2026-10-01", "channel": "phone"}),
        ("case_exception", {"reason": "Intrusion"}),
    ):
        response = client.post(reverse(name, kwargs={"public_id": open_case.public_id}), data)
        assert response.status_code == 404, name
    assert "Intrusion" not in {note.body for note in open_case.notes.all()}
