"""The default catalogue of action types (charter art. 1), copied into each school on first use.

These are seed *data*, like the default charter text: each school gets its own rows
(``plans.ActionType``), which its head may rename, extend or retire. They are written
in French because the rows are the school's own words, shown as stored; they are not
interface strings (those go through gettext).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DefaultActionType:
    code: str
    label: str
    #: Usual time frame: True when the action normally happens outside school time.
    usually_outside_school_time: bool = False


DEFAULT_ACTION_TYPES: tuple[DefaultActionType, ...] = (
    DefaultActionType("tutoring", "Tutorat"),
    DefaultActionType("study_skills", "Aide méthodologique"),
    DefaultActionType("ppre", "PPRE (programme personnalisé de réussite éducative)"),
    DefaultActionType("relay_module", "Module relais"),
    DefaultActionType("remobilisation_course", "Stage de remobilisation"),
    DefaultActionType("extracurricular", "Activité périscolaire", usually_outside_school_time=True),
    DefaultActionType("follow_up_interview", "Entretien de suivi"),
    DefaultActionType("guidance_interview", "Entretien avec la PsyEN (projet d'orientation)"),
    DefaultActionType(
        "partner_support", "Accompagnement par un partenaire", usually_outside_school_time=True
    ),
    DefaultActionType("homework_help", "Aide aux devoirs", usually_outside_school_time=True),
)
