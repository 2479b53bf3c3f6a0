"""Agreements (conventions) between the school, a partner organisation, and a pupil's family.

Every write goes through ``alliance.agreements.services``; every read through
``alliance.agreements.selectors``. See the package docstring and docs/decisions/0013.
"""

import datetime as dt

from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from alliance.core.models import PublicIdModel, TimestampedModel
from alliance.vault.fields import EncryptedTextField

PURPOSE_MAX_LENGTH = 4000
PARTIES_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 2000
BOARD_REFERENCE_MAX_LENGTH = 100
SIGNATORY_MAX_LENGTH = 200


class AgreementKind(models.TextChoices):
    SCHOOL_PARTNER = "school_partner", _("School–partner agreement")
    PARTNER_PUPIL_PARENTS = "partner_pupil_parents", _("Partner–pupil–parents agreement")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CONCLUDED = "concluded", _("Concluded")
    REVOKED = "revoked", _("Revoked")


class AgreementParty(models.TextChoices):
    SCHOOL = "school", _("The school")
    PARTNER = "partner", _("The partner organisation")
    GUARDIAN = "guardian", _("A parent or guardian")
    PUPIL = "pupil", _("The pupil")


#: The parties who sign each kind of agreement.
PARTIES_OF_KIND: dict[str, frozenset[str]] = {
    AgreementKind.SCHOOL_PARTNER: frozenset({AgreementParty.SCHOOL, AgreementParty.PARTNER}),
    AgreementKind.PARTNER_PUPIL_PARENTS: frozenset(
        {AgreementParty.PARTNER, AgreementParty.GUARDIAN, AgreementParty.PUPIL}
    ),
}
#: The signatures without which a partner–pupil–parents agreement cannot be concluded.
REQUIRED_PPP_PARTIES: frozenset[str] = frozenset({AgreementParty.PARTNER, AgreementParty.GUARDIAN})


class AgreementQuerySet(models.QuerySet["Agreement"]):
    def active(self, on: dt.date | None = None) -> "AgreementQuerySet":
        """Agreements in force on ``on`` (today by the app clock when omitted).

        Concluded (for a school–partner agreement: the board's approval is recorded), not
        revoked, and ``starts_on ≤ day ≤ ends_on``; a partner–pupil–parents agreement also
        needs its school–partner agreement in force that day.
        """
        from alliance.core import clock

        day = on or clock.today()
        in_force = Q(status=AgreementStatus.CONCLUDED, starts_on__lte=day, ends_on__gte=day)
        school_partner = Q(kind=AgreementKind.SCHOOL_PARTNER, board_approved_on__isnull=False)
        under_active = Q(
            kind=AgreementKind.PARTNER_PUPIL_PARENTS,
            parent_agreement__status=AgreementStatus.CONCLUDED,
            parent_agreement__board_approved_on__isnull=False,
            parent_agreement__starts_on__lte=day,
            parent_agreement__ends_on__gte=day,
        )
        return self.filter(in_force & (school_partner | under_active))


class Agreement(PublicIdModel, TimestampedModel):
    """One agreement (convention), art. 2; approved by the board when school–partner, art. 5."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=AgreementKind.choices)
    partner_organisation = models.ForeignKey(
        "partners.PartnerOrganisation",
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("partner organisation"),
    )
    # Partner–pupil–parents only: the pupil, and the school–partner agreement it falls under.
    pupil = models.ForeignKey(
        "pupils.Pupil",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pupil"),
    )
    parent_agreement = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pupil_agreements",
        verbose_name=_("under the school–partner agreement"),
    )
    title = models.CharField(_("title"), max_length=200)
    purpose = EncryptedTextField(_("purpose"), validators=[MaxLengthValidator(PURPOSE_MAX_LENGTH)])
    parties = EncryptedTextField(
        _("parties and their representatives"),
        validators=[MaxLengthValidator(PARTIES_MAX_LENGTH)],
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=16, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    created_by = models.ForeignKey("tenancy.Membership", on_delete=models.PROTECT, related_name="+")
    # The board's approval (art. 5), school–partner agreements only.
    board_approved_on = models.DateField(_("date of the board meeting"), null=True, blank=True)
    board_reference = models.CharField(
        _("reference of the deliberation"), max_length=BOARD_REFERENCE_MAX_LENGTH, blank=True
    )
    board_recorded_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    board_recorded_at = models.DateTimeField(null=True, blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    # Revocation.
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revocation_reason = EncryptedTextField(
        _("reason for the revocation"),
        blank=True,
        validators=[MaxLengthValidator(REASON_MAX_LENGTH)],
    )
    revoked_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = AgreementQuerySet.as_manager()

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="agreement_ends_after_start"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="school_partner", pupil__isnull=True, parent_agreement__isnull=True)
                    | Q(
                        kind="partner_pupil_parents",
                        pupil__isnull=False,
                        parent_agreement__isnull=False,
                    )
                ),
                name="agreement_pupil_iff_ppp",
            ),
            models.CheckConstraint(
                condition=Q(kind="school_partner")
                | Q(board_approved_on__isnull=True, board_reference=""),
                name="agreement_board_only_school_partner",
            ),
            models.CheckConstraint(
                condition=(
                    Q(board_approved_on__isnull=True, board_recorded_at__isnull=True)
                    | Q(board_approved_on__isnull=False, board_recorded_at__isnull=False)
                    & ~Q(board_reference="")
                ),
                name="agreement_board_approval_complete",
            ),
            models.CheckConstraint(
                condition=Q(status="revoked", revoked_on__isnull=False, revoked_at__isnull=False)
                | Q(~Q(status="revoked"), revoked_on__isnull=True, revoked_at__isnull=True),
                name="agreement_revoked_iff_dated",
            ),
        ]
        indexes = [models.Index(fields=["school", "partner_organisation", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_school_partner(self) -> bool:
        return self.kind == AgreementKind.SCHOOL_PARTNER

    @property
    def is_draft(self) -> bool:
        return self.status == AgreementStatus.DRAFT


class AgreementSignature(PublicIdModel):
    """A signature of the paper agreement, recorded by the head (not an electronic signature)."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="signatures")
    party = models.CharField(_("party"), max_length=16, choices=AgreementParty.choices)
    signatory_name = models.CharField(_("signed by"), max_length=SIGNATORY_MAX_LENGTH)
    signatory_capacity = models.CharField(
        _("capacity"), max_length=SIGNATORY_MAX_LENGTH, blank=True
    )
    guardian = models.ForeignKey(
        "pupils.Guardian",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("guardian"),
    )
    signed_on = models.DateField(_("signed on"))
    recorded_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("agreement signature")
        verbose_name_plural = _("agreement signatures")
        ordering = ["signed_on", "pk"]
