"""Column mapping: proposed from the headers (presets, fuzzy), checked, saved, reused, asked again."""

import pytest

from alliance.audit.models import AuditEvent
from alliance.detection.mapping import check_mapping, column_mapping_save, propose_mapping
from alliance.detection.models import ColumnMapping
from alliance.detection.tables import header_signature, read_table
from tests.detection.conftest import csv_bytes, sample

# (sample file, kind, preset recognised, some fields and the header they must be read from)
PRESET_CASES = [
    (
        "pronote_absences.csv",
        "absences",
        "pronote_absences",
        {"pupil_name": "Élève", "start": "Date début", "end": "Date fin", "justified": "Justifiée"},
    ),
    (
        "pronote_lateness.csv",
        "lateness",
        "pronote_lateness",
        {"pupil_name": "Élève", "date": "Date", "time": "Heure", "minutes": "Durée"},
    ),
    (
        "pronote_punishments.csv",
        "sanctions",
        "pronote_punishments",
        {"pupil_name": "Élève", "date": "Date", "nature": "Punition", "duration": "Durée"},
    ),
    (
        "pronote_marks.csv",
        "marks",
        "pronote_marks",
        {"subject": "Matière", "mark": "Note", "out_of": "Barème", "coefficient": "Coefficient"},
    ),
    (
        "gepi_counts.csv",
        "counts",
        "gepi_counts",
        {"school_number": "ELENOET", "half_days_absent": "NBABS", "lateness_count": "NBRET"},
    ),
    (
        "gepi_sanctions.csv",
        "sanctions",
        "gepi_sanctions",
        {"incident_number": "Num.incident", "nature": "Nature", "pupil_name": "Élève"},
    ),
    (
        "ecoledirecte.csv",
        "absences",
        "ecoledirecte",
        # The preset names the event columns; the pupil's are found by fuzzy matching.
        {"event_type": "typeElement", "start": "date", "last_name": "nom", "first_name": "prenom"},
    ),
    (
        "ecoledirecte.csv",
        "lateness",
        "ecoledirecte",
        {"event_type": "typeElement", "date": "date"},
    ),
    (
        "skolengo_absences.csv",
        "absences",
        "skolengo_absences",
        {
            "start": "absenceStartDateTime",
            "end": "absenceEndDateTime",
            "last_name": "lastName",
            "first_name": "firstName",
        },
    ),
    (
        "sconet_counts.csv",
        "counts",
        "sconet_counts",
        {"school_number": "elenoet", "unjustified_half_days": "nbNonJustif"},
    ),
]


@pytest.mark.parametrize(("name", "kind", "preset", "expected"), PRESET_CASES)
def test_each_preset_is_recognised_from_the_headers(school, name, kind, preset, expected):
    table = read_table(sample(name), name)
    proposal = propose_mapping(school, kind, table.headers)
    assert proposal.source == "preset"
    assert proposal.preset == preset
    for field, header in expected.items():
        assert table.headers[proposal.mapping[field]] == header, field
    assert check_mapping(kind, proposal.mapping, table.headers, period_given=True) == []


def test_an_unknown_layout_is_mapped_by_fuzzy_header_names(school):
    table = read_table(
        csv_bytes(
            [
                ["N° INE", "Nom de l'élève", "Prénom", "Date de l'absence", "Justification"],
                ["1234567890A", "Belkacem", "Inès", "14/09/2026", "non"],
            ]
        ),
        "export.csv",
    )
    proposal = propose_mapping(school, "absences", table.headers)
    assert proposal.source == "fuzzy"
    assert proposal.mapping == {
        "ine": 0,
        "last_name": 1,
        "first_name": 2,
        "start": 3,
        "justified": 4,
    }


def test_headers_of_another_kind_are_pointed_out(school):
    table = read_table(sample("gepi_counts.csv"), "gepi_counts.csv")
    proposal = propose_mapping(school, "absences", table.headers)
    assert [p.name for p in proposal.other_kind_presets] == ["gepi_counts"]


def test_a_confirmed_mapping_is_saved_audited_and_reused_for_the_same_headers(school, cpe):
    table = read_table(sample("pronote_absences.csv"), "a.csv")
    corrected = {"pupil_name": 0, "start": 2, "end": 3, "justified": 5}  # without reasons
    column_mapping_save(
        actor=cpe, kind="absences", headers=table.headers, mapping=corrected, preset=""
    )
    saved = ColumnMapping.objects.get()
    assert saved.header_signature == header_signature(table.headers)
    assert saved.confirmed_by == cpe
    assert AuditEvent.objects.filter(
        action="create", object_public_id=str(saved.public_id)
    ).exists()

    # Same headers, written differently (case, accents, spacing, trailing separator): reused.
    again = read_table(
        csv_bytes(
            [
                [
                    "ELEVE",
                    "classe",
                    "date  debut",
                    "DATE FIN",
                    "demi-journees",
                    "justifiee",
                    "motif",
                    "",
                ],
                ["MARTIN Léa", "4E B", "02/10/2026", "02/10/2026", "1", "oui", "", ""],
            ]
        ),
        "b.csv",
    )
    proposal = propose_mapping(school, "absences", again.headers)
    assert proposal.source == "saved"
    assert proposal.mapping == corrected


def test_a_file_whose_headers_changed_asks_again(school, cpe):
    table = read_table(sample("pronote_absences.csv"), "a.csv")
    column_mapping_save(
        actor=cpe, kind="absences", headers=table.headers, mapping={"pupil_name": 0, "start": 2}
    )
    changed = read_table(
        csv_bytes(
            [
                ["Élève", "Classe", "Date début", "Date fin", "Justifiée"],  # a column less
                ["MARTIN Léa", "4E B", "02/10/2026", "02/10/2026", "oui"],
            ]
        ),
        "c.csv",
    )
    proposal = propose_mapping(school, "absences", changed.headers)
    assert proposal.source == "preset"
    assert proposal.saved is None
    # The mapping of another kind, or of another school, is not reused either.
    assert propose_mapping(school, "lateness", table.headers).source != "saved"


def test_saving_again_replaces_the_mapping_for_those_headers(school, cpe, head):
    table = read_table(sample("sconet_counts.csv"), "s.csv")
    column_mapping_save(
        actor=cpe,
        kind="counts",
        headers=table.headers,
        mapping={"school_number": 0, "half_days_absent": 1},
    )
    column_mapping_save(
        actor=head,
        kind="counts",
        headers=table.headers,
        mapping={"school_number": 0, "half_days_absent": 1, "lateness_count": 3},
    )
    saved = ColumnMapping.objects.get()
    assert saved.confirmed_by == head
    assert saved.mapping["lateness_count"] == 3


@pytest.mark.parametrize(
    ("mapping", "period_given", "problem"),
    [
        ({"pupil_name": 0}, True, "Start"),
        ({"start": 2}, True, "identified"),
        ({"last_name": 0, "start": 2}, True, "identified"),
        ({"pupil_name": 0, "start": 2, "end": 2}, True, "same column"),
        ({"pupil_name": 0, "start": 9}, True, "no such column"),
    ],
)
def test_an_incomplete_or_contradictory_mapping_is_refused(
    mapping, period_given, problem, settings
):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    headers = ["Élève", "Classe", "Date début", "Date fin"]
    with translation.override("en"):
        problems = check_mapping("absences", mapping, headers, period_given=period_given)
    assert any(problem in p for p in problems), problems


def test_marks_and_counts_need_a_period(school):
    headers = ["ELENOET", "NBABS"]
    mapping = {"school_number": 0, "half_days_absent": 1}
    assert check_mapping("counts", mapping, headers, period_given=False)
    assert check_mapping("counts", mapping, headers, period_given=True) == []
