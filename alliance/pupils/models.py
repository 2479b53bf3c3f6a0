"""Pupils and their guardians (responsables légaux), and the history of roster imports."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance.core.models import PublicIdModel, TimestampedModel


class Pupil(PublicIdModel, TimestampedModel):
    """A pupil of one school. Never addressed by name or national id in a URL or a log."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="pupils")
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100)
    birth_date = models.DateField(_("birth date"))
    division = models.ForeignKey(
        "tenancy.Division",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pupils",
        verbose_name=_("division"),
    )
    # The INE (identifiant national élève) is stored only when the school provides it.
    national_id = models.CharField(_("national pupil id (INE)"), max_length=11, blank=True)
    left_on = models.DateField(_("left the school on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("pupil")
        verbose_name_plural = _("pupils")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "national_id"],
                condition=~Q(national_id=""),
                name="pupil_unique_national_id_per_school",
            )
        ]
        indexes = [models.Index(fields=["school", "last_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.last_name} {self.first_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class GuardianRelationship(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    GUARDIAN = "guardian", _("Legal guardian (tuteur)")
    CHILD_WELFARE = "child_welfare", _("Child welfare service (ASE)")
    OTHER = "other", _("Other")


class Guardian(PublicIdModel, TimestampedModel):
    """A person responsible for a pupil: parent, guardian or service."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="guardians")
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    relationship = models.CharField(
        _("relationship"), max_length=16, choices=GuardianRelationship.choices
    )
    legal_responsibility = models.BooleanField(_("holds legal responsibility"), default=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("postal address"), blank=True)

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["-legal_responsibility", "last_name", "first_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class RosterImport(PublicIdModel):
    """One roster import, kept in the history without the file's personal data."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey("tenancy.Membership", on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(_("imported at"))
    file_sha256 = models.CharField(_("file checksum (SHA-256)"), max_length=64)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    left_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-imported_at"]
