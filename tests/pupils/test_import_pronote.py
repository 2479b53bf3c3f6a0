"""Pronote list exports (CSV): names in one field, partial lists, divisions known beforehand."""

import datetime as dt

import pytest
from django.utils import translation

from alliance.core import clock
from alliance.core.textfiles import CellError
from alliance.pupils.imports.detect import detect_format
from alliance.pupils.imports.errors import RosterError
from alliance.pupils.imports.pipeline import roster_import_file
from alliance.pupils.imports.sources.pronote_csv import split_name
from alliance.pupils.models import Pupil
from tests import factories
from tests.pupils.roster_files import db_snapshot, pronote_bytes

# "Élève" is followed by a column without header, as Pronote writes it.
HEADER = ["Élève", "", "Né(e) le", "Sexe", "Entrée", "Sortie", "Classe de rattachement", "Option 1"]
ALEXIA = ["LE PAIN--PERDU Alexia", "", "03/04/2012", "F", "02/09/2024", "", "5E B", "ESP2"]
MOUSSA = ["N'DIAYE Moussa Ibrahima", "", "02/11/2012", "G", "01/09/2023", "", "5E B", ""]
ELOISE = ["LEFÈVRE Éloïse", "", "14/03/2013", "F", "", "", "6E A", "ALL2"]


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def known(school):
    """The school's pupils and divisions, as a SIECLE import left them."""
    year = factories.SchoolYearFactory(school=school)
    divisions = {
        code: factories.DivisionFactory(school_year=year, code=code) for code in ("5e B", "6e A")
    }
    return {
        "alexia": factories.PupilFactory(
            school=school,
            last_name="Le Pain--Perdu",
            first_name="Alexia",
            birth_date=dt.date(2012, 4, 3),
            division=divisions["5e B"],
        ),
        "moussa": factories.PupilFactory(
            school=school,
            last_name="N'Diaye",
            first_name="Moussa Ibrahima",
            birth_date=dt.date(2012, 11, 2),
            division=divisions["6e A"],  # moved to 5e B since
        ),
        "other": factories.PupilFactory(school=school, division=divisions["6e A"]),
    }


def run(actor, data, filename="liste.csv", **options):
    return roster_import_file(actor=actor, data=data, filename=filename, **options)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("LE PAIN--PERDU Alexia", ("LE PAIN--PERDU", "Alexia")),
        ("N'DIAYE Moussa Ibrahima", ("N'DIAYE", "Moussa Ibrahima")),
        ("DE LA FONTAINE Jean-Baptiste", ("DE LA FONTAINE", "Jean-Baptiste")),
        ("MARTIN ÉLODIE", ("MARTIN", "ÉLODIE")),  # all capitals: the last word is the given name
    ],
)
def test_names_are_split_at_the_end_of_the_capitals(value, expected):
    assert split_name(value) == expected


@pytest.mark.parametrize("value", ["Martin Élodie", "MARTIN", ""])
def test_names_that_cannot_be_split_are_refused(value):
    with pytest.raises(CellError):
        split_name(value)


def test_a_pronote_list_is_recognised_by_its_header():
    data = pronote_bytes(HEADER, [ALEXIA])
    assert detect_format(data, "export.csv") == "pronote_csv"
    assert detect_format(b"nom;prenom\nA;B\n", "export.csv") == "alliance_csv"


def test_partial_list_updates_known_pupils_and_marks_no_one_as_left(cpe, known):
    data = pronote_bytes(HEADER, [ALEXIA, MOUSSA])

    report = run(cpe, data)

    assert report.source_format == "pronote_csv"
    assert (report.encoding, report.delimiter) == ("UTF-8 (BOM)", ";")
    assert (report.created, report.updated, report.unchanged, report.left) == (0, 2, 0, 0)
    alexia = Pupil.objects.get(pk=known["alexia"].pk)
    # Capitals do not rename a pupil: "LE PAIN--PERDU" is "Le Pain--Perdu".
    assert alexia.last_name == "Le Pain--Perdu"
    assert alexia.entered_on == dt.date(2024, 9, 2)
    moussa = Pupil.objects.get(pk=known["moussa"].pk)
    assert moussa.division.code == "5e B"  # "5E B" is the known division
    assert Pupil.objects.get(pk=known["other"].pk).left_on is None
    assert "Sexe" in report.not_imported and "Option 1" in report.not_imported
    assert [c.header for c in report.columns if c.used_for == "not imported"] == [
        "Sexe",
        "Option 1",
    ]
    assert run(cpe, data).unchanged == 2  # idempotent


def test_a_full_list_marks_the_missing_pupils_as_left(cpe, known):
    data = pronote_bytes(HEADER, [ALEXIA, MOUSSA, ELOISE])
    report = run(cpe, data, full_list=True)
    assert (report.created, report.left) == (1, 1)
    assert Pupil.objects.get(pk=known["other"].pk).left_on == clock.today()
    assert Pupil.objects.get(first_name="Éloïse").last_name == "LEFÈVRE"


def test_leaving_date_in_the_past_marks_the_pupil_left_on_that_day(cpe, known):
    left_on = clock.today() - dt.timedelta(days=10)
    row = list(ALEXIA)
    row[HEADER.index("Sortie")] = left_on.strftime("%d/%m/%Y")
    report = run(cpe, pronote_bytes(HEADER, [row], quote_dates=False))
    assert report.updated_items[0].fields == ("entered the school on", "left the school on")
    assert Pupil.objects.get(pk=known["alexia"].pk).left_on == left_on


def assert_refused(actor, data, *fragments):
    before = db_snapshot()
    for dry_run in (True, False):
        with pytest.raises(RosterError) as error:
            run(actor, data, dry_run=dry_run)
        for fragment in fragments:
            assert fragment in str(error.value)
    assert db_snapshot() == before


def test_unknown_division_is_refused_when_the_school_has_divisions(cpe, known):
    row = list(ELOISE)
    row[HEADER.index("Classe de rattachement")] = "6E Z"
    assert_refused(
        cpe,
        pronote_bytes(HEADER, [ALEXIA, row]),
        "liste.csv, row 3, column 7 (Classe de rattachement): the division “6E Z” is unknown",
    )


def test_first_import_from_pronote_creates_its_divisions(cpe, school):
    report = run(cpe, pronote_bytes(HEADER, [ALEXIA, ELOISE]))
    assert (report.created, report.divisions_created) == (2, 2)


def test_bad_rows_are_located(cpe, known):
    bad_name = list(ALEXIA)
    bad_name[0] = "Le Pain Alexia"
    bad_date = list(MOUSSA)
    bad_date[2] = "2/11/12"
    assert_refused(
        cpe,
        pronote_bytes(HEADER, [bad_name, bad_date, ALEXIA]),
        "row 2, column 1 (Élève): “Le Pain Alexia”: expected the surname in capitals",
        "row 3, column 3 (Né(e) le): “2/11/12”: the year must have four digits",
    )
    assert_refused(
        cpe, pronote_bytes(HEADER, [ALEXIA, ALEXIA]), "row 3, column 1 (Élève): same names"
    )
    no_birth = [h for h in HEADER if h != "Né(e) le"]
    assert_refused(
        cpe,
        pronote_bytes(
            no_birth, [[c for c, h in zip(ALEXIA, HEADER, strict=True) if h != "Né(e) le"]]
        ),
        "the column “Né(e) le” is missing",
    )
    truncated = pronote_bytes(HEADER, [ALEXIA, MOUSSA])[:-20]
    assert_refused(cpe, truncated, "row 3", "truncated")
