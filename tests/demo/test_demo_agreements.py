"""The demo's agreements (alliance/demo/agreements.py, story 5): the homework club in force, Inès's
agreement, the coordinator on Inès's team seeing only the whole-team items, and the mission
locale's agreement awaiting the board."""

import datetime as dt

from django.urls import reverse

from alliance.agreements.models import Agreement, AgreementKind, AgreementStatus
from alliance.agreements.selectors import agreement_is_active
from alliance.audit.models import AuditEvent
from alliance.cases.selectors import cases_visible_to
from alliance.core import clock
from alliance.demo.agreements import COORDINATOR
from alliance.demo.generator import seed_demo
from alliance.partners.models import PartnerOrganisation
from alliance.plans.models import PlanAction
from alliance.tenancy.models import Membership
from alliance.tenancy.years import school_year_label
from tests.conftest import login


def test_the_demo_agreements_and_the_coordinator_on_ines_team(db, client, settings):
    settings.ALLIANCE_CERTIFIED_HEALTH_HOSTING = False
    seed_demo(total_pupils=60, seed=7)
    year = int(school_year_label(clock.today())[:4])
    association = PartnerOrganisation.objects.get(name="Association Coup de Pouce Quartier")
    assert PartnerOrganisation.objects.count() == 2  # reused, not duplicated

    club = Agreement.objects.get(
        kind=AgreementKind.SCHOOL_PARTNER, partner_organisation=association
    )
    assert club.status == AgreementStatus.CONCLUDED and agreement_is_active(club)
    assert club.board_reference == f"CA {club.board_approved_on.year}-09-n°4"
    assert club.ends_on == max(dt.date(year + 1, 6, 30), clock.today())
    assert set(club.signatures.values_list("party", flat=True)) == {"school", "partner"}

    ines_agreement = Agreement.objects.get(kind=AgreementKind.PARTNER_PUPIL_PARENTS)
    assert (ines_agreement.pupil.first_name, ines_agreement.parent_agreement) == ("Inès", club)
    assert agreement_is_active(ines_agreement)
    guardian = ines_agreement.signatures.get(party="guardian").guardian
    assert guardian.relationship == "mother" and guardian.pupil == ines_agreement.pupil

    pending = Agreement.objects.get(partner_organisation__kind="mission_locale")
    assert pending.status == AgreementStatus.DRAFT and pending.board_approved_on is None
    assert not agreement_is_active(pending)
    for member in Membership.objects.filter(partner_organisation=pending.partner_organisation):
        assert not cases_visible_to(member).exists()
    assert AuditEvent.objects.filter(object_type="agreements.agreement").count() >= 3

    coordinator = Membership.objects.get(user__email=COORDINATOR)
    case = cases_visible_to(coordinator).get()
    assert case.pupil == ines_agreement.pupil
    action = PlanAction.objects.get(plan__case=case, action_type__code="homework_help")
    assert action.owner == coordinator
    login(client, coordinator)
    page = client.get(reverse("case_detail", kwargs={"public_id": case.public_id}))
    text = page.content.decode()
    assert page.status_code == 200 and "suivi infirmier en cours" in text
    assert case.reason[:40] not in text  # the reason for the referral stays with the school
    assert reverse("plan_action_progress", kwargs={"public_id": action.public_id}) in text
