"""The demo's vie-scolaire events and grid observations, so that the watchlist has a story.

``seed_detection(college=..., lp=..., seed=...)`` (called at the end of the demo seeding)
writes, with ``bulk_create`` and one event import per school and kind (by the school's CPE):

- **Inès** (collège, 4e B — ``SCENARIOS.md`` story 1, the slow slide): two absences two
  months ago, five last month, nine unjustified half-days this month (the legal threshold of
  L131-8); her maths and French averages three points down from T1 to T2 (the other subjects
  one point); her form tutor and her maths teacher each noted in the grid that she "no
  longer brings her things" (``no_materials``). The watchlist puts her near the top with
  four reasons or more, the legal threshold among them.
- **Yanis** (collège, 3e A): absent on Mondays, late nearly every day.
- **Samir** (lycée professionnel): absent from the workshop several days a week this month.
- every other pupil: a background drawn from ``random.Random(seed)`` — mostly a few
  justified absences and a rare lateness, about one pupil in twelve sliding too (unjustified
  absences, lateness, an incident, falling marks, sometimes a grid sign), so that the list is
  realistic and the capacity line means something.

The months are counted back from today ("this month" is the current month from the 20th on,
the previous one before), so the story is always the last three months the watchlist looks
at; nothing is dated after today. The same seed on the same day gives the same data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from alliance.audit.services import audit_record
from alliance.cases.models import SignCatalogueEntry
from alliance.cases.services import sign_catalogue_ensure
from alliance.core import clock
from alliance.detection.models import (
    Absence,
    EventImport,
    EventKind,
    HalfDay,
    Lateness,
    Mark,
    Observation,
    Sanction,
    Severity,
)
from alliance.pupils.models import Pupil
from alliance.tenancy.models import Membership, Profession, Role, School

SUBJECTS_COLLEGE = ("Mathématiques", "Français", "Histoire-géographie", "Anglais", "SVT", "EPS")
SUBJECTS_LP = ("Mathématiques", "Français", "Enseignement professionnel", "Anglais", "PSE", "EPS")
#: Share of background pupils who slide too.
SLIDING_SHARE = 1 / 15
CHUNK_SIZE = 2000


def story_months(today: dt.date) -> list[dt.date]:
    """The first days of the three months of the story, the last one being "this month"."""
    current = today.replace(day=1)
    if today.day < 20:
        current = (current - dt.timedelta(days=1)).replace(day=1)
    months = [current]
    for _ in range(2):
        months.insert(0, (months[0] - dt.timedelta(days=1)).replace(day=1))
    return months


def school_days(month: dt.date, today: dt.date) -> list[dt.date]:
    """The weekdays of ``month`` up to today (Wednesday included: mornings have lessons)."""
    days = []
    day = month
    while day.month == month.month and day <= today:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


@dataclass
class _Batch:
    """The rows of one school, written at the end with ``bulk_create``."""

    school: School
    imports: dict[str, EventImport]
    absences: list[Absence] = field(default_factory=list)
    lateness: list[Lateness] = field(default_factory=list)
    sanctions: list[Sanction] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    counter: int = 0

    def key(self, kind: str) -> str:
        self.counter += 1
        text = f"demo:{self.school.uai}:{kind}:{self.counter}"
        return hashlib.sha256(text.encode()).hexdigest()

    def absence(self, pupil: Pupil, day: dt.date, *, justified: bool, half_day: str = "") -> None:
        """A whole day (two half-days), or one half-day when ``half_day`` is given."""
        self.absences.append(
            Absence(
                school=self.school,
                pupil=pupil,
                source_key=self.key("absences"),
                event_import=self.imports[EventKind.ABSENCES],
                start_date=day,
                end_date=day,
                half_day=half_day,
                half_days=1 if half_day else 2,
                justified=justified,
                reason="" if not justified else "Motif familial",
            )
        )

    def late(self, pupil: Pupil, day: dt.date, minutes: int) -> None:
        self.lateness.append(
            Lateness(
                school=self.school,
                pupil=pupil,
                source_key=self.key("lateness"),
                event_import=self.imports[EventKind.LATENESS],
                date=day,
                minutes=minutes,
                justified=False,
            )
        )

    def incident(self, pupil: Pupil, day: dt.date, severity: int, nature: str) -> None:
        self.sanctions.append(
            Sanction(
                school=self.school,
                pupil=pupil,
                source_key=self.key("sanctions"),
                event_import=self.imports[EventKind.SANCTIONS],
                date=day,
                nature=nature,
                severity=severity,
            )
        )

    def mark(self, pupil: Pupil, period: str, subject: str, value: float, day: dt.date) -> None:
        value = min(20.0, max(0.0, round(value * 2) / 2))
        self.marks.append(
            Mark(
                school=self.school,
                pupil=pupil,
                source_key=self.key("marks"),
                event_import=self.imports[EventKind.MARKS],
                period=period,
                subject=subject,
                date=day,
                assessment="Moyenne",
                mark=Decimal(str(value)),
            )
        )

    def observe(self, pupil: Pupil, sign: SignCatalogueEntry, day: dt.date, by: Membership) -> None:
        self.observations.append(
            Observation(school=self.school, pupil=pupil, sign=sign, observed_on=day, recorded_by=by)
        )

    def write(self) -> None:
        Absence.objects.bulk_create(self.absences, batch_size=CHUNK_SIZE)
        Lateness.objects.bulk_create(self.lateness, batch_size=CHUNK_SIZE)
        Sanction.objects.bulk_create(self.sanctions, batch_size=CHUNK_SIZE)
        Mark.objects.bulk_create(self.marks, batch_size=CHUNK_SIZE)
        Observation.objects.bulk_create(self.observations, batch_size=CHUNK_SIZE)
        totals: dict[str, int] = {
            EventKind.ABSENCES: len(self.absences),
            EventKind.LATENESS: len(self.lateness),
            EventKind.SANCTIONS: len(self.sanctions),
            EventKind.MARKS: len(self.marks),
        }
        for kind, event_import in self.imports.items():
            EventImport.objects.filter(pk=event_import.pk).update(
                rows_count=totals[kind], created_count=totals[kind]
            )


def _member(school: School, profession: str, email_prefix: str = "") -> Membership | None:
    members = Membership.objects.filter(school=school, profession=profession, role=Role.STAFF)
    if email_prefix:
        members = members.filter(user__email__startswith=email_prefix)
    return members.order_by("pk").first()


def _pupil(school: School, first_name: str, last_name: str) -> Pupil | None:
    return Pupil.objects.filter(school=school, first_name=first_name, last_name=last_name).first()


def _periods(months: list[dt.date], today: dt.date) -> dict[str, dt.date]:
    """The day each period's averages are dated: T1 in the first month, T2 this month."""
    return {
        "T1": months[0] + dt.timedelta(days=14),
        "T2": min(today, months[2] + dt.timedelta(days=14)),
    }


def _background(
    batch: _Batch,
    pupils: list[Pupil],
    rng: random.Random,
    months: list[dt.date],
    today: dt.date,
    subjects: tuple[str, ...],
    signs: list[SignCatalogueEntry],
    observers: list[Membership],
) -> None:
    dates = _periods(months, today)
    days_by_month = [school_days(month, today) for month in months]
    for pupil in pupils:
        sliding = rng.random() < SLIDING_SHARE
        level = rng.gauss(12.5, 1.6)
        for index, days in enumerate(days_by_month):
            if not days:
                continue
            # A few justified absences for everyone; unjustified ones growing for the sliding.
            for day in rng.sample(days, k=min(len(days), rng.choice((0, 0, 0, 0, 0, 0, 1, 1, 2)))):
                half = rng.choice((HalfDay.MORNING, HalfDay.AFTERNOON, ""))
                batch.absence(pupil, day, justified=True, half_day=half)
            if sliding:
                unjustified = rng.randint(0, 1 + 2 * index)
                for day in rng.sample(days, k=min(len(days), unjustified)):
                    batch.absence(pupil, day, justified=False, half_day=HalfDay.MORNING)
                for day in rng.sample(days, k=min(len(days), rng.randint(0, 2 + index))):
                    batch.late(pupil, day, rng.choice((5, 10, 15, 20)))
            elif rng.random() < 0.08:
                batch.late(pupil, rng.choice(days), rng.choice((5, 10)))
        last = days_by_month[-1] + days_by_month[-2]
        if last and ((sliding and rng.random() < 0.4) or rng.random() < 0.02):
            batch.incident(
                pupil,
                rng.choice(last),
                rng.choice((Severity.INCIDENT, Severity.PUNISHMENT, Severity.SANCTION)),
                rng.choice(("Bavardages répétés", "Insolence", "Refus de travail")),
            )
        drop = rng.uniform(0.5, 2.5) if sliding else rng.uniform(-0.6, 0.6)
        for subject in subjects:
            t1 = level + rng.gauss(0, 1.0)
            batch.mark(pupil, "T1", subject, t1, dates["T1"])
            batch.mark(pupil, "T2", subject, t1 - drop + rng.gauss(0, 0.5), dates["T2"])
        if sliding and signs and observers and days_by_month[-1] and rng.random() < 0.5:
            batch.observe(
                pupil, rng.choice(signs), rng.choice(days_by_month[-1]), rng.choice(observers)
            )


def _ines(
    batch: _Batch,
    ines: Pupil,
    months: list[dt.date],
    today: dt.date,
    grid: dict[str, SignCatalogueEntry],
    tutor: Membership | None,
    maths: Membership | None,
) -> None:
    first, second, this = (school_days(month, today) for month in months)
    # Two absences (justified), then five (two unjustified), then nine unjustified half-days.
    for day in first[3:4] + first[12:13]:
        batch.absence(ines, day, justified=True)
    for position, day in enumerate(second[2:17:3][:5]):
        batch.absence(ines, day, justified=position < 3, half_day=HalfDay.AFTERNOON)
    this_days = this[:]
    whole, half = this_days[1:9:2][:4], this_days[10:11]
    for day in whole:
        batch.absence(ines, day, justified=False)
    for day in half:
        batch.absence(ines, day, justified=False, half_day=HalfDay.MORNING)
    for day in this_days[0:2]:
        batch.late(ines, day, 10)
    dates = _periods(months, today)
    for subject, t1, t2 in (
        ("Mathématiques", 12.5, 9.5),
        ("Français", 13.0, 10.0),
        ("Histoire-géographie", 12.0, 11.0),
        ("Anglais", 13.5, 12.5),
        ("SVT", 12.0, 11.0),
        ("EPS", 14.0, 13.0),
    ):
        batch.mark(ines, "T1", subject, t1, dates["T1"])
        batch.mark(ines, "T2", subject, t2, dates["T2"])
    sign = grid.get("no_materials")
    if sign is not None and this_days:
        for teacher, day in (
            (tutor, this_days[min(3, len(this_days) - 1)]),
            (maths, this_days[-1]),
        ):
            if teacher is not None:
                batch.observe(ines, sign, day, teacher)


def _yanis(
    batch: _Batch, yanis: Pupil, months: list[dt.date], today: dt.date, subjects: tuple[str, ...]
) -> None:
    dates = _periods(months, today)
    for subject in subjects:
        batch.mark(yanis, "T1", subject, 11.0, dates["T1"])
        batch.mark(yanis, "T2", subject, 10.0, dates["T2"])
    for month in months:
        days = school_days(month, today)
        for day in days:
            if day.weekday() == 0:
                batch.absence(yanis, day, justified=False)
            elif day.weekday() in (1, 3, 4):
                batch.late(yanis, day, 15)


def _samir(batch: _Batch, samir: Pupil, months: list[dt.date], today: dt.date) -> None:
    for index, month in enumerate(months):
        for position, day in enumerate(school_days(month, today)):
            if position % (4 - index) == 0:
                batch.absence(samir, day, justified=False)


@transaction.atomic
def seed_detection(*, college: School, lp: School, seed: int) -> None:
    """Write the demo's events and observations (idempotent: a school with events is left alone)."""
    today = clock.today()
    now = clock.now()
    months = story_months(today)
    rng = random.Random(f"{seed}:detection")
    for school, subjects in ((college, SUBJECTS_COLLEGE), (lp, SUBJECTS_LP)):
        if EventImport.objects.filter(school=school).exists():
            continue
        cpe = _member(school, Profession.CPE)
        if cpe is None:
            continue
        imports: dict[str, EventImport] = {
            kind: EventImport.objects.create(
                school=school,
                membership=cpe,
                kind=kind,
                imported_at=now,
                file_sha256=hashlib.sha256(f"demo:{school.uai}:{kind}".encode()).hexdigest(),
            )
            for kind in (
                EventKind.ABSENCES,
                EventKind.LATENESS,
                EventKind.SANCTIONS,
                EventKind.MARKS,
            )
        }
        batch = _Batch(school=school, imports=imports)
        grid = {entry.code: entry for entry in sign_catalogue_ensure(school=school)}
        grid_signs = [
            grid[code]
            for code in ("disengagement", "no_materials", "lost_motivation", "isolation", "fatigue")
            if code in grid
        ]
        observers = [
            m
            for m in Membership.objects.filter(
                school=school,
                role=Role.STAFF,
                profession__in=(Profession.TEACHER, Profession.FORM_TUTOR, Profession.CPE),
            ).order_by("pk")
            if m.is_live()
        ]
        story: dict[str, Pupil | None] = {}
        if school.pk == college.pk:
            story = {
                "ines": _pupil(school, "Inès", "Belkacem"),
                "yanis": _pupil(school, "Yanis", "Lambert"),
            }
        else:
            story = {"samir": _pupil(school, "Samir", "Benchikh")}
        story_ids = {p.pk for p in story.values() if p is not None}
        pupils = list(
            Pupil.objects.filter(school=school, left_on__isnull=True)
            .exclude(pk__in=story_ids)
            .order_by("pk")
        )
        _background(batch, pupils, rng, months, today, subjects, grid_signs, observers)
        ines, yanis, samir = story.get("ines"), story.get("yanis"), story.get("samir")
        if ines is not None:
            tutor = _member(school, Profession.FORM_TUTOR, "pp.4eb")
            maths = _member(school, Profession.TEACHER, "prof@")
            _ines(batch, ines, months, today, grid, tutor, maths)
        if yanis is not None:
            _yanis(batch, yanis, months, today, subjects)
        if samir is not None:
            _samir(batch, samir, months, today)
        batch.write()
        # One event for the whole demo import of the school, and nobody's data in it.
        audit_record(action="import", object_type="demo.detection", school=school)
