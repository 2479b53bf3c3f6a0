"""Background jobs: run inline or by a worker, report progress, record the outcome, drop the file."""

import datetime as dt
import io
import logging

import pytest
from django.http import Http404

from alliance.core import clock
from alliance.jobs import services
from alliance.jobs.models import ImportJob, JobStage, JobStatus, StagedUpload
from alliance.jobs.progress import TerminalProgress
from alliance.jobs.registry import JobFailed, register
from alliance.jobs.selectors import (
    import_job_get_visible,
    import_jobs_visible_to,
    staged_upload_get_visible,
)
from tests import factories
from tests.conftest import adhered

SEEN: list[tuple[str, int, int]] = []


@register("tests.counting")
def counting_handler(job, progress):
    """Counts the rows of its file, reading its own row as the progress page would."""
    rows = bytes(StagedUpload.objects.get(pk=job.upload_id).data).count(b"\n")
    progress.stage(JobStage.READING, total=rows)
    row = ImportJob.objects.get(pk=job.pk)
    SEEN.append((row.status, row.progress_done, row.progress_total))
    for _ in range(rows):
        progress.advance()
    progress.stage(JobStage.WRITING)
    row = ImportJob.objects.get(pk=job.pk)
    SEEN.append((row.stage, row.progress_done, row.progress_total))
    return {"rows": rows}


@register("tests.refusing")
def refusing_handler(job, progress):
    raise JobFailed("bad.csv, row 3: not a date.", result={"errors": ["bad.csv, row 3"]})


@register("tests.crashing")
def crashing_handler(job, progress):
    cell = "BELKACEM Inès"
    raise ValueError(cell)  # an exception message may quote a cell


def _job(membership, handler="tests.counting", *, dry_run=False, lines=3):
    upload = services.staged_upload_create(
        actor=membership, kind="absences", filename="file.csv", data=b"x\n" * lines
    )
    return services.import_job_create(
        actor=membership,
        handler=handler,
        kind="absences",
        upload=upload,
        params={},
        dry_run=dry_run,
        total=lines,
    )


def test_a_job_runs_and_reports_its_progress(cpe):
    SEEN.clear()
    job = _job(cpe, lines=3)
    assert job.status == JobStatus.QUEUED
    services.import_job_start(job, rows=3)
    job.refresh_from_db()
    assert SEEN == [(JobStatus.RUNNING, 0, 3), (JobStage.WRITING, 3, 3)]
    assert (job.status, job.result, job.percent) == (JobStatus.DONE, {"rows": 3}, 100)
    assert job.progress_done == job.progress_total == 3
    assert job.started_at <= job.finished_at
    assert job.params["language"] == "en"


def test_a_large_file_goes_through_the_task_backend(cpe, settings):
    settings.JOBS_INLINE_MAX_ROWS = 2
    job = _job(cpe, lines=3)
    services.import_job_start(job, rows=3)
    job.refresh_from_db()
    assert job.task_id  # enqueued; the immediate backend (tests) ran it at once
    assert job.status == JobStatus.DONE


def test_the_database_backend_leaves_the_job_to_a_worker(cpe, settings, monkeypatch):
    from django_tasks_db.management.commands import db_worker
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.JOBS_INLINE_MAX_ROWS = 0
    job = _job(cpe, lines=4)
    services.import_job_start(job, rows=4)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert DBTaskResult.objects.filter(id=job.task_id).exists()

    # What `manage.py db_worker --batch` does (it would close the test's connection).
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    db_worker.Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()
    job.refresh_from_db()
    assert (job.status, job.result) == (JobStatus.DONE, {"rows": 4})
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"


def test_a_refused_job_records_the_located_problem(cpe):
    job = _job(cpe, "tests.refusing")
    services.import_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error_message == "bad.csv, row 3: not a date."
    assert job.result == {"errors": ["bad.csv, row 3"]}


def test_an_unexpected_error_fails_the_job_without_quoting_the_file(cpe):
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("alliance.jobs.services")
    logger.addHandler(handler)
    try:
        job = _job(cpe, "tests.crashing")
        services.import_job_run(job.pk)
    finally:
        logger.removeHandler(handler)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert str(job.public_id) in job.error_message
    assert "BELKACEM" not in job.error_message
    assert records and all("BELKACEM" not in r.getMessage() for r in records)
    assert "ValueError" in records[0].getMessage()


def test_the_file_is_deleted_when_the_import_finishes_and_kept_after_a_dry_run(cpe):
    dry_run = _job(cpe, dry_run=True)
    services.import_job_run(dry_run.pk)
    assert StagedUpload.objects.filter(pk=dry_run.upload_id).exists()
    real = services.import_job_create(
        actor=cpe,
        handler="tests.counting",
        kind="absences",
        upload=StagedUpload.objects.get(pk=dry_run.upload_id),
        params={},
        dry_run=False,
    )
    services.import_job_run(real.pk)
    assert not StagedUpload.objects.exists()
    real.refresh_from_db()
    assert real.upload is None
    assert real.status == JobStatus.DONE
    # A failed import drops its file too.
    failed = _job(cpe, "tests.refusing")
    services.import_job_run(failed.pk)
    assert not StagedUpload.objects.exists()


def test_a_finished_job_is_not_run_twice(cpe):
    SEEN.clear()
    job = _job(cpe, dry_run=True)
    services.import_job_run(job.pk)
    services.import_job_run(job.pk)
    assert len(SEEN) == 2  # one run: two observations


def test_staged_files_expire_after_a_day(cpe, monkeypatch):
    old = _job(cpe, dry_run=True).upload
    later = clock.now() + dt.timedelta(hours=25)
    monkeypatch.setattr(clock, "now", lambda: later)
    with pytest.raises(Http404):
        staged_upload_get_visible(cpe, old.public_id, kinds=frozenset({"absences"}))
    _job(cpe)  # the next upload purges what expired
    assert not StagedUpload.objects.filter(pk=old.pk).exists()


def test_jobs_and_files_of_another_school_are_invisible(cpe, teacher, other_school):
    outsider = adhered(factories.MembershipFactory(school=other_school, head=True))
    theirs = _job(outsider)
    mine = _job(cpe)
    assert list(import_jobs_visible_to(cpe, handler="tests.counting")) == [mine]
    assert not import_jobs_visible_to(teacher, handler="tests.counting").exists()
    for membership, public_id in ((cpe, theirs.public_id), (teacher, mine.public_id)):
        with pytest.raises(Http404):
            import_job_get_visible(membership, public_id, handler="tests.counting")
    with pytest.raises(Http404):
        import_job_get_visible(cpe, mine.public_id, handler="another.handler")
    with pytest.raises(Http404):
        staged_upload_get_visible(cpe, theirs.upload.public_id, kinds=frozenset({"absences"}))


def test_staging_a_file_is_audited(cpe):
    from alliance.audit.models import AuditEvent

    upload = _job(cpe).upload
    assert AuditEvent.objects.filter(
        action="upload", object_public_id=str(upload.public_id)
    ).exists()


def test_the_terminal_progress_bar():
    stream = io.StringIO()
    bar = TerminalProgress(stream)
    bar.stage(JobStage.CHECKING, total=200)
    for _ in range(100):
        bar.advance()
    assert "[###############...............]  50 %  100/200" in stream.getvalue()
    bar.finish()
    bar.close()
    output = stream.getvalue()
    assert "[##############################] 100 %  200/200" in output
    assert output.endswith("\n")
    # One redraw per percent at most, whatever the number of rows.
    assert output.count("\r") <= 102


def test_the_purge_command_deletes_abandoned_files(cpe, monkeypatch):
    from django.core.management import call_command

    _job(cpe, dry_run=True)
    later = clock.now() + dt.timedelta(hours=25)
    monkeypatch.setattr(clock, "now", lambda: later)
    out = io.StringIO()
    call_command("purge_staged_uploads", stdout=out)
    assert out.getvalue().startswith("1 ")
    assert not StagedUpload.objects.exists()
