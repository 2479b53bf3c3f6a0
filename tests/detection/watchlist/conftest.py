"""Fixtures of the watchlist tests: a frozen clock, a school with two divisions, event builders.

The clock is frozen on Friday 27 November 2026, 10:00 in Paris, so "this month" is November
and the last three months are September, October and November.
"""

import datetime as dt
import hashlib
import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from alliance.core import clock
from alliance.detection.models import (
    Absence,
    EventImport,
    EventKind,
    Lateness,
    Mark,
    Observation,
    Sanction,
)
from tests import factories
from tests.conftest import adhered

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()
_keys = itertools.count()


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return NOW


def _key() -> str:
    return hashlib.sha256(f"test-event-{next(_keys)}".encode()).hexdigest()


@dataclass
class Events:
    """Writes events for the tests, as an import by ``membership`` would have."""

    membership: object
    imports: dict = field(default_factory=dict)

    def _import(self, kind: str) -> EventImport:
        if kind not in self.imports:
            self.imports[kind] = EventImport.objects.create(
                school=self.membership.school,
                membership=self.membership,
                kind=kind,
                imported_at=NOW,
                file_sha256="0" * 64,
            )
        return self.imports[kind]

    def absence(self, pupil, day: dt.date, half_days: int = 1, justified: bool = False):
        return Absence.objects.create(
            school=pupil.school,
            pupil=pupil,
            source_key=_key(),
            event_import=self._import(EventKind.ABSENCES),
            start_date=day,
            end_date=day,
            half_days=half_days,
            justified=justified,
        )

    def lateness(self, pupil, day: dt.date):
        return Lateness.objects.create(
            school=pupil.school,
            pupil=pupil,
            source_key=_key(),
            event_import=self._import(EventKind.LATENESS),
            date=day,
            minutes=10,
        )

    def sanction(self, pupil, day: dt.date, severity: int = 3):
        return Sanction.objects.create(
            school=pupil.school,
            pupil=pupil,
            source_key=_key(),
            event_import=self._import(EventKind.SANCTIONS),
            date=day,
            nature="Exclusion de cours",
            severity=severity,
        )

    def mark(self, pupil, period: str, subject: str, value: float, day: dt.date):
        return Mark.objects.create(
            school=pupil.school,
            pupil=pupil,
            source_key=_key(),
            event_import=self._import(EventKind.MARKS),
            period=period,
            subject=subject,
            date=day,
            mark=Decimal(str(value)),
        )

    def observation(self, pupil, code: str, day: dt.date, by):
        from alliance.cases.models import SignCatalogueEntry
        from alliance.cases.services import sign_catalogue_ensure

        sign_catalogue_ensure(school=pupil.school)
        return Observation.objects.create(
            school=pupil.school,
            pupil=pupil,
            sign=SignCatalogueEntry.objects.get(school=pupil.school, code=code),
            observed_on=day,
            recorded_by=by,
        )


@pytest.fixture
def divisions(school):
    year = factories.SchoolYearFactory(school=school)
    return {
        "4B": factories.DivisionFactory(school_year=year, code="4E B", level="4e"),
        "3A": factories.DivisionFactory(school_year=year, code="3E A", level="3e"),
    }


@pytest.fixture
def events(cpe):
    return Events(cpe)


@pytest.fixture
def referent(school, charter):
    return adhered(
        factories.MembershipFactory(school=school, profession="dropout_referent", role="staff")
    )


def slide(events: Events, pupil, *, nov_unjustified: int = 9) -> None:
    """Inès's slow slide: 2 absences in September, 5 in October, 9 unjustified half-days in
    November (the legal threshold), maths and French down three points from T1 to T2."""
    for day in (dt.date(2026, 9, 14), dt.date(2026, 9, 21)):
        events.absence(pupil, day, justified=True)
    for day in (5, 6, 12, 13, 19):
        events.absence(pupil, dt.date(2026, 10, day), justified=day != 19)
    for index in range(nov_unjustified):
        events.absence(pupil, dt.date(2026, 11, 2 + index), justified=False)
    for subject, t1, t2 in (("Mathématiques", 12, 9), ("Français", 13, 10)):
        events.mark(pupil, "T1", subject, t1, dt.date(2026, 10, 1))
        events.mark(pupil, "T2", subject, t2, dt.date(2026, 11, 20))
