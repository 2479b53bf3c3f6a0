"""Who may do what with action plans. Each rule takes the acting membership (and the case).

Seeing a plan is seeing its case (``cases.selectors.cases_visible_to``); these rules decide
the acts on top of it. The services check them again.
"""

import rules

from alliance.cases.perms import can_steer_case, can_work_on_case, sees_case
from alliance.pupils.perms import is_head, is_live_adherent
from alliance.tenancy.models import Membership


@rules.predicate
def owns_action(membership: Membership | None, action: object) -> bool:
    """The membership carries the action (``PlanAction.owner``)."""
    return membership is not None and getattr(action, "owner_id", None) == membership.pk


@rules.predicate
def sees_action_case(membership: Membership | None, action: object) -> bool:
    """The membership sees the case of the action's plan (a partner: under an agreement in force)."""
    plan = getattr(action, "plan", None)
    return plan is not None and bool(sees_case(membership, plan.case))


# Building the plan (actions, goals) and recording agreements: whoever works on the case.
can_edit_plan = can_work_on_case
# Activating the plan and reviewing it move the case along: the head or the referent.
can_steer_plan = can_steer_case
# Reporting progress on an action (started, done): its owner while they see the case — the
# way a partner who carries an action takes part in the plan (docs/decisions/0013).
can_report_action_progress = is_live_adherent & owns_action & sees_action_case
# The school's catalogue of action types: the head (art. 2).
can_manage_action_types = is_live_adherent & is_head

rules.add_rule("plans.edit", can_edit_plan)
rules.add_rule("plans.steer", can_steer_plan)
rules.add_rule("plans.report_action_progress", can_report_action_progress)
rules.add_rule("plans.manage_action_types", can_manage_action_types)
