"""Story 5 (SCENARIOS.md), end to end: the homework club's coordinator.

The head registers the association and grants its coordinator a membership; the charter gate
stops her until she adheres; the board approves the school–partner agreement in September; the
mother and the association sign Inès's agreement; the head puts the coordinator on Inès's team
from the case page. She then sees the case — only what is shared with the whole team — writes a
team note and reports the homework-club action's progress. On 1 July, the day after the
agreement's end, her access has ended by itself: no job ran.
"""

import datetime as dt

from django.test import override_settings
from django.urls import reverse

from alliance.agreements import services as agreements
from alliance.cases import services as cases
from alliance.cases.models import CaseNote, NoteAudience
from alliance.core import clock
from alliance.partners.models import PartnerPerson, PartnerPersonKind, PartnerRegistration
from alliance.partners.services import grant_partner_membership
from alliance.plans import services as plans
from alliance.plans.models import ActionStatus, ActionType
from alliance.pupils.models import GuardianRelationship
from alliance.tenancy.models import Profession, Role
from tests import factories
from tests.conftest import adhered, login

REASON = "ZXQ-MOTIF-DU-SIGNALEMENT"
NURSE_SECRET = "ZXQ-CE-QUE-SAIT-L-INFIRMIERE"
STAFF_ONLY = "ZXQ-ENTRE-PERSONNELS"
NURSE_SUMMARY = "suivi infirmier en cours"
HER_NOTE = "Inès est venue mardi et jeudi ; devoirs de français faits."


def at(monkeypatch, year, month, day, hour=10):
    moment = dt.datetime(year, month, day, hour, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


@override_settings(ALLIANCE_CERTIFIED_HEALTH_HOSTING=True)
def test_story_5_the_association(client, monkeypatch, school, head, cpe):
    at(monkeypatch, 2026, 9, 10)
    nurse = adhered(factories.MembershipFactory(school=school, profession=Profession.NURSE))
    ines = factories.PupilFactory(school=school, first_name="Inès", last_name="Belkacem")
    mother = factories.GuardianFactory(
        pupil=ines, relationship=GuardianRelationship.MOTHER, first_name="Samia"
    )

    # The association, registered with the school; its coordinator, granted a membership.
    association = factories.PartnerOrganisationFactory(name="Association Coup de Pouce Quartier")
    PartnerRegistration.objects.create(
        school=school, organisation=association, registered_by=head, registered_at=clock.now()
    )
    coordinator_user = factories.UserFactory(email="coordinatrice@coup-de-pouce.example.org")
    person = PartnerPerson.objects.create(
        organisation=association,
        user=coordinator_user,
        kind=PartnerPersonKind.PROFESSIONAL,
        is_admin=True,
        joined_at=clock.now(),
    )
    coordinator = grant_partner_membership(actor=head, person=person)
    assert (coordinator.role, coordinator.partner_organisation) == (Role.PARTNER, association)

    # She adheres before anything else (the charter gate), then sees no case yet.
    login(client, coordinator)
    gated = client.get(reverse("case_list"))
    assert gated.status_code == 302 and gated.url.startswith(reverse("charter"))
    version = school.charter_versions.order_by("-number").first()
    assert client.post(reverse("charter_adhere"), {"version": str(version.public_id)}).url == "/"
    listing = client.get(reverse("case_list"))
    assert listing.status_code == 200 and "Belkacem" not in listing.content.decode()

    # The school–partner agreement: signed, approved by the board in September, until June.
    club = agreements.agreement_create(
        actor=head,
        kind="school_partner",
        partner_organisation=association,
        title="Convention de partenariat — club d'aide aux devoirs",
        purpose="Club d'aide aux devoirs, hors temps scolaire.",
        parties="Le collège ; l'association.",
        starts_on=dt.date(2026, 9, 24),
        ends_on=dt.date(2027, 6, 30),
    )
    for party in ("school", "partner"):
        agreements.agreement_signature_record(
            actor=head, agreement=club, party=party, signatory_name="X", signed_on=clock.today()
        )
    at(monkeypatch, 2026, 9, 24, 20)
    agreements.agreement_board_approval_record(
        actor=head,
        agreement=club,
        expected_version=club.version,
        approved_on=clock.today(),
        reference="CA 2026-09-n°4",
    )

    # Inès's case: referred, the mother reached first, the nurse's items, a staff-only note.
    at(monkeypatch, 2026, 10, 1)
    case = cases.case_refer(actor=cpe, pupil=ines, reason=f"Absences {REASON}").case
    cases.case_assign_referent(case=case, actor=head, referent=cpe)
    cases.case_team_add(case=case, actor=head, membership=nurse)
    cases.family_contact_record(
        case=case,
        actor=cpe,
        contacted_on=clock.today(),
        channel="phone",
        reached=True,
        guardian=mother,
        outcome="La mère est d'accord.",
    )
    cases.case_note_create(
        case=case, actor=nurse, audience="team", body=NURSE_SUMMARY, is_summary_item=True
    )
    cases.case_note_create(case=case, actor=nurse, audience="profession", body=NURSE_SECRET)
    cases.case_note_create(
        case=case, actor=cpe, audience=NoteAudience.SCHOOL_STAFF_ON_TEAM, body=STAFF_ONLY
    )

    # The mother and the association sign Inès's agreement.
    pupil_agreement = agreements.agreement_create(
        actor=head,
        kind="partner_pupil_parents",
        partner_organisation=association,
        pupil=ines,
        parent_agreement=club,
        title="Convention d'accompagnement (Inès)",
        purpose="Inès va au club le mardi et le jeudi.",
        parties="L'association ; la mère ; Inès.",
        starts_on=clock.today(),
        ends_on=club.ends_on,
    )
    agreements.agreement_signature_record(
        actor=head,
        agreement=pupil_agreement,
        party="guardian",
        guardian=mother,
        signatory_name="Samia Belkacem",
        signed_on=clock.today(),
    )
    agreements.agreement_signature_record(
        actor=head,
        agreement=pupil_agreement,
        party="partner",
        signatory_name="Mariam Koné",
        signed_on=clock.today(),
    )
    assert pupil_agreement.status == "concluded"

    # The head puts her on the team from the case page; the plan gives her the club.
    case_url = reverse("case_detail", kwargs={"public_id": case.public_id})
    login(client, head)
    added = client.post(
        reverse("case_team_add", kwargs={"public_id": case.public_id}),
        {"membership": str(coordinator.public_id)},
    )
    assert added.status_code == 302
    assert case.team.current().filter(membership=coordinator).exists()
    cases.case_mark_examined(case=case, actor=head)
    plan = plans.plan_create(actor=cpe, case=case)
    action = plans.plan_action_add(
        actor=cpe,
        plan=plan,
        expected_version=plan.version,
        goals=["Rendre ses devoirs à temps"],
        action_type=ActionType.objects.filter(school=school).first(),
        time_frame="outside_school",
        owner=coordinator,
        starts_on=clock.today(),
        frequency="twice_weekly",
    )

    # She sees Inès's case, and only what is shared with the whole team.
    login(client, coordinator)
    assert "Belkacem" in client.get(reverse("case_list")).content.decode()
    page = client.get(case_url)
    assert page.status_code == 200
    text = page.content.decode()
    assert NURSE_SUMMARY in text
    for hidden in (REASON, NURSE_SECRET, STAFF_ONLY, "La mère est d'accord."):
        assert hidden not in text

    # She writes a note for the team and reports that the club started.
    posted = client.post(
        reverse("case_note", kwargs={"public_id": case.public_id}), {"body": HER_NOTE}
    )
    assert posted.status_code in (200, 302)
    note = CaseNote.objects.get(case=case, author=coordinator)
    assert (note.audience, note.body) == (NoteAudience.TEAM, HER_NOTE)
    progress_url = reverse("plan_action_progress", kwargs={"public_id": action.public_id})
    reported = client.post(progress_url, {"status": "in_progress", "version": action.version})
    assert reported.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS

    # 30 June: still in force. 1 July: the agreement has ended, and her access with it.
    at(monkeypatch, 2027, 6, 30, 21)
    assert client.get(case_url).status_code == 200
    at(monkeypatch, 2027, 7, 1, 8)
    assert client.get(case_url).status_code == 404
    listing = client.get(reverse("case_list"))
    assert listing.status_code == 200 and "Belkacem" not in listing.content.decode()
    action.refresh_from_db()
    assert (
        client.post(progress_url, {"status": "completed", "version": action.version}).status_code
        == 404
    )
    assert (
        client.post(
            reverse("case_note", kwargs={"public_id": case.public_id}), {"body": "x"}
        ).status_code
        == 404
    )
    assert CaseNote.objects.filter(case=case, author=coordinator).count() == 1
