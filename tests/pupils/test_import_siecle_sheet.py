"""SIECLE's "Élèves complète" spreadsheet, as exported and as re-saved by a spreadsheet."""

import datetime as dt

import pytest
from django.utils import translation

from alliance.pupils.imports.errors import RosterError
from alliance.pupils.imports.pipeline import roster_import_file
from alliance.pupils.imports.sources.siecle_sheet import classify_header
from alliance.pupils.models import Guardian, GuardianRelationship, Pupil
from tests.pupils.roster_files import db_snapshot, xls_bytes, xlsx_bytes

NBSP = "\u00a0"

# A few of the export's ~136 columns, everything as text, as SIECLE writes them.
HEADER = [
    "Numéro National",
    "Nom de famille",
    "Nom d'usage",
    "Prénom 1",
    "Prénom 2",
    "Date de naissance",
    "Sexe",
    "Division",
    "Code MEF",
    "Régime",
    "Date entrée établissement",
    "Date sortie",
    "Numéro élève établissement",
    "Lien de parenté repr. légal",
    "Nom de famille repr. légal",
    "Prénom repr. légal",
    "Tél. portable repr. légal",
    "Courriel repr. légal",
    "Lien de parenté autre repr. légal",
    "Nom de famille autre repr. légal",
    "Prénom autre repr. légal",
    "Tél. portable autre repr. légal",
    "Courriel autre repr. légal",
]
ELOISE = [
    "1234567890A", "LEFÈVRE", "", "Éloïse", "Marie", "14/03/2013", "F", "6 A", "10010012110",
    "DP DAN", "02/09/2024", "", "00412",
    "MERE", "LEFÈVRE", "Hélène", "06 39 98 10 01", "helene.lefevre@example.fr",
    "PERE", "LEFÈVRE", "Julien", "06 39 98 10 02", "",
]  # fmt: skip
MOUSSA = [
    "123456789BC", "N'DIAYE", "", "Moussa", "", "02/11/2012", "M", "5 B", "10110001110",
    "EXTERN", "01/09/2023", "", "00413",
    "MERE", "N'DIAYE", "Aminata", "06 39 98 10 03", "", "", "", "", "", "",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


def run(actor, data, filename="ExportElevesComplete.xlsx", **options):
    return roster_import_file(actor=actor, data=data, filename=filename, **options)


def resaved(rows):
    """What a spreadsheet makes of the export: numbers, date cells, dirty headers."""
    header = [f"{h}{NBSP} " if i % 3 == 0 else h.upper() for i, h in enumerate(rows[0])]
    header[HEADER.index("Prénom 2")] = ""  # a blank header (its column holds values)
    header.append("Nom de famille")  # a duplicate header, with the same values
    out = [header]
    for row in rows[1:]:
        row = list(row)
        for column in ("Date de naissance", "Date entrée établissement"):
            index = HEADER.index(column)
            day, month, year = (int(p) for p in row[index].split("/"))
            row[index] = dt.date(year, month, day)
        index = HEADER.index("Numéro élève établissement")
        row[index] = int(row[index])  # "00412" → 412
        for column in ("Tél. portable repr. légal", "Tél. portable autre repr. légal"):
            index = HEADER.index(column)
            if row[index]:
                row[index] = int(row[index].replace(" ", ""))  # 639981001: the 0 is lost
        index = HEADER.index("Code MEF")
        row[index] = int(row[index])
        row.append(row[HEADER.index("Nom de famille")])
        out.append(row)
    return out


def state():
    return (
        sorted(
            Pupil.objects.values_list(
                "last_name", "first_name", "birth_date", "division__code", "national_id",
                "school_number", "entered_on",
            )
        ),
        sorted(
            Guardian.objects.values_list(
                "pupil__first_name", "last_name", "first_name", "relationship", "phone", "email"
            )
        ),
    )  # fmt: skip


def test_headers_are_matched_loosely_never_by_position():
    assert classify_header("Nom de famille") == ("last_name", 0)
    assert classify_header(f"NOM DE FAMILLE{NBSP} ") == ("last_name", 0)
    assert classify_header("Nom de famille repr. légal") == ("last_name", 1)
    assert classify_header("Nom de famille Repr. Lég.") == ("last_name", 1)
    assert classify_header("Nom de famille autre repr. légal") == ("last_name", 2)
    assert classify_header("Tél. Portable Autre Repr. Lég.") == ("mobile", 2)
    assert classify_header("Sexe") is None
    assert classify_header("") is None


@pytest.mark.parametrize("make", [xlsx_bytes, xls_bytes], ids=["xlsx", "xls"])
def test_export_as_text_imports_pupils_and_guardians(cpe, school, make):
    report = run(cpe, make([HEADER, ELOISE, MOUSSA]))
    assert (report.created, report.divisions_created) == (2, 2)
    assert report.source_format == "siecle_sheet"
    pupils, guardians = state()
    assert pupils == [
        ("LEFÈVRE", "Éloïse", dt.date(2013, 3, 14), "6 A", "1234567890A", "412", dt.date(2024, 9, 2)),
        ("N'DIAYE", "Moussa", dt.date(2012, 11, 2), "5 B", "123456789BC", "413", dt.date(2023, 9, 1)),
    ]  # fmt: skip
    assert guardians == [
        ("Moussa", "N'DIAYE", "Aminata", GuardianRelationship.MOTHER, "06 39 98 10 03", ""),
        ("Éloïse", "LEFÈVRE", "Hélène", "mother", "06 39 98 10 01", "helene.lefevre@example.fr"),
        ("Éloïse", "LEFÈVRE", "Julien", "father", "06 39 98 10 02", ""),
    ]
    assert any("Sexe" in note for note in report.not_imported)
    used = {c.header: c.used_for for c in report.columns}
    assert used["Numéro élève établissement"] == "pupil number (ELENOET)"
    assert used["Courriel autre repr. légal"] == "guardian 2: e-mail"


@pytest.mark.parametrize("make", [xlsx_bytes, xls_bytes], ids=["xlsx", "xls"])
def test_a_resaved_copy_imports_the_same_and_changes_nothing(cpe, school, make):
    run(cpe, xlsx_bytes([HEADER, ELOISE, MOUSSA]))
    before = state()
    versions = list(Pupil.objects.values_list("version", flat=True))

    report = run(cpe, make(resaved([HEADER, ELOISE, MOUSSA])), filename="copie.xls")

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    # Phone numbers stored as numbers got their 0 back; ids are compared without zeros.
    assert state()[1] == [
        (g[0], g[1], g[2], g[3], g[4], g[5]) for g in before[1]
    ]  # same guardians, same phones
    assert list(Pupil.objects.values_list("version", flat=True)) == versions
    assert "Column 5 has no header: it was not read." in report.warnings


def test_columns_in_another_order(cpe, school):
    run(cpe, xlsx_bytes([HEADER, ELOISE, MOUSSA]))
    expected = state()
    order = list(reversed(range(len(HEADER))))
    rows = [[row[i] for i in order] for row in (HEADER, ELOISE, MOUSSA)]
    report = run(cpe, xls_bytes(rows))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert state() == expected


def test_one_row_per_structure_is_merged_and_the_division_is_the_d_structure(cpe, school):
    header = ["Nom de famille", "Prénom 1", "Date de naissance", "Structure", "Type structure"]
    rows = [
        header,
        ["LEFÈVRE", "Éloïse", "14/03/2013", "6LV2ESP", "G"],
        ["LEFÈVRE", "Éloïse", "14/03/2013", "6 A", "D"],
        ["N'DIAYE", "Moussa", "02/11/2012", "_5B", "D"],
    ]
    report = run(cpe, xlsx_bytes(rows))
    assert report.created == 2
    assert Pupil.objects.get(first_name="Éloïse").division.code == "6 A"
    assert Pupil.objects.get(first_name="Moussa").division.code == "_5B"


def assert_refused(actor, data, *fragments):
    before = db_snapshot()
    with pytest.raises(RosterError) as error:
        run(actor, data, dry_run=True)
    with pytest.raises(RosterError):
        run(actor, data)
    for fragment in fragments:
        assert fragment in str(error.value)
    assert db_snapshot() == before
    return str(error.value)


def test_structures_without_type_duplicate_ine_and_conflicting_duplicates_are_refused(cpe):
    header = ["Nom de famille", "Prénom 1", "Date de naissance", "Structure"]
    rows = [
        header,
        ["LEFÈVRE", "Éloïse", "14/03/2013", "6LV2"],
        ["LEFÈVRE", "Éloïse", "14/03/2013", "6 A"],
    ]
    assert_refused(cpe, xlsx_bytes(rows), "row 3, column 4 (Structure)", "Type structure")

    twin = list(MOUSSA)
    twin[0] = "1234567890A"
    assert_refused(
        cpe,
        xlsx_bytes([HEADER, ELOISE, twin]),
        "row 3, column 1 (Numéro National): same INE as row 2",
    )

    conflict = [*HEADER, "Division"]
    rows = [conflict, [*ELOISE, "6 B"], [*MOUSSA, ""]]
    assert_refused(
        cpe, xlsx_bytes(rows), "row 2, column 24 (Division): column 8 has the same header"
    )


def test_bad_cells_unknown_sheets_and_damaged_files_are_refused(cpe):
    bad = list(ELOISE)
    bad[HEADER.index("Date de naissance")] = "31/02/2013"
    assert_refused(cpe, xls_bytes([HEADER, bad]), "row 2, column 6 (Date de naissance)")
    assert_refused(cpe, xlsx_bytes([["Sexe", "Régime"], ["F", "DP"]]), "no header found")
    assert_refused(cpe, xlsx_bytes([HEADER]), "no pupil")
    assert_refused(cpe, xlsx_bytes([HEADER, ELOISE])[:300], "cannot be opened")
    assert_refused(cpe, xls_bytes([HEADER, ELOISE])[:600], ".xls workbook cannot be read")
