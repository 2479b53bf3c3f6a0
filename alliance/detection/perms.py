"""Who may import the vie-scolaire events of a school."""

import rules

from alliance.pupils.perms import can_import_roster

# The same people as for the roster: the head, the CPE (vie scolaire) and the technical
# administrator, live and having adhered to the charter. The administrator sees counts
# and located problems, and the file's own cells with the pupils' columns masked.
can_import_events = can_import_roster

rules.add_rule("detection.import_events", can_import_events)
