"""A pupil leaves the school: their open case closes and enters the retention schedule.

Charter art. 4b (issue 5 point 3): nothing of a parcours follows the pupil. The case is
closed here ("left the school") and is archived then deleted like any closed case
(``alliance.privacy.purge``). A pupil arriving in another school is a new pupil record of that
school: nothing links the two and nothing is transferred.
"""

from typing import Any

from alliance.cases.services import case_close_for_leaving_pupil


def close_cases_of_leaving_pupil(*, pupil: Any, actor: Any, **_kwargs: Any) -> None:
    """Receiver of ``alliance.pupils.signals.pupil_left`` (same transaction as the leaving)."""
    case_close_for_leaving_pupil(pupil_id=pupil.pk, actor=actor)
