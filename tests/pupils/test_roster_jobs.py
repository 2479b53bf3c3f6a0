"""Roster imports as background jobs: progress, inline or in a worker, the dry run's plan or
nothing, no personal data kept, other schools' jobs invisible, the command's progress bar."""

import datetime as dt
import io
import json
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from alliance.audit.models import AuditEvent
from alliance.core import clock
from alliance.jobs import services as job_services
from alliance.jobs.models import STAGED_UPLOAD_TTL, ImportJob, JobStatus, StagedUpload
from alliance.jobs.progress import JobProgress
from alliance.pupils.imports.pending import pending_upload_store
from alliance.pupils.imports.pipeline import roster_import_file
from alliance.pupils.jobs import HANDLER, roster_import_start
from alliance.pupils.models import Pupil, RosterImport
from tests import factories
from tests.conftest import adhered, login
from tests.pupils.roster_files import Eleve, db_snapshot, eleves_xml, zip_bytes

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "formats" / "samples"
DATABASE_BACKEND = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _in_english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def pupils_xml(school, *eleves):
    eleves = eleves or (
        Eleve("1001", "CŒURDEVEY", "Chloé", "18/05/2013", structures=[("6 A", "D")]),
        Eleve("1002", "LE GALL", "Maël", "27/06/2011", structures=[("_301P1", "D")]),
    )
    return eleves_xml(list(eleves), uaj=school.uai)


def snapshot():
    """What an import could write (the audit of staging the file aside)."""
    return {
        **db_snapshot(),
        "audit": list(
            AuditEvent.objects.exclude(action="upload")
            .order_by("sequence")
            .values_list("sequence", "entry_hash")
        ),
    }


def dry_run_then_start(actor, data, filename="ElevesSansAdresses.xml", **options):
    """What the page does: the dry run, the file staged, then the confirmed import's job."""
    dry = roster_import_file(actor=actor, data=data, filename=filename, dry_run=True, **options)
    upload = pending_upload_store(
        actor=actor,
        data=data,
        filename=filename,
        full_list=bool(options.get("full_list")),
        rows=dry.records,
    )
    return dry, roster_import_start(actor=actor, upload=upload, fingerprint=dry.fingerprint)


def run_worker(monkeypatch):
    """What `manage.py db_worker --batch` does (it would close the test's connection)."""
    from django_tasks_db.management.commands import db_worker

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


def without_history_id(result):
    return {key: value for key, value in result.items() if key != "roster_import"}


def test_a_roster_job_reports_each_stage_on_its_row(cpe, school, monkeypatch):
    seen: list[tuple[str, int, int]] = []

    class Watched(JobProgress):
        """Reads the job's row after each stage change, as the progress page would."""

        def report(self, *, force):
            super().report(force=force)
            if force:
                row = ImportJob.objects.get(pk=self.job_pk)
                seen.append((row.stage, row.progress_done, row.progress_total))

    monkeypatch.setattr(job_services, "JobProgress", Watched)
    factories.PupilFactory(school=school, last_name="Ancien")  # not in the file: leaves

    dry, job = dry_run_then_start(cpe, pupils_xml(school))

    assert [stage for stage, _done, _total in seen] == ["reading", "checking", "writing", "writing"]
    assert seen[1] == ("checking", 0, 2)  # the file's two pupils
    assert seen[2] == ("writing", 0, 3)  # two created, one leaving
    assert seen[-1] == ("writing", 3, 3)
    assert (job.status, job.handler, job.kind, job.dry_run) == (
        JobStatus.DONE,
        HANDLER,
        "roster",
        False,
    )
    assert job.progress_done == job.progress_total == 3 and job.percent == 100
    assert job.task_id == ""  # small: run inline, in the request
    assert without_history_id(job.result) == dry.summary()
    assert (job.result["created"], job.result["left"]) == (2, 1)


@pytest.mark.parametrize(
    ("sample", "filename"),
    [
        ("roster.csv", "eleves.csv"),
        ("siecle", "ExportXML.zip"),
        ("siecle-eleves-complete.xlsx", "ExportElevesComplete.xlsx"),
        ("pronote-liste.csv", "liste.csv"),
    ],
)
def test_every_format_imports_in_the_background_exactly_as_announced(
    client, db, settings, monkeypatch, sample, filename
):
    # The samples are of the school year 2026-2027, for the school 0941234F.
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 11, 29))
    school = factories.SchoolFactory(uai="0941234F")
    cpe = adhered(factories.MembershipFactory(school=school, cpe=True))
    factories.PupilFactory(school=school, last_name="Ancien", first_name="Paul")
    if sample == "siecle":
        data = zip_bytes(
            {
                "ElevesSansAdresses.xml": (SAMPLES / "siecle-ElevesSansAdresses.xml").read_bytes(),
                "ResponsablesAvecAdresses.xml": (
                    SAMPLES / "siecle-ResponsablesAvecAdresses.xml"
                ).read_bytes(),
            }
        )
    else:
        data = (SAMPLES / sample).read_bytes()
    settings.JOBS_INLINE_MAX_ROWS = 1  # every sample lists two pupils or more
    login(client, cpe)

    page = client.post(
        reverse("roster_import"),
        {"file": SimpleUploadedFile(filename, data), "full_list": "on"},
    )
    dry = page.context["report"]
    assert dry.records > 1 and dry.created
    assert "imported in the background" in page.content.decode()
    response = client.post(reverse("roster_import_confirm"), {"token": page.context["token"]})

    job = ImportJob.objects.get()
    assert job.task_id  # enqueued (the immediate backend of the tests ran it at once)
    assert response["Location"] == reverse("roster_import_job", kwargs={"public_id": job.public_id})
    assert job.status == JobStatus.DONE, job.error_message
    assert without_history_id(job.result) == dry.summary()
    history = RosterImport.objects.get()
    assert str(history.public_id) == job.result["roster_import"]
    assert (history.created_count, history.left_count, history.warnings) == (
        dry.created,
        dry.left,
        dry.warnings,
    )
    # Counts and warnings only: no one's name, birth date or contact.
    kept = json.dumps(job.result, ensure_ascii=False)
    for pupil in Pupil.objects.all():
        assert pupil.last_name not in kept and pupil.first_name not in kept
        assert pupil.birth_date.strftime("%d/%m/%Y") not in kept
    body = client.get(response["Location"]).content.decode()
    assert "Roster imported" in body and f"Pupils created: {dry.created}" in body
    for warning in dry.warnings:
        assert warning.split(":")[0] in body


def test_a_large_roster_waits_for_a_worker_and_the_page_follows_it(
    client, cpe, school, settings, monkeypatch
):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE_BACKEND
    settings.JOBS_INLINE_MAX_ROWS = 1
    login(client, cpe)
    page = client.post(
        reverse("roster_import"),
        {"file": SimpleUploadedFile("ElevesSansAdresses.xml", pupils_xml(school))},
    )
    dry = page.context["report"]

    response = client.post(reverse("roster_import_confirm"), {"token": page.context["token"]})

    job = ImportJob.objects.get()
    assert job.status == JobStatus.QUEUED
    assert DBTaskResult.objects.filter(id=job.task_id).exists()
    assert response["Location"] == reverse("roster_import_job", kwargs={"public_id": job.public_id})
    assert not Pupil.objects.exists()
    # The file waits for the worker in the database, for a day now that it is confirmed.
    upload = StagedUpload.objects.get(pk=job.upload_id)
    assert upload.expires_at > clock.now() + STAGED_UPLOAD_TTL - dt.timedelta(minutes=1)
    body = client.get(response["Location"]).content.decode()
    assert "Waiting for a worker" in body and 'hx-trigger="every 1s"' in body
    progress_url = reverse("roster_import_job_progress", kwargs={"public_id": job.public_id})
    assert progress_url in body
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, stage="checking", progress_done=1, progress_total=4
    )
    partial = client.get(progress_url).content.decode()
    assert 'value="25"' in partial and "1 of 4 rows" in partial
    assert "Checking each row" in partial
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, stage="", progress_done=0)

    run_worker(monkeypatch)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error_message
    assert without_history_id(job.result) == dry.summary()
    assert Pupil.objects.filter(school=school).count() == 2
    assert not StagedUpload.objects.exists()
    partial = client.get(progress_url).content.decode()
    assert "every 1s" not in partial
    assert "Roster imported" in partial and "Pupils created: 2" in partial
    history = client.get(reverse("roster_import_history")).content.decode()
    assert reverse("roster_import_job", kwargs={"public_id": job.public_id}) in history


def test_a_job_refuses_and_writes_nothing_when_the_pupils_changed_since_the_dry_run(
    client, cpe, school, settings, monkeypatch
):
    chloe = factories.PupilFactory(
        school=school,
        last_name="CŒURDEVEY",
        first_name="Chloé",
        birth_date=dt.date(2013, 5, 18),
        source_id="1001",
    )
    settings.TASKS = DATABASE_BACKEND
    settings.JOBS_INLINE_MAX_ROWS = 1
    login(client, cpe)
    page = client.post(
        reverse("roster_import"),
        {"file": SimpleUploadedFile("ElevesSansAdresses.xml", pupils_xml(school))},
    )
    assert page.context["report"].created == 1
    client.post(reverse("roster_import_confirm"), {"token": page.context["token"]})
    job = ImportJob.objects.get()
    assert job.status == JobStatus.QUEUED
    # Someone edits the pupil while the job waits for a worker.
    Pupil.objects.filter(pk=chloe.pk).update(first_name="Chloé Anne", version=2)
    before = snapshot()

    run_worker(monkeypatch)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.result == {"plan_changed": True}
    assert "pupils recorded changed since the dry run" in job.error_message
    assert snapshot() == before
    assert not RosterImport.objects.exists()
    assert not StagedUpload.objects.exists()
    body = client.get(reverse("roster_import_job", kwargs={"public_id": job.public_id}))
    assert "Nothing was imported" in body.content.decode()
    assert "Upload the file again" in body.content.decode()


def test_a_job_never_imports_a_plan_nobody_announced(cpe, school):
    data = pupils_xml(school)
    upload = pending_upload_store(
        actor=cpe, data=data, filename="ElevesSansAdresses.xml", full_list=False, rows=2
    )
    before = snapshot()
    job = roster_import_start(actor=cpe, upload=upload, fingerprint="0" * 64)
    assert (job.status, job.result) == (JobStatus.FAILED, {"plan_changed": True})
    assert snapshot() == before

    # A job created without the dry run's fingerprint is refused too.
    upload = pending_upload_store(
        actor=cpe, data=data, filename="ElevesSansAdresses.xml", full_list=False, rows=2
    )
    job = job_services.import_job_create(
        actor=cpe, handler=HANDLER, kind="roster", upload=upload, params={}, dry_run=False
    )
    job_services.import_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "not checked by a dry run" in job.error_message
    assert snapshot() == before


def test_a_refused_file_keeps_no_cell_in_the_job(cpe, school):
    data = "nom;prenom;date_naissance;division\r\nZYXDUPONT;Léa;31/02/2013;6A\r\n".encode()
    upload = pending_upload_store(
        actor=cpe, data=data, filename="eleves.csv", full_list=False, rows=1
    )
    job = roster_import_start(actor=cpe, upload=upload, fingerprint="0" * 64)
    assert job.status == JobStatus.FAILED
    assert job.result == {"error_total": 1}
    assert "ZYXDUPONT" not in job.error_message and "31/02" not in job.error_message
    assert not Pupil.objects.exists()


@pytest.mark.parametrize("name", ["roster_import_job", "roster_import_job_progress"])
def test_a_roster_job_of_another_school_is_a_404_like_a_missing_one(
    client, head, other_school, name
):
    outsider = adhered(factories.MembershipFactory(school=other_school, head=True))
    _dry, theirs = dry_run_then_start(outsider, pupils_xml(other_school))
    assert theirs.status == JobStatus.DONE
    login(client, head)
    other = client.get(reverse(name, kwargs={"public_id": theirs.public_id}))
    missing = client.get(reverse(name, kwargs={"public_id": uuid.uuid4()}))
    assert other.status_code == missing.status_code == 404
    assert other.content == missing.content
    # Nor is an events job a roster job.
    events_job = ImportJob.objects.create(
        school=head.school,
        membership=head,
        handler="detection.events",
        kind="absences",
        created_at=clock.now(),
    )
    assert client.get(reverse(name, kwargs={"public_id": events_job.public_id})).status_code == 404


def test_the_command_draws_a_progress_bar_on_stderr(cpe, school, tmp_path):
    path = tmp_path / "ElevesSansAdresses.xml"
    path.write_bytes(pupils_xml(school))
    common = [str(path), "--school", school.uai, "--as", cpe.user.email]

    out, err = io.StringIO(), io.StringIO()
    call_command("import_roster", *common, "--dry-run", stdout=out, stderr=err)
    assert "Dry run: nothing was written" in out.getvalue()
    assert "[##############################] 100 %  2/2 — Checking each row" in err.getvalue()
    assert "Writing" not in err.getvalue()

    out, err = io.StringIO(), io.StringIO()
    call_command("import_roster", *common, stdout=out, stderr=err)
    assert "Roster imported" in out.getvalue()
    assert "[##############################] 100 %  2/2 — Writing" in err.getvalue()
    assert err.getvalue().endswith("\n")
    assert "CŒURDEVEY" not in err.getvalue()
    assert Pupil.objects.filter(school=school).count() == 2
