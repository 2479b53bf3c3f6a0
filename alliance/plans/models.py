"""Co-constructed action plans (charter art. 1): actions, goals, reviews, the family's agreement.

Every write goes through ``alliance.plans.services``; every read through
``alliance.plans.selectors``, which start from the cases the acting membership may see.
"""

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from alliance.core.models import PublicIdModel, TimestampedModel
from alliance.vault.fields import EncryptedTextField

ACTION_TYPE_LABEL_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 1000
GOAL_MAX_LENGTH = 300
COMMENT_MAX_LENGTH = 1000
CARRIED_BY_MAX_LENGTH = 200


class ActionType(PublicIdModel, TimestampedModel):
    """One kind of action in the school's catalogue (tutorat, PPRE, module relais…)."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(_("code"), max_length=50, blank=True)
    label = models.CharField(_("label"), max_length=ACTION_TYPE_LABEL_MAX_LENGTH)
    usually_outside_school_time = models.BooleanField(
        _("usually outside school time"), default=False
    )
    is_active = models.BooleanField(_("offered in new plans"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("action type")
        verbose_name_plural = _("action types")
        ordering = ["position", "label"]
        constraints = [
            models.UniqueConstraint(fields=["school", "label"], name="action_type_unique_label"),
            models.UniqueConstraint(
                fields=["school", "code"],
                condition=~Q(code=""),
                name="action_type_unique_code",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ActionPlan(PublicIdModel, TimestampedModel):
    """The action plan of one case. Its life follows the case's status (plan_active, under_review)."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="action_plan")
    created_by = models.ForeignKey("tenancy.Membership", on_delete=models.PROTECT, related_name="+")
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        indexes = [models.Index(fields=["school", "next_review_on"])]

    def __str__(self) -> str:
        return str(_("Action plan %(id)s") % {"id": str(self.public_id)[:8]})

    def has_live_action(self) -> bool:
        """At least one action is still carried out (planned or in progress)."""
        return self.actions.filter(status__in=LIVE_ACTION_STATUSES).exists()


class TimeFrame(models.TextChoices):
    IN_SCHOOL = "in_school", _("During school time")
    OUTSIDE_SCHOOL = "outside_school", _("Outside school time")


class Frequency(models.TextChoices):
    ONCE = "once", _("Once")
    WEEKLY = "weekly", _("Every week")
    TWICE_WEEKLY = "twice_weekly", _("Twice a week")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")
    MONTHLY = "monthly", _("Every month")
    AS_NEEDED = "as_needed", _("As needed")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")


#: Statuses of an action still carried out (counted in the owner's load).
LIVE_ACTION_STATUSES = frozenset({ActionStatus.PLANNED, ActionStatus.IN_PROGRESS})


class PlanAction(PublicIdModel, TimestampedModel):
    """One action of a plan: its type, when, who carries it, how often, and its goals."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(ActionPlan, on_delete=models.PROTECT, related_name="actions")
    action_type = models.ForeignKey(
        ActionType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type")
    )
    description = EncryptedTextField(
        _("description"), blank=True, validators=[MaxLengthValidator(DESCRIPTION_MAX_LENGTH)]
    )
    time_frame = models.CharField(_("when"), max_length=16, choices=TimeFrame.choices)
    owner = models.ForeignKey(
        "tenancy.Membership",
        on_delete=models.PROTECT,
        related_name="owned_plan_actions",
        verbose_name=_("owner"),
    )
    # An outside body carrying the action with the owner (an association's club…), as words
    # until partner agreements exist.
    carried_by = EncryptedTextField(
        _("carried out by (outside body)"),
        blank=True,
        validators=[MaxLengthValidator(CARRIED_BY_MAX_LENGTH)],
    )
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"), null=True, blank=True)
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices)
    review_on = models.DateField(_("review date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    added_in_review = models.ForeignKey(
        "plans.PlanReview", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="plan_action_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["school", "owner", "status"])]

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_ACTION_STATUSES


class ActionGoal(PublicIdModel):
    """One goal of an action, in words ("rend ses devoirs chaque semaine")."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    action = models.ForeignKey(PlanAction, on_delete=models.PROTECT, related_name="goals")
    text = EncryptedTextField(_("goal"), validators=[MaxLengthValidator(GOAL_MAX_LENGTH)])
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["position", "pk"]


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    COMPLETED = "completed", _("Completed")


class PlanReview(PublicIdModel, TimestampedModel):
    """A review of the plan: goals assessed, actions continued, stopped or added.

    Opening it moves the case to ``under_review``; completing it moves it back to
    ``plan_active`` (the case services do both). At most one open review per plan.
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(ActionPlan, on_delete=models.PROTECT, related_name="reviews")
    status = models.CharField(
        _("status"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.OPEN
    )
    opened_by = models.ForeignKey("tenancy.Membership", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened at"))
    held_on = models.DateField(_("date of the review"), null=True, blank=True)
    summary = EncryptedTextField(
        _("summary"), blank=True, validators=[MaxLengthValidator(COMMENT_MAX_LENGTH)]
    )
    completed_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan review")
        verbose_name_plural = _("plan reviews")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan"], condition=Q(status="open"), name="plan_review_one_open"
            ),
            models.CheckConstraint(
                condition=Q(status="open")
                | (Q(held_on__isnull=False) & Q(completed_at__isnull=False)),
                name="plan_review_completed_has_date",
            ),
        ]

    @property
    def is_open(self) -> bool:
        return self.status == ReviewStatus.OPEN


class GoalResult(models.TextChoices):
    REACHED = "reached", _("Reached")
    PARTLY = "partly", _("Partly reached")
    NOT_REACHED = "not_reached", _("Not reached")


class GoalAssessment(models.Model):
    """How far one goal was reached, at one review."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey(PlanReview, on_delete=models.PROTECT, related_name="assessments")
    goal = models.ForeignKey(ActionGoal, on_delete=models.PROTECT, related_name="assessments")
    result = models.CharField(_("result"), max_length=16, choices=GoalResult.choices)

    class Meta:
        verbose_name = _("goal assessment")
        verbose_name_plural = _("goal assessments")
        constraints = [
            models.UniqueConstraint(fields=["review", "goal"], name="goal_assessment_once"),
        ]

    def __str__(self) -> str:
        return self.get_result_display()


class ActionDecision(models.TextChoices):
    CONTINUED = "continued", _("Continued")
    STOPPED = "stopped", _("Stopped")
    ADDED = "added", _("Added")


class ReviewActionDecision(models.Model):
    """What a review decided for one action: continued, stopped, or added at that review."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey(PlanReview, on_delete=models.PROTECT, related_name="decisions")
    action = models.ForeignKey(PlanAction, on_delete=models.PROTECT, related_name="decisions")
    decision = models.CharField(_("decision"), max_length=16, choices=ActionDecision.choices)

    class Meta:
        verbose_name = _("decision on an action")
        verbose_name_plural = _("decisions on actions")
        constraints = [
            models.UniqueConstraint(fields=["review", "action"], name="review_decision_once"),
        ]

    def __str__(self) -> str:
        return self.get_decision_display()


class AgreementParty(models.TextChoices):
    PUPIL = "pupil", _("The pupil")
    FAMILY = "family", _("The family")


class AgreementChannel(models.TextChoices):
    MEETING = "meeting", _("At a meeting at school")
    PHONE = "phone", _("By phone")
    LETTER = "letter", _("By letter")
    ENT_MESSAGE = "ent_message", _("By ENT message")
    EMAIL = "email", _("By e-mail")


class PlanAgreement(PublicIdModel, TimestampedModel):
    """The pupil's or the family's agreement with the plan (art. 4a): who, when, how."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(ActionPlan, on_delete=models.PROTECT, related_name="agreements")
    party = models.CharField(_("who agreed"), max_length=16, choices=AgreementParty.choices)
    guardian = models.ForeignKey(
        "pupils.Guardian",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("guardian"),
    )
    agreed = models.BooleanField(_("agreed"), default=True)
    agreed_on = models.DateField(_("date"))
    channel = models.CharField(_("how"), max_length=16, choices=AgreementChannel.choices)
    comment = EncryptedTextField(
        _("comment"), blank=True, validators=[MaxLengthValidator(COMMENT_MAX_LENGTH)]
    )
    # The plan as it stood when the agreement was given (its version).
    plan_version = models.PositiveIntegerField(editable=False)
    recorded_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("agreement with the plan")
        verbose_name_plural = _("agreements with the plan")
        ordering = ["agreed_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(party="family") & Q(guardian__isnull=False))
                | (Q(party="pupil") & Q(guardian__isnull=True)),
                name="plan_agreement_family_names_guardian",
            ),
        ]
