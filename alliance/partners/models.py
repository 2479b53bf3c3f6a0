"""Partner organisations of the alliance (associations, mission locale, clubs…) and their people.

An organisation is registered with each school it works with (``PartnerRegistration``);
its administrators invite its professionals and volunteers (``PartnerInvitation``), who
become its people (``PartnerPerson``): the charter's "diffusion to its network" (art. 5).
A person works in a school only through a ``tenancy.Membership`` with the ``partner`` role,
granted by the head, and sees nothing there before adhering to the school's charter.
See docs/decisions/0014-partner-organisations.md.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance.core.models import PublicIdModel, TimestampedModel
from alliance.partners.siret import validate_siret


class PartnerKind(models.TextChoices):
    ASSOCIATION = "association", _("Association")
    MISSION_LOCALE = "mission_locale", _("Mission locale")
    CLUB = "club", _("Sports or cultural club")
    LOCAL_AUTHORITY = "local_authority", _("Local authority service")
    STATE_SERVICE = "state_service", _("State service")
    OTHER = "other", _("Other")


class PartnerOrganisation(PublicIdModel, TimestampedModel):
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=PartnerKind.choices)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True, validators=[validate_siret])

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(siret="") | models.Q(siret__regex=r"^[0-9]{14}$"),
                name="partner_siret_14_digits",
            ),
            models.UniqueConstraint(
                fields=["siret"], condition=~Q(siret=""), name="partner_siret_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PartnerRegistration(PublicIdModel):
    """The head of a school registered this organisation as one the school works with."""

    school = models.ForeignKey(
        "tenancy.School", on_delete=models.PROTECT, related_name="partner_registrations"
    )
    organisation = models.ForeignKey(
        PartnerOrganisation, on_delete=models.PROTECT, related_name="registrations"
    )
    registered_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    registered_at = models.DateTimeField(_("registered at"))

    class Meta:
        verbose_name = _("partner registration")
        verbose_name_plural = _("partner registrations")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "organisation"], name="partner_registration_once"
            )
        ]


class PartnerPersonKind(models.TextChoices):
    PROFESSIONAL = "professional", _("Professional")
    VOLUNTEER = "volunteer", _("Volunteer")


class PartnerPerson(PublicIdModel):
    """One person of an organisation: a professional or a volunteer, maybe its administrator."""

    organisation = models.ForeignKey(
        PartnerOrganisation, on_delete=models.PROTECT, related_name="people"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_people"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PartnerPersonKind.choices)
    is_admin = models.BooleanField(_("administrator"), default=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    joined_at = models.DateTimeField(_("joined at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("partner person")
        verbose_name_plural = _("partner people")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=Q(left_at__isnull=True),
                name="partner_person_once_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation}"

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class PartnerInvitation(PublicIdModel):
    """An invitation to join an organisation, sent by e-mail. Single use; expires.

    Only a SHA-256 hash of the token is stored: the link in the e-mail is the only
    copy of the token, and a leaked table gives no usable link.
    """

    organisation = models.ForeignKey(
        PartnerOrganisation, on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))
    kind = models.CharField(_("kind"), max_length=16, choices=PartnerPersonKind.choices)
    is_admin = models.BooleanField(_("as administrator"), default=False)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    #: The head's membership when a school's head invited the organisation's administrator.
    invited_from = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("partner invitation")
        verbose_name_plural = _("partner invitations")
        constraints = [
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="partner_invitation_not_accepted_and_revoked",
            )
        ]

    def is_pending(self, now: dt.datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now
