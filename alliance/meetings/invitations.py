"""Invitations to GPDS meetings: one e-mail per convened member, with an iCalendar file.

Sent after the transaction commits (``transaction.on_commit``), from the rows as committed.
Need-to-know: an invitation carries the date, the place and the *number* of situations on
the agenda, never a pupil's name (e-mails and calendars leave the school's control).
"""

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alliance.core import clock
from alliance.core.pdf import internal_marking
from alliance.meetings.icalendar_files import CalendarInvitation, invitation_ics
from alliance.meetings.models import Meeting
from alliance.tenancy.models import Membership, Role

logger = logging.getLogger(__name__)

ICS_FILENAME = "reunion-gpds.ics"


def _site_url(path: str) -> str:
    base = str(getattr(settings, "ALLIANCE_SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}"


def _person(membership: Membership) -> str:
    user = membership.user
    return user.get_full_name() or user.email


def _when(meeting: Meeting) -> str:
    local = timezone.localtime(meeting.starts_at)
    return formats.date_format(local, "l j F Y, H:i")


def invitation_message(
    meeting: Meeting, recipient: Membership, *, agenda_count: int, cancelled: bool = False
) -> EmailMessage:
    """The e-mail (with its .ics file) for one convened member."""
    when = _when(meeting)
    values = {"school": meeting.school.name, "when": when}
    if cancelled:
        subject = _("Cancelled: GPDS meeting of %(when)s") % values
    elif meeting.version > 1:
        subject = _("Changed: GPDS meeting of %(when)s") % values
    else:
        subject = _("Invitation: GPDS meeting of %(when)s") % values
    agenda = ngettext(
        "%(count)d situation on the agenda.",
        "%(count)d situations on the agenda.",
        agenda_count,
    ) % {"count": agenda_count}
    lines = [
        _("Hello %(name)s,") % {"name": _person(recipient)},
        "",
        (
            _("The GPDS meeting of %(school)s planned on %(when)s is cancelled.") % values
            if cancelled
            else _("You are invited to the GPDS meeting of %(school)s.") % values
        ),
        "",
        _("When: %(when)s (%(minutes)d minutes)")
        % {"when": when, "minutes": meeting.duration_minutes},
        _("Where: %(place)s") % {"place": meeting.place},
        agenda,
        "",
        (
            # A partner never opens the meeting pages: the date and place are on the page of
            # the situation they follow (docs/decisions/0013).
            _("The date and place are also on the page of the situation you follow: %(url)s")
            % {"url": _site_url(reverse("case_list"))}
            if recipient.role == Role.PARTNER
            else _("The agenda, with the situations you may see, is in Alliance: %(url)s")
            % {"url": _site_url(reverse("meeting_detail", kwargs={"public_id": meeting.public_id}))}
        ),
        "",
        _("For confidentiality, no pupil is named in this message."),
        internal_marking(),
    ]
    summary = _("GPDS meeting — %(school)s") % values
    description = "\n".join(
        [
            summary,
            agenda,
            _("Details in Alliance (no pupil is named in this invitation)."),
            internal_marking(),
        ]
    )
    ics = invitation_ics(
        CalendarInvitation(
            uid=f"{meeting.public_id}@alliance",
            sequence=meeting.version,
            starts_at=meeting.starts_at,
            ends_at=meeting.starts_at + dt.timedelta(minutes=meeting.duration_minutes),
            summary=summary,
            location=meeting.place,
            description=description,
            organizer_email=meeting.convened_by.user.email,
            organizer_name=_person(meeting.convened_by),
            attendee_email=recipient.user.email,
            attendee_name=_person(recipient),
            stamp=clock.now(),
            cancelled=cancelled,
        )
    )
    message = EmailMessage(
        subject=subject,
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.user.email],
    )
    method = "CANCEL" if cancelled else "REQUEST"
    message.attach(ICS_FILENAME, ics, f"text/calendar; charset=utf-8; method={method}")
    return message


def send_invitations(
    meeting_id: int, membership_ids: Iterable[int], *, cancelled: bool = False
) -> int:
    """Send the invitations (or cancellations) of one meeting; returns how many were sent.

    Runs after the commit: reads the meeting as committed. A mail server failure is logged
    (by public id only) and does not undo the meeting, which stays visible in Alliance.
    """
    meeting = (
        Meeting.objects.select_related("school", "convened_by__user").filter(pk=meeting_id).first()
    )
    if meeting is None:
        return 0
    recipients = list(
        Membership.objects.filter(pk__in=list(membership_ids), school_id=meeting.school_id)
        .select_related("user")
        .exclude(user__email="")
        .order_by("pk")
    )
    agenda_count = meeting.agenda_items.count()
    with translation.override(settings.LANGUAGE_CODE):
        messages = [
            invitation_message(meeting, m, agenda_count=agenda_count, cancelled=cancelled)
            for m in recipients
        ]
    try:
        return get_connection().send_messages(messages) or 0
    except Exception:  # a mail server problem must not break the page that convened
        logger.exception("meeting %s: invitations could not be sent", meeting.public_id)
        return 0
