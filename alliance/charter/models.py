"""The school's charter (charte des alliances éducatives), its versions, board presentations and adhesions."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from alliance.core.models import PublicIdModel


class CharterVersion(PublicIdModel):
    """One published text of a school's charter. The highest number is the current one.

    Versions are never edited once published: a change is a new version, which
    every member must adhere to again (art. 3 and 5).
    """

    school = models.ForeignKey(
        "tenancy.School", on_delete=models.CASCADE, related_name="charter_versions"
    )
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        verbose_name = _("charter version")
        verbose_name_plural = _("charter versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["school", "number"], name="charter_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"


class BoardPresentation(PublicIdModel):
    """The presentation of a charter version to the board (conseil d'administration), art. 5."""

    school = models.ForeignKey("tenancy.School", on_delete=models.CASCADE, related_name="+")
    charter_version = models.ForeignKey(
        CharterVersion, on_delete=models.CASCADE, related_name="board_presentations"
    )
    presented_on = models.DateField(_("date of the board meeting"))
    minutes_reference = models.CharField(_("reference of the minutes"), max_length=100)
    recorded_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("board presentation")
        verbose_name_plural = _("board presentations")
        ordering = ["-presented_on"]


class CharterAdhesion(models.Model):
    """Who adhered to which version of the charter, and when."""

    school = models.ForeignKey("tenancy.School", on_delete=models.CASCADE, related_name="+")
    charter_version = models.ForeignKey(
        CharterVersion, on_delete=models.PROTECT, related_name="adhesions"
    )
    user = models.ForeignKey("people.User", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="charter_adhesions"
    )
    adhered_at = models.DateTimeField(_("adhered at"))

    class Meta:
        verbose_name = _("charter adhesion")
        verbose_name_plural = _("charter adhesions")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "charter_version"], name="charter_adhesion_once"
            )
        ]

    def __str__(self) -> str:
        return f"adhesion {self.membership_id} → v{self.charter_version_id}"
