"""The importer's fast paths keep its guarantees: all or nothing, idempotence, located problems,
formatting for display only when shown, the same rows as the ORM would write."""

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.audit.models import AuditEvent
from alliance.core import clock
from alliance.detection import events as events_module
from alliance.detection import importer
from alliance.detection.events import When
from alliance.detection.importer import events_import, preview_rows
from alliance.detection.models import Absence, EventImport, Mark
from alliance.detection.tables import read_table
from alliance.jobs.progress import Progress
from tests.detection.conftest import csv_bytes, sample
from tests.detection.test_event_import import ABSENCES_MAPPING, HEADER, _refused, snapshot

PARIS = ZoneInfo("Europe/Paris")
ROWS = [
    ["BELKACEM Inès", "4E B", "14/09/2026 08:00", "14/09/2026 12:00", "non"],
    ["MARTIN Léa", "4E B", "14/09/2026 08:00", "14/09/2026 12:00", "non"],
    ["LE PAIN--PERDU Alexia", "3E A", "14/09/2026 08:00", "14/09/2026 12:00", "oui"],
    ["N'DIAYE Moussa", "3E A", "15/09/2026", "15/09/2026", "non"],
]


def absences(rows, **options):
    return events_import(
        actor=options.pop("actor"),
        kind="absences",
        data=csv_bytes([HEADER, *rows]),
        filename="a.csv",
        mapping=ABSENCES_MAPPING,
        **options,
    )


def test_a_failure_while_writing_leaves_nothing_half_written(cpe, sample_pupils, monkeypatch):
    before = snapshot()
    written = importer.insert_events

    def insert_then_fail(*args, **kwargs):
        written(*args, **kwargs)  # the rows are in the table when the failure comes
        assert Absence.objects.count() == 4
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "insert_events", insert_then_fail)
    with pytest.raises(RuntimeError):
        absences(ROWS, actor=cpe)
    assert snapshot() == before  # no event, no history row, no audit event


def test_rows_inserted_in_bulk_are_whole(cpe, sample_pupils):
    report = absences(ROWS, actor=cpe)
    history = EventImport.objects.get()
    assert report.new == Absence.objects.count() == 4
    ids = list(Absence.objects.values_list("public_id", flat=True))
    assert len(set(ids)) == 4 and all(isinstance(i, uuid.UUID) and i.version == 4 for i in ids)
    for absence in Absence.objects.all():
        assert absence.school == cpe.school
        assert absence.event_import == history
        assert absence.created_at == absence.updated_at
        assert abs(absence.created_at - clock.now()) < dt.timedelta(minutes=1)
        assert len(absence.source_key) == 64
    first = Absence.objects.get(pupil=sample_pupils["ines"])
    assert (first.half_day, first.half_days, first.justified, first.reason) == ("", 1, False, "")
    assert first.starts_at == dt.datetime(2026, 9, 14, 8, 0, tzinfo=PARIS)
    assert first.ends_at == dt.datetime(2026, 9, 14, 12, 0, tzinfo=PARIS)
    assert Absence.objects.get(pupil=sample_pupils["alexia"]).justified is True
    assert AuditEvent.objects.filter(object_public_id=str(history.public_id)).count() == 1


def test_re_importing_a_longer_file_adds_only_the_new_rows(cpe, sample_pupils):
    absences(ROWS[:2], actor=cpe)
    report = absences(ROWS, actor=cpe)
    assert (report.new, report.updated, report.unchanged) == (2, 0, 2)
    corrected = [*ROWS[:3], [*ROWS[3][:4], "oui"]]
    report = absences(corrected, actor=cpe)
    assert (report.new, report.updated, report.unchanged) == (0, 1, 3)
    assert Absence.objects.get(pupil=sample_pupils["moussa"]).justified is True
    assert Absence.objects.count() == 4


def test_repeated_cells_with_a_problem_are_located_on_each_row(cpe, sample_pupils):
    # The same bad date on three rows, the same good cells for an unknown pupil: every
    # row's problem carries its own row number, although the cells were read before.
    bad = [["BELKACEM Inès", "4E B", "31/09/2026", "", "non"]] * 2 + [
        ["MARTIN Léa", "4E B", "31/09/2026", "", "non"],
        ["DUPUIS Zoé", "4E B", "14/09/2026 08:00", "14/09/2026 12:00", "non"],
    ]
    message = _refused(cpe, csv_bytes([HEADER, *ROWS, *bad]), mapping=ABSENCES_MAPPING)
    for row in (6, 7, 8):
        assert f"row {row}, column 3 (Date début)" in message
    assert "row 9, column 1 (Élève)" in message


def test_an_import_formats_no_value_for_display(cpe, sample_pupils, monkeypatch):
    def never(value):
        raise AssertionError("formatted for display during an import")

    monkeypatch.setattr(events_module, "_shown", never)
    report = events_import(
        actor=cpe,
        kind="marks",
        data=sample("pronote_marks.csv"),
        filename="m.csv",
        preset="pronote_marks",
    )
    assert report.new == Mark.objects.count() > 0


def test_the_preview_still_shows_each_value_formatted(cpe, sample_pupils):
    table = read_table(csv_bytes([HEADER, *ROWS]), "a.csv")
    rows = preview_rows(school=cpe.school, kind="absences", table=table, mapping=ABSENCES_MAPPING)
    start = next(cell for cell in rows[0].cells if cell.field == "start")
    assert start.raw == "14/09/2026 08:00"
    assert start.shown == events_module.shown(When(dt.date(2026, 9, 14), dt.time(8, 0)))
    justified = next(cell for cell in rows[2].cells if cell.field == "justified")
    assert justified.shown == "yes"
    assert all(row.pupil_found for row in rows)


@pytest.mark.parametrize(
    "identity",
    [
        (),
        ("2026-09-14", "08:00:00", "", "2026-09-14", "12:00:00"),
        ("trimestre 1", "mathematiques", "", "controle 1", "12.5", "", "20", "1", 2),
        ("", "2026-10-01", "", 'exclusion de cours “élève” \\ " \u2028'),
    ],
)
def test_the_import_s_source_keys_are_the_documented_ones(identity):
    # Keys already stored were made by ``source_key``: a re-import must find them again.
    keys = events_module.SourceKeys(school_key=str(uuid.uuid4()), kind="marks")
    for pupil in (str(uuid.uuid4()), str(uuid.uuid4())):
        for _ in range(2):
            assert keys(pupil_key=pupil, identity=identity) == events_module.source_key(
                school_key=keys.school_key, kind="marks", pupil_key=pupil, identity=identity
            )


MARKS_HEADER = [
    "Élève",
    "Classe",
    "Période",
    "Matière",
    "Date",
    "Devoir",
    "Note",
    "Barème",
    "Coefficient",
]


def marks(rows, actor, **options):
    return events_import(
        actor=actor,
        kind="marks",
        data=csv_bytes([MARKS_HEADER, *rows]),
        filename="m.csv",
        preset="pronote_marks",
        **options,
    )


def test_equal_marks_of_different_pupils_and_repeated_problems(cpe, sample_pupils):
    same = ["Trimestre 1", "MATHEMATIQUES", "18/09/2026", "Contrôle 1", "12", "20", "2"]
    good = [
        [name, division, *same]
        for name, division in (("BELKACEM Inès", "4E B"), ("MARTIN Léa", "4E B"))
    ]
    report = marks(good, cpe)
    assert (report.new, report.duplicates) == (2, 0)
    assert sorted(Mark.objects.values_list("pupil_id", flat=True)) == sorted(
        [sample_pupils["ines"].pk, sample_pupils["lea"].pk]
    )
    above = ["Trimestre 1", "MATHEMATIQUES", "18/09/2026", "Contrôle 2", "24", "20", "2"]
    other_scale = ["Trimestre 1", "MATHEMATIQUES", "18/09/2026", "Contrôle 3", "8/10", "20", "2"]
    bad = [
        ["BELKACEM Inès", "4E B", *above],
        ["MARTIN Léa", "4E B", *above],
        ["BELKACEM Inès", "4E B", *other_scale],
        ["MARTIN Léa", "4E B", *other_scale],
    ]
    report = marks([*good, *bad], cpe, dry_run=True)
    message = "\n".join(report.errors)
    for row in (4, 5):
        assert f"row {row}, column 7 (Note): the mark is greater than the scale (20)" in message
    for row in (6, 7):
        assert f"row {row}, column 7 (Note): the mark’s own scale differs" in message
    assert report.error_rows == 4


def test_an_empty_mark_is_skipped_and_a_special_code_kept(cpe, sample_pupils):
    rows = [
        [
            "BELKACEM Inès",
            "4E B",
            "Trimestre 1",
            "FRANCAIS",
            "25/09/2026",
            "Rédaction",
            "",
            "20",
            "1",
        ],
        ["MARTIN Léa", "4E B", "Trimestre 1", "FRANCAIS", "25/09/2026", "Rédaction", "", "20", "1"],
        ["MARTIN Léa", "4E B", "Trimestre 1", "FRANCAIS", "02/10/2026", "Dictée", "Abs", "20", "1"],
    ]
    report = marks(rows, cpe)
    assert (report.new, report.skipped) == (1, 2)
    mark = Mark.objects.get()
    assert (mark.mark, mark.special) == (None, "absent")


_IDENTITY_ITEMS = st.one_of(
    st.text(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False),
)


@given(identity=st.lists(_IDENTITY_ITEMS, max_size=10).map(tuple))
def test_source_keys_written_fast_are_the_documented_ones(identity):
    # ``SourceKeys`` writes strings and whole numbers itself: any text (quotes, backslashes,
    # control characters, line separators, astral characters) must come out as ``json.dumps``.
    keys = events_module.SourceKeys(school_key="école", kind="marks")
    assert keys(pupil_key="p", identity=identity) == events_module.source_key(
        school_key="école", kind="marks", pupil_key="p", identity=identity
    )


@pytest.mark.parametrize("native", [True, False])
def test_public_ids_made_in_bulk_are_random_version_4_uuids(native):
    made = importer.random_uuids(2000, native=native)
    ids = [value if native else uuid.UUID(hex=value) for value in made]
    assert len(ids) == len(set(ids)) == 2000
    assert all(i.version == 4 and i.variant == uuid.RFC_4122 for i in ids)
    if not native:
        assert all(isinstance(value, str) and len(value) == 32 for value in made)
    # Every other bit is random: over 2,000 ids each of the 122 random bits takes both values.
    bits = [i.int for i in ids]
    fixed = {76, 77, 78, 79, 62, 63}  # version (bits 76-79) and variant (bits 62-63)
    for bit in set(range(128)) - fixed:
        assert 0 < sum((value >> bit) & 1 for value in bits) < 2000


def test_marks_of_one_assessment_each_report_their_own_problem(cpe, sample_pupils):
    # The cells a class's marks share (period, subject, date, assessment, scale,
    # coefficient) are read once; each row still gets its own mark checked and located,
    # and a shared cell with a problem is reported on every row that has it.
    context = ["Trimestre 1", "MATHEMATIQUES", "18/09/2026", "Contrôle 4", "", "20", "2"]
    bad_date = ["Trimestre 1", "MATHEMATIQUES", "31/09/2026", "Contrôle 5", "", "20", "2"]

    def row(name, division, cells, mark):
        return [name, division, *cells[:4], mark, *cells[5:]]

    rows = [
        row("BELKACEM Inès", "4E B", context, "12"),
        row("MARTIN Léa", "4E B", context, "douze"),
        row("LE PAIN--PERDU Alexia", "3E A", context, "21"),
        row("N'DIAYE Moussa", "3E A", context, "8,5"),
        row("BELKACEM Inès", "4E B", bad_date, "12"),
        row("MARTIN Léa", "4E B", bad_date, "13"),
        row("MARTIN Léa", "4E B", context, ""),
    ]
    report = marks(rows, cpe, dry_run=True)
    message = "\n".join(report.errors)
    assert "row 3, column 7 (Note)" in message
    assert "row 4, column 7 (Note): the mark is greater than the scale (20)" in message
    for line in (6, 7):
        assert f"row {line}, column 5 (Date)" in message
    assert "row 2," not in message and "row 5," not in message and "row 8," not in message
    assert (report.error_rows, report.new, report.skipped) == (4, 2, 1)
    report = marks([rows[0], rows[3]], cpe)
    assert sorted(Mark.objects.values_list("mark", flat=True)) == [Decimal("8.5"), Decimal("12")]
    assert set(Mark.objects.values_list("coefficient", "out_of", "assessment")) == {
        (Decimal("2"), Decimal("20"), "Contrôle 4")
    }


def test_progress_counts_every_row_once(cpe, sample_pupils):
    class Counting(Progress):
        def __init__(self):
            super().__init__()
            self.reports = 0

        def report(self, *, force):
            self.reports += 1

    table = read_table(csv_bytes([HEADER, *(ROWS * 150)]), "a.csv")
    progress = Counting()
    importer.plan_rows(
        school=cpe.school,
        kind="absences",
        table=table,
        mapping=ABSENCES_MAPPING,
        progress=progress,
    )
    assert progress.done == progress.total == 600
    assert 2 <= progress.reports <= 600 // importer._PROGRESS_EVERY + 3
