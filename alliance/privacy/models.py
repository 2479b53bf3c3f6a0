"""Privacy records (issue 5): releases of secret notes for a right-of-access request.

A note under professional secrecy (kept to the author's profession or to the author, or
written by a secrecy-bound professional) is left out of a pupil's right-of-access export
unless its author releases it. The release is kept here, not on the note, so the cases
app's schema is untouched; it is recorded once, by the author only, and audited
(``alliance.privacy.access_export.note_release_for_access_request``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from alliance.core.models import PublicIdModel


class NoteRelease(PublicIdModel):
    """The author's release of one of their notes for the family's right of access."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    note = models.OneToOneField(
        "cases.CaseNote", on_delete=models.PROTECT, related_name="access_release"
    )
    released_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"))

    class Meta:
        verbose_name = _("note released for a right-of-access request")
        verbose_name_plural = _("notes released for a right-of-access request")
        ordering = ["released_at", "pk"]

    def __str__(self) -> str:
        return f"release {self.public_id}"


class CaseArchive(models.Model):
    """A closed case moved to the archive at the end of the school year of its closure.

    Retention stage 2 (docs/decisions/0015): only the head still sees it (the case team loses
    access), nothing may be written to it, and it is deleted, with everything linked to it,
    on ``delete_on``. Kept here so the cases app's schema is untouched.
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="archive")
    archived_at = models.DateTimeField(_("archived at"))
    delete_on = models.DateField(_("deleted on"))

    class Meta:
        verbose_name = _("archived case")
        verbose_name_plural = _("archived cases")
        ordering = ["delete_on", "pk"]

    def __str__(self) -> str:
        return f"archive of case {self.case_id}"


class StatisticKind(models.TextChoices):
    CASE_CLOSED = "case_closed", _("Cases closed (counted at deletion)")
    PUPIL_DELETED = "pupil_deleted", _("Pupils deleted after leaving")


class RetentionStatistic(models.Model):
    """Anonymised counts that survive the purge: per school, school year and outcome.

    No pupil, case or member is named or keyed here: only the school (public), the school year
    label, a kind, the outcome code and a count, incremented just before the rows are deleted.
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    school_year = models.CharField(_("school year"), max_length=9)
    kind = models.CharField(_("kind"), max_length=32, choices=StatisticKind.choices)
    outcome = models.CharField(_("outcome"), max_length=32, blank=True)
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("anonymised statistic")
        verbose_name_plural = _("anonymised statistics")
        ordering = ["school_id", "school_year", "kind", "outcome"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "school_year", "kind", "outcome"],
                name="retention_statistic_unique_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.school_year} {self.kind} {self.outcome}: {self.count}"


class PurgeRun(PublicIdModel):
    """One run of the retention purge: when, up to which limits, and counts per category.

    The purge's audit event points here; neither holds anything about a person.
    """

    ran_at = models.DateTimeField(_("ran at"))
    counts = models.JSONField(_("counts per category"), default=dict)

    class Meta:
        verbose_name = _("retention purge")
        verbose_name_plural = _("retention purges")
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"purge {self.public_id}"
