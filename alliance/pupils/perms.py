"""Who may do what with pupils. Each predicate takes the acting membership.

Seeing a pupil is decided by ``selectors.pupils_visible_to``; these rules decide
writes on top of it.
"""

import rules

from alliance.charter.selectors import has_adhered_to_current
from alliance.tenancy.models import Membership, Profession, Role


@rules.predicate
def is_live_adherent(membership: Membership | None) -> bool:
    """The membership is in force today and adhered to its school's current charter."""
    return membership is not None and membership.is_live() and has_adhered_to_current(membership)


@rules.predicate
def is_head(membership: Membership | None) -> bool:
    """The membership is the head of the school (chef d'établissement or deputy)."""
    return membership is not None and membership.role == Role.HEAD


@rules.predicate
def is_school_staff(membership: Membership | None) -> bool:
    """The membership is a member of the school's own staff (any profession)."""
    return membership is not None and membership.role == Role.STAFF


@rules.predicate
def is_cpe(membership: Membership | None) -> bool:
    """The membership is a school staff member whose profession is CPE (vie scolaire)."""
    return (
        membership is not None
        and membership.role == Role.STAFF
        and membership.profession == Profession.CPE
    )


@rules.predicate
def is_technical_admin(membership: Membership | None) -> bool:
    """The membership is the school's technical administrator (imports, no pupil reading)."""
    return membership is not None and membership.role == Role.ADMIN


# Browsing the school's pupils: the head and the school staff (see selectors.pupils_visible_to).
can_view_pupils = is_live_adherent & (is_head | is_school_staff)
# The head and the CPE keep the school's pupil records (identity, division, guardians).
can_edit_pupils = is_live_adherent & (is_head | is_cpe)
# Roster imports: the head, the CPE, or the technical admin (who sees only counts).
can_import_roster = is_live_adherent & (is_head | is_cpe | is_technical_admin)
# The access log (who looked at which pupil) is for the head, who coordinates (art. 2).
can_view_access_log = is_live_adherent & is_head
# Publishing the charter and recording its board presentation: the head only.
can_manage_charter = is_head

rules.add_rule("pupils.view", can_view_pupils)
rules.add_rule("pupils.edit", can_edit_pupils)
rules.add_rule("pupils.import_roster", can_import_roster)
rules.add_rule("audit.view_access_log", can_view_access_log)
rules.add_rule("charter.manage", can_manage_charter)
