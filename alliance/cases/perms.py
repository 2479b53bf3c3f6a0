"""Who may do what with cases. Each rule takes the acting membership (and the case when it matters).

Seeing a case is decided by ``selectors.cases_visible_to``; these rules decide the acts on top
of it. The services check them again: a view that forgot a rule still cannot write.
"""

import rules
from django.conf import settings

from alliance.cases.models import Case
from alliance.cases.selectors import can_see_case
from alliance.pupils.perms import is_head, is_live_adherent, is_school_staff
from alliance.tenancy.models import Membership, Role


@rules.predicate
def is_case_referent(membership: Membership | None, case: Case | None) -> bool:
    """The membership is the referent the head assigned to the case."""
    return membership is not None and case is not None and case.referent_id == membership.pk


@rules.predicate
def sees_case(membership: Membership | None, case: Case | None) -> bool:
    """The membership may see the case (head of its school, or on its current team)."""
    return membership is not None and case is not None and can_see_case(membership, case)


@rules.predicate
def is_same_school_head(membership: Membership | None, case: Case | None) -> bool:
    """The membership is the head of the case's school."""
    return (
        membership is not None
        and case is not None
        and membership.role == "head"
        and membership.school_id == case.school_id
    )


@rules.predicate
def is_partner(membership: Membership | None) -> bool:
    """The membership is a partner's (association, mission locale, club, volunteer…)."""
    return membership is not None and membership.role == Role.PARTNER


def health_hosting_certified() -> bool:
    """The deployment declares certified health-data hosting (HDS)."""
    return bool(getattr(settings, "ALLIANCE_CERTIFIED_HEALTH_HOSTING", False))


@rules.predicate
def may_write_note_bodies(membership: Membership | None) -> bool:
    """A secrecy-bound professional writes note bodies only on certified (HDS) hosting;
    anyone else may always write them."""
    return membership is not None and (
        not membership.is_secrecy_bound or health_hosting_certified()
    )


# Opening a referral (saisine): any live, adhered member of the school's staff or the head.
# The pupil must be visible to them (checked by the service).
can_refer = is_live_adherent & (is_head | is_school_staff)
# The list of "my cases" is offered to everyone who may refer, whether or not they see a case:
# its mere presence must not say anything.
can_list_cases = can_refer
# The case pages (list and case page): the school's members above, and partners, who see
# only the cases whose team they are on while their agreement is in force (selectors).
can_open_case_pages = can_list_cases | (is_live_adherent & is_partner)
# Reading a case: the head, or a member of its current team (a partner: under an agreement
# in force; the partner's page shows only what is shared with the whole team).
can_view_case = is_live_adherent & sees_case
# Recording on a case (family contacts, notes, exception requests, the action plan): the
# school's members who see it. Partners write only team notes (``can_write_case_note``) and report
# on the plan actions they own (``plans.perms``) — docs/decisions/0013.
can_work_on_case = is_live_adherent & sees_case & (is_head | is_school_staff)
# Writing a note: the school's members above, and partners on the team under an agreement in
# force — a partner's note is always for the whole team (``services.case_note_create``).
can_write_case_note = can_work_on_case | (is_live_adherent & sees_case & is_partner)
# Moving the case along (examined, plan, review, closure, editing the reason): head or referent.
can_steer_case = is_live_adherent & sees_case & (is_same_school_head | is_case_referent)
# The team, the referent, approving an exception, reopening: the head only (art. 2).
can_coordinate_case = is_live_adherent & is_same_school_head

# The school's grid of signs offered in referrals: the head (art. 2).
can_manage_sign_catalogue = is_live_adherent & is_head

rules.add_rule("cases.refer", can_refer)
rules.add_rule("cases.view", can_view_case)
rules.add_rule("cases.work", can_work_on_case)
rules.add_rule("cases.write_note", can_write_case_note)
rules.add_rule("cases.steer", can_steer_case)
rules.add_rule("cases.coordinate", can_coordinate_case)
rules.add_rule("cases.manage_sign_catalogue", can_manage_sign_catalogue)
