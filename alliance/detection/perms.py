"""Who may do what with detection: imports, the observation grid, the rules, the watchlist.

Each rule takes the acting membership. Reading pupils is decided by
``pupils.selectors.pupils_visible_to``; these rules decide the acts on top of it.
"""

import rules

from alliance.pupils.perms import can_import_roster, is_head, is_live_adherent, is_school_staff
from alliance.tenancy.models import Membership, Role

# The same people as for the roster: the head, the CPE (vie scolaire) and the technical
# administrator, live and having adhered to the charter. The administrator sees counts
# and located problems, and the file's own cells with the pupils' columns masked.
can_import_events = can_import_roster


@rules.predicate
def is_bound_by_secrecy(membership: Membership | None) -> bool:
    """The membership's profession is bound by professional secrecy (PsyEN, nurse, social
    worker, doctor)."""
    return membership is not None and membership.is_secrecy_bound


@rules.predicate
def is_watchlist_profession(membership: Membership | None) -> bool:
    """The membership is school staff whose profession the school lets read the watchlist
    (by default the CPE and the dropout referent; the head changes it in the settings)."""
    if membership is None or membership.role != Role.STAFF:
        return False
    from alliance.detection.school_settings import watchlist_professions

    return membership.profession in watchlist_professions(membership.school_id)


# The observation grid: the head and the school staff note signs in the pupils they see.
# Not the secrecy-bound professions: what they learn in their practice stays theirs
# (docs/decisions/0010-watchlist.md); they share, at their choice, through a case.
can_record_observations = is_live_adherent & (is_head | is_school_staff) & ~is_bound_by_secrecy
# The watchlist: the head, and the staff professions the school allows.
can_read_watchlist = is_live_adherent & (is_head | is_watchlist_profession)
# The rule set, the capacity, the grid's catalogue and who reads the watchlist: the head.
can_manage_detection = is_live_adherent & is_head

rules.add_rule("detection.import_events", can_import_events)
rules.add_rule("detection.record_observations", can_record_observations)
rules.add_rule("detection.read_watchlist", can_read_watchlist)
rules.add_rule("detection.manage", can_manage_detection)
