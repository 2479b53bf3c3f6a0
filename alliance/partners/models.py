"""Partner organisations of the alliance (associations, mission locale, clubs…).

Agreements and case access come with the partners issue; for now an
organisation groups its people, whose memberships carry the ``partner`` role.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from alliance.core.models import PublicIdModel, TimestampedModel


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
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)

    class Meta:
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(siret="") | models.Q(siret__regex=r"^[0-9]{14}$"),
                name="partner_siret_14_digits",
            )
        ]

    def __str__(self) -> str:
        return self.name
