"""iCalendar (RFC 5545) files for meeting invitations. Pure functions: values in, bytes out.

Need-to-know: the caller passes only what every invitee may read (date, place, the number
of situations on the agenda); no pupil's name ever reaches a calendar, whose files are
copied to phones and synchronised to third-party services.
"""

import datetime as dt
from dataclasses import dataclass

import icalendar

PRODID = "-//Alliance//Réunions GPDS//FR"


@dataclass(frozen=True)
class CalendarInvitation:
    uid: str
    sequence: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    summary: str
    location: str
    description: str
    organizer_email: str
    organizer_name: str
    attendee_email: str
    attendee_name: str
    stamp: dt.datetime
    cancelled: bool = False


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("calendar times must be timezone-aware")
    return moment.astimezone(dt.UTC)


def invitation_ics(invitation: CalendarInvitation) -> bytes:
    """One VEVENT in a VCALENDAR with METHOD:REQUEST (or CANCEL), times in UTC.

    ``sequence`` grows with each change of the meeting, so calendars replace the
    earlier invitation (same ``uid``) instead of adding a second event.
    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if invitation.cancelled else "REQUEST")
    event = icalendar.Event()
    event.add("uid", invitation.uid)
    event.add("sequence", invitation.sequence)
    event.add("dtstamp", _utc(invitation.stamp))
    event.add("dtstart", _utc(invitation.starts_at))
    event.add("dtend", _utc(invitation.ends_at))
    event.add("summary", invitation.summary)
    if invitation.location:
        event.add("location", invitation.location)
    event.add("description", invitation.description)
    event.add("status", "CANCELLED" if invitation.cancelled else "CONFIRMED")
    event.add("class", "CONFIDENTIAL")
    if invitation.organizer_email:
        event.add(
            "organizer",
            icalendar.vCalAddress(f"mailto:{invitation.organizer_email}"),
            parameters={"cn": invitation.organizer_name},
        )
    if invitation.attendee_email:
        event.add(
            "attendee",
            icalendar.vCalAddress(f"mailto:{invitation.attendee_email}"),
            parameters={
                "cn": invitation.attendee_name,
                "role": "REQ-PARTICIPANT",
                "partstat": "NEEDS-ACTION",
                "rsvp": "FALSE",
            },
        )
    calendar.add_component(event)
    return calendar.to_ical()
