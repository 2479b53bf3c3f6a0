"""The whole journey, service by service: referral → family contact → meeting with decisions →
plan → agreement → review → closure (stories 1, 2, 3 and 6)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from alliance.audit.models import AuditEvent
from alliance.cases import services as case_services
from alliance.cases.models import CaseStatus, FamilyInvolvement, InvolvementKind
from alliance.core import clock
from alliance.meetings import services as meeting_services
from alliance.meetings.selectors import agenda_items_visible_to
from alliance.plans import services as plan_services
from alliance.plans.models import ActionStatus, ActionType, GoalResult, PlanReview
from tests import factories
from tests.meetings.builders import staff_team

pytestmark = pytest.mark.django_db


class Clock:
    """Moves the application's clock forward, like the weeks of a school term."""

    def __init__(self, monkeypatch):
        self.now = clock.now()
        monkeypatch.setattr(clock, "now", lambda: self.now)

    def forward(self, **delta):
        self.now += dt.timedelta(**delta)


def test_from_referral_to_closure(school, charter, monkeypatch):
    time = Clock(monkeypatch)
    team = staff_team(school)
    head, cpe, tutor, psyen = team["head"], team["cpe"], team["form_tutor"], team["psyen"]
    ines = factories.PupilFactory(school=school, first_name="Inès", last_name="Belkacem")
    mother = factories.GuardianFactory(pupil=ines, first_name="Samia")

    # 1. The CPE refers Inès; the head builds the team and names the CPE referent.
    case = case_services.case_refer(actor=cpe, pupil=ines, reason="Absences, notes en baisse").case
    case_services.case_assign_referent(case=case, actor=head, referent=cpe)
    for m in (tutor, psyen):
        case_services.case_team_add(case=case, actor=head, membership=m)

    # 2. Parents first: the CPE calls the mother.
    case_services.family_contact_record(
        case=case,
        actor=cpe,
        contacted_on=clock.today(),
        channel="phone",
        reached=True,
        guardian=mother,
        outcome="La mère n'était pas au courant ; d'accord pour une rencontre.",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.FAMILY_ASSOCIATED

    # 3. The GPDS meets on Thursday; the minutes record the decisions: the case is examined.
    meeting = meeting_services.meeting_convene(
        actor=head,
        starts_at=clock.now() + dt.timedelta(days=3),
        place="Salle B12",
        members=[cpe, tutor, psyen, team["nurse"]],
        cases=[case],
        family_invited_cases=[case],
    )
    time.forward(days=3, minutes=5)
    meeting_services.meeting_record_attendance(
        actor=head,
        meeting=meeting,
        expected_version=meeting.version,
        attendance={p.membership_id: "present" for p in meeting.participants.all()},
        family_present={meeting.agenda_items.get().pk: False},
    )
    item = meeting.agenda_items.get()
    meeting_services.agenda_item_record(
        actor=head,
        item=item,
        expected_version=item.version,
        situation_summary="Neuf demi-journées d'absence en novembre ; moyennes en baisse.",
        decisions="Tutorat hebdomadaire avec le professeur principal ; entretien avec la PsyEN ; "
        "aide aux devoirs de l'association du quartier.",
        next_steps="Rencontre avec la mère et Inès la semaine prochaine.",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.EXAMINED
    assert {i.case for i in agenda_items_visible_to(team["nurse"], meeting)} == {case}

    # 4. The referent builds the plan with three actions, then it starts.
    plan = plan_services.plan_create(actor=cpe, case=case)
    types = {t.code: t for t in ActionType.objects.filter(school=school)}
    assert {"tutoring", "guidance_interview", "homework_help"} <= set(types)
    today = clock.today()

    def add(code, owner, time_frame, frequency, goals, **extra):
        plan.refresh_from_db()
        return plan_services.plan_action_add(
            actor=cpe,
            plan=plan,
            expected_version=plan.version,
            goals=goals,
            action_type=types[code],
            time_frame=time_frame,
            owner=owner,
            starts_on=today,
            frequency=frequency,
            **extra,
        )

    tutoring = add("tutoring", tutor, "in_school", "weekly", ["Rattraper les cours de français"])
    guidance = add("guidance_interview", psyen, "in_school", "once", ["Parler de son projet"])
    club = add(
        "homework_help",
        cpe,
        "outside_school",
        "twice_weekly",
        ["Rendre ses devoirs à temps"],
        carried_by="Association Coup de Pouce Quartier",
    )
    plan.refresh_from_db()
    plan_services.plan_activate(
        actor=cpe,
        plan=plan,
        expected_version=plan.version,
        next_review_on=today + dt.timedelta(weeks=6),
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.PLAN_ACTIVE

    # The mother and Inès agree a week later, at a meeting at school.
    time.forward(days=7)
    for party, guardian in (("family", mother), ("pupil", None)):
        plan_services.plan_agreement_record(
            actor=cpe,
            plan=plan,
            party=party,
            guardian=guardian,
            agreed_on=clock.today(),
            channel="meeting",
        )
    agreed = FamilyInvolvement.objects.filter(case=case, kind=InvolvementKind.AGREED_PLAN)
    assert agreed.count() == 2 and agreed.filter(pupil_took_part=True).count() == 1

    # 5. Six weeks later: the review. Tutoring reached and stopped, the club partly and kept.
    time.forward(weeks=6)
    plan.refresh_from_db()
    review = plan_services.plan_review_open(actor=cpe, plan=plan, expected_version=plan.version)
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_REVIEW
    goals = {g.action_id: g for a in (tutoring, guidance, club) for g in a.goals.all()}
    plan.refresh_from_db()
    plan_services.plan_review_complete(
        actor=cpe,
        review=review,
        expected_version=plan.version,
        held_on=clock.today(),
        summary="Une demi-journée d'absence par mois ; moyennes stables.",
        assessments={
            goals[tutoring.pk].pk: GoalResult.REACHED,
            goals[guidance.pk].pk: GoalResult.REACHED,
            goals[club.pk].pk: GoalResult.PARTLY,
        },
        decisions={tutoring.pk: "stopped", guidance.pk: "stopped", club.pk: "continued"},
        next_review_on=clock.today() + dt.timedelta(weeks=8),
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.PLAN_ACTIVE
    tutoring.refresh_from_db()
    club.refresh_from_db()
    assert tutoring.status == ActionStatus.STOPPED
    assert club.status == ActionStatus.IN_PROGRESS
    assert PlanReview.objects.get().status == "completed"

    # 6. In May the case closes: back on track.
    time.forward(weeks=10)
    case_services.case_close(case=case, actor=head, outcome="back_on_track")
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    plan.refresh_from_db()
    with pytest.raises(ValidationError):  # a closed case's plan is frozen
        plan_services.plan_agreement_record(
            actor=cpe, plan=plan, party="pupil", agreed_on=clock.today(), channel="phone"
        )
    # Every step left an audit event on the objects it touched.
    audited = set(AuditEvent.objects.values_list("object_type", flat=True))
    assert {
        "meetings.meeting",
        "meetings.agendaitem",
        "plans.actionplan",
        "plans.planaction",
        "plans.planagreement",
        "plans.planreview",
        "cases.case",
    } <= audited
