"""Who may do what with action plans. Each rule takes the acting membership (and the case).

Seeing a plan is seeing its case (``cases.selectors.cases_visible_to``); these rules decide
the acts on top of it. The services check them again.
"""

import rules

from alliance.cases.perms import can_steer_case, can_work_on_case
from alliance.pupils.perms import is_head, is_live_adherent

# Building the plan (actions, goals) and recording agreements: whoever works on the case.
can_edit_plan = can_work_on_case
# Activating the plan and reviewing it move the case along: the head or the referent.
can_steer_plan = can_steer_case
# The school's catalogue of action types: the head (art. 2).
can_manage_action_types = is_live_adherent & is_head

rules.add_rule("plans.edit", can_edit_plan)
rules.add_rule("plans.steer", can_steer_plan)
rules.add_rule("plans.manage_action_types", can_manage_action_types)
