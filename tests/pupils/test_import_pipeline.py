"""The import pipeline, whatever the source: matching order, ambiguity, dry run = import, progress."""

import datetime as dt

import pytest
from django.utils import translation

from alliance.pupils.imports import pipeline
from alliance.pupils.imports.detect import detect_format
from alliance.pupils.imports.errors import PlanChanged, RosterError
from alliance.pupils.imports.pipeline import roster_import_file
from alliance.pupils.models import Pupil, RosterImport
from tests import factories
from tests.pupils.roster_files import (
    Eleve,
    db_snapshot,
    eleves_xml,
    pronote_bytes,
    xls_bytes,
    xlsx_bytes,
    zip_bytes,
)


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


def run(actor, data, filename="ElevesSansAdresses.xml", **options):
    return roster_import_file(actor=actor, data=data, filename=filename, **options)


def eleve(eleve_id="1001", ine="", **changes):
    values = {
        "eleve_id": eleve_id,
        "nom": "BENALI",
        "prenom": "Inès",
        "naissance": "09/01/2011",
        "ine": ine,
        "structures": [("4 A", "D")],
    }
    return Eleve(**(values | changes))


def benali(school, **values):
    defaults = {"last_name": "Benali", "first_name": "Inès", "birth_date": dt.date(2011, 1, 9)}
    return factories.PupilFactory(school=school, **(defaults | values))


def test_format_detection_from_content():
    assert detect_format(b'<?xml version="1.0"?><BEE_ELEVES/>', "x.csv") == "siecle_xml"
    assert detect_format(zip_bytes({"E.xml": b"<BEE_ELEVES/>"}), "x") == "siecle_xml"
    assert detect_format(xlsx_bytes([["a"]]), "x.csv") == "siecle_sheet"
    assert detect_format(xls_bytes([["a"]]), "x") == "siecle_sheet"
    assert detect_format(pronote_bytes(["Élève"], [["A b"]]), "x") == "pronote_csv"
    assert detect_format(b"nom;prenom\n", "x.xml") == "alliance_csv"


def test_matching_order_ine_then_siecle_id_then_elenoet_then_names(cpe, school):
    by_ine = benali(school, last_name="Autre", national_id="1234567890A", source_id="555")
    by_id = benali(school, last_name="Autre2", source_id="1002")
    by_number = benali(school, last_name="Autre3", school_number="77")
    by_names = benali(school, first_name="Ines", birth_date=dt.date(2011, 1, 10))
    eleves = [
        # INE first, even if the SIECLE id differs from the recorded one.
        eleve("1001", ine="1234567890A"),
        eleve("1002", naissance="10/01/2011"),  # then ELEVE_ID
        eleve("1003", elenoet="0077", naissance="11/01/2011"),  # then ELENOET (zeros ignored)
        eleve("1004", prenom="INÈS", naissance="10/01/2011"),  # then names
    ]
    report = run(cpe, eleves_xml(eleves, uaj=school.uai))
    assert (report.created, report.updated, report.ambiguous) == (0, 4, 0)
    for pupil, source_id in (
        (by_ine, "1001"),
        (by_id, "1002"),
        (by_number, "1003"),
        (by_names, "1004"),
    ):
        pupil.refresh_from_db()
        assert (pupil.source_id, pupil.last_name) == (source_id, "BENALI")


def test_a_pupil_recorded_with_another_ine_or_id_is_not_matched_by_names(cpe, school):
    other_ine = benali(school, national_id="9999999999Z")
    other_id = benali(school, source_id="4242")  # another SIECLE id: another pupil
    report = run(cpe, eleves_xml([eleve("1001", ine="1234567890A")], uaj=school.uai))
    assert report.created == 1
    assert report.left == 2
    assert "a pupil with the same names and birth date but another INE" in report.warnings[0]
    assert (
        Pupil.objects.filter(pk__in=[other_ine.pk, other_id.pk], left_on__isnull=False).count() == 2
    )


def test_ambiguous_matches_are_listed_never_guessed(cpe, school):
    twins = [benali(school), benali(school)]
    sure = benali(school, first_name="Karim", national_id="1234567890A")
    eleves = [eleve("1001"), eleve("1002", prenom="Karim", ine="1234567890A")]
    before = list(Pupil.objects.order_by("pk").values())

    dry = run(cpe, eleves_xml(eleves, uaj=school.uai), dry_run=True)
    assert (dry.ambiguous, dry.updated, dry.created, dry.left) == (1, 1, 0, 0)
    assert [(i.locator, i.name) for i in dry.ambiguous_items] == [("ELEVE_ID 1001", "BENALI Inès")]
    assert list(Pupil.objects.order_by("pk").values()) == before

    report = run(cpe, eleves_xml(eleves, uaj=school.uai))
    assert report.outcome() == dry.outcome()
    for twin in twins:
        twin.refresh_from_db()
        assert (twin.version, twin.source_id, twin.left_on) == (1, "", None)  # untouched, not left
    sure.refresh_from_db()
    assert sure.source_id == "1002"
    history = RosterImport.objects.get()
    assert history.ambiguous_count == 1
    assert history.warnings == [
        "1 pupils of the file match several recorded pupils (same names and birth date, no id "
        "to tell them apart): they were neither created nor updated (ELEVE_ID 1001)."
    ]
    assert "Benali" not in str(history.warnings) and "BENALI" not in str(history.warnings)


def test_a_siecle_id_recorded_for_a_pupil_with_another_ine_is_refused(cpe, school):
    benali(school, national_id="9999999999Z", source_id="1001")
    before = db_snapshot()
    with pytest.raises(RosterError, match="ELEVE_ID 1001: the SIECLE id 1001 is recorded for"):
        run(cpe, eleves_xml([eleve("1001", ine="1234567890A")], uaj=school.uai))
    assert db_snapshot() == before


def test_two_records_matching_one_pupil_are_refused(cpe, school):
    benali(school, national_id="1234567890A")
    eleves = [eleve("1001", ine="1234567890A"), eleve("1002", naissance="09/01/2011")]
    before = db_snapshot()
    with pytest.raises(RosterError, match="ELEVE_ID 1001 and ELEVE_ID 1002 both correspond"):
        run(cpe, eleves_xml(eleves, uaj=school.uai))
    assert db_snapshot() == before


def test_the_confirmed_import_must_be_the_announced_one(cpe, school):
    pupil = benali(school, national_id="1234567890A")
    data = eleves_xml([eleve("1001", ine="1234567890A", prenom="Inès Sarah")], uaj=school.uai)
    dry = run(cpe, data, dry_run=True)
    assert dry.updated_items[0].fields == (
        "last name",
        "first name",
        "division",
        "SIECLE pupil id (ELEVE_ID)",
        "entered the school on",
    )

    # Someone edits the pupil between the dry run and the confirmation.
    Pupil.objects.filter(pk=pupil.pk).update(version=2, last_name="BENALI")
    before = db_snapshot()
    with pytest.raises(PlanChanged):
        run(cpe, data, expected_fingerprint=dry.fingerprint)
    assert db_snapshot() == before

    again = run(cpe, data, dry_run=True)
    assert again.fingerprint != dry.fingerprint
    report = run(cpe, data, expected_fingerprint=again.fingerprint)
    assert report.outcome() == again.outcome()


def test_progress_is_reported_while_writing(cpe, school, monkeypatch):
    monkeypatch.setattr(pipeline, "PROGRESS_EVERY", 2)
    benali(school, first_name="Old")  # will leave
    eleves = [eleve(str(1000 + n), prenom=f"Prénom{n}") for n in range(5)]
    calls = []
    run(
        cpe,
        eleves_xml(eleves, uaj=school.uai),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(2, 6), (4, 6), (6, 6)]


def test_files_too_large_are_refused_before_reading(cpe, monkeypatch):
    monkeypatch.setattr(pipeline, "MAX_FILE_SIZE", 10)
    with pytest.raises(RosterError, match="larger than"):
        run(cpe, b"x" * 11)
