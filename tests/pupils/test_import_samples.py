"""The sample files of docs/formats/ import as the documentation says."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import translation

from alliance.core import clock
from alliance.pupils.imports.pipeline import roster_import_file
from alliance.pupils.models import Guardian, Pupil
from tests import factories
from tests.conftest import adhered
from tests.pupils.roster_files import zip_bytes

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "formats" / "samples"


@pytest.fixture
def cpe(db, monkeypatch):
    # The samples are of the school year 2026-2027, for the school 0941234F.
    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 11, 29))
    school = factories.SchoolFactory(uai="0941234F")
    return adhered(factories.MembershipFactory(school=school, cpe=True))


def run(cpe, data, filename, **options):
    with translation.override("en"):
        return roster_import_file(actor=cpe, data=data, filename=filename, **options)


def test_siecle_samples_then_spreadsheet_then_pronote(cpe):
    eleves = (SAMPLES / "siecle-ElevesSansAdresses.xml").read_bytes()
    responsables = (SAMPLES / "siecle-ResponsablesAvecAdresses.xml").read_bytes()
    archive = zip_bytes(
        {"ElevesSansAdresses.xml": eleves, "ResponsablesAvecAdresses.xml": responsables}
    )

    report = run(cpe, archive, "ExportXML.zip")

    assert (report.created, report.skipped, report.divisions_created) == (2, 1, 2)
    chloe = Pupil.objects.get(source_id="400101")
    assert (chloe.last_name, chloe.division.code, chloe.school_number) == (
        "CŒURDEVEY",
        "6 A",
        "412",
    )
    assert sorted(chloe.guardians.values_list("relationship", "phone")) == [
        ("child_welfare", "01 99 00 10 07"),
        ("mother", "06 39 98 10 01"),
    ]
    moussa = Pupil.objects.get(source_id="400102")
    assert sorted(moussa.guardians.values_list("last_name", "first_name")) == [
        ("N'DIAYE", "Aminata"),  # her usage name
        ("N'DIAYE", "Ousmane"),
    ]
    assert Guardian.objects.count() == 4  # the person to contact only is not imported

    sheet = (SAMPLES / "siecle-eleves-complete.xlsx").read_bytes()
    report = run(cpe, sheet, "ExportElevesComplete.xlsx")
    assert (report.created, report.unchanged, report.updated) == (0, 1, 1)
    # The sheet gives Aminata's family name where the XML gave her usage name.
    assert report.updated_items[0].locator == "Row 3"
    assert report.updated_items[0].fields == ("guardians",)

    pronote = (SAMPLES / "pronote-liste.csv").read_bytes()
    report = run(cpe, pronote, "liste.csv", dry_run=True)
    assert (report.created, report.unchanged, report.left) == (1, 2, 0)
