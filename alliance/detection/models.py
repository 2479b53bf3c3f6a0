"""Events imported from the vie-scolaire software, the detection indicators' raw material.

Absences, lateness, sanctions and incidents, marks, and per-pupil counts for a period.
Each row carries ``school`` (the tenant key) and ``pupil``, and a ``source_key``:
a SHA-256 of the school, the kind and what identifies the event in the file (see
``alliance.detection.events``), unique per school, so importing a file again adds
nothing.

Minimisation: only what detection needs. No sex, nationality, scholarship or health
data is stored; a reason that names a health matter is not kept (the absence is);
a sanction keeps its nature, never the free-text account of the facts.

Deletion rules (``on_delete``), chosen deliberately:
- ``school``: PROTECT, as every tenant key: a school holding data is never deleted.
- ``pupil``: CASCADE: these rows are part of the pupil's record; erasing a pupil (end of
  retention, a right-to-erasure request) must erase them too. PROTECT would make any
  pupil with one imported absence impossible to erase, so data would outlive its purpose.
- ``event_import``: PROTECT: the import history says where each row came from; it is
  not deleted while rows refer to it.
"""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from alliance.core.models import PublicIdModel, TimestampedModel


class EventKind(models.TextChoices):
    ABSENCES = "absences", _("Absences")
    LATENESS = "lateness", _("Lateness")
    SANCTIONS = "sanctions", _("Sanctions and incidents")
    MARKS = "marks", _("Marks")
    COUNTS = "counts", _("Absence counts per pupil for a period")


class HalfDay(models.TextChoices):
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")


class Severity(models.IntegerChoices):
    """How serious a sanction is, from the nature given by the school's software."""

    INCIDENT = 1, _("Incident (no punishment recorded)")
    PUNISHMENT = 2, _("Punishment (punition scolaire)")
    SANCTION = 3, _("Disciplinary sanction")
    PERMANENT_EXCLUSION = 4, _("Permanent exclusion or disciplinary board")


class DurationUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")


class MarkSpecial(models.TextChoices):
    """A mark cell that holds a code instead of a number: kept as a flag, never as a mark."""

    ABSENT = "absent", _("Absent")
    EXEMPT = "exempt", _("Exempt")
    NOT_MARKED = "not_marked", _("Not marked")
    NOT_HANDED_IN = "not_handed_in", _("Not handed in")


class EventImport(PublicIdModel):
    """One import of an events file, in the history: who, when, checksum, counts, warnings.

    No personal data: warnings name rows and columns, never a cell that names a pupil.
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey("tenancy.Membership", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    imported_at = models.DateTimeField(_("imported at"))
    file_sha256 = models.CharField(_("file checksum (SHA-256)"), max_length=64)
    rows_count = models.PositiveIntegerField(_("rows read"), default=0)
    created_count = models.PositiveIntegerField(_("new"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("already imported"), default=0)
    duplicate_count = models.PositiveIntegerField(_("repeated rows"), default=0)
    skipped_count = models.PositiveIntegerField(_("rows of another kind"), default=0)
    warnings = models.JSONField(default=list, blank=True)
    # The job the import ran in; jobs may be purged before the history is.
    job = models.OneToOneField(
        "jobs.ImportJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("event import")
        verbose_name_plural = _("event imports")
        ordering = ["-imported_at", "-pk"]
        indexes = [models.Index(fields=["school", "-imported_at"])]

    def __str__(self) -> str:
        return f"{self.kind} import {self.public_id}"


class ColumnMapping(PublicIdModel):
    """Which column of a school's export holds which field, as the school confirmed it.

    Found again by ``header_signature`` (a SHA-256 of the normalised header row): the
    next file with the same headers is read the same way; a file whose headers changed
    asks again.
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=EventKind.choices)
    header_signature = models.CharField(max_length=64)
    #: The header row as written (column names, not data).
    headers = models.JSONField(default=list)
    #: Target field → 0-based column index.
    mapping = models.JSONField(default=dict)
    #: The preset the proposal came from, if any (``alliance.detection.presets``).
    preset = models.CharField(max_length=32, blank=True)
    confirmed_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed at"))

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["school", "kind", "header_signature"],
                name="column_mapping_unique_per_headers",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} mapping {self.public_id}"


class ImportedEvent(PublicIdModel, TimestampedModel):
    """What every imported row has: its school, its pupil, where it came from."""

    #: No index of its own: ``school`` leads the unique (school, source_key) index, which
    #: serves every query by school (decision 0012, "The importer").
    school = models.ForeignKey(
        "tenancy.School", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    source_key = models.CharField(max_length=64, editable=False)
    event_import = models.ForeignKey(
        EventImport, on_delete=models.PROTECT, related_name="+", editable=False
    )

    class Meta:
        abstract = True


class Absence(ImportedEvent):
    """An absence: from a date (and time, or half-day) to a date (and time)."""

    pupil = models.ForeignKey("pupils.Pupil", on_delete=models.CASCADE, related_name="absences")
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    #: When the file gives a date and a half-day rather than times.
    half_day = models.CharField(_("half-day"), max_length=16, choices=HalfDay.choices, blank=True)
    half_days = models.PositiveSmallIntegerField(_("half-days"), null=True, blank=True)
    justified = models.BooleanField(_("justified"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["start_date", "starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "source_key"], name="absence_unique_source_key"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="absence_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["school", "pupil", "start_date"])]

    def __str__(self) -> str:
        return f"absence {self.public_id}"


class Lateness(ImportedEvent):
    pupil = models.ForeignKey("pupils.Pupil", on_delete=models.CASCADE, related_name="lateness")
    date = models.DateField(_("date"))
    occurred_at = models.DateTimeField(_("time"), null=True, blank=True)
    minutes = models.PositiveSmallIntegerField(_("minutes"), null=True, blank=True)
    justified = models.BooleanField(_("justified"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("lateness")
        verbose_name_plural = _("lateness")
        ordering = ["date", "occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "source_key"], name="lateness_unique_source_key"
            )
        ]
        indexes = [models.Index(fields=["school", "pupil", "date"])]

    def __str__(self) -> str:
        return f"lateness {self.public_id}"


class Sanction(ImportedEvent):
    """A sanction, punishment or incident: its nature and weight, never the account of the facts."""

    pupil = models.ForeignKey("pupils.Pupil", on_delete=models.CASCADE, related_name="sanctions")
    date = models.DateField(_("date"))
    occurred_at = models.DateTimeField(_("time"), null=True, blank=True)
    incident_number = models.CharField(_("incident number"), max_length=32, blank=True)
    nature = models.CharField(_("kind (nature)"), max_length=100)
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    exclusion = models.BooleanField(_("exclusion"), default=False)
    duration = models.DecimalField(
        _("duration"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    duration_unit = models.CharField(
        _("unit"), max_length=8, choices=DurationUnit.choices, blank=True
    )

    class Meta:
        verbose_name = _("sanction or incident")
        verbose_name_plural = _("sanctions and incidents")
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "source_key"], name="sanction_unique_source_key"
            ),
            models.CheckConstraint(
                condition=Q(duration__isnull=True) | ~Q(duration_unit=""),
                name="sanction_duration_has_unit",
            ),
        ]
        indexes = [models.Index(fields=["school", "pupil", "date"])]

    def __str__(self) -> str:
        return f"sanction {self.public_id}"


class Mark(ImportedEvent):
    """A mark out of ``out_of``, or a special code (absent, exempt…) and no mark."""

    pupil = models.ForeignKey("pupils.Pupil", on_delete=models.CASCADE, related_name="marks")
    period = models.CharField(_("period"), max_length=32)
    subject = models.CharField(_("subject"), max_length=100)
    date = models.DateField(_("date"), null=True, blank=True)
    assessment = models.CharField(_("assessment"), max_length=100, blank=True)
    mark = models.DecimalField(_("mark"), max_digits=5, decimal_places=2, null=True, blank=True)
    out_of = models.DecimalField(_("out of"), max_digits=5, decimal_places=2, default=20)
    coefficient = models.DecimalField(_("coefficient"), max_digits=5, decimal_places=2, default=1)
    special = models.CharField(
        _("special code"), max_length=16, choices=MarkSpecial.choices, blank=True
    )

    class Meta:
        verbose_name = _("mark")
        verbose_name_plural = _("marks")
        ordering = ["period", "subject", "date"]
        constraints = [
            models.UniqueConstraint(fields=["school", "source_key"], name="mark_unique_source_key"),
            models.CheckConstraint(
                condition=(Q(mark__isnull=True) & ~Q(special=""))
                | (Q(mark__isnull=False) & Q(special="")),
                name="mark_either_a_mark_or_a_special_code",
            ),
            models.CheckConstraint(
                condition=Q(out_of__gt=0) & Q(coefficient__gte=0), name="mark_scale_positive"
            ),
            models.CheckConstraint(
                condition=Q(mark__isnull=True) | (Q(mark__gte=0) & Q(mark__lte=F("out_of"))),
                name="mark_within_scale",
            ),
        ]
        indexes = [models.Index(fields=["school", "pupil", "period"])]

    def __str__(self) -> str:
        return f"mark {self.public_id}"


class PeriodCount(ImportedEvent):
    """A pupil's counts for one period (GEPI / Sconet: NBABS, NBNJ, NBNVAL, NBRET).

    One row per pupil and period: a later file for the same period updates it.
    """

    pupil = models.ForeignKey(
        "pupils.Pupil", on_delete=models.CASCADE, related_name="period_counts"
    )
    period = models.CharField(_("period"), max_length=32)
    half_days_absent = models.PositiveIntegerField(_("half-days absent"))
    unjustified_half_days = models.PositiveIntegerField(
        _("unjustified half-days"), null=True, blank=True
    )
    invalid_reason_half_days = models.PositiveIntegerField(
        _("half-days with a reason not accepted"), null=True, blank=True
    )
    lateness_count = models.PositiveIntegerField(_("lateness"), null=True, blank=True)

    class Meta:
        verbose_name = _("period count")
        verbose_name_plural = _("period counts")
        ordering = ["period"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "source_key"], name="period_count_unique_source_key"
            ),
            models.UniqueConstraint(
                fields=["school", "pupil", "period"], name="period_count_unique_per_period"
            ),
            models.CheckConstraint(
                condition=Q(unjustified_half_days__isnull=True)
                | Q(unjustified_half_days__lte=F("half_days_absent")),
                name="period_count_unjustified_within_absent",
            ),
        ]

    def __str__(self) -> str:
        return f"period count {self.public_id}"


# --------------------------------------------------------------------------- the observation grid


class Observation(PublicIdModel, TimestampedModel):
    """A sign of the school's observation grid, seen in a pupil on a date by a staff member.

    The grid is the school's sign catalogue (``cases.SignCatalogueEntry``, shared with the
    referral form): one grid per school, whether a sign is noted on its own or in a referral.
    Coded signs only, never free text: what is written about a pupil outside a case must be
    objective and short (CNIL guidance on school files). Observations feed the detection
    engine (``alliance.detection.frames``) and are shown to those who may read them
    (``alliance.detection.observations.observations_visible_to``).

    ``pupil`` CASCADE: an observation is part of the pupil's record, erased with it.
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    pupil = models.ForeignKey("pupils.Pupil", on_delete=models.CASCADE, related_name="observations")
    sign = models.ForeignKey(
        "cases.SignCatalogueEntry",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sign"),
    )
    observed_on = models.DateField(_("observed on"))
    recorded_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["-observed_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["pupil", "sign", "observed_on", "recorded_by"],
                name="observation_once_per_day_and_observer",
            )
        ]
        indexes = [models.Index(fields=["school", "pupil", "observed_on"])]

    def __str__(self) -> str:
        return f"observation {self.public_id}"


# --------------------------------------------------------------------------- the school's settings


def default_watchlist_professions() -> list[str]:
    """Besides the head, who reads the watchlist unless the school decides otherwise."""
    return ["cpe", "dropout_referent"]


DEFAULT_CAPACITY = 12


class DetectionSettings(TimestampedModel):
    """A school's detection settings: its rule set, who reads the watchlist, the team's capacity.

    ``rules`` holds the school's rule set in the engine's own file format
    (``alliance.detection.engine``), validated by the engine before it is saved; an empty
    document means the engine's documented defaults. ``version`` is the optimistic lock of
    the settings forms.
    """

    school = models.OneToOneField(
        "tenancy.School", on_delete=models.PROTECT, related_name="detection_settings"
    )
    rules = models.JSONField(_("rule set"), default=dict, blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("situations the team can examine"), default=DEFAULT_CAPACITY
    )
    watchlist_professions = models.JSONField(
        _("professions who read the watchlist"), default=default_watchlist_professions
    )
    updated_by = models.ForeignKey(
        "tenancy.Membership", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("detection settings")
        verbose_name_plural = _("detection settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=1) & Q(capacity__lte=500),
                name="detection_settings_capacity_bounds",
            )
        ]

    def __str__(self) -> str:
        return f"detection settings of school {self.school_id}"
