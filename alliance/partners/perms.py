"""Who may manage partner organisations. Predicates take the acting membership or user."""

import rules

from alliance.pupils.perms import is_head, is_live_adherent

# Registering an organisation with the school, inviting its administrator, granting its
# people a partner membership of the school: the head, who coordinates (charter art. 2).
can_manage_partners = is_live_adherent & is_head

rules.add_rule("partners.manage", can_manage_partners)
