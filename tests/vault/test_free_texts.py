"""The free texts about a pupil's situation are encrypted at rest (decision 0016, point 5).

One row of each model with an encrypted field, a distinct marker in each encrypted field: raw
SQL over every table shows none of them, the application reads every one back. Then the same
through the services that edit them (which used to write with ``QuerySet.update()``), with
their conflict detection kept.
"""

import datetime as dt

import pytest
from django.db import connection

from alliance.agreements import services as agreement_services
from alliance.agreements.models import Agreement, AgreementKind, AgreementStatus
from alliance.cases import services as case_services
from alliance.cases.models import (
    Case,
    CaseEvent,
    CaseNote,
    CaseReferral,
    CaseSign,
    FamilyContact,
    FamilyContactException,
)
from alliance.core import clock
from alliance.meetings import services as meeting_services
from alliance.meetings.models import AgendaItem, Meeting
from alliance.partners.models import PartnerOrganisation, PartnerRegistration
from alliance.plans import services as plan_services
from alliance.plans.models import (
    ActionGoal,
    ActionPlan,
    ActionType,
    PlanAction,
    PlanAgreement,
    PlanReview,
)
from alliance.plans.services import PlanEditConflictError
from alliance.pupils.services import EditConflictError
from alliance.vault import crypto
from alliance.vault.fields import encrypted_fields
from tests import factories
from tests.meetings.builders import open_case, staff_team

pytestmark = pytest.mark.django_db

#: Every encrypted column: a field dropped from this list (or a new one) is a decision.
ENCRYPTED = {
    "agreements.Agreement.parties",
    "agreements.Agreement.purpose",
    "agreements.Agreement.revocation_reason",
    "cases.Case.closing_note",
    "cases.Case.reason",
    "cases.CaseEvent.detail",
    "cases.CaseNote.body",
    "cases.CaseReferral.reason",
    "cases.CaseSign.free_text",
    "cases.FamilyContact.outcome",
    "cases.FamilyContactException.reason",
    "meetings.AgendaItem.decisions",
    "meetings.AgendaItem.next_steps",
    "meetings.AgendaItem.situation_summary",
    "plans.ActionGoal.text",
    "plans.PlanAction.carried_by",
    "plans.PlanAction.description",
    "plans.PlanAgreement.comment",
    "plans.PlanReview.summary",
}


def marker(label: str) -> str:
    """A marker no other column holds, e.g. ``QZV-CASES-CASE-REASON``."""
    return "QZV-" + label.replace(".", "-").upper()


def raw_cells_with(needle: str) -> list[str]:
    """Tables whose raw SQL content holds ``needle`` anywhere (any column, any row)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            if any(needle in str(cell) for row in cursor.fetchall() for cell in row):
                found.append(table)
    return found


def test_the_encrypted_columns_are_the_free_texts_about_a_pupil():
    assert {f"{m._meta.label}.{f.name}" for m, f in encrypted_fields()} == ENCRYPTED


@pytest.fixture
def team(school, charter):
    return staff_team(school)


def test_one_row_of_each_model_shows_no_plaintext_in_raw_sql(team, school):
    head, cpe = team["head"], team["cpe"]
    now, today = clock.now(), clock.today()
    m = marker
    pupil = factories.PupilFactory(school=school)
    case = Case.objects.create(
        school=school,
        pupil=pupil,
        opened_by=cpe,
        reason=m("cases.Case.reason"),
        opened_at=now,
        closing_note=m("cases.Case.closing_note"),
    )
    referral = CaseReferral.objects.create(
        school=school,
        case=case,
        pupil=pupil,
        referred_by=cpe,
        reason=m("cases.CaseReferral.reason"),
        referred_at=now,
        is_initial=True,
    )
    CaseSign.objects.create(
        school=school,
        case=case,
        referral=referral,
        free_text=m("cases.CaseSign.free_text"),
        recorded_by=cpe,
    )
    FamilyContact.objects.create(
        school=school,
        case=case,
        contacted_on=today,
        channel="phone",
        made_by=cpe,
        recorded_by=cpe,
        outcome=m("cases.FamilyContact.outcome"),
    )
    FamilyContactException.objects.create(
        school=school,
        case=case,
        reason=m("cases.FamilyContactException.reason"),
        requested_by=cpe,
        requested_at=now,
    )
    CaseNote.objects.create(
        school=school,
        case=case,
        author=cpe,
        author_profession=cpe.profession,
        audience="team",
        body=m("cases.CaseNote.body"),
    )
    CaseEvent.objects.create(
        school=school,
        case=case,
        kind="reopened",
        actor=head,
        detail=m("cases.CaseEvent.detail"),
        occurred_at=now,
    )
    meeting = Meeting.objects.create(
        school=school, starts_at=now, place="B12", convened_by=head, convened_at=now
    )
    AgendaItem.objects.create(
        school=school,
        meeting=meeting,
        case=case,
        situation_summary=m("meetings.AgendaItem.situation_summary"),
        decisions=m("meetings.AgendaItem.decisions"),
        next_steps=m("meetings.AgendaItem.next_steps"),
        recorded_by=head,
        recorded_at=now,
    )
    plan = ActionPlan.objects.create(school=school, case=case, created_by=cpe)
    PlanReview.objects.create(
        school=school,
        plan=plan,
        opened_by=cpe,
        opened_at=now,
        summary=m("plans.PlanReview.summary"),
    )
    action = PlanAction.objects.create(
        school=school,
        plan=plan,
        action_type=ActionType.objects.create(school=school, label="Tutorat"),
        description=m("plans.PlanAction.description"),
        time_frame="in_school",
        owner=cpe,
        carried_by=m("plans.PlanAction.carried_by"),
        starts_on=today,
        frequency="weekly",
    )
    ActionGoal.objects.create(school=school, action=action, text=m("plans.ActionGoal.text"))
    PlanAgreement.objects.create(
        school=school,
        plan=plan,
        party="pupil",
        agreed_on=today,
        channel="meeting",
        comment=m("plans.PlanAgreement.comment"),
        plan_version=1,
        recorded_by=cpe,
    )
    Agreement.objects.create(
        school=school,
        kind=AgreementKind.SCHOOL_PARTNER,
        partner_organisation=PartnerOrganisation.objects.create(
            name="Coup de Pouce", kind="association"
        ),
        title="Convention",
        purpose=m("agreements.Agreement.purpose"),
        parties=m("agreements.Agreement.parties"),
        starts_on=today,
        ends_on=today + dt.timedelta(days=100),
        status=AgreementStatus.REVOKED,
        created_by=head,
        revoked_on=today,
        revocation_reason=m("agreements.Agreement.revocation_reason"),
        revoked_by=head,
        revoked_at=now,
    )

    assert raw_cells_with("QZV-") == []
    for model, enc_field in encrypted_fields():
        label = f"{model._meta.label}.{enc_field.name}"
        [row] = model._base_manager.all()
        assert getattr(row, enc_field.attname) == marker(label), label
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {connection.ops.quote_name(enc_field.column)} "
                f"FROM {connection.ops.quote_name(model._meta.db_table)}"
            )
            [(stored,)] = cursor.fetchall()
        assert stored.startswith(crypto.PREFIX), label


def test_the_services_that_edit_free_texts_seal_them_and_still_refuse_lost_updates(team, school):
    head, cpe, tutor = team["head"], team["cpe"], team["form_tutor"]
    m = marker
    # The case: referral with a free sign, reason edited, family contact, exception asked.
    pupil = factories.PupilFactory(school=school)
    referral = case_services.case_refer(
        actor=cpe,
        pupil=pupil,
        reason=m("referral"),
        free_signs=[m("free-sign")],
    )
    case = referral.case
    case_services.case_assign_referent(case=case, actor=head, referent=cpe)
    case.refresh_from_db()
    seen = case.version
    case_services.case_update(case=case, actor=head, expected_version=seen, reason=m("reason"))
    with pytest.raises(EditConflictError):
        case_services.case_update(case=case, actor=cpe, expected_version=seen, reason="perdu")
    case_services.family_exception_request(case=case, actor=cpe, reason=m("exception"))
    case_services.family_contact_record(
        case=case,
        actor=cpe,
        contacted_on=clock.today(),
        channel="phone",
        reached=True,
        outcome=m("contact"),
    )
    # The minutes, through the meeting services (the version still guards them).
    examined = open_case(head, referent=cpe, team=[tutor])
    meeting = meeting_services.meeting_convene(
        actor=head,
        starts_at=clock.now() - dt.timedelta(days=1),
        place="B12",
        members=[cpe],
        cases=[examined],
    )
    meeting_services.meeting_record_attendance(
        actor=head,
        meeting=meeting,
        expected_version=meeting.version,
        attendance={head.pk: "present", cpe.pk: "present"},
    )
    item = meeting.agenda_items.get()
    first = item.version
    meeting_services.agenda_item_record(
        actor=head,
        item=item,
        expected_version=first,
        situation_summary=m("summary"),
        decisions=m("decisions"),
        next_steps=m("next"),
    )
    with pytest.raises(EditConflictError):
        meeting_services.agenda_item_record(
            actor=head, item=item, expected_version=first, situation_summary="", decisions="perdu"
        )
    # An action of the plan, edited through the plan services (the version still guards it).
    plan = plan_services.plan_create(actor=cpe, case=Case.objects.get(pk=examined.pk))
    action = plan_services.plan_action_add(
        actor=cpe,
        plan=plan,
        expected_version=plan.version,
        goals=[m("goal")],
        action_type=ActionType.objects.filter(school=school).first(),
        time_frame="in_school",
        owner=tutor,
        starts_on=clock.today(),
        frequency="weekly",
    )
    before = action.version
    plan_services.plan_action_update(
        actor=cpe,
        action=action,
        expected_version=before,
        description=m("description"),
        carried_by=m("carried"),
    )
    with pytest.raises(PlanEditConflictError):
        plan_services.plan_action_update(
            actor=cpe, action=action, expected_version=before, description="perdu"
        )
    # The case closes with a note, and the head reopens it with a reason.
    case_services.case_close(case=case, actor=head, outcome="other", note=m("closing"))
    case_services.case_reopen(case=case, actor=head, reason=m("reopening"))

    assert raw_cells_with("QZV-") == []
    case = Case.objects.get(pk=case.pk)
    assert case.reason == m("reason") and case.closing_note == m("closing")
    assert CaseReferral.objects.get(pk=referral.pk).reason == m("referral")
    assert [s.free_text for s in CaseSign.objects.filter(case=case)] == [m("free-sign")]
    assert FamilyContactException.objects.get(case=case).reason == m("exception")
    assert FamilyContact.objects.get(case=case).outcome == m("contact")
    assert [e.detail for e in case.events.filter(kind="reopened")] == [m("reopening")]
    item = AgendaItem.objects.get(pk=item.pk)
    assert (item.situation_summary, item.decisions, item.next_steps) == (
        m("summary"),
        m("decisions"),
        m("next"),
    )
    assert item.version == first + 1
    action = PlanAction.objects.get(pk=action.pk)
    assert (action.description, action.carried_by) == (m("description"), m("carried"))
    assert action.version == before + 1
    assert [g.text for g in action.goals.all()] == [m("goal")]


def test_the_agreement_services_seal_purpose_parties_and_revocation_reason(head, school):
    organisation = PartnerOrganisation.objects.create(name="Coup de Pouce", kind="association")
    PartnerRegistration.objects.create(
        school=school, organisation=organisation, registered_at=clock.now()
    )
    today = clock.today()
    agreement = agreement_services.agreement_create(
        actor=head,
        kind=AgreementKind.SCHOOL_PARTNER,
        partner_organisation=organisation,
        title="Convention",
        purpose=marker("purpose"),
        parties=marker("parties"),
        starts_on=today,
        ends_on=today + dt.timedelta(days=100),
    )
    seen = agreement.version
    agreement_services.agreement_update(
        actor=head,
        agreement=agreement,
        expected_version=seen,
        title="Convention",
        purpose=marker("purpose-2"),
        parties=marker("parties-2"),
        starts_on=today,
        ends_on=today + dt.timedelta(days=100),
    )
    with pytest.raises(EditConflictError):
        agreement_services.agreement_update(
            actor=head,
            agreement=agreement,
            expected_version=seen,
            title="Convention",
            purpose="perdu",
            parties="perdu",
            starts_on=today,
            ends_on=today + dt.timedelta(days=100),
        )
    agreement_services.agreement_revoke(
        actor=head,
        agreement=agreement,
        expected_version=agreement.version,
        reason=marker("revocation"),
    )
    assert raw_cells_with("QZV-") == []
    fresh = Agreement.objects.get(pk=agreement.pk)
    assert (fresh.purpose, fresh.parties, fresh.revocation_reason) == (
        marker("purpose-2"),
        marker("parties-2"),
        marker("revocation"),
    )
