"""The demo's agreements (``SCENARIOS.md`` story 5; docs/decisions/0013), written through the
agreement and case services, so every step is audited as in real use.

At the collège:

- *Association Coup de Pouce Quartier*: a school–partner agreement for the homework club,
  signed by the principal and the association's coordinator, approved by the board in September
  (reference ``CA <year>-09-n°4``), in force until 30 June; under it, a partner–pupil–parents
  agreement for Inès, signed by her mother and the association. The coordinator (whose
  partner membership and adhesion ``generator`` and ``partners`` already made) joins Inès's case
  team — ``case_team_add`` checks the agreement, the adhesion and the family contact — and the
  CPE (Inès's referent) hands her the homework-club action of the plan, so that she reports
  its progress herself.
- *Mission locale du Val des Alliances*: a school–partner agreement signed by both parties and
  awaiting the board's approval (a draft), so the demo shows both states; its people see no
  case.

Run inside the demo's transaction, after the cases, meetings and plans exist, with the app
clock at "now". Dates come from the current school year and are never in the future.
"""

import datetime as dt

from alliance.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementParty,
)
from alliance.agreements.services import (
    agreement_board_approval_record,
    agreement_create,
    agreement_signature_record,
)
from alliance.cases import services as case_services
from alliance.cases.models import Case
from alliance.core import clock
from alliance.partners.models import PartnerOrganisation
from alliance.plans import services as plan_services
from alliance.plans.models import (
    LIVE_ACTION_STATUSES,
    ActionStatus,
    PlanAction,
    PlanAgreement,
)
from alliance.pupils.models import GuardianRelationship, Pupil
from alliance.tenancy.models import Membership, Profession, Role, School
from alliance.tenancy.years import school_year_label

#: The association's coordinator, who joins Inès's case team (docs/demo.md).
COORDINATOR = "coordinatrice@coup-de-pouce.example.org"
#: The reference of the board's deliberation, as the minutes of the conseil d'administration write it.
BOARD_REFERENCE = "CA {year}-09-n°4"
HOMEWORK_CLUB_TITLE = "Convention de partenariat — club d'aide aux devoirs"
INES_AGREEMENT_TITLE = "Convention d'accompagnement — club d'aide aux devoirs (Inès)"
MISSION_LOCALE_TITLE = "Convention de partenariat — prévenir les ruptures de parcours"


def _member(school: School, email: str) -> Membership | None:
    return (
        Membership.objects.filter(school=school, user__email=email)
        .select_related("user", "school", "partner_organisation")
        .first()
    )


def _principal(school: School) -> Membership:
    return (
        Membership.objects.filter(school=school, role=Role.HEAD, profession=Profession.PRINCIPAL)
        .select_related("user", "school")
        .get()
    )


def _signatory(membership: Membership) -> str:
    return f"{membership.user.first_name} {membership.user.last_name}"


def seed_agreements(*, college: School) -> list[Agreement]:
    """Draw up, sign and approve the demo's agreements (idempotent: nothing if any exists)."""
    if Agreement.objects.filter(school=college).exists():
        return []
    today = clock.today()
    year = int(school_year_label(today)[:4])
    head = _principal(college)
    cpe = Membership.objects.filter(school=college, profession=Profession.CPE).order_by("pk")[0]
    coordinator = _member(college, COORDINATOR)
    if coordinator is None or coordinator.partner_organisation is None:
        return []
    association = coordinator.partner_organisation
    end_of_june = max(dt.date(year + 1, 6, 30), today)
    created: list[Agreement] = []

    # The homework club: signed in mid-September, approved by the board a week later.
    signed_on = min(dt.date(year, 9, 15), today)
    approved_on = min(dt.date(year, 9, 24), today)
    club = agreement_create(
        actor=head,
        kind=AgreementKind.SCHOOL_PARTNER,
        partner_organisation=association,
        title=HOMEWORK_CLUB_TITLE,
        purpose=(
            "L'association accueille au club d'aide aux devoirs, le mardi et le jeudi de 17 h à "
            "18 h 30 dans son local, les élèves que l'équipe de suivi lui adresse avec l'accord "
            "de leurs parents. Elle rend compte à l'équipe de l'assiduité et des progrès. "
            "Chaque intervenant adhère à la charte des alliances éducatives."
        ),
        parties=(
            f"{college.name}, représenté par {_signatory(head)}, principale ; "
            f"{association.name}, représentée par {_signatory(coordinator)}, coordinatrice."
        ),
        starts_on=approved_on,
        ends_on=end_of_june,
    )
    for party, membership, capacity in (
        (AgreementParty.SCHOOL, head, "principale du collège"),
        (AgreementParty.PARTNER, coordinator, "coordinatrice, par délégation de la présidente"),
    ):
        agreement_signature_record(
            actor=head,
            agreement=club,
            party=party,
            signatory_name=_signatory(membership),
            signatory_capacity=capacity,
            signed_on=signed_on,
        )
    agreement_board_approval_record(
        actor=head,
        agreement=club,
        expected_version=club.version,
        approved_on=approved_on,
        reference=BOARD_REFERENCE.format(year=approved_on.year),
    )
    created.append(club)

    # Inès: her mother and the association sign when the plan is agreed with the family.
    ines = Pupil.objects.filter(school=college, first_name="Inès", last_name="Belkacem").first()
    case = Case.objects.open().filter(pupil=ines).first() if ines is not None else None
    mother = (
        ines.guardians.filter(relationship=GuardianRelationship.MOTHER).first()
        if ines is not None
        else None
    )
    if ines is not None and mother is not None:
        agreed = (
            PlanAgreement.objects.filter(plan__case=case, party="family")
            .order_by("agreed_on")
            .values_list("agreed_on", flat=True)
            .first()
        )
        pupil_day = max(club.starts_on, min(agreed or today, today))
        pupil_agreement = agreement_create(
            actor=head,
            kind=AgreementKind.PARTNER_PUPIL_PARENTS,
            partner_organisation=association,
            pupil=ines,
            parent_agreement=club,
            title=INES_AGREEMENT_TITLE,
            purpose=(
                "Inès participe au club d'aide aux devoirs le mardi et le jeudi. L'association "
                "informe l'équipe de suivi de son assiduité et de ses progrès ; la famille peut "
                "mettre fin à l'accompagnement à tout moment."
            ),
            parties=(
                f"{association.name} ; {mother.first_name} {mother.last_name}, sa mère ; Inès."
            ),
            starts_on=pupil_day,
            ends_on=club.ends_on,
        )
        agreement_signature_record(
            actor=head,
            agreement=pupil_agreement,
            party=AgreementParty.GUARDIAN,
            guardian=mother,
            signatory_name=f"{mother.first_name} {mother.last_name}",
            signatory_capacity="mère",
            signed_on=pupil_day,
        )
        agreement_signature_record(
            actor=head,
            agreement=pupil_agreement,
            party=AgreementParty.PARTNER,
            signatory_name=_signatory(coordinator),
            signatory_capacity="coordinatrice",
            signed_on=pupil_day,
        )
        created.append(pupil_agreement)

    # The coordinator joins Inès's team (the service checks the agreement, her adhesion and the
    # family contact) and carries the homework-club action of the plan.
    if case is not None:
        case_services.case_team_add(case=case, actor=head, membership=coordinator)
        club_action = (
            PlanAction.objects.filter(plan__case=case, action_type__code="homework_help")
            .select_related("plan")
            .first()
        )
        if club_action is not None and club_action.status in LIVE_ACTION_STATUSES:
            club_action = plan_services.plan_action_update(
                actor=cpe,
                action=club_action,
                expected_version=club_action.version,
                owner=coordinator,
            )
            if club_action.status == ActionStatus.PLANNED:  # she reports that it started
                plan_services.plan_action_report_progress(
                    actor=coordinator,
                    action=club_action,
                    expected_version=club_action.version,
                    status=ActionStatus.IN_PROGRESS,
                )

    # The mission locale: signed by both parties, on the agenda of the next board meeting.
    mission = PartnerOrganisation.objects.filter(
        registrations__school=college, kind="mission_locale"
    ).first()
    representative = (
        Membership.objects.filter(school=college, role=Role.PARTNER, partner_organisation=mission)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if mission is not None and representative is not None:
        starts_on = min(max(today, dt.date(year + 1, 1, 4)), end_of_june)
        pending = agreement_create(
            actor=head,
            kind=AgreementKind.SCHOOL_PARTNER,
            partner_organisation=mission,
            title=MISSION_LOCALE_TITLE,
            purpose=(
                "La mission locale rencontre, avec l'accord de leurs parents, les élèves de 3e "
                "sans projet d'orientation que l'équipe de suivi lui adresse, et les accompagne "
                "vers une formation ou un premier emploi."
            ),
            parties=(
                f"{college.name}, représenté par {_signatory(head)}, principale ; "
                f"{mission.name}, représentée par {_signatory(representative)}."
            ),
            starts_on=starts_on,
            ends_on=end_of_june,
        )
        for party, name in (
            (AgreementParty.SCHOOL, _signatory(head)),
            (AgreementParty.PARTNER, _signatory(representative)),
        ):
            agreement_signature_record(
                actor=head,
                agreement=pending,
                party=party,
                signatory_name=name,
                signed_on=min(dt.date(year, 11, 16), today),
            )
        created.append(pending)
    return created
