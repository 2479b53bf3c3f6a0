"""Cases (situations) and everything recorded on them. See the package docstring for the map.

Every write goes through ``alliance.cases.services``; every read through
``alliance.cases.selectors``. Foreign keys PROTECT: a case's records leave only
through the retention purge, which removes them deliberately, children first.
"""

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from alliance.core.models import PublicIdModel, TimestampedModel
from alliance.vault.fields import EncryptedTextField

REASON_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 5000
SUMMARY_MAX_LENGTH = 200
FREE_SIGN_MAX_LENGTH = 200
SIGN_LABEL_MAX_LENGTH = 200


class CaseStatus(models.TextChoices):
    REFERRED = "referred", _("Referred")
    FAMILY_ASSOCIATED = "family_associated", _("Family associated")
    EXAMINED = "examined", _("Examined by the GPDS")
    PLAN_ACTIVE = "plan_active", _("Action plan in progress")
    UNDER_REVIEW = "under_review", _("Under review")
    CLOSED = "closed", _("Closed")


#: Statuses of a case that is still open (everything but closed).
OPEN_STATUSES = frozenset(s for s in CaseStatus if s != CaseStatus.CLOSED)


class CaseOutcome(models.TextChoices):
    BACK_ON_TRACK = "back_on_track", _("Back on track")
    REORIENTED = "reoriented", _("Re-oriented")
    FOLLOWED_OUTSIDE = "followed_outside", _("Followed outside the school")
    MOVED_AWAY = "moved_away", _("Moved away")
    LEFT_WITHOUT_SOLUTION = "left_without_solution", _("Left school without a solution")
    OTHER = "other", _("Other")
    #: Set by the leaving of the pupil (roster or "mark as left"), never chosen in the form.
    LEFT_SCHOOL = "left_school", _("Left the school")


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> "CaseQuerySet":
        return self.exclude(status=CaseStatus.CLOSED)

    def closed(self) -> "CaseQuerySet":
        return self.filter(status=CaseStatus.CLOSED)


class Case(PublicIdModel, TimestampedModel):
    """One situation of one pupil, from the referral to its closure."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    pupil = models.ForeignKey(
        "pupils.Pupil", on_delete=models.PROTECT, related_name="cases", verbose_name=_("pupil")
    )
    status = models.CharField(
        _("status"), max_length=24, choices=CaseStatus.choices, default=CaseStatus.REFERRED
    )
    opened_by = models.ForeignKey(
        "tenancy.Membership",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("opened by"),
    )
    referent = models.ForeignKey(
        "tenancy.Membership",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referent"),
    )
    reason = EncryptedTextField(
        _("reason for the referral"), validators=[MaxLengthValidator(REASON_MAX_LENGTH)]
    )
    # The detection alert the referral came from, once detection exists (its public id).
    source_alert_public_id = models.UUIDField(null=True, blank=True, editable=False)
    opened_at = models.DateTimeField(_("opened at"))
    family_associated_at = models.DateTimeField(_("family associated at"), null=True, blank=True)
    examined_at = models.DateTimeField(_("first examined at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=32, choices=CaseOutcome.choices, blank=True)
    closing_note = EncryptedTextField(
        _("closing note"), blank=True, validators=[MaxLengthValidator(REASON_MAX_LENGTH)]
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pupil"],
                condition=~Q(status="closed"),
                name="case_one_open_per_pupil",
            ),
            models.CheckConstraint(
                condition=(Q(status="closed") & Q(closed_at__isnull=False) & ~Q(outcome=""))
                | (~Q(status="closed") & Q(closed_at__isnull=True) & Q(outcome="")),
                name="case_closed_iff_outcome_and_date",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("opened_at")),
                name="case_closed_after_opened",
            ),
        ]
        indexes = [models.Index(fields=["school", "status"])]

    def __str__(self) -> str:
        return str(_("Case %(id)s") % {"id": str(self.public_id)[:8]})

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED


class CaseReferral(PublicIdModel):
    """One referral (saisine) of the pupil by a staff member.

    The first one opens the case (``is_initial``). A referral made while the pupil already has
    an open case the referrer cannot see is attached to that case as a new signal, and the
    referrer gets the same answer as for a new case: nothing tells them a case exists.
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    # The pupil, so a referrer's own list never has to go through the case.
    pupil = models.ForeignKey("pupils.Pupil", on_delete=models.PROTECT, related_name="+")
    referred_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )
    reason = EncryptedTextField(_("reason"), validators=[MaxLengthValidator(REASON_MAX_LENGTH)])
    referred_at = models.DateTimeField(_("referred at"))
    is_initial = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["referred_at", "pk"]


class SignCatalogueEntry(TimestampedModel):
    """One sign of the school's observation grid (désengagement, isolement…)."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("code"), max_length=50)
    label = models.CharField(_("label"), max_length=SIGN_LABEL_MAX_LENGTH)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered in the grid"), default=True)

    class Meta:
        verbose_name = _("sign of the grid")
        verbose_name_plural = _("signs of the grid")
        ordering = ["position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["school", "code"], name="sign_catalogue_unique_code")
        ]

    def __str__(self) -> str:
        return self.label


class CaseSign(PublicIdModel, TimestampedModel):
    """A sign observed in the pupil: an entry of the grid, or free text."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="signs")
    referral = models.ForeignKey(
        CaseReferral, on_delete=models.PROTECT, null=True, blank=True, related_name="signs"
    )
    catalogue_entry = models.ForeignKey(
        SignCatalogueEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    free_text = EncryptedTextField(
        _("sign (free text)"), blank=True, validators=[MaxLengthValidator(FREE_SIGN_MAX_LENGTH)]
    )
    recorded_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("observed sign")
        verbose_name_plural = _("observed signs")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(catalogue_entry__isnull=False) & Q(free_text=""))
                | (Q(catalogue_entry__isnull=True) & ~Q(free_text="")),
                name="case_sign_catalogue_xor_free_text",
            )
        ]

    @property
    def label(self) -> str:
        return self.catalogue_entry.label if self.catalogue_entry else self.free_text


class CaseTeamMemberQuerySet(models.QuerySet["CaseTeamMember"]):
    def current(self) -> "CaseTeamMemberQuerySet":
        return self.filter(removed_at__isnull=True)


class CaseTeamMember(PublicIdModel):
    """A member's place on a case team. Removal keeps the row (``removed_at``) for the history.

    Designed for partners too (any membership); the services admit school staff only until the
    school–partner agreements exist.
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="team")
    membership = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="case_teams"
    )
    added_by = models.ForeignKey("tenancy.Membership", on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(_("added at"))
    removed_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects = CaseTeamMemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("case team member")
        verbose_name_plural = _("case team members")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "membership"],
                condition=Q(removed_at__isnull=True),
                name="case_team_member_once",
            ),
            models.CheckConstraint(
                condition=Q(removed_at__isnull=True) | Q(removed_at__gte=F("added_at")),
                name="case_team_removed_after_added",
            ),
        ]


class ContactChannel(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    ENT_MESSAGE = "ent_message", _("ENT message")
    EMAIL = "email", _("E-mail")


class FamilyContact(PublicIdModel, TimestampedModel):
    """One contact (or attempt) with the pupil's family (charter art. 4a)."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="family_contacts")
    contacted_on = models.DateField(_("date"))
    channel = models.CharField(_("channel"), max_length=16, choices=ContactChannel.choices)
    made_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    recorded_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )
    guardian = models.ForeignKey(
        "pupils.Guardian",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("guardian"),
    )
    pupil_present = models.BooleanField(_("the pupil was present"), default=False)
    reached = models.BooleanField(_("the family was reached"), default=False)
    outcome = EncryptedTextField(
        _("outcome"), blank=True, validators=[MaxLengthValidator(REASON_MAX_LENGTH)]
    )

    class Meta:
        verbose_name = _("family contact")
        verbose_name_plural = _("family contacts")
        ordering = ["contacted_on", "created_at", "pk"]


class FamilyContactException(PublicIdModel, TimestampedModel):
    """The head's written exception to "parents first" (e.g. three attempts without an answer).

    A team member may ask (``requested_by``); only the head decides. One per case.
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="family_exception")
    reason = EncryptedTextField(_("reason"), validators=[MaxLengthValidator(REASON_MAX_LENGTH)])
    requested_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    approved_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("exception to parents first")
        verbose_name_plural = _("exceptions to parents first")
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_at__isnull=True, approved_by__isnull=True)
                | Q(approved_at__isnull=False, approved_by__isnull=False),
                name="family_exception_approval_complete",
            )
        ]

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class InvolvementKind(models.TextChoices):
    INFORMED = "informed", _("Informed")
    INVITED = "invited", _("Invited to a meeting")
    PRESENT = "present", _("Present at a meeting")
    AGREED_PLAN = "agreed_plan", _("Agreed to the action plan")
    DECLINED_PLAN = "declined_plan", _("Declined the action plan")


class FamilyInvolvement(PublicIdModel, TimestampedModel):
    """One fact of the family's involvement (art. 4a: invited, present, agreed).

    ``related_public_id`` names the meeting or plan concerned (those live in other apps).
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="family_involvements")
    kind = models.CharField(_("kind"), max_length=16, choices=InvolvementKind.choices)
    occurred_on = models.DateField(_("date"))
    guardian = models.ForeignKey(
        "pupils.Guardian", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pupil_took_part = models.BooleanField(_("the pupil took part"), default=False)
    related_public_id = models.UUIDField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("family involvement")
        verbose_name_plural = _("family involvements")
        ordering = ["occurred_on", "created_at", "pk"]


class NoteAudience(models.TextChoices):
    TEAM = "team", _("The case team")
    SCHOOL_STAFF_ON_TEAM = "school_staff_on_team", _("School staff on the team (no partner)")
    PROFESSION = "profession", _("My profession only")
    AUTHOR_ONLY = "author_only", _("Only me")


class CaseNote(PublicIdModel, TimestampedModel):
    """A note on a case, read only by its audience (see ``selectors.notes_visible_to``).

    A summary item (``is_summary_item``) is the short line a secrecy-bound professional
    publishes to the team ("suivi infirmier en cours") instead of the note itself.
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey("tenancy.Membership", on_delete=models.PROTECT, related_name="+")
    # Frozen at writing time: the audience "profession" means the author's profession then.
    author_profession = models.CharField(max_length=32, editable=False)
    audience = models.CharField(_("audience"), max_length=24, choices=NoteAudience.choices)
    # Encrypted at rest under the school's key (alliance.vault, decision 0016).
    body = EncryptedTextField(_("text"), validators=[MaxLengthValidator(NOTE_MAX_LENGTH)])
    is_summary_item = models.BooleanField(_("published summary item"), default=False)

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_summary_item=False)
                | Q(audience__in=["team", "school_staff_on_team"]),
                name="case_note_summary_is_shared",
            )
        ]


class CaseEventKind(models.TextChoices):
    OPENED = "opened", _("Case opened")
    SIGNAL = "signal", _("New referral")
    STATUS = "status", _("Status changed")
    REOPENED = "reopened", _("Case reopened")
    TEAM_ADDED = "team_added", _("Added to the team")
    TEAM_REMOVED = "team_removed", _("Removed from the team")
    REFERENT = "referent", _("Referent assigned")
    FAMILY_CONTACT = "family_contact", _("Family contact recorded")
    EXCEPTION_REQUESTED = "exception_requested", _("Exception to parents first requested")
    EXCEPTION_APPROVED = "exception_approved", _("Exception to parents first approved")
    EDITED = "edited", _("Case edited")


class CaseEvent(PublicIdModel):
    """The case's own history, shown to those who see the case. Never holds a note's content."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=24, choices=CaseEventKind.choices)
    actor = models.ForeignKey("tenancy.Membership", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_status = models.CharField(max_length=24, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=CaseStatus.choices, blank=True)
    # A meeting, plan or other object of another app the event refers to.
    related_public_id = models.UUIDField(null=True, blank=True)
    # The written reason of a reopening (the only free text an event carries).
    detail = EncryptedTextField(blank=True, validators=[MaxLengthValidator(REASON_MAX_LENGTH)])
    occurred_at = models.DateTimeField()

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["occurred_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.occurred_at:%Y-%m-%d %H:%M}"
