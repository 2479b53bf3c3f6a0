"""The adapter builds the engine's frames from the database: the right rows, only visible pupils."""

import datetime as dt

import polars as pl
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliance.detection import frames as frames_module
from alliance.detection.engine import evaluate, protected_columns
from alliance.detection.frames import engine_input_for, period_span_from_label
from alliance.detection.models import PeriodCount
from tests import factories
from tests.conftest import adhered
from tests.detection.watchlist.conftest import TODAY, slide


def test_frames_hold_the_events_of_the_visible_pupils(head, cpe, events, divisions):
    ines = factories.PupilFactory(school=head.school, division=divisions["4B"], first_name="Inès")
    slide(events, ines)
    events.lateness(ines, dt.date(2026, 11, 3))
    events.sanction(ines, dt.date(2026, 11, 4), severity=2)
    events.observation(ines, "no_materials", dt.date(2026, 11, 10), by=cpe)

    frames = engine_input_for(head)

    pupils = frames.input.pupils
    assert pupils.to_dicts() == [{"pupil_id": ines.pk, "level": "4e", "division": "4E B"}]
    absences = frames.input.absences
    assert absences.height == 2 + 5 + 9
    november = absences.filter(pl.col("start_date") >= dt.date(2026, 11, 1))
    assert november.get_column("justified").to_list() == [False] * 9
    assert november.get_column("half_days").sum() == 9
    assert frames.input.lateness.to_dicts() == [
        {"pupil_id": ines.pk, "date": dt.date(2026, 11, 3), "minutes": 10, "justified": None}
    ]
    assert frames.input.sanctions.to_dicts() == [
        {"pupil_id": ines.pk, "date": dt.date(2026, 11, 4), "severity": 2, "exclusion": False}
    ]
    marks = frames.input.marks.sort("period", "subject")
    assert marks.select("period", "subject", "mark", "out_of").rows() == [
        ("T1", "Français", 13.0, 20.0),
        ("T1", "Mathématiques", 12.0, 20.0),
        ("T2", "Français", 10.0, 20.0),
        ("T2", "Mathématiques", 9.0, 20.0),
    ]
    assert frames.input.signs.to_dicts() == [
        {"pupil_id": ines.pk, "date": dt.date(2026, 11, 10), "sign": "no_materials"}
    ]
    assert frames.pupils[ines.pk].public_id == ines.public_id
    # The engine reads them as they are.
    result = evaluate(frames.input, as_of=TODAY)
    assert result.ranking.height == 1


def test_no_protected_column_and_no_name_in_the_frames(head, events, divisions):
    pupil = factories.PupilFactory(school=head.school, division=divisions["4B"])
    slide(events, pupil)
    frames = engine_input_for(head)
    for frame in frames.input.frames().values():
        assert protected_columns(frame.columns) == []
        assert not {"first_name", "last_name", "birth_date", "reason", "nature"} & set(
            frame.columns
        )


def test_only_the_pupils_the_member_sees(head, cpe, other_school, events, divisions):
    mine = factories.PupilFactory(school=head.school, division=divisions["4B"])
    left = factories.PupilFactory(school=head.school, left=True)
    theirs = factories.PupilFactory(school=other_school)
    other_head = adhered(factories.MembershipFactory(school=other_school, head=True))
    for pupil in (mine, left):
        events.absence(pupil, dt.date(2026, 11, 2))
    from tests.detection.watchlist.conftest import Events

    Events(other_head).absence(theirs, dt.date(2026, 11, 2))

    frames = engine_input_for(head)
    assert frames.input.pupils.get_column("pupil_id").to_list() == [mine.pk]
    assert frames.input.absences.get_column("pupil_id").to_list() == [mine.pk]
    # Pupils who left are kept only on request.
    with_left = engine_input_for(head, include_left=True)
    assert sorted(with_left.input.absences.get_column("pupil_id").to_list()) == sorted(
        [mine.pk, left.pk]
    )
    # A partner, the académie, a member who has not adhered: nothing at all.
    partner = adhered(factories.MembershipFactory(school=head.school, partner=True))
    not_adhered = factories.MembershipFactory(school=head.school, head=True)
    for nobody in (partner, not_adhered, None):
        frames = engine_input_for(nobody)
        assert frames.input.pupils.height == 0
        assert frames.input.absences is None


def test_signs_of_a_secrecy_bound_professional_are_left_out(head, school, events, divisions):
    pupil = factories.PupilFactory(school=school, division=divisions["4B"])
    nurse = adhered(factories.MembershipFactory(school=school, nurse=True))
    teacher = adhered(factories.MembershipFactory(school=school))
    events.observation(pupil, "fatigue", dt.date(2026, 11, 10), by=nurse)
    events.observation(pupil, "isolation", dt.date(2026, 11, 10), by=teacher)
    frames = engine_input_for(head)
    assert frames.input.signs.get_column("sign").to_list() == ["isolation"]


def test_period_counts_come_with_the_periods_dates(head, events, divisions):
    pupil = factories.PupilFactory(school=head.school, division=divisions["4B"])
    PeriodCount.objects.create(
        school=head.school,
        pupil=pupil,
        source_key="k" * 64,
        event_import=events._import("counts"),
        period="T1",
        half_days_absent=12,
        unjustified_half_days=8,
    )
    frames = engine_input_for(head)
    assert frames.input.periods.to_dicts() == [
        {"period": "T1", "start_date": dt.date(2026, 9, 1), "end_date": dt.date(2026, 11, 30)}
    ]
    evaluate(frames.input, as_of=TODAY)  # accepted by the engine


def test_period_labels_are_dated_by_the_usual_calendar():
    start = dt.date(2026, 8, 1)
    assert period_span_from_label("T2", start) == (dt.date(2026, 12, 1), dt.date(2027, 2, 28))
    assert period_span_from_label("Semestre 1", start) == (
        dt.date(2026, 9, 1),
        dt.date(2027, 1, 31),
    )
    assert period_span_from_label("Bilan", start) is None


def test_query_count_does_not_depend_on_the_number_of_pupils(head, cpe, events, divisions):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            engine_input_for(head, since=dt.date(2026, 8, 1))
        return len(queries)

    pupil = factories.PupilFactory(school=head.school, division=divisions["4B"])
    slide(events, pupil)
    events.observation(pupil, "isolation", dt.date(2026, 11, 10), by=cpe)
    few = count()
    for _ in range(15):
        other = factories.PupilFactory(school=head.school, division=divisions["3A"])
        slide(events, other)
        events.lateness(other, dt.date(2026, 11, 3))
        events.observation(other, "isolation", dt.date(2026, 11, 10), by=cpe)
    assert count() == few


def test_frames_read_through_the_driver_equal_the_orm_s_values(
    head, cpe, events, divisions, monkeypatch
):
    # ``_query_frame`` skips Django's per-value converters: the same SQL must give the same
    # typed frames as the ORM's own values (dates, booleans from SQLite's 0/1, nulls,
    # decimals cast to floats), on SQLite and on PostgreSQL alike.
    ines = factories.PupilFactory(school=head.school, division=divisions["4B"])
    slide(events, ines)
    events.lateness(ines, dt.date(2026, 11, 3))
    events.sanction(ines, dt.date(2026, 11, 4), severity=3)
    events.observation(ines, "isolation", dt.date(2026, 11, 10), by=cpe)
    PeriodCount.objects.create(
        school=head.school,
        pupil=ines,
        period="T1",
        half_days_absent=6,
        unjustified_half_days=None,
        lateness_count=2,
        source_key="k" * 64,
        event_import=events._import("counts"),
    )
    driver = engine_input_for(head, since=dt.date(2026, 8, 1))

    def through_the_orm(queryset, schema):
        return pl.DataFrame(list(queryset), schema=schema, orient="row")

    monkeypatch.setattr(frames_module, "_query_frame", through_the_orm)
    orm = engine_input_for(head, since=dt.date(2026, 8, 1))
    for name, frame in orm.input.frames().items():
        assert driver.input.frames()[name].equals(frame), name
    assert driver.input.absences.height > 0 and driver.input.period_counts.height == 1
    assert driver.input.absences.get_column("justified").dtype == pl.Boolean
