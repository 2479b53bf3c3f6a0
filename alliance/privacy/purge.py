"""The retention purge (issue 5 point 4): archive, delete, count, trim — what the schedule says.

``purge_plan()`` works out what is due today (nothing is written: the dry run); ``purge_run()``
does it in one transaction and records one ``PurgeRun`` (counts only) and one audit event
pointing at it. Run daily by the ``privacy.purge_expired`` task and the ``purge_expired``
command (docs/operations.md). The stages, in order:

1. closed cases whose school year of closure has ended are archived (head only, read-only);
2. archived cases past their deletion day are deleted with every row linked to them, after
   their anonymised count (school, school year, outcome) is added to ``RetentionStatistic``;
3. pupils who left, with no case left, are deleted with every row linked to them (guardians,
   imported events, observations…) once their period is over; they are counted too;
4. imported school-life events and observations older than the kept school years are deleted;
5. import history, finished jobs, task results and purge runs older than their months go;
6. audit events older than their months are purged behind a chain anchor (last, so the
   purge's own audit event follows the anchor).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from alliance.audit.services import audit_expired_through, audit_purge_before, audit_record
from alliance.cases.models import Case, CaseStatus
from alliance.core import clock
from alliance.detection.models import (
    Absence,
    EventImport,
    Lateness,
    Mark,
    Observation,
    PeriodCount,
    Sanction,
)
from alliance.jobs.models import FINISHED_STATUSES, ImportJob, StagedUpload
from alliance.privacy import erasure
from alliance.privacy.models import CaseArchive, PurgeRun, RetentionStatistic, StatisticKind
from alliance.privacy.retention import (
    Schedule,
    first_kept_day,
    months_ago,
    schedule,
    year_of,
    years_after_end,
)
from alliance.pupils.models import Pupil, RosterImport
from alliance.tenancy.models import School


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


#: The imported school-life events and observations, and which date ages each row.
#: (model, filter of the rows older than a day) — a row without its own date ages by creation.
DETECTION_AGE: tuple[tuple[type[models.Model], Callable[[dt.date], Q]], ...] = (
    (Absence, lambda day: Q(end_date__lt=day)),
    (Lateness, lambda day: Q(date__lt=day)),
    (Sanction, lambda day: Q(date__lt=day)),
    (Mark, lambda day: Q(date__lt=day) | Q(date__isnull=True, created_at__lt=_start_of(day))),
    (PeriodCount, lambda day: Q(updated_at__lt=_start_of(day))),
    (Observation, lambda day: Q(observed_on__lt=day)),
)


@dataclass
class PurgePlan:
    """What is due on ``today``. Public ids only; no name, no content."""

    today: dt.date
    now: dt.datetime
    schedule: Schedule
    #: case pk → the day the archived case will be deleted
    archive: dict[int, dt.date] = field(default_factory=dict)
    delete_cases: list[int] = field(default_factory=list)
    delete_pupils: list[int] = field(default_factory=list)
    detection: dict[type[models.Model], list[int]] = field(default_factory=dict)
    history: dict[type[models.Model], list[Any]] = field(default_factory=dict)
    audit_up_to: int = 0
    audit_count: int = 0
    audit_before: dt.datetime | None = None

    def counts(self) -> dict[str, int]:
        counts = {
            "cases_archived": len(self.archive),
            "cases_deleted": len(self.delete_cases),
            "pupils_deleted": len(self.delete_pupils),
        }
        for model, pks in self.detection.items():
            counts[f"detection:{model._meta.label_lower}"] = len(pks)
        for model, pks in self.history.items():
            counts[f"history:{model._meta.label_lower}"] = len(pks)
        counts["audit_events"] = self.audit_count
        return counts

    def public_ids(self) -> dict[str, list[str]]:
        """The cases and pupils concerned, by public id (for the dry run's listing)."""

        def ids(model: type[models.Model], pks: list[int]) -> list[str]:
            rows = model._base_manager.filter(pk__in=pks).values_list("public_id", flat=True)
            return sorted(str(p) for p in rows)

        return {
            "cases_archived": ids(Case, list(self.archive)),
            "cases_deleted": ids(Case, self.delete_cases),
            "pupils_deleted": ids(Pupil, self.delete_pupils),
        }

    @property
    def is_empty(self) -> bool:
        return not any(self.counts().values())


def _plan_cases(plan: PurgePlan, school: School) -> None:
    current = year_of(school, plan.today)
    to_archive = Case.objects.filter(
        school=school,
        status=CaseStatus.CLOSED,
        closed_at__lt=_start_of(current.starts_on),
        archive__isnull=True,
    ).values_list("pk", "closed_at")
    for pk, closed_at in to_archive:
        closed_on = timezone.localdate(closed_at)
        plan.archive[pk] = years_after_end(school, closed_on, plan.schedule.case_years)
    due = CaseArchive.objects.filter(school=school, delete_on__lte=plan.today)
    plan.delete_cases.extend(due.values_list("case_id", flat=True))
    # Archived today and due today too (a schedule of 0 years, or a late first run).
    plan.delete_cases.extend(pk for pk, day in plan.archive.items() if day <= plan.today)


def _plan_pupils(plan: PurgePlan, school: School) -> None:
    deleted_cases = set(plan.delete_cases)
    left = Pupil.objects.filter(school=school, left_on__isnull=False, left_on__lte=plan.today)
    for pupil_pk, left_on in left.values_list("pk", "left_on"):
        assert left_on is not None  # filtered above
        if years_after_end(school, left_on, plan.schedule.left_pupil_years) > plan.today:
            continue
        remaining = set(Case.objects.filter(pupil_id=pupil_pk).values_list("pk", flat=True))
        if remaining - deleted_cases:
            continue  # a case of theirs is still in retention: the pupil waits for it
        plan.delete_pupils.append(pupil_pk)


def _plan_detection(plan: PurgePlan, school: School) -> None:
    first_kept = first_kept_day(school, plan.today, plan.schedule.detection_years)
    for model, older_than in DETECTION_AGE:
        pks = list(
            model._base_manager.filter(older_than(first_kept), school=school).values_list(
                "pk", flat=True
            )
        )
        if pks:
            plan.detection.setdefault(model, []).extend(pks)


def _plan_history(plan: PurgePlan) -> None:
    limit = months_ago(plan.now, plan.schedule.history_months)
    # An event import goes once it is old and none of its rows is kept.
    imports = EventImport.objects.filter(imported_at__lt=limit)
    for model, _older in DETECTION_AGE:
        if model is Observation:
            continue
        kept = model._base_manager.exclude(pk__in=plan.detection.get(model, []))
        imports = imports.exclude(pk__in=kept.values("event_import_id"))
    plan.history[EventImport] = list(imports.values_list("pk", flat=True))
    plan.history[RosterImport] = list(
        RosterImport.objects.filter(imported_at__lt=limit).values_list("pk", flat=True)
    )
    plan.history[ImportJob] = list(
        ImportJob.objects.filter(status__in=FINISHED_STATUSES, created_at__lt=limit).values_list(
            "pk", flat=True
        )
    )
    plan.history[StagedUpload] = list(
        StagedUpload.objects.expired(plan.now).values_list("pk", flat=True)
    )
    plan.history[PurgeRun] = list(
        PurgeRun.objects.filter(ran_at__lt=limit).values_list("pk", flat=True)
    )
    task_results = _task_result_model()
    if task_results is not None:
        plan.history[task_results] = list(
            task_results._base_manager.filter(finished_at__lt=limit).values_list("pk", flat=True)
        )
    plan.history = {model: pks for model, pks in plan.history.items() if pks}


def _task_result_model() -> type[models.Model] | None:
    from django.apps import apps

    try:
        return apps.get_model("django_tasks_database", "DBTaskResult")
    except LookupError:
        return None


def purge_plan(*, now: dt.datetime | None = None) -> PurgePlan:
    """What the schedule says is due now, for every school. Writes nothing."""
    now = now or clock.now()
    plan = PurgePlan(today=timezone.localdate(now), now=now, schedule=schedule())
    for school in School.objects.order_by("pk"):
        _plan_cases(plan, school)
        _plan_pupils(plan, school)
        _plan_detection(plan, school)
    _plan_history(plan)
    plan.audit_before = months_ago(now, plan.schedule.audit_months)
    plan.audit_up_to, plan.audit_count = audit_expired_through(plan.audit_before)
    return plan


# --------------------------------------------------------------------------- doing it


def _count(school_id: int, school_year: str, kind: str, outcome: str = "") -> None:
    """Add one to an anonymised statistic (created at zero if new)."""
    cell, _created = RetentionStatistic.objects.get_or_create(
        school_id=school_id, school_year=school_year, kind=kind, outcome=outcome
    )
    RetentionStatistic.objects.filter(pk=cell.pk).update(count=F("count") + 1)


def _archive(plan: PurgePlan) -> None:
    cases = Case.objects.filter(pk__in=list(plan.archive)).values_list("pk", "school_id")
    CaseArchive.objects.bulk_create(
        CaseArchive(
            school_id=school_id, case_id=pk, archived_at=plan.now, delete_on=plan.archive[pk]
        )
        for pk, school_id in cases
    )


def _delete_cases(plan: PurgePlan) -> dict[str, int]:
    if not plan.delete_cases:
        return {}
    cases = Case.objects.filter(pk__in=plan.delete_cases)
    for school_id, closed_at, outcome in cases.values_list("school_id", "closed_at", "outcome"):
        label = year_of(school_id, timezone.localdate(closed_at)).label if closed_at else ""
        _count(school_id, label, StatisticKind.CASE_CLOSED, outcome or "")
    return erasure.erase(erasure.collect(Case, plan.delete_cases))


def _delete_pupils(plan: PurgePlan) -> dict[str, int]:
    if not plan.delete_pupils:
        return {}
    pupils = Pupil.objects.filter(pk__in=plan.delete_pupils)
    for school_id, left_on in pupils.values_list("school_id", "left_on"):
        label = year_of(school_id, left_on).label if left_on else ""
        _count(school_id, label, StatisticKind.PUPIL_DELETED)
    return erasure.erase(erasure.collect(Pupil, plan.delete_pupils))


@dataclass(frozen=True)
class PurgeResult:
    run: PurgeRun | None
    counts: dict[str, int]
    public_ids: dict[str, list[str]]


def purge_run(*, dry_run: bool = False, now: dt.datetime | None = None) -> PurgeResult:
    """Apply the schedule (or, ``dry_run``, only say what it would do). One transaction."""
    with transaction.atomic():
        plan = purge_plan(now=now)
        counts = plan.counts()
        public_ids = plan.public_ids()
        if dry_run:
            transaction.set_rollback(True)
            return PurgeResult(run=None, counts=counts, public_ids=public_ids)
        _archive(plan)
        deleted: dict[str, int] = {}
        for part in (_delete_cases(plan), _delete_pupils(plan)):
            for label, n in part.items():
                deleted[label] = deleted.get(label, 0) + n
        for model, pks in plan.detection.items():
            model._base_manager.filter(pk__in=pks).delete()
        for model in (EventImport, RosterImport, ImportJob, StagedUpload, PurgeRun):
            if model in plan.history:
                model._base_manager.filter(pk__in=plan.history[model]).delete()
        for model, pks in plan.history.items():
            if model._meta.app_label == "django_tasks_database":
                model._base_manager.filter(pk__in=pks).delete()
        if plan.audit_count and plan.audit_before is not None:
            audit_purge_before(plan.audit_before)
        rows = {f"rows:{label}": n for label, n in sorted(deleted.items())}
        run = PurgeRun.objects.create(ran_at=plan.now, counts={**counts, **rows})
        audit_record(action="delete", target=run)
        return PurgeResult(run=run, counts={**counts, **rows}, public_ids=public_ids)
