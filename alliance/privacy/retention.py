"""The retention schedule (issue 5 point 4): how long each kind of data is kept, and when it is due.

Defaults, their legal basis and how a deployment changes them: docs/decisions/0015 and
docs/operations.md. Every duration is counted in the school's own school years (its
``SchoolYear`` rows, or 1 September – 31 August when the school has not recorded the year),
except the logs, counted in months. Settings (environment variables in ``alliance.settings``):

- ``ALLIANCE_RETENTION_CASE_YEARS`` (2): a closed case is archived (head only, read-only) once
  the school year of its closure has ended, then deleted with everything linked to it this many
  school years later.
- ``ALLIANCE_RETENTION_LEFT_PUPIL_YEARS`` (1): a pupil who left, and has no case left in
  retention, is deleted this many school years after the end of the school year they left in.
- ``ALLIANCE_RETENTION_DETECTION_YEARS`` (2): imported school-life events and observations are
  kept for the current school year and the previous one (2), then deleted.
- ``ALLIANCE_RETENTION_AUDIT_MONTHS`` (12): audit events, then purged behind a chain anchor.
- ``ALLIANCE_RETENTION_HISTORY_MONTHS`` (12): import history (roster and event imports, import
  jobs, background task results) and purge runs.

Nothing here writes: ``alliance.privacy.purge`` does, from what ``due(...)`` returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from alliance.core import clock
from alliance.tenancy.models import School, SchoolYear


@dataclass(frozen=True)
class Schedule:
    case_years: int = 2
    left_pupil_years: int = 1
    detection_years: int = 2
    audit_months: int = 12
    history_months: int = 12

    def describe(self) -> list[tuple[str, str]]:
        """The schedule in words (in the active language), for the command, the page and docs."""
        return [
            (
                "cases",
                _(
                    "closed case: active until the end of the school year of its closure, then "
                    "archived (head only, read-only) for %(years)d school year(s), then deleted "
                    "with everything linked to it; anonymised counts are kept"
                )
                % {"years": self.case_years},
            ),
            (
                "pupils",
                _(
                    "pupil who left the school: their open case closes at once; the pupil's "
                    "record is deleted %(years)d school year(s) after the end of the school year "
                    "they left in, once no case of theirs is in retention"
                )
                % {"years": self.left_pupil_years},
            ),
            (
                "detection",
                _(
                    "school-life events and observations: the last %(years)d school years (the "
                    "current one included), then deleted"
                )
                % {"years": self.detection_years},
            ),
            (
                "audit",
                _("audit events: %(months)d months, then purged behind an anchor")
                % {"months": self.audit_months},
            ),
            (
                "history",
                _("import history, import jobs, task results, purge runs: %(months)d months")
                % {"months": self.history_months},
            ),
        ]


def _positive(name: str, default: int, minimum: int) -> int:
    value = getattr(settings, name, default)
    if not isinstance(value, int) or value < minimum:
        raise ValueError(f"settings.{name} must be a whole number ≥ {minimum}, not {value!r}")
    return value


def schedule() -> Schedule:
    """The deployment's schedule (settings), checked: a bad value fails loudly, never silently."""
    return Schedule(
        case_years=_positive("ALLIANCE_RETENTION_CASE_YEARS", 2, 0),
        left_pupil_years=_positive("ALLIANCE_RETENTION_LEFT_PUPIL_YEARS", 1, 0),
        detection_years=_positive("ALLIANCE_RETENTION_DETECTION_YEARS", 2, 1),
        audit_months=_positive("ALLIANCE_RETENTION_AUDIT_MONTHS", 12, 1),
        history_months=_positive("ALLIANCE_RETENTION_HISTORY_MONTHS", 12, 1),
    )


# --------------------------------------------------------------------------- school years


@dataclass(frozen=True)
class YearBounds:
    label: str
    starts_on: dt.date
    ends_on: dt.date


def year_of(school: School | int, day: dt.date) -> YearBounds:
    """The school year containing ``day``: the school's own if recorded, else Sept.–August."""
    school_id = school if isinstance(school, int) else school.pk
    recorded = (
        SchoolYear.objects.filter(school_id=school_id, starts_on__lte=day, ends_on__gte=day)
        .order_by("starts_on")
        .first()
    )
    if recorded is not None:
        return YearBounds(recorded.label, recorded.starts_on, recorded.ends_on)
    start = day.year if day.month >= 9 else day.year - 1
    return YearBounds(f"{start}-{start + 1}", dt.date(start, 9, 1), dt.date(start + 1, 8, 31))


def years_after_end(school: School | int, day: dt.date, years: int) -> dt.date:
    """The first day after the end of ``day``'s school year plus ``years`` more school years."""
    bounds = year_of(school, day)
    for _year in range(years):
        bounds = year_of(school, bounds.ends_on + dt.timedelta(days=1))
    return bounds.ends_on + dt.timedelta(days=1)


def first_kept_day(school: School | int, today: dt.date, years: int) -> dt.date:
    """The first day of the oldest of the last ``years`` school years (the current included)."""
    bounds = year_of(school, today)
    for _year in range(years - 1):
        bounds = year_of(school, bounds.starts_on - dt.timedelta(days=1))
    return bounds.starts_on


def months_ago(now: dt.datetime, months: int) -> dt.datetime:
    """``now`` minus ``months`` calendar months (the day clamped to the month's length)."""
    month_index = now.year * 12 + now.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in (now.day, 30, 29, 28):
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def today() -> dt.date:
    return clock.today()


# --------------------------------------------------------------------------- per table (register)

#: Tables with their own rule (``app_label.model``, lower case), before the rules by link.
_OWN_RULES: dict[str, str] = {
    "audit.auditevent": "audit",
    "audit.auditanchor": "kept: the chain's starting points (no personal data)",
    "privacy.retentionstatistic": "kept: anonymised counts",
    "privacy.purgerun": "history",
    "pupils.rosterimport": "history",
    "detection.eventimport": "history",
    "jobs.importjob": "history",
    "jobs.stagedupload": "deleted when its import ends, at the latest after 24 hours",
    "django_tasks_database.dbtaskresult": "history",
    "sessions.session": "expire after 8 hours or at browser close (`clearsessions`)",
    "detection.absence": "detection",
    "detection.lateness": "detection",
    "detection.sanction": "detection",
    "detection.mark": "detection",
    "detection.periodcount": "detection",
    "detection.observation": "detection",
}


def _reachable_from(label: str) -> set[str]:
    from django.apps import apps

    from alliance.privacy.erasure import NEVER_ERASED, _reverse_links

    seen = {label}
    queue = [apps.get_model(label)]
    while queue:
        model = queue.pop()
        for fk in _reverse_links(model):
            child = fk.model._meta.label_lower
            if child not in seen and child not in NEVER_ERASED:
                seen.add(child)
                queue.append(fk.model)
    return seen


def table_rule(label: str, current: Schedule | None = None) -> str:
    """The retention rule of one table, in a few words, for the published register."""
    rules = current or schedule()
    short = {
        "cases": (
            "with its case: archived at the end of the school year of closure, deleted "
            f"{rules.case_years} school year(s) later; anonymised counts kept"
        ),
        "pupils": (
            f"deleted {rules.left_pupil_years} school year(s) after the end of the year the "
            "pupil left, once no case of theirs is retained"
        ),
        "detection": f"the last {rules.detection_years} school years, then deleted",
        "audit": f"{rules.audit_months} months, then purged behind a chain anchor",
        "history": f"{rules.history_months} months",
    }
    key = label.lower()
    own = _OWN_RULES.get(key)
    if own is not None:
        return f"{short[own]} (`purge_expired`)" if own in short else own
    if key in _reachable_from("cases.case"):
        return f"{short['cases']} (`purge_expired`)"
    if key in _reachable_from("pupils.pupil"):
        return f"with the pupil: {short['pupils']} (`purge_expired`)"
    return "kept while the school uses Alliance (accounts, configuration, charter, meetings)"
