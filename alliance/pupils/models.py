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
    # SIECLE's own ids, kept to recognise the pupil in the next export (and in files that
    # name pupils only by them, such as the guardians' file). Stored without leading zeros.
    source_id = models.CharField(_("SIECLE pupil id (ELEVE_ID)"), max_length=20, blank=True)
    school_number = models.CharField(
        _("school's pupil number (ELENOET)"), max_length=20, blank=True
    )
    entered_on = models.DateField(_("entered the school on"), null=True, blank=True)
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
            ),
            models.UniqueConstraint(
                fields=["school", "source_id"],
                condition=~Q(source_id=""),
                name="pupil_unique_source_id_per_school",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "last_name", "first_name"]),
            models.Index(fields=["school", "school_number"], name="pupil_school_number"),
        ]

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
    # The other links SIECLE knows (CODE_PARENTE).
    SIBLING = "sibling", _("Brother or sister")
    GRANDPARENT = "grandparent", _("Grandparent")
    OTHER_FAMILY = "other_family", _("Other family member")
    EDUCATOR = "educator", _("Educator")
    FOSTER_CARER = "foster_carer", _("Foster carer (assistant familial)")
    SELF = "self", _("The pupil (of age)")
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


class RosterSource(models.TextChoices):
    """The kinds of roster file Alliance reads (detected from the file's content)."""

    ALLIANCE_CSV = "alliance_csv", _("Alliance roster (CSV)")
    SIECLE_XML = "siecle_xml", _("SIECLE export (XML)")
    SIECLE_SHEET = "siecle_sheet", _("SIECLE export (spreadsheet)")
    PRONOTE_CSV = "pronote_csv", _("Pronote list (CSV)")


class RosterImport(PublicIdModel):
    """One roster import, kept in the history without the file's personal data.

    ``warnings`` name rows and ids of the file, never a person.
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey("tenancy.Membership", on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(_("imported at"))
    file_sha256 = models.CharField(_("file checksum (SHA-256)"), max_length=64)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    left_count = models.PositiveIntegerField(default=0)
    source_format = models.CharField(
        _("source format"),
        max_length=16,
        choices=RosterSource.choices,
        default=RosterSource.ALLIANCE_CSV,
    )
    ambiguous_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    # Kept for a background run that records its dry run; the web and command dry runs
    # write nothing at all.
    dry_run = models.BooleanField(_("dry run"), default=False)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        ordering = ["-imported_at"]
