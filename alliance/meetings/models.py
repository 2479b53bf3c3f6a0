"""GPDS meetings: the convened members, the agenda of cases, attendance and minutes.

Every write goes through ``alliance.meetings.services``; every read through
``alliance.meetings.selectors``. Foreign keys to cases and memberships PROTECT: the
minutes leave only through the retention purge.
"""

import datetime as dt

from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance.core.models import PublicIdModel, TimestampedModel
from alliance.vault.fields import EncryptedTextField

PLACE_MAX_LENGTH = 200
MINUTES_TEXT_MAX_LENGTH = 4000
MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 480


class MeetingStatus(models.TextChoices):
    CONVENED = "convened", _("Convened")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def upcoming(self, now: dt.datetime) -> "MeetingQuerySet":
        return self.filter(status=MeetingStatus.CONVENED, starts_at__gte=now)


class Meeting(PublicIdModel, TimestampedModel):
    """One GPDS meeting of one school, convened by its head (charter art. 2)."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("date and time"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"),
        default=60,
        validators=[
            MinValueValidator(MIN_DURATION_MINUTES),
            MaxValueValidator(MAX_DURATION_MINUTES),
        ],
    )
    place = models.CharField(_("place"), max_length=PLACE_MAX_LENGTH)
    status = models.CharField(
        _("status"), max_length=16, choices=MeetingStatus.choices, default=MeetingStatus.CONVENED
    )
    convened_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )
    convened_at = models.DateTimeField(_("convened at"))
    held_at = models.DateTimeField(_("attendance recorded at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("GPDS meeting")
        verbose_name_plural = _("GPDS meetings")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=MIN_DURATION_MINUTES)
                & Q(duration_minutes__lte=MAX_DURATION_MINUTES),
                name="meeting_duration_bounds",
            ),
        ]
        indexes = [models.Index(fields=["school", "status", "starts_at"])]

    def __str__(self) -> str:
        return str(_("GPDS meeting %(id)s") % {"id": str(self.public_id)[:8]})


class Attendance(models.TextChoices):
    CONVENED = "convened", _("Not recorded yet")
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


class MeetingParticipant(PublicIdModel, TimestampedModel):
    """A member convened to a meeting, and whether they attended."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="participants")
    membership = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="meeting_participations"
    )
    attendance = models.CharField(
        _("attendance"), max_length=16, choices=Attendance.choices, default=Attendance.CONVENED
    )

    class Meta:
        verbose_name = _("convened member")
        verbose_name_plural = _("convened members")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "membership"], name="meeting_participant_once"
            ),
        ]


class AgendaItem(PublicIdModel, TimestampedModel):
    """One case on a meeting's agenda, and what the meeting recorded about it."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="agenda_items")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    family_invited = models.BooleanField(_("family invited"), default=False)
    family_present = models.BooleanField(_("family present"), null=True, blank=True)
    situation_summary = EncryptedTextField(
        _("situation summary"),
        blank=True,
        validators=[MaxLengthValidator(MINUTES_TEXT_MAX_LENGTH)],
    )
    decisions = EncryptedTextField(
        _("decisions"), blank=True, validators=[MaxLengthValidator(MINUTES_TEXT_MAX_LENGTH)]
    )
    next_steps = EncryptedTextField(
        _("next steps"), blank=True, validators=[MaxLengthValidator(MINUTES_TEXT_MAX_LENGTH)]
    )
    recorded_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "case"], name="agenda_item_case_once"),
            models.CheckConstraint(
                condition=Q(recorded_at__isnull=True) | ~Q(decisions=""),
                name="agenda_item_recorded_has_decisions",
            ),
        ]

    @property
    def is_recorded(self) -> bool:
        return self.recorded_at is not None
