"""Who may do what with agreements. Each rule takes the acting membership.

The head coordinates the alliance (charter art. 2) and records the board's approvals (art. 5):
the head alone drafts, edits, records signatures and approvals, revokes, and reads agreements
(a partner–pupil–parents agreement names a pupil: it is as confidential as a case).
"""

import rules

from alliance.pupils.perms import is_head, is_live_adherent

can_manage_agreements = is_live_adherent & is_head

rules.add_rule("agreements.manage", can_manage_agreements)
