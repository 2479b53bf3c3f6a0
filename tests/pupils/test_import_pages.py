"""The import pages (upload → dry run → confirm, history) and the command, for every format."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from alliance.audit.models import AuditEvent
from alliance.core import clock
from alliance.jobs.models import ImportJob, JobStatus, StagedUpload
from alliance.pupils.imports import pending
from alliance.pupils.models import Pupil, RosterImport
from alliance.tenancy.models import Profession, Role
from tests import factories
from tests.conftest import adhered, login
from tests.pupils.roster_files import (
    Eleve,
    Lien,
    Personne,
    db_snapshot,
    eleves_xml,
    pronote_bytes,
    responsables_xml,
    zip_bytes,
)


@pytest.fixture(autouse=True)
def _in_english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def snapshot():
    """Every row an import could write; the audit of a staged upload (the file kept on the
    server until its confirmation) is not one of them."""
    return {
        **db_snapshot(),
        "audit": list(
            AuditEvent.objects.exclude(action="upload")
            .order_by("sequence")
            .values_list("sequence", "entry_hash")
        ),
    }


def staged():
    return StagedUpload.objects.filter(kind=pending.PENDING_KIND)


@pytest.fixture
def tech_admin(school, charter):
    return adhered(
        factories.MembershipFactory(
            school=school, role=Role.ADMIN, profession=Profession.TECHNICAL_ADMIN
        )
    )


def siecle_zip(school, eleves=None):
    eleves = eleves or [
        Eleve("1001", "CŒURDEVEY", "Chloé", "18/05/2013", structures=[("6 A", "D")]),
        Eleve("1002", "LE GALL", "Maël", "27/06/2011", structures=[("_301P1", "D")]),
    ]
    return zip_bytes(
        {
            "ElevesSansAdresses.xml": eleves_xml(eleves, uaj=school.uai),
            "ResponsablesAvecAdresses.xml": responsables_xml(
                [Personne("2001", "CŒURDEVEY", "Hélène", tel_portable="0639981001")],
                [Lien("1001", "2001", "10", resp_legal="1")],
                uaj=school.uai,
            ),
        }
    )


def upload(client, data, name="ExportXML.zip", **fields):
    return client.post(reverse("roster_import"), {"file": SimpleUploadedFile(name, data), **fields})


def test_upload_shows_the_dry_run_and_confirming_imports_exactly_that(client, cpe, school):
    login(client, cpe)
    before = snapshot()

    response = upload(client, siecle_zip(school))

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.dry_run, report.created, report.source_format) == (True, 2, "siecle_xml")
    body = response.content.decode()
    assert "Confirm the import" in body and "CŒURDEVEY Chloé" in body
    assert "SIECLE export (XML)" in body
    assert snapshot() == before
    token = response.context["token"]
    # The file waits in the database (where a worker can read it), audited, for an hour.
    upload_row = staged().get()
    assert str(upload_row.public_id) == token
    assert upload_row.expires_at <= clock.now() + dt.timedelta(hours=1)
    assert AuditEvent.objects.filter(action="upload").count() == 1

    response = client.post(reverse("roster_import_confirm"), {"token": token})

    job = ImportJob.objects.get()
    assert response["Location"] == reverse("roster_import_job", kwargs={"public_id": job.public_id})
    assert (job.handler, job.status, job.task_id) == ("pupils.roster", JobStatus.DONE, "")
    assert Pupil.objects.filter(school=school).count() == 2
    history = RosterImport.objects.get()
    assert (history.created_count, history.source_format) == (2, "siecle_xml")
    assert job.result["roster_import"] == str(history.public_id)
    assert not staged().exists()  # deleted once imported
    page = client.get(response["Location"]).content.decode()
    assert "Roster imported" in page and "Pupils created: 2" in page
    assert "every 1s" not in page
    page = client.get(reverse("roster_import_history")).content.decode()
    assert "SIECLE export (XML)" in page
    assert history.file_sha256[:12] in page
    assert reverse("roster_import_job", kwargs={"public_id": job.public_id}) in page

    # The token cannot be used twice.
    response = client.post(reverse("roster_import_confirm"), {"token": token}, follow=True)
    assert "no import waiting for confirmation" in response.content.decode()
    assert RosterImport.objects.count() == 1


def test_confirmation_is_refused_when_the_pupils_changed_meanwhile(client, cpe, school):
    login(client, cpe)
    client.post(
        reverse("roster_import_confirm"),
        {"token": upload(client, siecle_zip(school)).context["token"]},
    )
    changed = [
        Eleve("1001", "CŒURDEVEY", "Chloé Anne", "18/05/2013", structures=[("6 A", "D")]),
        Eleve("1002", "LE GALL", "Maël", "27/06/2011", structures=[("_301P1", "D")]),
    ]
    response = upload(client, siecle_zip(school, changed))
    assert response.context["report"].updated == 1
    token = response.context["token"]
    Pupil.objects.filter(source_id="1001").update(version=5)  # someone edits the pupil
    before = snapshot()

    response = client.post(reverse("roster_import_confirm"), {"token": token})

    assert response.status_code == 200
    assert "Nothing was imported" in response.content.decode()
    assert snapshot() == before
    assert response.context["report"].dry_run is True
    refused = ImportJob.objects.get(status=JobStatus.FAILED)
    assert refused.result == {"plan_changed": True}
    response = client.post(reverse("roster_import_confirm"), {"token": response.context["token"]})
    assert response.status_code == 302
    assert Pupil.objects.get(source_id="1001").first_name == "Chloé Anne"


def test_unknown_or_expired_tokens_and_other_sessions_import_nothing(
    client, cpe, head, school, monkeypatch
):
    login(client, cpe)
    token = upload(client, siecle_zip(school)).context["token"]
    before = snapshot()

    other = Client()
    login(other, head)
    response = other.post(reverse("roster_import_confirm"), {"token": token}, follow=True)
    assert "no import waiting for confirmation" in response.content.decode()
    assert snapshot() == before

    later = clock.now() + pending.PENDING_TTL + dt.timedelta(seconds=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    response = client.post(reverse("roster_import_confirm"), {"token": token}, follow=True)
    assert "no import waiting for confirmation" in response.content.decode()
    assert snapshot() == before
    assert not ImportJob.objects.exists()
    client.get(reverse("roster_import"))  # the page purges what expired
    assert not staged().exists()


def test_a_new_upload_forgets_the_previous_file(client, cpe, school):
    login(client, cpe)
    first = upload(client, siecle_zip(school)).context["token"]
    second = upload(client, siecle_zip(school)).context["token"]
    assert [str(u.public_id) for u in staged()] == [second]
    response = client.post(reverse("roster_import_confirm"), {"token": first}, follow=True)
    assert "no import waiting for confirmation" in response.content.decode()


def test_old_pending_files_are_purged(cpe, monkeypatch):
    kept = pending.pending_upload_store(
        actor=cpe, data=b"data", filename="x.csv", full_list=False, rows=1
    )
    token = str(kept.public_id)
    assert bytes(pending.pending_upload_get(cpe, token).data) == b"data"
    assert pending.pending_upload_get(cpe, "../../etc/passwd") is None
    later = clock.now() + pending.PENDING_TTL + dt.timedelta(seconds=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert pending.pending_upload_get(cpe, token) is None
    out = io.StringIO()
    call_command("purge_pending_rosters", stdout=out)
    assert "1" in out.getvalue()
    assert not StagedUpload.objects.exists()


def test_errors_are_shown_and_nothing_is_kept(client, head, school, other_school):
    login(client, head)
    response = upload(client, siecle_zip(other_school))
    assert "not from this school" in response.content.decode()
    assert response.context["report"] is None
    assert not StagedUpload.objects.exists()
    assert not Pupil.objects.exists()


def test_the_technical_admin_sees_counts_but_no_names(client, tech_admin, school):
    login(client, tech_admin)
    response = upload(client, siecle_zip(school))
    body = response.content.decode()
    assert response.context["report"].created == 2
    assert "CŒURDEVEY" not in body and "Chloé" not in body
    assert "ELEVE_ID 1001" in body


def test_a_pronote_list_is_partial_unless_the_box_is_ticked(client, cpe, school):
    login(client, cpe)
    client.post(
        reverse("roster_import_confirm"),
        {"token": upload(client, siecle_zip(school)).context["token"]},
    )
    data = pronote_bytes(
        ["Élève", "Né(e) le", "Classe de rattachement"], [["LE GALL Maël", "27/06/2011", "_301P1"]]
    )
    assert upload(client, data, "liste.csv").context["report"].left == 0
    assert upload(client, data, "liste.csv", full_list="on").context["report"].left == 1


def test_command_reads_every_format_with_dry_run(cpe, school, tmp_path):
    path = tmp_path / "ExportXML.zip"
    path.write_bytes(siecle_zip(school))
    common = [str(path), "--school", school.uai, "--as", cpe.user.email]
    before = db_snapshot()
    out = io.StringIO()
    call_command("import_roster", *common, "--dry-run", stdout=out)
    assert "Dry run: nothing was written" in out.getvalue()
    assert "File recognised as: SIECLE export (XML)." in out.getvalue()
    assert "Pupils created: 2" in out.getvalue()
    assert "CODE_SEXE" in out.getvalue()
    assert db_snapshot() == before

    out = io.StringIO()
    call_command("import_roster", *common, stdout=out)
    assert "Roster imported" in out.getvalue()
    assert Pupil.objects.filter(school=school).count() == 2

    liste = tmp_path / "liste.csv"
    liste.write_bytes(pronote_bytes(["Élève", "Né(e) le"], [["LE GALL Maël", "27/06/2011"]]))
    out = io.StringIO()
    call_command(
        "import_roster",
        str(liste),
        "--school",
        school.uai,
        "--as",
        cpe.user.email,
        "--full-list",
        stdout=out,
    )
    assert "Pupils marked as having left: 1" in out.getvalue()
