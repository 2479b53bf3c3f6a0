"""Reads of the events import history: scoped to the acting membership's school, empty by default."""

from django.db.models import QuerySet

from alliance.detection.models import EventImport
from alliance.detection.perms import can_import_events
from alliance.tenancy.models import Membership


def event_imports_visible_to(membership: Membership | None) -> QuerySet[EventImport]:
    """The import history ``membership`` may read.

    Rule, in words: those who may import events into a school (head, CPE, technical
    administrator) see that school's history of event imports — counts, checksums and
    who imported, no pupil data — and nothing of any other school. Anyone else: nothing.
    """
    if membership is None or not can_import_events(membership):
        return EventImport.objects.none()
    return EventImport.objects.filter(school_id=membership.school_id)
