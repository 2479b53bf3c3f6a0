"""Known layouts of the vie-scolaire exports (docs/formats/events.md, FORMATS.md).

No public sample of these exports exists, so a preset is loose: it is recognised when
the header holds each of its ``signature`` groups (any one name of a group), and its
``columns`` name, for each field, the header names that tool writes. Fields a preset
does not name (often the pupil's columns) are then proposed by fuzzy matching.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from alliance.detection.models import EventKind


@dataclass(frozen=True)
class Preset:
    name: str
    label: Promise
    kinds: frozenset[str]
    #: Header groups that must all be present (one name of each) for the preset to apply.
    signature: tuple[tuple[str, ...], ...]
    #: Field → header names (normalised) this tool writes for it, preferred first.
    columns: dict[str, tuple[str, ...]]


_PRONOTE_PUPIL = {"pupil_name": ("eleve", "eleves"), "division": ("classe", "classes")}

PRESETS: tuple[Preset, ...] = (
    Preset(
        "pronote_absences",
        _("Pronote — absences"),
        frozenset({EventKind.ABSENCES}),
        (("eleve", "eleves"), ("datedebut", "du"), ("datefin", "au")),
        {
            **_PRONOTE_PUPIL,
            "start": ("datedebut", "du"),
            "end": ("datefin", "au"),
            "half_days": ("demijournees", "nbdemijournees", "demijourneescalculees"),
            "justified": ("justifiee", "justifie", "justifiees"),
            "reason": ("motif", "motifs"),
        },
    ),
    Preset(
        "pronote_lateness",
        _("Pronote — lateness"),
        frozenset({EventKind.LATENESS}),
        (("eleve", "eleves"), ("date",), ("duree", "dureeminutes", "minutes")),
        {
            **_PRONOTE_PUPIL,
            "date": ("date",),
            "time": ("heure",),
            "minutes": ("duree", "dureeminutes", "minutes"),
            "justified": ("justifie", "justifiee"),
            "reason": ("motif", "motifs"),
        },
    ),
    Preset(
        "pronote_punishments",
        _("Pronote — punishments and sanctions"),
        frozenset({EventKind.SANCTIONS}),
        (("eleve", "eleves"), ("date",), ("punition", "sanction", "nature")),
        {
            **_PRONOTE_PUPIL,
            "date": ("date",),
            "nature": ("punition", "sanction", "nature"),
            "exclusion": ("exclusion",),
            "duration": ("duree",),
        },
    ),
    Preset(
        "pronote_marks",
        _("Pronote — marks"),
        frozenset({EventKind.MARKS}),
        (("eleve", "eleves"), ("matiere",), ("note",)),
        {
            **_PRONOTE_PUPIL,
            "period": ("periode", "trimestre", "semestre"),
            "subject": ("matiere",),
            "date": ("date",),
            "assessment": ("devoir", "intitule"),
            "mark": ("note",),
            "out_of": ("bareme", "sur"),
            "coefficient": ("coefficient", "coef"),
        },
    ),
    Preset(
        "gepi_counts",
        _("GEPI — absence counts per pupil (NBABS, NBNJ, NBNVAL, NBRET)"),
        frozenset({EventKind.COUNTS}),
        (("elenoet",), ("nbabs",), ("nbnj",)),
        {
            "school_number": ("elenoet",),
            "last_name": ("nom",),
            "first_name": ("prenom",),
            "division": ("classe",),
            "half_days_absent": ("nbabs",),
            "unjustified_half_days": ("nbnj",),
            "invalid_reason_half_days": ("nbnval",),
            "lateness_count": ("nbret",),
        },
    ),
    Preset(
        "gepi_sanctions",
        _("GEPI — incidents and sanctions"),
        frozenset({EventKind.SANCTIONS}),
        (("numincident",), ("nature",), ("eleve", "eleves")),
        {
            **_PRONOTE_PUPIL,
            "incident_number": ("numincident",),
            "nature": ("nature",),
            "date": ("date",),
            "time": ("heure",),
            "duration": ("duree",),
        },
    ),
    Preset(
        "ecoledirecte",
        _("EcoleDirecte — absences and lateness"),
        frozenset({EventKind.ABSENCES, EventKind.LATENESS}),
        (("typeelement",), ("date",)),
        {
            "event_type": ("typeelement",),
            "start": ("date",),
            "date": ("date",),
            "half_days": ("libelle",),
            "reason": ("motif",),
            "justified": ("justifie", "justifiee"),
        },
    ),
    Preset(
        "skolengo_absences",
        _("Skolengo — absences"),
        frozenset({EventKind.ABSENCES}),
        (("absencestartdatetime",),),
        {
            "start": ("absencestartdatetime",),
            "end": ("absenceenddatetime",),
            "event_type": ("absencetype",),
            "reason": ("absencereason",),
        },
    ),
    Preset(
        "sconet_counts",
        _("Sconet — absence counts per pupil (nbAbs, nbNonJustif, nbRet)"),
        frozenset({EventKind.COUNTS}),
        (("elenoet",), ("nbabs",), ("nbnonjustif",)),
        {
            "school_number": ("elenoet",),
            "half_days_absent": ("nbabs",),
            "unjustified_half_days": ("nbnonjustif",),
            "lateness_count": ("nbret",),
        },
    ),
)

PRESETS_BY_NAME = {preset.name: preset for preset in PRESETS}


def preset_matches(preset: Preset, header_keys: list[str]) -> bool:
    present = set(header_keys)
    return all(any(name in present for name in group) for group in preset.signature)
