"""Importing events files: every kind and layout, dry run, idempotence, located errors, nothing half-done."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.db import models

from alliance.audit.models import AuditEvent
from alliance.core.textfiles import FileError
from alliance.detection import models as detection_models
from alliance.detection.importer import events_import
from alliance.detection.models import (
    Absence,
    ColumnMapping,
    DurationUnit,
    EventImport,
    Lateness,
    Mark,
    MarkSpecial,
    PeriodCount,
    Sanction,
    Severity,
)
from tests import factories
from tests.detection.conftest import csv_bytes, sample

PARIS = ZoneInfo("Europe/Paris")
EVENT_MODELS = (Absence, Lateness, Sanction, Mark, PeriodCount)


def snapshot():
    """Everything an import may write."""
    return {
        model.__name__: sorted(map(str, model.objects.values_list("public_id", flat=True)))
        for model in (*EVENT_MODELS, EventImport, ColumnMapping)
    } | {
        "values": [sorted(map(str, model.objects.values_list())) for model in EVENT_MODELS],
        "audit": AuditEvent.objects.count(),
    }


def run(actor, name, kind, preset="", **options):
    return events_import(
        actor=actor, kind=kind, data=sample(name), filename=name, preset=preset, **options
    )


def test_pronote_absences_are_imported_with_their_details(cpe, sample_pupils):
    report = run(cpe, "pronote_absences.csv", "absences", "pronote_absences")
    assert (report.rows, report.new, report.updated, report.unchanged) == (5, 5, 0, 0)
    assert report.encoding == "UTF-8 (BOM)"
    first, second = Absence.objects.filter(pupil=sample_pupils["ines"]).order_by("start_date")
    assert first.start_date == dt.date(2026, 9, 14)
    assert first.starts_at == dt.datetime(2026, 9, 14, 8, 0, tzinfo=PARIS)
    assert first.ends_at == dt.datetime(2026, 9, 14, 12, 0, tzinfo=PARIS)
    assert (first.half_days, first.justified, first.reason) == (1, False, "")
    assert (second.end_date, second.half_days, second.justified) == (dt.date(2026, 9, 22), 4, True)
    assert second.reason == "Raison familiale"
    assert first.school == cpe.school
    history = EventImport.objects.get()
    assert (history.kind, history.created_count, history.membership) == ("absences", 5, cpe)
    assert len(history.file_sha256) == 64
    assert AuditEvent.objects.filter(
        action="import", object_public_id=str(history.public_id)
    ).exists()


def test_a_reason_naming_a_health_matter_is_not_stored(cpe, sample_pupils):
    report = run(cpe, "pronote_absences.csv", "absences", "pronote_absences")
    absence = Absence.objects.get(pupil=sample_pupils["lea"])
    assert absence.reason == ""
    assert absence.justified is True
    assert len(report.warnings) == 1
    # The warning counts; it never repeats the reason nor names the pupil.
    assert "Maladie" not in report.warnings[0]
    assert "Martin" not in " ".join(EventImport.objects.get().warnings)


def test_lateness_sanctions_and_marks_are_imported(cpe, sample_pupils):
    run(cpe, "pronote_lateness.csv", "lateness", "pronote_lateness")
    late = Lateness.objects.get(pupil=sample_pupils["ines"], date=dt.date(2026, 9, 17))
    assert (late.minutes, late.justified, late.reason) == (5, True, "Transport")
    assert late.occurred_at == dt.datetime(2026, 9, 17, 13, 35, tzinfo=PARIS)

    run(cpe, "pronote_punishments.csv", "sanctions", "pronote_punishments")
    detention = Sanction.objects.get(pupil=sample_pupils["ines"])
    assert (detention.nature, detention.severity, detention.exclusion) == (
        "Retenue",
        Severity.PUNISHMENT,
        False,
    )
    assert (detention.duration, detention.duration_unit) == (Decimal("2.00"), DurationUnit.HOURS)
    moussa = {s.nature: s for s in Sanction.objects.filter(pupil=sample_pupils["moussa"])}
    assert moussa["Exclusion de cours"].exclusion is True
    assert moussa["Avertissement"].severity == Severity.SANCTION
    assert moussa["Avertissement"].duration is None

    run(cpe, "pronote_marks.csv", "marks", "pronote_marks")
    maths = Mark.objects.get(pupil=sample_pupils["ines"], subject="MATHEMATIQUES")
    assert (maths.mark, maths.out_of, maths.coefficient, maths.special) == (
        Decimal("8.50"),
        Decimal("20.00"),
        Decimal("2.00"),
        "",
    )
    assert maths.period == "Trimestre 1"
    specials = {
        (mark.pupil_id, mark.subject): mark.special
        for mark in Mark.objects.filter(mark__isnull=True)
    }
    assert specials == {
        (sample_pupils["ines"].pk, "FRANCAIS"): MarkSpecial.ABSENT,
        (sample_pupils["lea"].pk, "FRANCAIS"): MarkSpecial.NOT_HANDED_IN,
        (sample_pupils["moussa"].pk, "EPS"): MarkSpecial.EXEMPT,
    }
    assert Mark.objects.filter(special="", mark__isnull=True).count() == 0
    quiz = Mark.objects.get(pupil=sample_pupils["alexia"])
    assert (quiz.mark, quiz.out_of) == (Decimal("7.00"), Decimal("10.00"))


def test_gepi_sanctions_with_incident_numbers(cpe, sample_pupils):
    run(cpe, "gepi_sanctions.csv", "sanctions", "gepi_sanctions")
    exclusion = Sanction.objects.get(pupil=sample_pupils["moussa"])
    assert exclusion.incident_number == "23"
    assert exclusion.severity == Severity.SANCTION
    assert exclusion.exclusion is True
    assert (exclusion.duration, exclusion.duration_unit) == (Decimal("2"), DurationUnit.DAYS)


@pytest.mark.parametrize(
    ("name", "preset"), [("gepi_counts.csv", "gepi_counts"), ("sconet_counts.csv", "sconet_counts")]
)
def test_per_pupil_counts_are_matched_by_pupil_number_with_or_without_zeros(
    cpe, sample_pupils, name, preset
):
    report = run(cpe, name, "counts", preset, period="Trimestre 1")
    assert report.new == 4
    moussa = PeriodCount.objects.get(pupil=sample_pupils["moussa"])
    assert (moussa.period, moussa.half_days_absent, moussa.unjustified_half_days) == (
        "Trimestre 1",
        9,
        6,
    )
    assert moussa.lateness_count == 4
    expected_invalid = 1 if preset == "gepi_counts" else None  # Sconet has no NBNVAL
    assert moussa.invalid_reason_half_days == expected_invalid


def test_a_newer_count_file_for_the_same_period_updates_the_counts(cpe, sample_pupils):
    run(cpe, "sconet_counts.csv", "counts", "sconet_counts", period="T1")
    newer = csv_bytes([["elenoet", "nbAbs", "nbNonJustif", "nbRet"], ["4124", "11", "8", "4"]])
    report = events_import(
        actor=cpe, kind="counts", data=newer, filename="s.csv", preset="sconet_counts", period="T1"
    )
    assert (report.new, report.updated) == (0, 1)
    moussa = PeriodCount.objects.get(pupil=sample_pupils["moussa"])
    assert (moussa.half_days_absent, moussa.unjustified_half_days) == (11, 8)
    assert PeriodCount.objects.count() == 4
    # Another period is another count.
    events_import(
        actor=cpe, kind="counts", data=newer, filename="s.csv", preset="sconet_counts", period="T2"
    )
    assert PeriodCount.objects.filter(pupil=sample_pupils["moussa"]).count() == 2


def test_ecoledirecte_rows_of_the_other_kind_are_skipped(cpe, sample_pupils):
    absences = run(cpe, "ecoledirecte.csv", "absences", "ecoledirecte")
    assert (absences.new, absences.skipped) == (3, 1)
    assert Absence.objects.get(pupil=sample_pupils["moussa"]).half_days == 2
    lateness = run(cpe, "ecoledirecte.csv", "lateness", "ecoledirecte")
    assert (lateness.new, lateness.skipped) == (1, 3)
    assert Lateness.objects.get().date == dt.date(2026, 9, 15)


def test_skolengo_instants_are_read_in_the_school_time_zone(cpe, sample_pupils):
    report = run(cpe, "skolengo_absences.csv", "absences", "skolengo_absences")
    assert (report.new, report.skipped) == (2, 1)  # the RETARD row is not an absence
    absence = Absence.objects.get(pupil=sample_pupils["ines"])
    assert absence.starts_at == dt.datetime(2026, 9, 14, 8, 0, tzinfo=PARIS)
    assert absence.half_days == 1  # 08:00–12:00, counted since the file gives no count


def test_an_xlsx_workbook_is_read_like_a_csv(cpe, sample_pupils):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["ELENOET", "NOM", "PRENOM", "CLASSE", "NBABS", "NBNJ", "NBNVAL", "NBRET"])
    sheet.append([4121, "BELKACEM", "Inès", "4E B", 5, 1, 0, 2])  # the zeros were lost
    sheet.append([4124, "N'DIAYE", "Moussa", "3E A", 9, 6, 1, 4.0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = events_import(
        actor=cpe,
        kind="counts",
        data=buffer.getvalue(),
        filename="compteurs.xlsx",
        preset="gepi_counts",
        period="T1",
    )
    assert (report.new, report.encoding) == (2, "XLSX")
    assert PeriodCount.objects.get(pupil=sample_pupils["ines"]).lateness_count == 2


def test_the_dry_run_writes_nothing_and_reports_what_would_happen(cpe, sample_pupils):
    before = snapshot()
    report = run(cpe, "pronote_absences.csv", "absences", "pronote_absences", dry_run=True)
    assert report.dry_run
    assert (report.new, report.unchanged, report.error_rows) == (5, 0, 0)
    assert snapshot() == before


def test_importing_the_same_file_again_changes_nothing(cpe, sample_pupils):
    run(cpe, "pronote_marks.csv", "marks", "pronote_marks")
    events = snapshot()
    report = run(cpe, "pronote_marks.csv", "marks", "pronote_marks")
    assert (report.new, report.updated, report.unchanged) == (0, 0, 6)
    after = snapshot()
    assert after["values"] == events["values"]
    assert EventImport.objects.count() == 2  # the attempt is in the history, with 0 new


def test_a_corrected_justification_updates_the_absence_instead_of_adding_one(cpe, sample_pupils):
    run(cpe, "pronote_absences.csv", "absences", "pronote_absences")
    corrected = sample("pronote_absences.csv").replace(
        b"14/09/2026 12:00;1;Non", b"14/09/2026 12:00;1;Oui"
    )
    report = events_import(
        actor=cpe, kind="absences", data=corrected, filename="a.csv", preset="pronote_absences"
    )
    assert (report.new, report.updated, report.unchanged) == (0, 1, 4)
    assert Absence.objects.count() == 5
    assert Absence.objects.get(start_date=dt.date(2026, 9, 14)).justified is True


def test_a_row_repeated_in_the_file_is_counted_once(cpe, sample_pupils):
    data = csv_bytes(
        [
            ["Élève", "Date début", "Date fin"],
            ["BELKACEM Inès", "14/09/2026", "14/09/2026"],
            ["BELKACEM Inès", "14/09/2026", "14/09/2026"],
        ]
    )
    report = events_import(
        actor=cpe,
        kind="absences",
        data=data,
        filename="a.csv",
        mapping={"pupil_name": 0, "start": 1, "end": 2},
    )
    assert (report.new, report.duplicates) == (1, 1)
    assert Absence.objects.get().half_days == 2  # a whole day, counted from the dates


def test_names_tell_pupils_apart_with_the_birth_date(cpe, sample_pupils, school):
    twin = factories.PupilFactory(
        school=school, last_name="Martin", first_name="Léa", birth_date=dt.date(2011, 2, 2)
    )
    data = csv_bytes(
        [
            ["Nom", "Prénom", "Date de naissance", "Date"],
            ["MARTIN", "Léa", "02/02/2011", "14/09/2026"],
        ]
    )
    events_import(
        actor=cpe,
        kind="absences",
        data=data,
        filename="a.csv",
        mapping={"last_name": 0, "first_name": 1, "birth_date": 2, "start": 3},
    )
    assert Absence.objects.get().pupil == twin


# --------------------------------------------------------------------------- malformed files


def _refused(actor, data, kind="absences", **options):
    before = snapshot()
    with pytest.raises(FileError) as caught:
        events_import(actor=actor, kind=kind, data=data, filename="bad.csv", **options)
    assert snapshot() == before, "a refused file changed the database"
    return str(caught.value)


ABSENCES_MAPPING = {"pupil_name": 0, "division": 1, "start": 2, "end": 3, "justified": 4}
HEADER = ["Élève", "Classe", "Date début", "Date fin", "Justifiée"]
GOOD = ["BELKACEM Inès", "4E B", "14/09/2026", "14/09/2026", "non"]


def test_a_bad_date_is_located_and_nothing_is_written(cpe, sample_pupils):
    data = csv_bytes([HEADER, GOOD, ["MARTIN Léa", "4E B", "31/09/2026", "", "non"]])
    message = _refused(cpe, data, mapping=ABSENCES_MAPPING)
    assert "bad.csv, row 3, column 3 (Date début)" in message
    assert "31/09/2026" in message
    assert Absence.objects.count() == 0  # not even the good row


def test_a_missing_mapped_column_is_located(cpe, sample_pupils):
    data = csv_bytes([["ELENOET", "NOM", "PRENOM", "NBNJ"], ["4121", "BELKACEM", "Inès", "1"]])
    message = _refused(cpe, data, kind="counts", preset="gepi_counts", period="T1")
    assert "row 1" in message
    assert "NBABS" in message


def test_an_unknown_pupil_is_located_and_not_named(cpe, sample_pupils):
    data = csv_bytes([HEADER, GOOD, ["DUPUIS Zoé", "4E B", "14/09/2026", "", "non"]])
    message = _refused(cpe, data, mapping=ABSENCES_MAPPING)
    assert "row 3, column 1 (Élève)" in message
    assert "DUPUIS" not in message


def test_an_ambiguous_pupil_is_located_never_guessed(cpe, sample_pupils, school):
    factories.PupilFactory(
        school=school,
        last_name="Martin",
        first_name="Léa",
        birth_date=dt.date(2011, 2, 2),
        division=sample_pupils["lea"].division,  # same division too
    )
    data = csv_bytes([HEADER, ["MARTIN Léa", "4E B", "14/09/2026", "", "non"]])
    message = _refused(cpe, data, mapping=ABSENCES_MAPPING)
    assert "row 2, column 1 (Élève)" in message
    assert "2 pupils" in message


def test_identifiers_that_disagree_are_refused(cpe, sample_pupils):
    data = csv_bytes([["INE", "Élève", "Date"], ["1234567890A", "MARTIN Léa", "14/09/2026"]])
    message = _refused(cpe, data, mapping={"ine": 0, "pupil_name": 1, "start": 2})
    assert "row 2, column 2 (Élève)" in message


def test_a_file_in_an_unreadable_encoding_is_refused(cpe, sample_pupils):
    utf16 = "Élève;Date\r\nBELKACEM Inès;14/09/2026\r\n".encode("utf-16")
    assert "UTF-16" in _refused(cpe, utf16, preset="pronote_absences")
    mixed = "Élève;Date début;Date fin\r\n".encode() + "BELKACEM Inès;14/09/2026;\r\n".encode(
        "cp1252"
    )
    message = _refused(cpe, mixed, preset="pronote_absences")
    assert "row 2" in message


def test_a_truncated_row_is_located(cpe, sample_pupils):
    data = csv_bytes([HEADER, GOOD, ["MARTIN Léa", "4E B"]])
    message = _refused(cpe, data, mapping=ABSENCES_MAPPING)
    assert "row 3, column 3 (Date début)" in message


def test_a_file_cut_inside_quotes_is_located(cpe, sample_pupils):
    data = csv_bytes([HEADER, GOOD]) + b'"MARTIN L\xc3\xa9a;4E B;14/09/2026'
    message = _refused(cpe, data, mapping=ABSENCES_MAPPING)
    assert "row 3" in message


def test_every_problem_is_listed_and_counted_in_the_dry_run(cpe, sample_pupils):
    data = csv_bytes(
        [
            HEADER,
            GOOD,
            ["MARTIN Léa", "4E B", "32/09/2026", "", "non"],
            ["DUPUIS Zoé", "4E B", "14/09/2026", "", "non"],
            ["N'DIAYE Moussa", "3E A", "06/10/2026", "05/10/2026", "peut-être"],
        ]
    )
    report = events_import(
        actor=cpe,
        kind="absences",
        data=data,
        filename="bad.csv",
        mapping=ABSENCES_MAPPING,
        dry_run=True,
    )
    assert (report.new, report.error_rows, report.error_total) == (1, 3, 3)
    assert any("column 5 (Justifiée)" in line for line in report.errors)
    assert Absence.objects.count() == 0


def test_an_unmapped_file_is_refused_until_its_columns_are_confirmed(cpe, sample_pupils):
    message = _refused(cpe, sample("pronote_absences.csv"))
    assert "row 1" in message


def test_only_head_cpe_and_technical_admin_may_import(school, charter, sample_pupils):
    from tests.conftest import adhered

    for traits in ({}, {"nurse": True}, {"partner": True}):
        member = adhered(factories.MembershipFactory(school=school, **traits))
        with pytest.raises(PermissionDenied):
            run(member, "pronote_absences.csv", "absences", "pronote_absences")
    assert Absence.objects.count() == 0


def test_event_tables_hold_no_protected_characteristic():
    forbidden = (
        "sex",
        "gender",
        "nationalit",
        "scholarship",
        "bourse",
        "health",
        "sante",
        "handicap",
    )
    for model in (*EVENT_MODELS, EventImport, ColumnMapping):
        for field in model._meta.get_fields():
            assert not any(word in field.name for word in forbidden), (
                f"{model.__name__}.{field.name}"
            )


def test_event_tables_query_the_school_through_a_composite_index_not_one_of_its_own():
    # An index on ``school`` alone would duplicate the leading column of (school, source_key)
    # and cost every imported row (migration detection 0003).
    for model in EVENT_MODELS:
        assert model._meta.get_field("school").db_index is False, model.__name__
        led_by_school = [
            tuple(c.fields)
            for c in (*model._meta.constraints, *model._meta.indexes)
            if getattr(c, "fields", None) and c.fields[0] == "school"
        ]
        assert ("school", "source_key") in led_by_school, model.__name__
        assert any(fields[:2] == ("school", "pupil") for fields in led_by_school), model.__name__


def test_every_event_table_carries_the_school_and_a_unique_source_key():
    for model in EVENT_MODELS:
        school = model._meta.get_field("school")
        assert school.remote_field.on_delete is models.PROTECT
        assert model._meta.get_field("pupil").remote_field.on_delete is models.CASCADE
        assert any(
            isinstance(c, models.UniqueConstraint) and tuple(c.fields) == ("school", "source_key")
            for c in model._meta.constraints
        ), model.__name__
    assert detection_models.EventImport._meta.get_field("school").remote_field.on_delete is (
        models.PROTECT
    )
