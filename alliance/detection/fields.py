"""The fields Alliance reads from each kind of events file (the targets of a column mapping).

Every kind needs the pupil's identification (INE, SIECLE number, or names) and its own
fields; ``aliases`` are header names, normalised with ``textfiles.header_key``, that
the fuzzy proposal recognises at once (presets add their own).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from alliance.detection.models import EventKind


@dataclass(frozen=True)
class TargetField:
    name: str
    label: Promise
    aliases: tuple[str, ...] = ()
    required: bool = False
    #: One of the columns that say who the pupil is (masked for those who may not see pupils).
    identifies_pupil: bool = False
    help_text: Promise | str = ""


IDENTIFICATION_FIELDS = (
    TargetField(
        "ine",
        _("INE (national pupil id)"),
        ("ine", "inenational", "idnational", "identifiantnational", "ineeleve", "numeroine"),
        identifies_pupil=True,
    ),
    TargetField(
        "school_number",
        _("Pupil number (ELENOET)"),
        ("elenoet", "numeleve", "numeroeleve", "noeleve", "numerointerne"),
        identifies_pupil=True,
        help_text=_("Compared with or without leading zeros."),
    ),
    TargetField(
        "source_id",
        _("SIECLE pupil id (ELEVE_ID)"),
        ("eleveid", "ideleve", "idsiecle", "numerosiecle"),
        identifies_pupil=True,
        help_text=_("Compared with or without leading zeros."),
    ),
    TargetField(
        "pupil_name",
        _("Pupil, surname and first name in one column"),
        ("eleve", "eleves", "nomprenom", "nometprenom", "nomprenomeleve", "nomcomplet"),
        identifies_pupil=True,
        help_text=_("As Pronote writes it: “SURNAME First name”."),
    ),
    TargetField(
        "last_name",
        _("Pupil’s surname"),
        ("nom", "nomeleve", "nomdefamille", "nomusage", "lastname", "studentlastname"),
        identifies_pupil=True,
    ),
    TargetField(
        "first_name",
        _("Pupil’s first name"),
        ("prenom", "prenomeleve", "prenoms", "firstname", "studentfirstname"),
        identifies_pupil=True,
    ),
    TargetField(
        "birth_date",
        _("Birth date"),
        ("datenaissance", "datedenaissance", "neele", "nele", "birthdate"),
        identifies_pupil=True,
        help_text=_("Tells apart pupils with the same names."),
    ),
    TargetField(
        "division",
        _("Division (class)"),
        ("classe", "division", "classederattachement", "div", "structure", "classeeleve"),
        help_text=_("Tells apart pupils with the same names."),
    ),
)

_EVENT_TYPE = TargetField(
    "event_type",
    _("Kind of event (absence or lateness)"),
    ("typeelement", "typeevenement", "typeevt", "absencetype"),
    help_text=_("Rows of another kind (lateness in an absences file, infirmary…) are skipped."),
)
_JUSTIFIED = TargetField(
    "justified",
    _("Justified (yes / no)"),
    ("justifiee", "justifie", "justification", "estjustifiee", "justifiees", "regularisee"),
)
_REASON = TargetField(
    "reason",
    _("Reason"),
    ("motif", "motifs", "raison", "absencereason", "motifabsence", "motifretard"),
    help_text=_("A reason that names a health matter is not stored."),
)

KIND_FIELDS: dict[str, tuple[TargetField, ...]] = {
    EventKind.ABSENCES: (
        _EVENT_TYPE,
        TargetField(
            "start",
            _("Start (date, or date and time)"),
            (
                "datedebut",
                "debut",
                "du",
                "dateheuredebut",
                "absencestartdatetime",
                "startdate",
                "date",
                "datedelabsence",
                "dateabsence",
            ),
            required=True,
        ),
        TargetField("start_time", _("Start time"), ("heuredebut", "hdebut", "heuredu")),
        TargetField(
            "end",
            _("End (date, or date and time)"),
            ("datefin", "fin", "au", "dateheurefin", "absenceenddatetime", "enddate"),
            help_text=_("Without it, the absence ends on the day it starts."),
        ),
        TargetField("end_time", _("End time"), ("heurefin", "hfin", "heureau")),
        TargetField(
            "half_day",
            _("Half-day (morning / afternoon)"),
            ("demijournee", "matinapresmidi", "creneau", "moment"),
        ),
        TargetField(
            "half_days",
            _("Number of half-days"),
            (
                "demijournees",
                "nbdemijournees",
                "nombrededemijournees",
                "demijourneescalculees",
                "nbdemijourneescalculees",
                "nbdj",
                "libelle",
            ),
            help_text=_("Without it, Alliance counts the half-days from the start and end."),
        ),
        _JUSTIFIED,
        _REASON,
    ),
    EventKind.LATENESS: (
        _EVENT_TYPE,
        TargetField(
            "date",
            _("Date (or date and time)"),
            ("date", "dateretard", "jour", "dateheure", "le"),
            required=True,
        ),
        TargetField("time", _("Time"), ("heure", "heurearrivee", "horaire", "hretard")),
        TargetField(
            "minutes",
            _("Minutes late"),
            ("duree", "minutes", "dureeretard", "dureeminutes", "retardminutes", "nbminutes"),
        ),
        _JUSTIFIED,
        _REASON,
    ),
    EventKind.SANCTIONS: (
        TargetField(
            "incident_number",
            _("Incident number"),
            ("numincident", "numeroincident", "idincident", "incident", "nincident"),
        ),
        TargetField(
            "date",
            _("Date (or date and time)"),
            ("date", "datesanction", "dateincident", "datepunition", "le"),
            required=True,
        ),
        TargetField("time", _("Time"), ("heure", "horaire")),
        TargetField(
            "nature",
            _("Kind (nature)"),
            (
                "nature",
                "punition",
                "sanction",
                "typesanction",
                "naturesanction",
                "naturepunition",
                "mesure",
                "typepunition",
            ),
            required=True,
        ),
        TargetField(
            "severity",
            _("Severity (1 to 4)"),
            ("gravite", "niveau", "niveaudegravite", "severite"),
            help_text=_("Without it, Alliance infers it from the kind (retenue, exclusion…)."),
        ),
        TargetField("exclusion", _("Exclusion (yes / no)"), ("exclusion", "avecexclusion")),
        TargetField(
            "duration",
            _("Duration"),
            ("duree", "dureesanction", "nbheures", "nbjours", "dureepunition"),
        ),
    ),
    EventKind.MARKS: (
        TargetField(
            "period",
            _("Period"),
            ("periode", "trimestre", "semestre", "periodenotation"),
            help_text=_("Without it, the period given at upload."),
        ),
        TargetField(
            "subject",
            _("Subject"),
            ("matiere", "discipline", "libellematiere", "enseignement", "service"),
            required=True,
        ),
        TargetField("date", _("Date"), ("date", "datedevoir", "dateevaluation")),
        TargetField(
            "assessment",
            _("Assessment"),
            ("devoir", "evaluation", "intitule", "libelledevoir", "titre"),
        ),
        TargetField("mark", _("Mark"), ("note", "valeur", "resultat", "notes"), required=True),
        TargetField(
            "out_of",
            _("Out of (scale)"),
            ("bareme", "sur", "notesur", "notemax", "baremedevoir"),
            help_text=_("Without it, marks are out of 20."),
        ),
        TargetField("coefficient", _("Coefficient"), ("coefficient", "coef", "coeff")),
    ),
    EventKind.COUNTS: (
        TargetField(
            "period",
            _("Period"),
            ("periode", "trimestre", "semestre"),
            help_text=_("Without it, the period given at upload."),
        ),
        TargetField(
            "half_days_absent",
            _("Half-days absent (NBABS)"),
            (
                "nbabs",
                "nbabsences",
                "absences",
                "nbdemijournees",
                "totalabsences",
                "demijourneesdabsence",
            ),
            required=True,
        ),
        TargetField(
            "unjustified_half_days",
            _("Unjustified half-days (NBNJ)"),
            ("nbnj", "nbnonjustif", "nonjustifiees", "absencesnonjustifiees", "nbabsnonjustif"),
        ),
        TargetField(
            "invalid_reason_half_days",
            _("Half-days with a reason not accepted (NBNVAL)"),
            ("nbnval", "nbnonvalable", "nonvalables", "nbnonvalables"),
        ),
        TargetField(
            "lateness_count",
            _("Lateness (NBRET)"),
            ("nbret", "nbretards", "retards", "nbretard"),
        ),
    ),
}

#: Kinds whose rows belong to a period (given by a column or at upload).
KINDS_WITH_PERIOD = frozenset({EventKind.MARKS, EventKind.COUNTS})


def fields_for(kind: str) -> tuple[TargetField, ...]:
    """Identification fields first, then the kind's own."""
    return (*IDENTIFICATION_FIELDS, *KIND_FIELDS[kind])


def field_names(kind: str) -> tuple[str, ...]:
    return tuple(field.name for field in fields_for(kind))
