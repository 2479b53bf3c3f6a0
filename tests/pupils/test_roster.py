"""Roster import: the file format, validation errors, matching, leaving, dry run, audit, CLI."""

import csv
import datetime as dt
import hashlib
import io
import unicodedata
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisDjangoTestCase

from alliance.audit.models import AuditEvent
from alliance.audit.services import audit_verify
from alliance.core import clock
from alliance.pupils.models import Guardian, GuardianRelationship, Pupil, RosterImport
from alliance.pupils.roster import (
    MAX_ISSUES,
    RosterError,
    identity_key,
    parse_roster,
    roster_import_file,
)
from alliance.tenancy.models import Division, Profession, Role, SchoolYear
from alliance.tenancy.years import current_school_year
from tests import factories
from tests.conftest import adhered, login

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "formats" / "samples" / "roster.csv"

HEADER = [
    "nom",
    "prenom",
    "date_naissance",
    "division",
    "ine",
    "resp1_nom",
    "resp1_prenom",
    "resp1_lien",
    "resp1_autorite_parentale",
    "resp1_telephone",
    "resp1_courriel",
    "resp1_adresse",
]
NO_GUARDIAN = ["", "", "", "", "", "", ""]
LEFEVRE = [
    "Lefèvre", "Éloïse", "14/03/2013", "6e A", "1234567890A",
    "Lefèvre", "Hélène", "mère", "oui", "06 39 98 10 01", "helene.lefevre@example.org",
    "12, rue des Lilas; 94200 Ivry-sur-Seine",
]  # fmt: skip
BENALI = [
    "Benali", "Inès", "09/01/2011", "4e A", "",
    "Benali", "Karima", "Mère", "OUI", "06 39 98 10 06", "", "",
]  # fmt: skip
LE_GALL = ["Le Gall", "Maël", "2011-06-27", "4e A", "234567890de", *NO_GUARDIAN]
COEUR = [
    "Cœurdevey", "Chloé", "18/05/2013", "6e A", "",
    "ASE du Val-de-Marne", "", "ASE", "non", "01 99 00 10 07", "", "",
]  # fmt: skip
BASE = [LEFEVRE, BENALI, LE_GALL, COEUR]
FILENAME = "eleves.csv"


def csv_bytes(rows, header=HEADER, sep=";", encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def with_cell(row, column, value):
    row = list(row)
    row[HEADER.index(column)] = value
    return row


def run(actor, data, dry_run=False, filename=FILENAME):
    return roster_import_file(actor=actor, data=data, filename=filename, dry_run=dry_run)


def db_snapshot():
    """Every row an import could write, in full."""
    return {
        "pupils": list(Pupil.objects.order_by("pk").values()),
        "guardians": list(Guardian.objects.order_by("pk").values()),
        "divisions": list(Division.objects.order_by("pk").values()),
        "years": list(SchoolYear.objects.order_by("pk").values()),
        "imports": list(RosterImport.objects.order_by("pk").values()),
        "audit": list(
            AuditEvent.objects.order_by("sequence").values_list("sequence", "entry_hash")
        ),
    }


def new_events(after):
    return list(AuditEvent.objects.filter(sequence__gt=after).order_by("sequence"))


def last_sequence():
    last = AuditEvent.objects.order_by("-sequence").first()
    return last.sequence if last else 0


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Messages are checked in English (the msgids); one test checks the French translation."""
    with translation.override("en"):
        yield


@pytest.fixture
def tech_admin(school, charter):
    return adhered(
        factories.MembershipFactory(
            school=school, role=Role.ADMIN, profession=Profession.TECHNICAL_ADMIN
        )
    )


@pytest.fixture
def imported(cpe):
    """The school after importing ``BASE``."""
    return run(cpe, csv_bytes(BASE))


# --------------------------------------------------------------------------- good files


ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "cp1252": "Windows-1252"}


@pytest.mark.parametrize("sep", [";", ","])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_good_file_in_each_encoding_and_separator(cpe, school, encoding, sep):
    data = csv_bytes(BASE, sep=sep, encoding=encoding)
    assert (data[:3] == b"\xef\xbb\xbf") == (encoding == "utf-8-sig")

    report = run(cpe, data)

    assert (report.created, report.updated, report.unchanged, report.left) == (4, 0, 0, 0)
    assert report.encoding == ENCODING_NAMES[encoding]
    assert report.delimiter == sep
    assert report.dry_run is False
    assert report.warnings == []
    names = set(Pupil.objects.filter(school=school).values_list("last_name", "first_name"))
    assert names == {
        ("Lefèvre", "Éloïse"),
        ("Benali", "Inès"),
        ("Le Gall", "Maël"),
        ("Cœurdevey", "Chloé"),
    }

    eloise = Pupil.objects.get(first_name="Éloïse")
    assert eloise.birth_date == dt.date(2013, 3, 14)
    assert eloise.national_id == "1234567890A"
    assert eloise.division.code == "6e A"
    assert eloise.division.school_year == current_school_year(school)
    assert eloise.left_on is None
    assert eloise.version == 1
    (mother,) = eloise.guardians.all()
    assert (mother.last_name, mother.first_name) == ("Lefèvre", "Hélène")
    assert mother.relationship == GuardianRelationship.MOTHER
    assert mother.legal_responsibility is True
    assert mother.email == "helene.lefevre@example.org"
    # The separator inside the quoted address survived.
    assert mother.address == "12, rue des Lilas; 94200 Ivry-sur-Seine"
    assert mother.school_id == school.pk

    mael = Pupil.objects.get(first_name="Maël")
    assert mael.birth_date == dt.date(2011, 6, 27)  # ISO date accepted
    assert mael.national_id == "234567890DE"  # upper-cased
    assert not mael.guardians.exists()
    assert Pupil.objects.get(first_name="Inès").national_id == ""  # stored only if given

    (ase,) = Pupil.objects.get(first_name="Chloé").guardians.all()
    assert ase.relationship == GuardianRelationship.CHILD_WELFARE
    assert ase.legal_responsibility is False
    assert ase.first_name == ""
    assert set(Division.objects.filter(school=school).values_list("code", flat=True)) == {
        "6e A",
        "4e A",
    }
    assert report.divisions_created == 2


def test_headers_match_without_case_accents_or_spaces(cpe):
    header = [
        " NOM ", "Prénom", "Date de naissance", "Classe", "I.N.E.", "Régime",
        "Resp1 Nom", "RESP1 PRÉNOM", "resp1-lien", "Resp1 Autorité parentale",
        "resp1 téléphone", "Resp1 Courriel", "resp1 adresse", "",
    ]  # fmt: skip
    rows = [[*row[:5], "demi-pensionnaire", *row[5:], ""] for row in BASE]
    report = run(cpe, csv_bytes(rows, header=header))
    assert report.created == 4
    assert report.warnings == [
        "Column 6 (“Régime”) is not part of the roster format and was ignored."
    ]
    assert Guardian.objects.get(first_name="Hélène").phone == "06 39 98 10 01"


def test_header_without_trailing_separator_in_rows(cpe):
    """Spreadsheets may end the header with an empty cell the rows don't repeat."""
    data = csv_bytes(BASE, header=[*HEADER, ""])
    assert run(cpe, data).created == 4


def test_decomposed_accents_are_stored_composed(cpe):
    row = with_cell(LEFEVRE, "prenom", unicodedata.normalize("NFD", "Éloïse"))
    run(cpe, csv_bytes([row]))
    assert Pupil.objects.get().first_name == "Éloïse"


def test_blank_rows_are_skipped_and_row_numbers_still_match(cpe):
    data = csv_bytes([LEFEVRE, [""] * len(HEADER), with_cell(BENALI, "date_naissance", "1/2/3")])
    with pytest.raises(RosterError) as error:
        run(cpe, data)
    assert "eleves.csv, row 4, column 3 (date_naissance)" in str(error.value)


def test_sample_file_in_the_docs_imports(cpe, school):
    data = SAMPLE.read_bytes()
    dry = run(cpe, data, dry_run=True, filename=SAMPLE.name)
    real = run(cpe, data, filename=SAMPLE.name)
    assert dry.outcome() == real.outcome()
    assert (real.created, real.divisions_created, real.warnings) == (7, 4, [])
    assert Guardian.objects.filter(school=school).count() == 11
    assert Pupil.objects.get(last_name="Da Silva").guardians.count() == 2


# --------------------------------------------------------------------------- bad files


def rows_with(row_number, column, value):
    """``BASE`` plus copies, with ``value`` in ``column`` of spreadsheet row ``row_number``."""
    rows = [*BASE, with_cell(BENALI, "prenom", "Yasmine"), with_cell(BENALI, "prenom", "Sofia")]
    rows[row_number - 2] = with_cell(rows[row_number - 2], column, value)
    return rows


def bad_undecodable():
    return csv_bytes(BASE, encoding="cp1252").replace(b"Benali;In", b"Ben\x81ali;In")


def bad_mixed_encodings():
    return csv_bytes(BASE).replace(b"Le Gall;Ma", b"Le Gall;Ma" + b"\xe9")


def bad_missing_column():
    keep = [i for i, name in enumerate(HEADER) if name != "date_naissance"]
    return csv_bytes([[r[i] for i in keep] for r in BASE], header=[HEADER[i] for i in keep])


def bad_duplicate_ine():
    rows = [*BASE, with_cell(with_cell(COEUR, "ine", "1234567890a"), "prenom", "Zoé")]
    return csv_bytes(rows)


def bad_duplicate_identity():
    twin = with_cell(with_cell(LEFEVRE, "nom", "LEFEVRE"), "prenom", "eloise")
    return csv_bytes([*BASE, with_cell(twin, "ine", "")])


def bad_truncated_row():
    return csv_bytes([*BASE[:3], COEUR[:4]])


def bad_truncated_quote():
    data = csv_bytes(BASE)
    return data[: data.rindex(b'"12, rue') + 8]


BAD_FILES = {
    "undecodable": (bad_undecodable, ["row 3, column 1 (nom)", "0x81", "Windows-1252"]),
    "mixed encodings": (bad_mixed_encodings, ["row 4, column 2 (prenom)", "mixes UTF-8"]),
    "missing column": (
        bad_missing_column,
        ["eleves.csv, row 1:", "required column “date_naissance” is missing"],
    ),
    "bad date": (
        lambda: csv_bytes(rows_with(7, "date_naissance", "31/02/2012")),
        ["row 7, column 3 (date_naissance): “31/02/2012” is not a valid date"],
    ),
    "date with two-digit year": (
        lambda: csv_bytes(rows_with(3, "date_naissance", "09/01/11")),
        ["row 3, column 3 (date_naissance)", "four digits"],
    ),
    "date in the future": (
        lambda: csv_bytes(
            rows_with(
                2, "date_naissance", (clock.today() + dt.timedelta(days=1)).strftime("%d/%m/%Y")
            )
        ),
        ["row 2, column 3 (date_naissance)", "is in the future"],
    ),
    "duplicate INE": (bad_duplicate_ine, ["row 6, column 5 (ine)", "rows 2 and 6"]),
    "duplicate names and birth date": (
        bad_duplicate_identity,
        ["row 6, column 1 (nom)", "rows 2 and 6", "same nom, prenom and date_naissance"],
    ),
    "empty file": (lambda: b"", ["eleves.csv: the file is empty."]),
    "only blank lines": (lambda: b"\xef\xbb\xbf\r\n\r\n", ["eleves.csv: the file is empty."]),
    "header only": (lambda: csv_bytes([]), ["eleves.csv, row 2:", "no pupil"]),
    "wrong separator (tab)": (
        lambda: csv_bytes(BASE, sep="\t"),
        ["eleves.csv, row 1, column 1:", "wrong separator", "“tab”"],
    ),
    "no header row": (lambda: csv_bytes(BASE[1:], header=BASE[0]), ["row 1, column 1", "header"]),
    "truncated row": (
        bad_truncated_row,
        ["row 5, column 5 (ine)", "has 4 fields", "header has 12"],
    ),
    "truncated inside quotes": (bad_truncated_quote, ["row 2:", "quotes"]),
    "value beyond the last column": (
        lambda: csv_bytes([*BASE[:2], [*LE_GALL, "extra"]]),
        ["row 4, column 13:", "beyond the header"],
    ),
    "bad INE": (
        lambda: csv_bytes(rows_with(3, "ine", "12345ABC")),
        ["row 3, column 5 (ine): “12345ABC” is not a valid INE"],
    ),
    "bad guardian link": (
        lambda: csv_bytes(rows_with(2, "resp1_lien", "cousine")),
        ["row 2, column 8 (resp1_lien)", "“cousine”"],
    ),
    "bad legal responsibility": (
        lambda: csv_bytes(rows_with(2, "resp1_autorite_parentale", "peut-être")),
        ["row 2, column 9 (resp1_autorite_parentale)", "oui or non"],
    ),
    "bad e-mail": (
        lambda: csv_bytes(rows_with(2, "resp1_courriel", "helene@")),
        ["row 2, column 11 (resp1_courriel)", "e-mail"],
    ),
    "guardian without a name": (
        lambda: csv_bytes(rows_with(3, "resp1_nom", "")),
        ["row 3, column 6 (resp1_nom): a value is required."],
    ),
    "missing pupil name": (
        lambda: csv_bytes(rows_with(4, "prenom", "  ")),
        ["row 4, column 2 (prenom): a value is required."],
    ),
    "guardian columns without lien": (
        lambda: csv_bytes([r[:7] for r in BASE], header=HEADER[:7]),
        ["eleves.csv, row 1:", "“resp1_lien” is missing"],
    ),
    "column twice": (
        lambda: csv_bytes(BASE, header=[*HEADER[:11], "Nom"]),
        ["row 1, column 12 (Nom)", "appears twice"],
    ),
    # Workbooks and zips are read since issue 6 (SIECLE exports); a broken one is refused.
    "broken workbook or zip": (
        lambda: b"PK\x03\x04\x14\x00\x06\x00",
        ["zip archive", "cannot be opened"],
    ),
    "UTF-16": (lambda: csv_bytes(BASE, encoding="utf-16"), ["row 1:", "UTF-16"]),
}


@pytest.mark.parametrize(("make", "fragments"), list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_bad_file_is_refused_with_its_location_and_changes_nothing(cpe, imported, make, fragments):
    factories.PupilFactory(school=cpe.school, left=True)
    before = db_snapshot()
    for dry_run in (True, False):
        with pytest.raises(RosterError) as error:
            run(cpe, make(), dry_run=dry_run)
        message = str(error.value)
        assert message.startswith("eleves.csv")
        for fragment in fragments:
            assert fragment in message
        assert db_snapshot() == before


def test_bad_date_message_reads_like_the_documentation(cpe):
    with pytest.raises(RosterError) as error:
        run(cpe, csv_bytes(rows_with(7, "date_naissance", "31/02/2012")), filename="roster.csv")
    assert str(error.value) == (
        "roster.csv, row 7, column 3 (date_naissance): “31/02/2012” is not a valid date "
        "(expected JJ/MM/AAAA)."
    )
    (issue,) = error.value.issues
    assert (issue.row, issue.column, issue.column_name) == (7, 3, "date_naissance")


def test_messages_are_translated_to_french(cpe):
    with translation.override("fr"), pytest.raises(RosterError) as error:
        run(cpe, csv_bytes(rows_with(7, "date_naissance", "31/02/2012")))
    assert "eleves.csv, ligne 7, colonne 3 (date_naissance)" in str(error.value)
    assert "JJ/MM/AAAA" in str(error.value)


def test_all_problems_are_listed_up_to_a_limit(cpe):
    rows = [with_cell(with_cell(BENALI, "prenom", f"P{i}"), "ine", "X") for i in range(15)]
    with pytest.raises(RosterError) as error:
        run(cpe, csv_bytes(rows))
    message = str(error.value)
    assert len(error.value.issues) == error.value.total == 15
    assert message.count("is not a valid INE") == 15
    assert "row 16, column 5 (ine)" in message
    rows = [with_cell(with_cell(BENALI, "prenom", f"P{i}"), "ine", "X") for i in range(25)]
    with pytest.raises(RosterError) as error:
        run(cpe, csv_bytes(rows))
    assert str(error.value).count("is not a valid INE") == MAX_ISSUES
    assert "…and 5 more problems" in str(error.value)


def test_several_kinds_of_problems_in_one_report(cpe):
    rows = [
        with_cell(LEFEVRE, "date_naissance", "14-03-2013"),
        with_cell(BENALI, "resp1_lien", ""),
        with_cell(LE_GALL, "division", ""),
    ]
    with pytest.raises(RosterError) as error:
        run(cpe, csv_bytes(rows))
    lines = str(error.value).splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "eleves.csv, row 2, column 3 (date_naissance)",
        "eleves.csv, row 3, column 8 (resp1_lien)",
        "eleves.csv, row 4, column 4 (division)",
    ]


def test_two_recorded_pupils_with_the_same_identity_are_ambiguous(cpe, school):
    """Since issue 6 an ambiguous row is listed, neither created nor updated, never guessed."""
    twins = [
        factories.PupilFactory(
            school=school, last_name="Benali", first_name="Inès", birth_date=dt.date(2011, 1, 9)
        )
        for _ in range(2)
    ]
    report = run(cpe, csv_bytes(BASE))
    assert (report.created, report.ambiguous, report.left) == (3, 1, 0)
    assert [item.locator for item in report.ambiguous_items] == ["Row 3"]
    assert "Row 3" in report.warnings[-1]
    assert list(Pupil.objects.filter(last_name="Benali").order_by("pk")) == twins
    assert not Guardian.objects.filter(pupil__in=twins).exists()
    assert all(
        p.version == 1 and p.left_on is None
        for p in Pupil.objects.filter(pk__in=[t.pk for t in twins])
    )


# --------------------------------------------------------------------------- re-import, matching, leaving


def pupil_state():
    return list(Pupil.objects.order_by("pk").values_list("pk", "version", "updated_at", "left_on"))


def test_reimporting_the_same_file_changes_nothing(cpe, school):
    data = csv_bytes(BASE)
    first = run(cpe, data)
    pupils, guardians = pupil_state(), list(Guardian.objects.order_by("pk").values())
    divisions, years = db_snapshot()["divisions"], db_snapshot()["years"]
    sequence = last_sequence()

    second = run(cpe, data)

    assert (first.created, first.unchanged) == (4, 0)
    assert (second.created, second.updated, second.unchanged, second.left) == (0, 0, 4, 0)
    assert second.divisions_created == 0
    assert pupil_state() == pupils
    assert list(Guardian.objects.order_by("pk").values()) == guardians
    assert (db_snapshot()["divisions"], db_snapshot()["years"]) == (divisions, years)
    (event,) = new_events(sequence)  # only the import's own audit event
    assert (event.action, event.object_type) == ("import", "pupils.rosterimport")
    assert RosterImport.objects.count() == 2
    assert RosterImport.objects.get(public_id=event.object_public_id).unchanged_count == 4


def test_same_pupils_in_another_order_case_and_accents_are_unchanged(cpe, imported):
    pupils = pupil_state()
    rows = [
        COEUR,
        with_cell(LE_GALL, "ine", "234567890DE"),
        with_cell(BENALI, "resp1_lien", "MERE"),
        LEFEVRE,
    ]
    report = run(cpe, csv_bytes(rows, sep=",", encoding="cp1252"))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert pupil_state() == pupils


def test_newer_roster_without_a_pupil_marks_them_left_and_back(cpe, imported, school, other_school):
    elsewhere = factories.PupilFactory(school=other_school)
    already_left = factories.PupilFactory(school=school, left=True)
    sequence = last_sequence()

    report = run(cpe, csv_bytes(BASE[:3]))

    assert (report.created, report.updated, report.unchanged, report.left) == (0, 0, 3, 1)
    chloe = Pupil.objects.get(first_name="Chloé")
    assert chloe.left_on == clock.today()
    assert chloe.version == 2
    assert chloe.guardians.count() == 1  # leaving keeps the record
    already_left.refresh_from_db()
    assert already_left.left_on == dt.date(2026, 10, 1)
    assert already_left.version == 1
    elsewhere.refresh_from_db()
    assert elsewhere.left_on is None
    assert [(e.action, e.object_public_id) for e in new_events(sequence)[1:]] == [
        ("update", str(chloe.public_id))
    ]

    assert run(cpe, csv_bytes(BASE[:3])).left == 0  # already marked

    report = run(cpe, csv_bytes(BASE))
    assert (report.created, report.updated, report.unchanged, report.left) == (0, 1, 3, 0)
    chloe.refresh_from_db()
    assert chloe.left_on is None
    assert chloe.version == 3


def test_match_by_ine_updates_names_and_division(cpe, imported, school):
    eloise = Pupil.objects.get(first_name="Éloïse")
    rows = [with_cell(with_cell(LEFEVRE, "nom", "Lefèvre-Martin"), "division", "5e B"), *BASE[1:]]
    sequence = last_sequence()

    report = run(cpe, csv_bytes(rows))

    assert (report.created, report.updated, report.unchanged, report.divisions_created) == (
        0,
        1,
        3,
        1,
    )
    updated = Pupil.objects.get(pk=eloise.pk)
    assert updated.last_name == "Lefèvre-Martin"
    assert updated.division.code == "5e B"
    assert updated.version == 2
    assert updated.updated_at > eloise.updated_at
    assert Division.objects.filter(school=school, code="5e B").count() == 1
    assert [(e.action, e.object_type) for e in new_events(sequence)] == [
        ("import", "pupils.rosterimport"),
        ("update", "pupils.pupil"),
    ]


def test_match_by_names_and_birth_date_ignores_case_and_accents(cpe, school):
    existing = factories.PupilFactory(
        school=school, last_name="Benali", first_name="Ines", birth_date=dt.date(2011, 1, 9)
    )
    rows = [LEFEVRE, with_cell(with_cell(BENALI, "nom", "BENALI"), "ine", "3456789012c")]
    report = run(cpe, csv_bytes(rows))
    assert (report.created, report.updated, report.left) == (1, 1, 0)
    existing.refresh_from_db()
    assert (existing.last_name, existing.first_name, existing.national_id) == (
        "BENALI",
        "Inès",
        "3456789012C",
    )
    assert existing.guardians.get().first_name == "Karima"


def test_an_empty_ine_keeps_the_recorded_one(cpe, imported):
    report = run(cpe, csv_bytes([with_cell(LEFEVRE, "ine", ""), *BASE[1:]]))
    assert report.unchanged == 4
    assert Pupil.objects.get(first_name="Éloïse").national_id == "1234567890A"


def test_same_names_but_another_ine_is_another_pupil(cpe, imported):
    report = run(cpe, csv_bytes([with_cell(LEFEVRE, "ine", "9999999999Z"), *BASE[1:]]))
    assert (report.created, report.left, report.unchanged) == (1, 1, 3)
    assert report.warnings == [
        "Row 2: a pupil with the same names and birth date but another INE is already "
        "recorded; a new pupil is created."
    ]
    assert (
        Pupil.objects.filter(first_name="Éloïse", left_on__isnull=True).get().national_id
        == "9999999999Z"
    )


def test_guardians_are_replaced_only_when_they_change(cpe, imported):
    eloise = Pupil.objects.get(first_name="Éloïse")
    chloe = Pupil.objects.get(first_name="Chloé")
    old_guardian = eloise.guardians.get()
    chloe_guardian = chloe.guardians.get()
    sequence = last_sequence()
    rows = [
        with_cell(LEFEVRE, "resp1_telephone", "06 39 98 10 99"),
        BENALI,
        LE_GALL,
        # No guardian in the row: the recorded ones stay.
        [*COEUR[:5], *NO_GUARDIAN],
    ]

    report = run(cpe, csv_bytes(rows))

    assert (report.updated, report.unchanged) == (1, 3)
    new_guardian = eloise.guardians.get()
    assert new_guardian.pk != old_guardian.pk
    assert new_guardian.phone == "06 39 98 10 99"
    assert chloe.guardians.get().pk == chloe_guardian.pk
    eloise.refresh_from_db()
    assert eloise.version == 2
    assert [(e.action, e.object_type, e.object_public_id) for e in new_events(sequence)[1:]] == [
        ("update", "pupils.pupil", str(eloise.public_id)),
        ("delete", "pupils.guardian", str(old_guardian.public_id)),
        ("create", "pupils.guardian", str(new_guardian.public_id)),
    ]


# --------------------------------------------------------------------------- dry run


def test_dry_run_writes_nothing_and_announces_the_real_import(cpe, imported, school):
    factories.PupilFactory(school=school, last_name="Martin", first_name="Noé")  # will leave
    rows = [
        with_cell(LEFEVRE, "division", "5e C"),  # updated, new division
        with_cell(BENALI, "resp1_telephone", "06 39 98 10 66"),  # updated guardian
        LE_GALL,  # unchanged
        # Chloé missing: leaves
        ["Nguyen", "Hugo", "24/12/2012", "5e C", "", "Nguyen", "Lan", "autre", "", "", "", ""],
    ]
    data = csv_bytes(rows)
    before = db_snapshot()

    dry = run(cpe, data, dry_run=True)

    assert db_snapshot() == before
    assert dry.dry_run is True
    assert dry.roster_import is None
    assert (dry.created, dry.updated, dry.unchanged, dry.left, dry.divisions_created) == (
        1,
        2,
        1,
        2,
        1,
    )

    real = run(cpe, data)

    assert real.dry_run is False
    assert real.outcome() == dry.outcome()
    after = db_snapshot()
    assert len(after["pupils"]) - len(before["pupils"]) == dry.created
    assert len(after["divisions"]) - len(before["divisions"]) == dry.divisions_created
    left_now = Pupil.objects.filter(left_on=clock.today()).count()
    assert left_now == dry.left
    bumped = Pupil.objects.filter(version=2, left_on__isnull=True).count()
    assert bumped == dry.updated


def test_dry_run_in_a_new_school_creates_no_year_nor_division(cpe, school):
    before = db_snapshot()
    report = run(cpe, csv_bytes(BASE), dry_run=True)
    assert (report.created, report.divisions_created) == (4, 2)
    assert db_snapshot() == before
    assert not SchoolYear.objects.filter(school=school).exists()


# --------------------------------------------------------------------------- permissions and audit


def test_staff_teacher_is_refused_and_nothing_is_written(teacher):
    before = db_snapshot()
    for dry_run in (True, False):
        with pytest.raises(PermissionDenied):
            run(teacher, csv_bytes(BASE), dry_run=dry_run)
    assert db_snapshot() == before


@pytest.mark.parametrize("trait", ["cpe", "head"])
def test_not_adhered_or_expired_members_are_refused(school, charter, trait):
    not_adhered = factories.MembershipFactory(school=school, **{trait: True})
    expired = adhered(factories.MembershipFactory(school=school, expired=True, **{trait: True}))
    for member in (not_adhered, expired):
        with pytest.raises(PermissionDenied):
            run(member, csv_bytes(BASE))
    assert not Pupil.objects.exists()


def test_head_and_technical_admin_may_import(head, tech_admin):
    assert run(head, csv_bytes(BASE[:2])).created == 2
    report = run(tech_admin, csv_bytes(BASE))
    assert (report.created, report.unchanged) == (2, 2)
    assert RosterImport.objects.filter(membership=tech_admin).count() == 1


def test_import_is_audited_and_history_keeps_no_content(cpe, school):
    data = csv_bytes(BASE)
    sequence = last_sequence()

    report = run(cpe, data)

    history = report.roster_import
    assert history is not None
    assert history.file_sha256 == hashlib.sha256(data).hexdigest()
    assert (history.school, history.membership) == (school, cpe)
    counts = (
        history.created_count,
        history.updated_count,
        history.unchanged_count,
        history.left_count,
    )
    assert counts == (4, 0, 0, 0)
    stored = str(RosterImport.objects.filter(pk=history.pk).values().get())
    assert "Lefèvre" not in stored and "1234567890A" not in stored

    events = new_events(sequence)
    assert {(e.actor_membership_id, e.actor_user_id, e.school_id) for e in events} == {
        (cpe.pk, cpe.user_id, school.pk)
    }
    assert [(e.action, e.object_type, e.object_public_id) for e in events[:1]] == [
        ("import", "pupils.rosterimport", str(history.public_id))
    ]
    pupil_events = {
        (e.action, e.object_public_id) for e in events if e.object_type == "pupils.pupil"
    }
    assert pupil_events == {
        ("create", str(p)) for p in Pupil.objects.values_list("public_id", flat=True)
    }
    guardian_events = {
        (e.action, e.object_public_id) for e in events if e.object_type == "pupils.guardian"
    }
    assert guardian_events == {
        ("create", str(g)) for g in Guardian.objects.values_list("public_id", flat=True)
    }
    assert len(events) == 1 + 4 + 3
    assert audit_verify() is None


# --------------------------------------------------------------------------- management command and page


def call(*args):
    out = io.StringIO()
    call_command("import_roster", *args, stdout=out)
    return out.getvalue()


def test_command_dry_run_then_import(cpe, school):
    common = [str(SAMPLE), "--school", school.uai.lower(), "--as", cpe.user.email.upper()]
    before = db_snapshot()
    output = call(*common, "--dry-run")
    assert "Dry run: nothing was written" in output
    assert "Pupils created: 7" in output
    assert "File read as UTF-8, separator “;”." in output
    assert db_snapshot() == before

    output = call(*common)
    assert "Roster imported" in output
    assert "Pupils created: 7" in output
    assert Pupil.objects.filter(school=school).count() == 7
    assert RosterImport.objects.get().membership == cpe


def test_command_reports_errors_with_a_non_zero_exit(cpe, school, teacher, tmp_path):
    bad = tmp_path / "eleves.csv"
    bad.write_bytes(csv_bytes(rows_with(7, "date_naissance", "31/02/2012")))
    with pytest.raises(CommandError) as error:
        call(str(bad), "--school", school.uai, "--as", cpe.user.email)
    assert "eleves.csv, row 7, column 3 (date_naissance)" in str(error.value)
    assert error.value.returncode == 1
    with pytest.raises(CommandError, match="allowed to import"):
        call(str(SAMPLE), "--school", school.uai, "--as", teacher.user.email)
    with pytest.raises(CommandError, match="no school"):
        call(str(SAMPLE), "--school", "0000000X", "--as", cpe.user.email)
    with pytest.raises(CommandError, match="no user"):
        call(str(SAMPLE), "--school", school.uai, "--as", "nobody@example.test")
    with pytest.raises(CommandError, match="cannot read"):
        call(str(tmp_path / "missing.csv"), "--school", school.uai, "--as", cpe.user.email)
    assert not Pupil.objects.exists()


def test_import_page_shows_the_report_and_the_errors(client, head):
    login(client, head)
    upload = SimpleUploadedFile("eleves.csv", csv_bytes(BASE), content_type="text/csv")
    response = client.post("/pupils/import/", {"file": upload, "dry_run": "on"})
    assert response.status_code == 200
    assert response.context["report"].created == 4
    assert response.context["report"].dry_run is True
    assert not Pupil.objects.exists()

    upload = SimpleUploadedFile("eleves.csv", csv_bytes(rows_with(3, "ine", "12345ABC")))
    response = client.post("/pupils/import/", {"file": upload})
    assert response.status_code == 200
    (issue,) = response.context["error"].issues
    assert (issue.row, issue.column, issue.column_name) == (3, 5, "ine")
    assert "12345ABC" in response.content.decode()
    assert not Pupil.objects.exists()


# --------------------------------------------------------------------------- properties

LETTERS = "abcdefghijklmnopqrstuvwxyzéèêëàâîïôöùûüçœæÿ"
word = st.text(LETTERS + LETTERS.upper(), min_size=1, max_size=10)
name = st.builds(
    lambda first, rest: first + "".join(sep + w for sep, w in rest),
    word,
    st.lists(st.tuples(st.sampled_from([" ", "-", "'"]), word), max_size=2),
)
person = st.fixed_dictionaries(
    {
        "nom": name,
        "prenom": name,
        "birth": st.dates(dt.date(1995, 1, 1), dt.date(2020, 12, 31)),
        "division": st.sampled_from(["6e A", "6e B", "5e A", "4e C", "3e Prépa-métiers", "2nde 3"]),
        "has_ine": st.booleans(),
        "ine_shape": st.sampled_from(["10+1", "9+2"]),
    }
)
people = st.lists(
    person,
    min_size=1,
    max_size=12,
    unique_by=lambda p: identity_key(p["nom"], p["prenom"], p["birth"]),
)


def ine_for(index, p):
    if not p["has_ine"]:
        return ""
    return f"{index:010d}K" if p["ine_shape"] == "10+1" else f"{index:09d}QZ"


def roster_rows(persons, iso_dates=False):
    return [
        [
            p["nom"],
            p["prenom"],
            p["birth"].isoformat() if iso_dates else p["birth"].strftime("%d/%m/%Y"),
            p["division"],
            p["ine"],
        ]
        for p in persons
    ]


def is_utf8(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=150, deadline=None, database=None)
@given(
    persons=people,
    sep=st.sampled_from([";", ","]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    iso_dates=st.booleans(),
    fancy_header=st.booleans(),
)
def test_property_parsing_round_trips_generated_rosters(
    persons, sep, encoding, iso_dates, fancy_header
):
    persons = [{**p, "ine": ine_for(i, p)} for i, p in enumerate(persons)]
    header = ["Nom", "Prénom", "Date de naissance", "Classe", "INE"] if fancy_header else HEADER[:5]
    data = csv_bytes(roster_rows(persons, iso_dates), header=header, sep=sep, encoding=encoding)

    expected_encoding = ENCODING_NAMES[encoding]
    if encoding == "cp1252" and is_utf8(data):
        # Plain ASCII is read as UTF-8, rightly. Non-ASCII Windows-1252 that is also valid UTF-8
        # ("Éœ", "ÇŸ": a capital with an accent then œ, Ÿ, ’, “…) is no French text.
        assume(data.isascii())
        expected_encoding = "UTF-8"

    parsed = parse_roster(data, "eleves.csv", today=dt.date(2026, 11, 29))

    assert (parsed.encoding, parsed.delimiter) == (expected_encoding, sep)
    assert [
        (r.row, r.last_name, r.first_name, r.birth_date, r.division, r.national_id)
        for r in parsed.rows
    ] == [
        (i + 2, p["nom"], p["prenom"], p["birth"], p["division"], p["ine"])
        for i, p in enumerate(persons)
    ]


class RosterSyncProperties(HypothesisDjangoTestCase):
    """Importing roster A then roster B leaves exactly B's pupils current; B again changes nothing."""

    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(persons=people.filter(lambda ps: len(ps) >= 2), data=st.data())
    def test_property_second_roster_wins_and_reimport_is_idempotent(self, persons, data):
        school = factories.SchoolFactory()
        factories.CharterVersionFactory(school=school, number=1)
        cpe = adhered(factories.MembershipFactory(school=school, cpe=True))
        persons = [{**p, "ine": ine_for(i, p)} for i, p in enumerate(persons)]
        split = data.draw(st.integers(1, len(persons) - 1), label="split")
        first, newcomers = persons[:split], persons[split:]
        kept = [p for p in first if data.draw(st.booleans(), label="kept")]
        moved = {id(p) for p in kept if data.draw(st.booleans(), label="moved")}
        second = [
            {**p, "division": p["division"] + " bis"} if id(p) in moved else p for p in kept
        ] + newcomers
        second = data.draw(st.permutations(second), label="order")

        run(cpe, csv_bytes(roster_rows(first), header=HEADER[:5]))
        report = run(cpe, csv_bytes(roster_rows(second), header=HEADER[:5]))

        assert report.created == len(newcomers)
        assert report.updated == len(moved)
        assert report.unchanged == len(kept) - len(moved)
        assert report.left == len(first) - len(kept)
        current = Pupil.objects.filter(school=school, left_on__isnull=True).select_related(
            "division"
        )
        assert sorted(
            (p.last_name, p.first_name, p.birth_date, p.division.code, p.national_id)
            for p in current
        ) == sorted((p["nom"], p["prenom"], p["birth"], p["division"], p["ine"]) for p in second)
        assert Pupil.objects.filter(school=school).count() == len(first) + len(newcomers)

        state = pupil_state()
        again = run(
            cpe,
            csv_bytes(roster_rows(second), header=HEADER[:5], sep=",", encoding="utf-8-sig"),
            dry_run=True,
        )
        assert (again.created, again.updated, again.left, again.unchanged) == (0, 0, 0, len(second))
        again = run(cpe, csv_bytes(roster_rows(second), header=HEADER[:5]))
        assert (again.created, again.updated, again.left, again.unchanged) == (0, 0, 0, len(second))
        assert pupil_state() == state
        assert audit_verify() is None
