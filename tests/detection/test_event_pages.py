"""The events import pages: upload → mapping and preview → dry run → import; history; access."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from alliance.detection.models import Absence, ColumnMapping, EventImport, PeriodCount
from alliance.jobs.models import ImportJob, JobStatus, StagedUpload
from tests import factories
from tests.conftest import adhered, login
from tests.detection.conftest import csv_bytes, sample


def upload(client, name, kind, data=None, period=""):
    return client.post(
        reverse("event_import_upload"),
        {
            "kind": kind,
            "period": period,
            "file": SimpleUploadedFile(name, sample(name) if data is None else data),
        },
    )


def test_upload_maps_previews_dry_runs_then_imports(client, cpe, sample_pupils):
    login(client, cpe)
    response = upload(client, "pronote_absences.csv", "absences")
    staged = StagedUpload.objects.get()
    mapping_url = reverse("event_import_mapping", kwargs={"public_id": staged.public_id})
    assert response["Location"] == mapping_url

    page = client.get(mapping_url).content.decode()
    assert "Pronote — absences" in page
    # The preview shows the cells as they will be read: parsed dates, yes/no, the pupil found.
    assert "14/09/2026 08:00" in page
    assert "BELKACEM Inès" in page
    assert "found" in page
    assert "(health matter: not stored)" in page

    form = {"pupil_name": "0", "division": "1", "start": "2", "end": "3", "half_days": "4"}
    form |= {"justified": "5", "reason": "6", "confirm": "1"}
    response = client.post(mapping_url, form)
    dry_run = ImportJob.objects.get()
    assert response["Location"] == reverse(
        "event_import_job", kwargs={"public_id": dry_run.public_id}
    )
    assert (dry_run.dry_run, dry_run.status) == (True, JobStatus.DONE)
    assert dry_run.result["new"] == 5
    assert Absence.objects.count() == 0
    assert ColumnMapping.objects.get().preset == "pronote_absences"

    report = client.get(response["Location"]).content.decode()
    assert "Dry run: nothing was written" in report
    assert "Import 5 events" in report
    assert 'hx-trigger="every 1s"' not in report  # finished: no more polling

    response = client.post(reverse("event_import_run", kwargs={"public_id": dry_run.public_id}))
    job = ImportJob.objects.exclude(pk=dry_run.pk).get()
    assert response["Location"] == reverse("event_import_job", kwargs={"public_id": job.public_id})
    assert (job.dry_run, job.status, job.result["new"]) == (False, JobStatus.DONE, 5)
    assert Absence.objects.count() == 5
    assert EventImport.objects.get().job == job
    # The file is deleted once imported; the jobs keep counts only.
    assert not StagedUpload.objects.exists()
    assert "BELKACEM" not in str(job.result) + str(dry_run.result)

    # Importing again from the same dry run is refused (the file is gone).
    client.post(reverse("event_import_run", kwargs={"public_id": dry_run.public_id}))
    assert Absence.objects.count() == 5
    assert ImportJob.objects.count() == 2

    history = client.get(reverse("event_import_history")).content.decode()
    assert "Absences" in history
    assert EventImport.objects.get().file_sha256[:12] in history


def test_the_next_file_with_the_same_headers_reuses_the_mapping(client, cpe, sample_pupils):
    login(client, cpe)
    staged = StagedUpload.objects.none()
    upload(client, "pronote_absences.csv", "absences")
    staged = StagedUpload.objects.get()
    client.post(
        reverse("event_import_mapping", kwargs={"public_id": staged.public_id}),
        {"pupil_name": "0", "start": "2", "end": "3", "justified": "5", "confirm": "1"},
    )
    response = upload(client, "pronote_absences.csv", "absences")
    latest = ImportJob.objects.order_by("-pk").first()
    assert response["Location"] == reverse(
        "event_import_job", kwargs={"public_id": latest.public_id}
    )
    assert latest.params["mapping"] == {"pupil_name": 0, "start": 2, "end": 3, "justified": 5}

    changed = csv_bytes(
        [["Élève", "Date début", "Date fin"], ["BELKACEM Inès", "14/09/2026", "14/09/2026"]]
    )
    response = upload(client, "autre.csv", "absences", data=changed)
    newest = StagedUpload.objects.order_by("-pk").first()
    assert response["Location"] == reverse(
        "event_import_mapping", kwargs={"public_id": newest.public_id}
    )


def test_an_invalid_mapping_is_explained_and_nothing_starts(client, cpe, sample_pupils):
    login(client, cpe)
    upload(client, "pronote_absences.csv", "absences")
    staged = StagedUpload.objects.get()
    response = client.post(
        reverse("event_import_mapping", kwargs={"public_id": staged.public_id}),
        {"start": "2", "end": "2", "confirm": "1"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "identified" in page
    assert not ImportJob.objects.exists()
    assert not ColumnMapping.objects.exists()


def test_htmx_refreshes_the_preview_with_the_columns_chosen(client, cpe, sample_pupils):
    login(client, cpe)
    upload(client, "pronote_absences.csv", "absences")
    staged = StagedUpload.objects.get()
    response = client.post(
        reverse("event_import_mapping", kwargs={"public_id": staged.public_id}),
        {"pupil_name": "0", "start": "4"},  # half-days read as a start date: wrong
        HTTP_HX_REQUEST="true",
    )
    partial = response.content.decode()
    assert "<html" not in partial
    assert "is not a valid date" in partial


def test_a_counts_file_needs_its_period_and_gets_it_at_upload(client, head, sample_pupils):
    login(client, head)
    upload(client, "gepi_counts.csv", "counts", period="Trimestre 1")
    staged = StagedUpload.objects.get()
    page = client.get(reverse("event_import_mapping", kwargs={"public_id": staged.public_id}))
    assert "GEPI" in page.content.decode()
    client.post(
        reverse("event_import_mapping", kwargs={"public_id": staged.public_id}),
        {
            "school_number": "0",
            "half_days_absent": "4",
            "unjustified_half_days": "5",
            "confirm": "1",
        },
    )
    dry_run = ImportJob.objects.get()
    client.post(reverse("event_import_run", kwargs={"public_id": dry_run.public_id}))
    assert PeriodCount.objects.filter(period="Trimestre 1").count() == 4


def test_a_malformed_upload_is_refused_with_a_located_error(client, cpe, sample_pupils):
    login(client, cpe)
    response = upload(client, "export.csv", "absences", data="Élève\tDate\r\nx\ty\r\n".encode())
    page = response.content.decode()
    assert "export.csv, row 1, column 1" in page
    assert not StagedUpload.objects.exists()


def test_a_dry_run_with_problems_lists_them_and_offers_no_import(client, cpe, sample_pupils):
    login(client, cpe)
    data = csv_bytes(
        [
            ["Élève", "Date début", "Date fin"],
            ["BELKACEM Inès", "14/09/2026", ""],
            ["DUPUIS Zoé", "14/09/2026", ""],
        ]
    )
    upload(client, "a.csv", "absences", data=data)
    staged = StagedUpload.objects.get()
    response = client.post(
        reverse("event_import_mapping", kwargs={"public_id": staged.public_id}),
        {"pupil_name": "0", "start": "1", "end": "2", "confirm": "1"},
        follow=True,
    )
    page = response.content.decode()
    assert "a.csv, row 3, column 1 (Élève)" in page
    assert "DUPUIS" not in page
    dry_run = ImportJob.objects.get()
    assert reverse("event_import_run", kwargs={"public_id": dry_run.public_id}) not in page
    client.post(reverse("event_import_run", kwargs={"public_id": dry_run.public_id}))
    assert not Absence.objects.exists()


def test_the_technical_admin_sees_the_preview_with_pupils_masked(
    client, school, charter, sample_pupils
):
    admin = adhered(
        factories.MembershipFactory(school=school, role="admin", profession="technical_admin")
    )
    login(client, admin)
    upload(client, "pronote_absences.csv", "absences")
    staged = StagedUpload.objects.get()
    page = client.get(reverse("event_import_mapping", kwargs={"public_id": staged.public_id}))
    body = page.content.decode()
    assert "14/09/2026 08:00" in body
    assert "BELKACEM" not in body
    assert "•••" in body


def test_progress_is_polled_every_second_until_the_job_finishes(client, cpe):
    login(client, cpe)
    job = ImportJob.objects.create(
        school=cpe.school,
        membership=cpe,
        handler="detection.events",
        kind="absences",
        dry_run=True,
        status=JobStatus.RUNNING,
        stage="checking",
        progress_done=300,
        progress_total=1200,
        created_at="2026-11-29T08:00:00Z",
    )
    partial = client.get(
        reverse("event_import_job_progress", kwargs={"public_id": job.public_id})
    ).content.decode()
    assert 'hx-trigger="every 1s"' in partial
    assert 'value="25"' in partial
    assert "300 of 1200 rows" in partial
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, result={"rows": 1200})
    partial = client.get(
        reverse("event_import_job_progress", kwargs={"public_id": job.public_id})
    ).content.decode()
    assert "every 1s" not in partial
    assert "Rows read: 1200" in partial


@pytest.mark.parametrize("name", ["event_import_job", "event_import_job_progress"])
def test_a_job_of_another_school_is_a_404_like_a_missing_one(client, head, other_school, name):
    outsider = adhered(factories.MembershipFactory(school=other_school, head=True))
    job = ImportJob.objects.create(
        school=other_school,
        membership=outsider,
        handler="detection.events",
        kind="absences",
        created_at="2026-11-29T08:00:00Z",
    )
    login(client, head)
    other = client.get(reverse(name, kwargs={"public_id": job.public_id}))
    missing = client.get(reverse(name, kwargs={"public_id": uuid.uuid4()}))
    assert other.status_code == missing.status_code == 404
    assert other.content == missing.content
    response = client.post(reverse("event_import_run", kwargs={"public_id": job.public_id}))
    assert response.status_code == 404


def test_nobody_outside_head_cpe_and_admin_can_upload(client, school, charter, sample_pupils):
    for traits in ({}, {"nurse": True}, {"partner": True}):
        member = adhered(factories.MembershipFactory(school=school, **traits))
        login(client, member)
        assert client.get(reverse("event_import_upload")).status_code == 404
        assert upload(client, "pronote_absences.csv", "absences").status_code == 404
    assert not StagedUpload.objects.exists()
    assert not Absence.objects.exists()


def test_the_home_page_links_to_the_import_for_those_allowed(client, cpe, teacher):
    login(client, cpe)
    assert reverse("event_import_upload") in client.get(reverse("home")).content.decode()
    login(client, teacher)
    assert reverse("event_import_upload") not in client.get(reverse("home")).content.decode()
