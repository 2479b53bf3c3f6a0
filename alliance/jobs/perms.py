"""Who may follow import jobs."""

import rules

from alliance.pupils.perms import can_import_roster

# The people who may import into a school (head, CPE, technical administrator, live,
# having adhered to the charter) follow all of that school's import jobs: a job shows
# counts and located problems, never a pupil's data.
can_follow_import_jobs = can_import_roster

rules.add_rule("jobs.follow_import_jobs", can_follow_import_jobs)
