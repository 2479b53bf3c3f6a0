"""The GPDS meeting, Inès's action plan and its review (``SCENARIOS.md`` stories 3 and 6).

Call ``seed_meetings(college=...)`` after ``alliance.demo.cases.seed_cases``. It is idempotent
(a school that already has a meeting is left alone) and writes only through the services:

- four more collège pupils are referred by the CPE, their families reached by phone, so that
  the agenda has six situations with Inès and Yanis (whose exception the principal approved);
- the meeting: the Thursday after the cases were opened, 12:30, room B12; convened and present:
  the principal, the CPE, Inès's form tutor, the PsyEN and the nurse; the invitations go out
  (console e-mail backend); the minutes of the six situations are recorded, which marks each
  case examined;
- Inès's plan: weekly tutoring with her form tutor, a meeting with the PsyEN about her plans,
  the neighbourhood association's homework club (outside school time); started after the
  meeting; her mother's and her own agreement a week later, at school;
- the review six weeks later: tutoring goal reached (tutoring stops), the PsyEN meeting held
  (stops), homework club partly reached (kept); next review before the spring holidays.

The cases are opened "today" by the cases demo, and nothing can be recorded before them, so
the story is played *forward*: each step runs with the application clock set to the moment
of the story (``story_clock``). Records after today are therefore dated in the coming weeks.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.db import transaction

from alliance.cases import services as case_services
from alliance.cases.models import Case, CaseStatus
from alliance.core import clock
from alliance.meetings import services as meeting_services
from alliance.meetings.models import Attendance, Meeting
from alliance.plans import services as plan_services
from alliance.plans.models import ActionGoal, ActionType, GoalResult
from alliance.pupils.models import GuardianRelationship, Pupil
from alliance.tenancy.models import Membership, Profession, Role, School

PARIS = ZoneInfo("Europe/Paris")
THURSDAY = 3
#: The four other situations of the agenda: (reason, decisions).
OTHER_SITUATIONS: tuple[tuple[str, str], ...] = (
    (
        "Retards répétés le matin ; s'endort en classe.",
        "Entretien de la CPE avec l'élève et sa famille ; point au prochain GPDS.",
    ),
    (
        "Résultats en forte baisse depuis la rentrée ; dit ne plus savoir pourquoi il vient.",
        "Aide méthodologique deux fois par semaine ; entretien avec la PsyEN.",
    ),
    (
        "Conflits répétés avec des camarades ; s'isole à la récréation.",
        "Entretien de suivi avec le professeur principal ; proposition d'un club du midi.",
    ),
    (
        "Absences le vendredi depuis novembre.",
        "Appel de la famille par la CPE ; point au prochain GPDS.",
    ),
)
INES_DECISIONS = (
    "Tutorat hebdomadaire avec le professeur principal ; rencontre avec la PsyEN au sujet de son "
    "projet ; place au club d'aide aux devoirs de l'association du quartier (hors temps scolaire)."
)


@contextmanager
def story_clock(moment: dt.datetime) -> Iterator[None]:
    """Run a step of the story with the application clock at ``moment`` (demo seeding only)."""
    real_now = clock.now
    clock.now = lambda: moment
    try:
        yield
    finally:
        clock.now = real_now


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


def _member(school: School, profession: str, email_prefix: str = "") -> Membership | None:
    memberships = Membership.objects.filter(school=school, profession=profession)
    if email_prefix:
        memberships = memberships.filter(user__email__startswith=email_prefix)
    return memberships.select_related("user", "school").order_by("pk").first()


def _open_case_of(pupil: Pupil | None) -> Case | None:
    if pupil is None:
        return None
    return Case.objects.open().filter(pupil=pupil).first()


def _spring_review(after: dt.date) -> dt.date:
    """A date just before the spring holidays (early April) following ``after``."""
    year = after.year if after.month < 4 else after.year + 1
    day = dt.date(year, 3, 31)
    return day if day > after else after + dt.timedelta(weeks=6)


def _other_cases(college: School, head: Membership, cpe: Membership, count: int) -> list[Case]:
    """Refer ``count`` more pupils of the collège (deterministic choice), families reached."""
    pupils = (
        Pupil.objects.filter(school=college, left_on__isnull=True, cases__isnull=True)
        .exclude(first_name="Inès", last_name="Belkacem")
        .exclude(first_name="Yanis", last_name="Lambert")
        .filter(guardians__isnull=False)
        .distinct()
        .order_by("division__code", "last_name", "first_name", "pk")
    )
    chosen = list(pupils[: count * 7 : 7])[:count]
    cases = []
    for pupil, (reason, _decisions) in zip(chosen, OTHER_SITUATIONS, strict=False):
        case = case_services.case_refer(actor=cpe, pupil=pupil, reason=reason).case
        case_services.case_assign_referent(case=case, actor=head, referent=cpe)
        guardian = pupil.guardians.order_by("-legal_responsibility", "pk").first()
        case_services.family_contact_record(
            case=case,
            actor=cpe,
            contacted_on=clock.today(),
            channel="phone",
            reached=True,
            guardian=guardian,
            outcome="Famille informée ; d'accord pour que la situation soit examinée au GPDS.",
        )
        case.refresh_from_db()
        cases.append(case)
    return cases


@transaction.atomic
def seed_meetings(*, college: School) -> Meeting | None:
    """Play stories 3 and 6 at the collège. Returns the meeting, or ``None`` if nothing was done."""
    if Meeting.objects.filter(school=college).exists():
        return None
    head = (
        Membership.objects.filter(school=college, role=Role.HEAD, profession=Profession.PRINCIPAL)
        .select_related("user", "school")
        .first()
    )
    cpe = _member(college, Profession.CPE)
    tutor = _member(college, Profession.FORM_TUTOR, "pp.4eb")
    psyen = _member(college, Profession.PSYEN)
    nurse = _member(college, Profession.NURSE)
    ines_pupil = Pupil.objects.filter(
        school=college, first_name="Inès", last_name="Belkacem"
    ).first()
    yanis_pupil = Pupil.objects.filter(
        school=college, first_name="Yanis", last_name="Lambert"
    ).first()
    ines, yanis = _open_case_of(ines_pupil), _open_case_of(yanis_pupil)
    if None in (head, cpe, tutor, psyen, nurse) or ines is None or ines_pupil is None:
        return None
    assert head is not None and cpe is not None and tutor is not None
    assert psyen is not None and nurse is not None
    story_cases = [ines] + ([yanis] if yanis is not None else [])
    # The other situations were referred the same morning as Inès's.
    with story_clock(ines.opened_at + dt.timedelta(minutes=30)):
        story_cases += _other_cases(college, head, cpe, 6 - len(story_cases))
    decisions = {ines.pk: INES_DECISIONS}
    if yanis is not None:
        decisions[yanis.pk] = (
            "Exception aux « parents d'abord » approuvée : l'équipe se réunit. Nouvelle tentative "
            "de contact par le référent décrochage ; entretien de suivi avec Yanis."
        )
    others = [c for c in story_cases if c.pk not in decisions]
    for case, (_reason, text) in zip(others, OTHER_SITUATIONS, strict=False):
        decisions[case.pk] = text

    # The meeting: the first Thursday after the cases were opened, 12:30, room B12.
    opened = max(c.opened_at.astimezone(PARIS) for c in story_cases)
    day = opened.date() + dt.timedelta(days=1)
    while day.weekday() != THURSDAY:
        day += dt.timedelta(days=1)
    starts_at = _at(day, 12, 30)
    convened = [head, cpe, tutor, psyen, nurse]
    meeting = meeting_services.meeting_convene(
        actor=head,
        starts_at=starts_at,
        duration_minutes=60,
        place="Salle B12",
        members=convened,
        cases=story_cases,
    )
    with story_clock(_at(day, 13, 35)):
        meeting_services.meeting_record_attendance(
            actor=head,
            meeting=meeting,
            expected_version=meeting.version,
            attendance={m.pk: Attendance.PRESENT for m in convened},
        )
        for item in meeting.agenda_items.select_related("case").order_by("position"):
            summary = ""
            if item.case_id == ines.pk:
                summary = (
                    "Neuf demi-journées d'absence non justifiées en novembre ; moyennes de "
                    "mathématiques et de français en baisse de trois points. La mère, informée "
                    "par la CPE, soutient la démarche. Suivi infirmier en cours."
                )
            meeting_services.agenda_item_record(
                actor=head,
                item=item,
                expected_version=item.version,
                situation_summary=summary,
                decisions=decisions[item.case_id],
                next_steps="Point au prochain GPDS."
                if item.case_id != ines.pk
                else (
                    "Rencontre avec Inès et sa mère la semaine prochaine pour construire le plan."
                ),
            )

    # Inès's plan, built by the CPE (her referent) right after the meeting.
    with story_clock(_at(day, 16, 0)):
        ines.refresh_from_db()
        plan = plan_services.plan_create(actor=cpe, case=ines)
        types = {t.code: t for t in ActionType.objects.filter(school=college)}
        steps = (
            (
                "tutoring",
                tutor,
                "in_school",
                "weekly",
                "",
                ["Rattraper le travail en français et en mathématiques"],
                "Un créneau par semaine avec son professeur principal.",
            ),
            (
                "guidance_interview",
                psyen,
                "in_school",
                "once",
                "",
                ["Parler de son projet d'orientation"],
                "Rencontre avec la PsyEN au sujet de ses projets.",
            ),
            (
                "homework_help",
                cpe,
                "outside_school",
                "twice_weekly",
                "Association Coup de Pouce Quartier — club d'aide aux devoirs",
                ["Rendre ses devoirs à temps"],
                "Le mardi et le jeudi de 17 h à 18 h 30 au local de l'association.",
            ),
        )
        actions = {}
        for code, owner, frame, frequency, carried_by, goals, description in steps:
            plan.refresh_from_db()
            actions[code] = plan_services.plan_action_add(
                actor=cpe,
                plan=plan,
                expected_version=plan.version,
                goals=goals,
                action_type=types[code],
                time_frame=frame,
                owner=owner,
                carried_by=carried_by,
                starts_on=day + dt.timedelta(days=4),
                frequency=frequency,
                description=description,
            )
        plan.refresh_from_db()
        review_day = day + dt.timedelta(weeks=6)
        plan_services.plan_activate(
            actor=cpe, plan=plan, expected_version=plan.version, next_review_on=review_day
        )

    # A week later: Inès and her mother agree with the plan at a meeting at school.
    agreed_on = day + dt.timedelta(days=7)
    with story_clock(_at(agreed_on, 17, 30)):
        mother = ines_pupil.guardians.filter(relationship=GuardianRelationship.MOTHER).first()
        if mother is not None:
            plan_services.plan_agreement_record(
                actor=cpe,
                plan=plan,
                party="family",
                guardian=mother,
                agreed_on=agreed_on,
                channel="meeting",
                comment="Rencontre au collège avec la CPE et le professeur principal.",
            )
        plan_services.plan_agreement_record(
            actor=cpe, plan=plan, party="pupil", agreed_on=agreed_on, channel="meeting"
        )

    # Six weeks later: the review.
    with story_clock(_at(review_day, 12, 30)):
        plan.refresh_from_db()
        review = plan_services.plan_review_open(actor=cpe, plan=plan, expected_version=plan.version)
        goal_of = {g.action_id: g for g in ActionGoal.objects.filter(action__plan=plan)}
        results = {
            "tutoring": GoalResult.REACHED,
            "guidance_interview": GoalResult.REACHED,
            "homework_help": GoalResult.PARTLY,
        }
        plan.refresh_from_db()
        plan_services.plan_review_complete(
            actor=cpe,
            review=review,
            expected_version=plan.version,
            held_on=review_day,
            summary=(
                "Absences en baisse : une demi-journée par mois. Moyennes stables. Inès a "
                "rencontré la PsyEN et parle d'un projet en lycée professionnel."
            ),
            assessments={goal_of[actions[code].pk].pk: result for code, result in results.items()},
            decisions={
                actions["tutoring"].pk: "stopped",
                actions["guidance_interview"].pk: "stopped",
                actions["homework_help"].pk: "continued",
            },
            next_review_on=_spring_review(review_day),
        )
    ines.refresh_from_db()
    assert ines.status == CaseStatus.PLAN_ACTIVE
    return meeting
