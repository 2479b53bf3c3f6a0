"""Reads of cases. Every one starts from the acting membership and returns nothing by default.

Need-to-know (charter art. 3b): the head sees every case of the school; any other staff
member sees a case only while on its team; a partner sees a case only while on its team *and*
while their organisation's school–partner agreement is in force (docs/decisions/0013).
Everybody else — including the staff who can see the pupil — sees no case at all, and nothing
tells them one exists.
"""

import uuid
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from alliance.cases.models import (
    Case,
    CaseNote,
    CaseQuerySet,
    CaseReferral,
    CaseTeamMember,
    FamilyContactException,
    NoteAudience,
    SignCatalogueEntry,
)
from alliance.charter.selectors import has_adhered_to_current
from alliance.tenancy.models import Membership, Role

#: School roles whose members may see cases (and join case teams as school staff). Partners
#: see the cases whose team they are on while their agreement is in force (``cases_visible_to``).
ROLES_SEEING_CASES: frozenset[str] = frozenset({Role.HEAD, Role.STAFF})
#: Roles counted as "school staff" for the audience ``school_staff_on_team``.
SCHOOL_STAFF_ROLES: frozenset[str] = frozenset({Role.HEAD, Role.STAFF})


def _is_live_adherent(membership: Membership | None) -> bool:
    return membership is not None and membership.is_live() and has_adhered_to_current(membership)


def cases_visible_to(membership: Membership | None) -> CaseQuerySet:
    """The cases ``membership`` may see.

    Rule, in words: only a live membership that adhered to the current charter sees cases; the
    head (or deputy) sees every case of the school; a staff member sees the cases of the school
    whose team they are on (not removed); a partner sees the cases whose team they are on, and
    only while a school–partner agreement between the school and their organisation is in force
    today (app clock: expiry or revocation ends the access with no job to run). Anyone else
    sees none.
    """
    if membership is None or not _is_live_adherent(membership):
        return Case.objects.none()
    if membership.role == Role.PARTNER:
        from alliance.agreements.selectors import partner_has_active_agreement

        if not partner_has_active_agreement(membership):
            return Case.objects.none()
    elif membership.role not in ROLES_SEEING_CASES:
        return Case.objects.none()
    cases = Case.objects.filter(school_id=membership.school_id)
    if membership.role == Role.HEAD:
        return cases
    on_team = CaseTeamMember.objects.current().filter(
        case_id=OuterRef("pk"), membership_id=membership.pk
    )
    # An archived case (privacy.CaseArchive, retention, decision 0015) is the head's only.
    return cases.filter(Exists(on_team), archive__isnull=True)


def can_see_case(membership: Membership | None, case: Case) -> bool:
    return cases_visible_to(membership).filter(pk=case.pk).exists()


def case_get_visible(membership: Membership | None, public_id: uuid.UUID | str) -> Case:
    """Fetch one case and check access at once: missing and forbidden are the same 404."""
    try:
        return (
            cases_visible_to(membership)
            .select_related("pupil", "pupil__division", "referent__user", "opened_by__user")
            .get(public_id=public_id)
        )
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def case_visible_for_pupil(membership: Membership | None, pupil_id: int) -> Case | None:
    """The pupil's open case if ``membership`` may see it, else ``None`` (whether or not one exists)."""
    return cases_visible_to(membership).open().filter(pupil_id=pupil_id).first()


def cases_list(membership: Membership | None, *, status: str = "") -> CaseQuerySet:
    cases = cases_visible_to(membership).select_related(
        "pupil", "pupil__division", "referent__user"
    )
    if status == "open":
        cases = cases.open()
    elif status:
        cases = cases.filter(status=status)
    return cases.order_by("-opened_at", "-pk")


def case_team(case: Case) -> QuerySet[CaseTeamMember]:
    """The current team of ``case`` (call only after checking the case is visible)."""
    return case.team.current().select_related("membership__user").order_by("added_at", "pk")


def notes_visible_to(membership: Membership | None, case: Case) -> QuerySet[CaseNote]:
    """The notes of ``case`` that ``membership`` may read.

    Rule, in words: nothing unless the membership can see the case; then the notes whose
    audience is the team; the notes for school staff on the team if the reader is school staff
    (not a partner); the notes for a profession if the reader has that profession (the author's
    profession when writing); and the reader's own notes. A partner thus reads only the notes
    shared with the whole team (and their own).
    """
    if membership is None or not can_see_case(membership, case):
        return CaseNote.objects.none()
    audience = Q(audience=NoteAudience.TEAM) | Q(author_id=membership.pk)
    if membership.role in SCHOOL_STAFF_ROLES:
        audience |= Q(audience=NoteAudience.SCHOOL_STAFF_ON_TEAM)
    if membership.is_secrecy_bound:
        audience |= Q(audience=NoteAudience.PROFESSION, author_profession=membership.profession)
    return (
        CaseNote.objects.filter(case_id=case.pk, school_id=case.school_id)
        .filter(audience)
        .select_related("author__user")
        .order_by("-created_at", "-pk")
    )


def case_family_associated_or_excepted(case: Case) -> bool:
    """True when the family was reached at least once, or the head approved an exception.

    Parents first (charter art. 4a): the case may be put on a meeting agenda or shared with a
    partner only then.
    """
    if case.family_associated_at is not None:
        return True
    if case.family_contacts.filter(reached=True).exists():
        return True
    return FamilyContactException.objects.filter(
        case_id=case.pk, approved_at__isnull=False
    ).exists()


def family_exception_of(case: Case) -> FamilyContactException | None:
    return FamilyContactException.objects.filter(case_id=case.pk).first()


def sign_catalogue(school_id: int) -> QuerySet[SignCatalogueEntry]:
    """The signs the school offers in its grid."""
    return SignCatalogueEntry.objects.filter(school_id=school_id, is_active=True).order_by(
        "position", "label"
    )


def team_candidates(case: Case) -> QuerySet[Membership]:
    """School staff who may join ``case``'s team: live, adhered to the current charter, not on it."""
    from alliance.charter.selectors import charter_current

    current = charter_current(case.school)
    if current is None:
        return Membership.objects.none()
    on_team = case.team.current().values("membership_id")
    return (
        Membership.objects.live()
        .filter(
            school_id=case.school_id,
            role__in=ROLES_SEEING_CASES,
            charter_adhesions__charter_version=current,
        )
        .exclude(pk__in=on_team)
        .select_related("user")
        .distinct()
        .order_by("user__last_name", "user__first_name", "pk")
    )


def referrals_made_by(membership: Membership | None) -> QuerySet[CaseReferral]:
    """The referrals ``membership`` made, to show back to them. Never says anything of the case."""
    if membership is None:
        return CaseReferral.objects.none()
    return (
        CaseReferral.objects.filter(referred_by_id=membership.pk, school_id=membership.school_id)
        .select_related("pupil", "pupil__division")
        .order_by("-referred_at", "-pk")
    )


@dataclass(frozen=True)
class PartnerCandidate:
    """A partner the head might add to a case team, and why they may not yet (if so)."""

    membership: Membership
    reasons: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return not self.reasons


def partner_team_candidates(case: Case) -> list[PartnerCandidate]:
    """Partners whose organisation has a school–partner agreement in force with the case's
    school, not on the team, each with whether they may join now and, if not, why.

    The reasons are the same conditions ``services.case_team_add`` checks for a partner.
    """
    from alliance.agreements.models import Agreement, AgreementKind

    organisations = (
        Agreement.objects.active()
        .filter(school_id=case.school_id, kind=AgreementKind.SCHOOL_PARTNER)
        .values("partner_organisation_id")
    )
    on_team = case.team.current().values("membership_id")
    partners = (
        Membership.objects.live()
        .filter(
            school_id=case.school_id,
            role=Role.PARTNER,
            partner_organisation_id__in=organisations,
        )
        .exclude(pk__in=on_team)
        .select_related("user", "partner_organisation", "school")
        .order_by("user__last_name", "user__first_name", "pk")
    )
    return [PartnerCandidate(m, tuple(partner_team_refusals(case, m))) for m in partners]


def partner_team_refusals(case: Case, membership: Membership) -> list[str]:
    """Why the partner ``membership`` may not join ``case``'s team now (empty: they may).

    Conditions (docs/decisions/0013): a live partner membership of the case's school, adhered
    to the school's current charter, whose organisation has a school–partner agreement in force,
    on a case whose family was associated (or the head approved an exception), still open.
    """
    from django.utils.translation import gettext as _

    from alliance.agreements.selectors import partner_has_active_agreement

    reasons: list[str] = []
    if (
        membership.role != Role.PARTNER
        or membership.school_id != case.school_id
        or not membership.is_live()
    ):
        return [_("This person is not a partner member of this school.")]
    if not has_adhered_to_current(membership):
        reasons.append(_("They have not adhered to the school's current charter yet."))
    if not partner_has_active_agreement(membership):
        reasons.append(
            _(
                "No school–partner agreement approved by the board is in force with their "
                "organisation today."
            )
        )
    if not case_family_associated_or_excepted(case):
        reasons.append(
            _(
                "Parents first: the family has not been reached yet (or the head has not "
                "approved an exception)."
            )
        )
    return reasons
