"""Signals of the pupils app.

``pupil_left`` is sent, inside the transaction that records it, whenever a pupil is recorded
as having left the school (a roster import, or "mark as left"). Receivers: the privacy app
closes the pupil's open case, which then enters the retention schedule (issue 5 point 3,
docs/decisions/0015-official-boundary-and-retention.md). The pupils app does not import the
cases app (cases depends on pupils), hence a signal.

Arguments: ``pupil`` (the ``Pupil``) and ``actor`` (the ``Membership`` who recorded it).
"""

from django.dispatch import Signal

pupil_left = Signal()
