"""Who may do what with GPDS meetings. Each rule takes the acting membership.

Seeing a meeting and its minutes is decided by ``selectors.meetings_visible_to`` and
``selectors.agenda_items_visible_to``; these rules decide the acts on top of them.
The services check them again.
"""

import rules

from alliance.pupils.perms import is_head, is_live_adherent, is_school_staff

# The list of meetings: the head and the school staff (each sees only their meetings).
can_list_meetings = is_live_adherent & (is_head | is_school_staff)
# Convening, changing, cancelling a meeting, recording attendance and minutes: the head (art. 2).
can_manage_meetings = is_live_adherent & is_head

rules.add_rule("meetings.list", can_list_meetings)
rules.add_rule("meetings.manage", can_manage_meetings)
