"""Reading one cell of a vie-scolaire export: dates and times, half-days, yes/no, counts, marks.

Each parser takes the cleaned cell and returns a value or raises ``CellError`` with a
message that says what was expected. Messages quote the cell only for these fields
(dates, numbers, codes), never for the columns that name a pupil.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.core.textfiles import CellError, echo, plain_text
from alliance.detection.models import DurationUnit, HalfDay, MarkSpecial, Severity

_DATE_FR = re.compile(
    r"(?:[a-z]+\.?\s+)?(\d{1,2})/(\d{1,2})/(\d{4})"
    r"(?:\s*(?:a|-|,)?\s*(\d{1,2})\s*[:h]\s*(\d{2})?(?::(\d{2}))?)?"
)
_DATE_FR_SHORT_YEAR = re.compile(r"(?:[a-z]+\.?\s+)?\d{1,2}/\d{1,2}/\d{2}(?:\s.*)?")
_DATE_ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(z|[+-]\d{2}:?\d{2})?)?"
)
_TIME = re.compile(r"(\d{1,2})\s*[:h]\s*(\d{2})?(?::(\d{2}))?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


@dataclass(frozen=True)
class When:
    """A day, and a time of day when the cell gives one (local time, Europe/Paris)."""

    date: dt.date
    time: dt.time | None = None


def _date(year: int, month: int, day: int, value: str) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellError(
            _("%(value)s is not a valid date (expected JJ/MM/AAAA).") % {"value": echo(value)}
        ) from None


def _time(hour: int, minute: int, second: int, value: str) -> dt.time:
    try:
        return dt.time(hour, minute, second)
    except ValueError:
        raise CellError(
            _("%(value)s is not a valid time (expected HH:MM).") % {"value": echo(value)}
        ) from None


def parse_when(value: str) -> When:
    """``12/09/2026``, ``12/09/2026 08:30``, ``lun. 12/09/2026 à 8h30``, ``2026-09-12T08:30:00+02:00``."""
    if not value:
        raise CellError(_("a date is required (JJ/MM/AAAA)."))
    lowered = value.casefold().replace("à", "a")
    if match := _DATE_FR.fullmatch(lowered):
        day, month, year, hour, minute, second = match.groups()
        date = _date(int(year), int(month), int(day), value)
        if hour is None:
            return When(date)
        return When(date, _time(int(hour), int(minute or 0), int(second or 0), value))
    if match := _DATE_ISO.fullmatch(lowered):
        year, month, day, hour, minute, second, offset = match.groups()
        date = _date(int(year), int(month), int(day), value)
        if hour is None:
            return When(date)
        time = _time(int(hour), int(minute), int(second or 0), value)
        if offset is None:
            return When(date, time)
        # An instant with its offset (Skolengo's ISO dates): read it in the school's time zone.
        if offset == "z":
            tzinfo: dt.tzinfo = dt.UTC
        else:
            sign, hours, minutes = _OFFSET.fullmatch(offset).groups()  # type: ignore[union-attr]
            delta = dt.timedelta(hours=int(hours), minutes=int(minutes))
            tzinfo = dt.timezone(delta if sign == "+" else -delta)
        local = timezone.localtime(dt.datetime.combine(date, time, tzinfo=tzinfo))
        return When(local.date(), local.time().replace(microsecond=0))
    if _DATE_FR_SHORT_YEAR.fullmatch(lowered):
        raise CellError(
            _("%(value)s: the year must have four digits (JJ/MM/AAAA).") % {"value": echo(value)}
        )
    raise CellError(
        _("%(value)s is not a valid date (expected JJ/MM/AAAA, or JJ/MM/AAAA HH:MM).")
        % {"value": echo(value)}
    )


def parse_time(value: str) -> dt.time:
    """``08:30``, ``8h30``, ``8h``, ``08:30:00``."""
    match = _TIME.fullmatch(value.casefold())
    if match is None:
        raise CellError(
            _("%(value)s is not a valid time (expected HH:MM).") % {"value": echo(value)}
        )
    hour, minute, second = match.groups()
    return _time(int(hour), int(minute or 0), int(second or 0), value)


def aware(date: dt.date, time: dt.time | None) -> dt.datetime | None:
    """The instant of a local date and time at the school (Europe/Paris), or ``None`` without a time."""
    if time is None:
        return None
    return timezone.make_aware(dt.datetime.combine(date, time))


_MORNING = {"matin", "matinee", "m", "am", "mat"}
_AFTERNOON = {"apres midi", "apresmidi", "aprem", "pm", "ap", "apm", "s", "soir", "a"}


def parse_half_day(value: str) -> str:
    key = plain_text(value)
    if key in _MORNING:
        return HalfDay.MORNING
    if key in _AFTERNOON:
        return HalfDay.AFTERNOON
    raise CellError(
        _("%(value)s is not a half-day (expected matin or après-midi).") % {"value": echo(value)}
    )


_FALSE = {
    "non", "n", "no", "false", "faux", "0", "non justifie", "non justifiee", "nj",
    "injustifie", "injustifiee", "non regle", "non reglee", "a justifier",
}  # fmt: skip
_TRUE = {
    "oui", "o", "yes", "y", "true", "vrai", "1", "x", "justifie", "justifiee", "j",
    "regle", "reglee", "ok",
}  # fmt: skip


def parse_yes_no(value: str) -> bool | None:
    """Yes or no (oui/non, O/N, 1/0, X, justifiée / non justifiée); an empty cell is unknown."""
    if not value:
        return None
    key = plain_text(value)
    if key in _FALSE:
        return False
    if key in _TRUE:
        return True
    raise CellError(_("%(value)s: expected oui or non.") % {"value": echo(value)})


def parse_count(value: str) -> int:
    """A whole number of half-days or lateness; an empty cell counts as 0."""
    if not value:
        return 0
    text = value.replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("%(value)s is not a number.") % {"value": echo(value)}) from None
    if number != number.to_integral_value() or number < 0:
        raise CellError(
            _("%(value)s: expected a whole number, 0 or more.") % {"value": echo(value)}
        )
    return int(number)


def parse_half_days(value: str) -> int | None:
    """``2``, ``2 demi-journées``, ``1 jour`` (= 2 half-days); an empty cell is unknown."""
    if not value:
        return None
    key = plain_text(value.replace(",", "."))
    match = re.fullmatch(r"(\d+(?: \d+)?)\s*(demi journees?|dj|jours?|j)?", key)
    if match is None:
        raise CellError(
            _("%(value)s is not a number of half-days (e.g. 2, or 2 demi-journées).")
            % {"value": echo(value)}
        )
    number, unit = match.groups()
    amount = Decimal(number.replace(" ", "."))
    if unit and unit.startswith("j"):
        amount *= 2
    if amount != amount.to_integral_value():
        raise CellError(_("%(value)s is not a whole number of half-days.") % {"value": echo(value)})
    return int(amount)


def parse_minutes(value: str) -> int | None:
    """``15``, ``15 min``, ``0h15``, ``00:15``; an empty cell is unknown."""
    if not value:
        return None
    key = value.casefold().replace(" ", "")
    if match := re.fullmatch(r"(\d+)(?:min|mn|minutes?|m)?", key):
        return int(match.group(1))
    if match := re.fullmatch(r"(\d{1,2})[h:](\d{2})(?:min|mn)?", key):
        return int(match.group(1)) * 60 + int(match.group(2))
    raise CellError(
        _("%(value)s is not a number of minutes (e.g. 15, or 0h15).") % {"value": echo(value)}
    )


def parse_decimal(value: str, *, positive: bool = False) -> Decimal:
    text = value.replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("%(value)s is not a number.") % {"value": echo(value)}) from None
    if not number.is_finite() or number < 0 or (positive and number == 0):
        message = (
            _("%(value)s: expected a number greater than 0.")
            if positive
            else _("%(value)s: expected a number, 0 or more.")
        )
        raise CellError(message % {"value": echo(value)})
    if number >= 1000:
        raise CellError(_("%(value)s is too large.") % {"value": echo(value)})
    return number.quantize(Decimal("0.01"))


_SPECIAL_MARKS = {
    "abs": MarkSpecial.ABSENT, "absent": MarkSpecial.ABSENT, "absente": MarkSpecial.ABSENT,
    "disp": MarkSpecial.EXEMPT, "dispense": MarkSpecial.EXEMPT, "dispensee": MarkSpecial.EXEMPT,
    "d": MarkSpecial.EXEMPT, "ex": MarkSpecial.EXEMPT, "exempt": MarkSpecial.EXEMPT,
    "inap": MarkSpecial.EXEMPT, "inapte": MarkSpecial.EXEMPT,
    "nnot": MarkSpecial.NOT_MARKED, "nn": MarkSpecial.NOT_MARKED, "nonnote": MarkSpecial.NOT_MARKED,
    "nrdu": MarkSpecial.NOT_HANDED_IN, "nr": MarkSpecial.NOT_HANDED_IN,
    "nonrendu": MarkSpecial.NOT_HANDED_IN,
}  # fmt: skip


@dataclass(frozen=True)
class MarkValue:
    mark: Decimal | None
    special: str = ""
    #: When the cell itself gives the scale (``15/20``).
    out_of: Decimal | None = None


def parse_mark(value: str) -> MarkValue:
    """``14,5``, ``15/20``, or a code: Abs, Disp, N.Not, N.Rdu (absent, exempt, not marked, not handed in)."""
    special = _SPECIAL_MARKS.get(plain_text(value).replace(" ", ""))
    if special is not None:
        return MarkValue(None, special)
    if "/" in value:
        mark_text, _slash, scale_text = value.partition("/")
        mark = parse_decimal(mark_text)
        out_of = parse_decimal(scale_text, positive=True)
        return MarkValue(mark, "", out_of)
    if not _NUMBER.fullmatch(value.replace(" ", "")):
        raise CellError(
            _("%(value)s is neither a mark nor a known code (Abs, Disp, N.Not, N.Rdu).")
            % {"value": echo(value)}
        )
    return MarkValue(parse_decimal(value))


def parse_duration(value: str, *, exclusion: bool) -> tuple[Decimal, str]:
    """``2h``, ``1h30``, ``3 jours``, ``3j``; a bare number is days for an exclusion, else hours."""
    key = plain_text(value.replace(",", "."))
    if match := re.fullmatch(r"(\d+)\s*h\s*(\d{2})", key.replace(" ", "")):
        hours = Decimal(match.group(1)) + Decimal(match.group(2)) / 60
        return hours.quantize(Decimal("0.01")), DurationUnit.HOURS
    match = re.fullmatch(r"(\d+(?: \d+)?)\s*(h|heures?|j|jours?|demi journees?)?", key)
    if match is None:
        raise CellError(
            _("%(value)s is not a duration (e.g. 2h, 1h30, 3 jours).") % {"value": echo(value)}
        )
    number, unit = match.groups()
    amount = Decimal(number.replace(" ", "."))
    if unit is None:
        return amount, DurationUnit.DAYS if exclusion else DurationUnit.HOURS
    if unit.startswith("demi"):
        return amount / 2, DurationUnit.DAYS
    return amount, DurationUnit.HOURS if unit.startswith("h") else DurationUnit.DAYS


_SEVERITY_WORDS = (
    (("exclusion definitive", "conseil de discipline", "renvoi definitif"), Severity.PERMANENT_EXCLUSION),
    (("avertissement", "blame", "exclusion temporaire", "exclusion de l etablissement",
      "exclusion de l internat", "mesure de responsabilisation", "sanction", "commission educative"),
     Severity.SANCTION),
    (("retenue", "colle", "devoir supplementaire", "exclusion de cours", "exclusion ponctuelle",
      "punition", "travail supplementaire", "observation", "excuse", "mot"), Severity.PUNISHMENT),
)  # fmt: skip


def infer_severity(nature: str) -> int:
    """How serious a nature is, in words the software uses; unknown words are an incident."""
    words = f" {plain_text(nature)} "
    for keys, severity in _SEVERITY_WORDS:
        if any(f" {key} " in words or words.strip().startswith(key) for key in keys):
            return severity
    return Severity.INCIDENT


def parse_severity(value: str) -> int:
    """A level 1–4, or the words of ``infer_severity``."""
    key = plain_text(value)
    if key in {"1", "2", "3", "4"}:
        return int(key)
    severity = infer_severity(value)
    if severity == Severity.INCIDENT and "incident" not in key:
        raise CellError(
            _("%(value)s is not a severity (1 to 4, or incident, punition, sanction, exclusion).")
            % {"value": echo(value)}
        )
    return severity


def infer_exclusion(nature: str) -> bool:
    return "exclusion" in plain_text(nature) or "renvoi" in plain_text(nature)


# Words that make a reason a health matter: such a reason is not stored (minimisation;
# health data is not processed here). The absence itself is kept.
# Compared with the start of each word of the reason.
_HEALTH_WORDS = (
    "malad", "medic", "medec", "sante", "hopita", "hospit", "infirm", "soins", "dentist",
    "kine", "orthophon", "ophtalm", "psy", "therap", "chirurg", "enceinte", "grossesse",
    "handicap", "covid", "vaccin", "blessure", "blesse", "fievre", "grippe", "urgences",
    "clinique", "pediatr", "allerg", "asthm", "hospitalisation", "maternite",
)  # fmt: skip


def is_health_reason(reason: str) -> bool:
    return any(word.startswith(_HEALTH_WORDS) for word in plain_text(reason).split())


_ABSENCE_TYPES = ("absence", "abs", "absent")
_LATENESS_TYPES = ("retard", "ret", "late", "lateness")


def event_type_of(value: str) -> str:
    """``absences``, ``lateness`` or ``""`` (another kind: infirmerie, exclusion…) for a type cell."""
    key = plain_text(value)
    first = key.split(" ", 1)[0] if key else ""
    if first in _ABSENCE_TYPES or key.startswith("absence"):
        return "absences"
    if first in _LATENESS_TYPES or key.startswith("retard"):
        return "lateness"
    return ""
