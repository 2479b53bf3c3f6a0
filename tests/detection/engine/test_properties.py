"""Engine invariants over random event sets (Hypothesis)."""

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from alliance.detection.engine import EngineInput, evaluate
from tests.detection.engine.helpers import TRIMESTERS, pupils

START = dt.date(2024, 9, 2)
AS_OF = dt.date(2024, 11, 30)
PUPILS = ("a", "b", "c")
KINDS = ("absence", "justified", "lateness", "incident", "sanction", "sign", "mark")

days = st.integers(min_value=0, max_value=(AS_OF - START).days)
events = st.lists(
    st.tuples(st.sampled_from(PUPILS), days, st.sampled_from(KINDS), st.integers(0, 20)),
    max_size=25,
)


def _frames(
    rows: list[tuple[str, int, str, int]], pupil_ids: tuple[str, ...] = PUPILS
) -> EngineInput:
    def dated(kind: str) -> list[tuple[str, dt.date, int]]:
        return [(p, START + dt.timedelta(days=day), n) for p, day, k, n in rows if k == kind]

    absences = [(p, when, 1 + n % 3, False) for p, when, n in dated("absence")]
    absences += [(p, when, 1 + n % 3, True) for p, when, n in dated("justified")]
    sanctions = [(p, when, 1, False) for p, when, _ in dated("incident")]
    sanctions += [(p, when, 3, n % 2 == 0) for p, when, n in dated("sanction")]
    marks = [(p, "T1", f"s{n % 3}", float(n), when) for p, when, n in dated("mark")]
    return EngineInput(
        pupils=pupils(*pupil_ids),
        absences=pl.DataFrame(
            absences,
            schema={
                "pupil_id": pl.String,
                "start_date": pl.Date,
                "half_days": pl.Int64,
                "justified": pl.Boolean,
            },
            orient="row",
        ),
        lateness=pl.DataFrame(
            [(p, when) for p, when, _ in dated("lateness")],
            schema={"pupil_id": pl.String, "date": pl.Date},
            orient="row",
        ),
        sanctions=pl.DataFrame(
            sanctions,
            schema={
                "pupil_id": pl.String,
                "date": pl.Date,
                "severity": pl.Int64,
                "exclusion": pl.Boolean,
            },
            orient="row",
        ),
        signs=pl.DataFrame(
            [(p, when, f"sign{n % 4}") for p, when, n in dated("sign")],
            schema={"pupil_id": pl.String, "date": pl.Date, "sign": pl.String},
            orient="row",
        ),
        marks=pl.DataFrame(
            marks,
            schema={
                "pupil_id": pl.String,
                "period": pl.String,
                "subject": pl.String,
                "mark": pl.Float64,
                "date": pl.Date,
            },
            orient="row",
        ),
        periods=TRIMESTERS,
    )


def _score(frames: EngineInput, pupil: str) -> float:
    ranking = evaluate(frames, as_of=AS_OF).ranking
    return ranking.filter(pl.col("pupil_id") == pupil).get_column("score").item()


def _unjustified(frames: EngineInput, pupil: str) -> int:
    monthly = evaluate(frames, as_of=AS_OF).monthly
    return int(
        monthly.filter(pl.col("pupil_id") == pupil).get_column("unjustified_half_days").sum()
    )


@settings(max_examples=30, deadline=None)
@given(rows=events, day=days, size=st.integers(0, 20))
def test_an_unjustified_absence_never_lowers_the_absence_indicator_or_the_score(rows, day, size):
    before = _frames(rows)
    after = _frames([*rows, ("a", day, "absence", size)])
    assert _unjustified(after, "a") > _unjustified(before, "a")
    assert _score(after, "a") >= _score(before, "a") - 1e-9


@settings(max_examples=30, deadline=None)
@given(
    rows=events,
    day=days,
    kind=st.sampled_from(("lateness", "incident", "sanction", "sign", "justified")),
    size=st.integers(0, 20),
)
def test_the_score_is_monotone_in_each_indicator(rows, day, kind, size):
    before = _frames(rows)
    after = _frames([*rows, ("a", day, kind, size)])
    assert _score(after, "a") >= _score(before, "a") - 1e-9


@settings(max_examples=30, deadline=None)
@given(rows=events, day=days, below=st.integers(0, 5))
def test_a_mark_below_all_others_in_the_latest_period_never_lowers_the_score(rows, day, below):
    own = [n for p, _, k, n in rows if p == "a" and k == "mark"]
    mark = max(0, min(own, default=9) - below)
    before = _frames(rows)
    after = _frames([*rows, ("a", day, "mark", mark)])
    assert _score(after, "a") >= _score(before, "a") - 1e-9


@settings(max_examples=30, deadline=None)
@given(rows=events)
def test_a_pupil_with_no_events_raises_no_alert(rows):
    quiet = [row for row in rows if row[0] != "c"]
    result = evaluate(_frames(quiet), as_of=AS_OF)
    assert "c" not in result.alerts.get_column("pupil_id").to_list()
    c = result.ranking.filter(pl.col("pupil_id") == "c").row(0, named=True)
    assert c["score"] == 0.0
    assert c["reasons"] == []


@settings(max_examples=30, deadline=None)
@given(rows=events)
def test_no_output_row_for_unknown_pupils(rows):
    result = evaluate(_frames(rows, pupil_ids=("a", "b")), as_of=AS_OF)
    for frame in (result.monthly, result.periods, result.alerts, result.ranking):
        assert set(frame.get_column("pupil_id").to_list()) <= {"a", "b"}
    assert sorted(result.ranking.get_column("pupil_id").to_list()) == ["a", "b"]


@settings(max_examples=40, deadline=None)
@given(
    counts=st.dictionaries(
        st.tuples(st.sampled_from(PUPILS), st.integers(0, 9)), st.integers(0, 6), max_size=20
    )
)
def test_since_matches_a_plain_reference(counts):
    """Alerts and "since when" against a month-by-month loop (lateness, 2 then 4)."""
    from alliance.detection.engine import RuleSet

    rules = RuleSet.from_document({"indicators": {"lateness": {"vigilance": 2, "alerte": 4}}})
    months = [dt.date(2024 + (8 + i) // 12, (8 + i) % 12 + 1, 1) for i in range(10)]
    rows = [
        (pupil, months[index] + dt.timedelta(days=day))
        for (pupil, index), count in counts.items()
        for day in range(count)
    ]
    lateness = pl.DataFrame(rows, schema={"pupil_id": pl.String, "date": pl.Date}, orient="row")
    result = evaluate(
        EngineInput(pupils=pupils(*PUPILS), lateness=lateness), rules, as_of=dt.date(2025, 6, 30)
    )
    got = set(
        result.alerts.filter(pl.col("indicator") == "lateness")
        .select("pupil_id", "period", "level", "since")
        .iter_rows()
    )
    expected = set()
    grid = [
        month
        for month in months
        if month >= min((m for _, m in rows), default=months[-1]).replace(day=1)
    ]
    for pupil in PUPILS:
        run_v = run_a = None
        for month in grid:
            value = counts.get((pupil, months.index(month)), 0)
            run_v = (run_v or month) if value >= 2 else None
            run_a = (run_a or month) if value >= 4 else None
            if run_v:
                level, since = ("alerte", run_a) if run_a else ("vigilance", run_v)
                expected.add((pupil, month.strftime("%Y-%m"), level, since.strftime("%Y-%m")))
    assert got == expected


@settings(max_examples=40, deadline=None)
@given(rows=events, seed=st.integers(0, 2**32 - 1))
def test_the_order_of_the_input_rows_changes_nothing(rows, seed):
    # The database gives the rows in whatever order its plan finds them: every output
    # (values, rows and their order, reasons and their order) must be the same for any order.
    frames = _frames(rows)
    shuffled = EngineInput(
        **{
            name: frame.sample(fraction=1.0, shuffle=True, seed=seed + index)
            for index, (name, frame) in enumerate(frames.frames().items())
        }
    )
    first, second = evaluate(frames, as_of=AS_OF), evaluate(shuffled, as_of=AS_OF)
    for name in ("monthly", "periods", "alerts", "ranking", "weights"):
        assert getattr(first, name).equals(getattr(second, name)), name
