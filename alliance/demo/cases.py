"""The cases of the field stories (``SCENARIOS.md``), written through the case services.

- Inès (collège, 4e B): referred by the CPE with four signs; her mother reached by phone; the
  team is the principal, the CPE (referent), her form tutor, the PsyEN and the nurse; the nurse
  published "suivi infirmier en cours" (and, only on certified health hosting, kept a note of
  her own).
- Yanis (collège, 3e A): three attempts without an answer (letter, phone, ENT message), and the
  principal's written exception so that the GPDS can examine his situation anyway.
- Samir (lycée professionnel): referred by the CPE; his father reached at a meeting.

Everything happens "today": the services date what they record with the clock, and contacts
cannot predate the case.
"""

from django.db import transaction

from alliance.cases import services
from alliance.cases.models import Case, NoteAudience
from alliance.cases.perms import health_hosting_certified
from alliance.core import clock
from alliance.pupils.models import Guardian, GuardianRelationship, Pupil
from alliance.tenancy.models import Membership, Profession, Role, School

INES_SIGNS = ("absences", "falling_grades", "no_materials", "disengagement")


def _member(school: School, profession: str, email_prefix: str = "") -> Membership:
    memberships = Membership.objects.filter(school=school, profession=profession).select_related(
        "user", "school"
    )
    if email_prefix:
        memberships = memberships.filter(user__email__startswith=email_prefix)
    return memberships.order_by("pk").first()  # type: ignore[return-value]


def _head(school: School) -> Membership:
    return (
        Membership.objects.filter(school=school, role=Role.HEAD, profession=Profession.PRINCIPAL)
        .select_related("user", "school")
        .get()
    )


def _pupil(school: School, first_name: str, last_name: str) -> Pupil | None:
    return Pupil.objects.filter(school=school, first_name=first_name, last_name=last_name).first()


def _guardian(pupil: Pupil, relationship: str) -> Guardian | None:
    return pupil.guardians.filter(relationship=relationship).first()


@transaction.atomic
def seed_cases(*, college: School, lp: School) -> list[Case]:
    """Open the story cases (idempotent: a pupil who already has a case is left alone)."""
    cases = []
    today = clock.today()

    # Inès: the slow slide, parents first, what the nurse knows.
    ines = _pupil(college, "Inès", "Belkacem")
    if ines is not None and not ines.cases.exists():
        head = _head(college)
        cpe = _member(college, Profession.CPE)
        tutor = _member(college, Profession.FORM_TUTOR, "pp.4eb")
        psyen = _member(college, Profession.PSYEN)
        nurse = _member(college, Profession.NURSE)
        grid = {e.code: e for e in services.sign_catalogue_ensure(school=college)}
        case = services.case_refer(
            actor=cpe,
            pupil=ines,
            reason=(
                "Absences en hausse depuis septembre (neuf demi-journées non justifiées en "
                "novembre), moyennes de mathématiques et de français en baisse de trois points ; "
                "deux professeurs notent qu'elle n'apporte plus ses affaires."
            ),
            sign_entries=[grid[code] for code in INES_SIGNS],
        ).case
        services.case_assign_referent(case=case, actor=head, referent=cpe)
        for member in (head, tutor, psyen, nurse):
            services.case_team_add(case=case, actor=head, membership=member)
        services.family_contact_record(
            case=case,
            actor=cpe,
            contacted_on=today,
            channel="phone",
            reached=True,
            guardian=_guardian(ines, GuardianRelationship.MOTHER),
            outcome=(
                "La mère n'était pas au courant des absences. Elle viendra à un rendez-vous "
                "avec Inès ; d'accord pour que la situation soit examinée par le GPDS."
            ),
        )
        services.case_note_create(
            case=case,
            actor=nurse,
            audience=NoteAudience.TEAM,
            body="suivi infirmier en cours",
            is_summary_item=True,
        )
        if health_hosting_certified():
            services.case_note_create(
                case=case,
                actor=nurse,
                audience=NoteAudience.PROFESSION,
                body="Inès vient à l'infirmerie depuis octobre ; entretiens réguliers.",
            )
        cases.append(case)

    # Yanis: the family could not be reached; the principal's exception.
    yanis = _pupil(college, "Yanis", "Lambert")
    if yanis is not None and not yanis.cases.exists():
        head = _head(college)
        cpe = _member(college, Profession.CPE)
        referent = _member(college, Profession.DROPOUT_REFERENT)
        grid = {e.code: e for e in services.sign_catalogue_ensure(school=college)}
        case = services.case_refer(
            actor=cpe,
            pupil=yanis,
            reason="Absences répétées le lundi et retards quotidiens depuis la rentrée.",
            sign_entries=[grid["absences"], grid["lateness"], grid["lost_motivation"]],
        ).case
        services.case_assign_referent(case=case, actor=head, referent=cpe)
        services.case_team_add(case=case, actor=head, membership=referent)
        mother = _guardian(yanis, GuardianRelationship.MOTHER)
        for channel, outcome in (
            ("letter", "Courrier envoyé, sans réponse."),
            ("phone", "Deux appels, messagerie ; message laissé."),
            ("ent_message", "Message ENT non lu."),
        ):
            services.family_contact_record(
                case=case,
                actor=cpe,
                contacted_on=today,
                channel=channel,
                reached=False,
                guardian=mother,
                outcome=outcome,
            )
        services.family_exception_request(
            case=case,
            actor=cpe,
            reason=(
                "Trois tentatives sans réponse (courrier, téléphone, message ENT). La famille "
                "sera de nouveau contactée, mais l'équipe doit pouvoir se réunir."
            ),
        )
        services.family_exception_approve(case=case, actor=head)
        cases.append(case)

    # Samir: the lycée professionnel.
    samir = _pupil(lp, "Samir", "Benchikh")
    if samir is not None and not samir.cases.exists():
        head = _head(lp)
        cpe = _member(lp, Profession.CPE)
        psyen = _member(lp, Profession.PSYEN)
        grid = {e.code: e for e in services.sign_catalogue_ensure(school=lp)}
        case = services.case_refer(
            actor=cpe,
            pupil=samir,
            reason="Absent de l'atelier plusieurs jours par semaine ; ne se présente plus en stage.",
            sign_entries=[grid["absences"], grid["orientation"]],
        ).case
        services.case_assign_referent(case=case, actor=head, referent=cpe)
        services.case_team_add(case=case, actor=head, membership=psyen)
        services.family_contact_record(
            case=case,
            actor=cpe,
            contacted_on=today,
            channel="meeting",
            reached=True,
            guardian=_guardian(samir, GuardianRelationship.FATHER),
            pupil_present=True,
            outcome="Rendez-vous avec le père et Samir : Samir parle de quitter le lycée.",
        )
        cases.append(case)
    return cases
