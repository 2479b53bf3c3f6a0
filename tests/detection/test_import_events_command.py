"""``manage.py import_events``: presets, saved mappings, dry run, located errors, progress bar."""

import io

import pytest
from django.core.management import CommandError, call_command

from alliance.detection.models import Absence, ColumnMapping, EventImport, PeriodCount
from tests.detection.conftest import SAMPLES


def command(*args, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_events", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_with_a_preset_and_draws_a_progress_bar(cpe, sample_pupils):
    out, err = command(
        str(SAMPLES / "pronote_absences.csv"),
        "--school", cpe.school.uai,
        "--as", cpe.user.email,
        "--kind", "absences",
        "--mapping-from-preset", "pronote_absences",
    )  # fmt: skip
    assert Absence.objects.count() == 5
    assert "New events: 5" in out
    assert "[##############################] 100 %  5/5" in err
    # Naming the preset confirmed it: the next file with these headers needs no preset.
    assert ColumnMapping.objects.get().confirmed_by == cpe
    out, _err = command(
        str(SAMPLES / "pronote_absences.csv"),
        "--school", cpe.school.uai, "--as", cpe.user.email, "--kind", "absences",
    )  # fmt: skip
    assert "Already imported: 5" in out
    assert EventImport.objects.count() == 2


def test_the_dry_run_writes_nothing(head, sample_pupils):
    out, _err = command(
        str(SAMPLES / "gepi_counts.csv"),
        "--school", head.school.uai, "--as", head.user.email, "--kind", "counts",
        "--mapping-from-preset", "gepi_counts", "--period", "T1", "--dry-run",
    )  # fmt: skip
    assert "Dry run: nothing was written" in out
    assert "New events: 4" in out
    assert not PeriodCount.objects.exists()
    assert not ColumnMapping.objects.exists()


def test_a_file_with_problems_fails_with_located_errors(cpe, sample_pupils, tmp_path):
    path = tmp_path / "absences.csv"
    path.write_bytes(
        (SAMPLES / "pronote_absences.csv").read_bytes().replace(b"14/09/2026 08:00", b"14/13/2026")
    )
    with pytest.raises(CommandError) as caught:
        command(
            str(path), "--school", cpe.school.uai, "--as", cpe.user.email, "--kind", "absences",
            "--mapping-from-preset", "pronote_absences",
        )  # fmt: skip
    assert "absences.csv, row 2, column 3 (Date début)" in str(caught.value)
    assert not Absence.objects.exists()


def test_an_unmapped_file_asks_for_a_preset_or_the_web_page(cpe, sample_pupils):
    with pytest.raises(CommandError) as caught:
        command(
            str(SAMPLES / "pronote_absences.csv"),
            "--school", cpe.school.uai, "--as", cpe.user.email, "--kind", "absences",
        )  # fmt: skip
    assert "have not been mapped yet" in str(caught.value)


def test_only_allowed_members_may_run_it(teacher, sample_pupils):
    with pytest.raises(CommandError) as caught:
        command(
            str(SAMPLES / "pronote_absences.csv"),
            "--school", teacher.school.uai, "--as", teacher.user.email, "--kind", "absences",
            "--mapping-from-preset", "pronote_absences",
        )  # fmt: skip
    assert "allowed to import events" in str(caught.value)
    assert not Absence.objects.exists()
