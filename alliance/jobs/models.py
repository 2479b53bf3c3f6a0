"""Background jobs: a file staged for import, and the job that imports it.

A job is the record a person watches (status, progress, result); the work itself is
a django-tasks task (``alliance.jobs.tasks.run_import_job``) that runs inline or in a
``db_worker`` process (docs/decisions/0006-background-jobs.md).

Neither table holds personal data once the job has finished: the staged file is
deleted when its import finishes (or after ``STAGED_UPLOAD_TTL``), and a job keeps
only counts, located error messages and warnings.
"""

import datetime as dt

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance.core import clock
from alliance.core.models import PublicIdModel

#: How long a staged file waits for its import before it is deleted.
STAGED_UPLOAD_TTL = dt.timedelta(hours=24)


class StagedUploadQuerySet(models.QuerySet["StagedUpload"]):
    def expired(self, now: dt.datetime | None = None) -> "StagedUploadQuerySet":
        return self.filter(expires_at__lte=now or clock.now())


class StagedUpload(PublicIdModel):
    """An uploaded file kept in the database between the steps of an import.

    Kept as bytes in the database rather than on disk: web and worker processes of an
    académie deployment run on several machines and share only the database, and the
    file is never under a served directory. Deleted when its import finishes.
    """

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey("tenancy.Membership", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=32)
    filename = models.CharField(_("file name"), max_length=255)
    data = models.BinaryField(_("content"))
    size = models.PositiveIntegerField(_("size (bytes)"))
    file_sha256 = models.CharField(_("file checksum (SHA-256)"), max_length=64)
    #: Options chosen at upload (no personal data): e.g. the period of a counts file.
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("uploaded at"))
    expires_at = models.DateTimeField(_("deleted after"))

    objects = StagedUploadQuerySet.as_manager()

    class Meta:
        verbose_name = _("staged upload")
        verbose_name_plural = _("staged uploads")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"upload {self.public_id}"


class JobStage(models.TextChoices):
    READING = "reading", _("Reading the file")
    CHECKING = "checking", _("Checking each row and finding the pupils")
    COMPARING = "comparing", _("Comparing with what is already imported")
    WRITING = "writing", _("Writing")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


FINISHED_STATUSES = frozenset({JobStatus.DONE, JobStatus.FAILED})


class ImportJobQuerySet(models.QuerySet["ImportJob"]):
    def for_school(self, school_id: int) -> "ImportJobQuerySet":
        return self.filter(school_id=school_id)

    def unfinished(self) -> "ImportJobQuerySet":
        return self.exclude(status__in=FINISHED_STATUSES)


class ImportJob(PublicIdModel):
    """One run of an import (or of its dry run), as the person who started it follows it."""

    school = models.ForeignKey("tenancy.School", on_delete=models.PROTECT, related_name="+")
    membership = models.ForeignKey("tenancy.Membership", on_delete=models.PROTECT, related_name="+")
    #: Which registered handler runs the job (``alliance.jobs.registry``).
    handler = models.CharField(_("handler"), max_length=64)
    #: What is imported, in the handler's words (for events: absences, lateness…).
    kind = models.CharField(_("kind"), max_length=32)
    dry_run = models.BooleanField(_("dry run"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    # The file, while the import needs it; SET_NULL: the job outlives its file.
    upload = models.ForeignKey(
        StagedUpload, on_delete=models.SET_NULL, null=True, blank=True, related_name="jobs"
    )
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("file checksum (SHA-256)"), max_length=64, blank=True)
    #: What the handler needs besides the file (a column mapping, a period): no personal data.
    params = models.JSONField(default=dict, blank=True)
    stage = models.CharField(_("stage"), max_length=32, choices=JobStage.choices, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    #: Counts, located problems and warnings: never a cell of the file that names a pupil.
    result = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(_("error"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["school", "-created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_done__lte=models.F("progress_total")) | Q(progress_total=0),
                name="import_job_progress_within_total",
            )
        ]

    def __str__(self) -> str:
        return f"job {self.public_id}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    @property
    def percent(self) -> int:
        """Progress as a whole percentage (100 once finished)."""
        if self.is_finished:
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)
