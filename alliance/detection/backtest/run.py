"""One backtest run: every method on the same pupils, judged by the same metrics.

The methods: the school's rule set (the engine), the Pronote-like rule set, the ABC flags,
and the cross-validated, calibrated models. Groups (``--group``) are read only for the
fairness section: never a model input, never an engine input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from alliance.detection.backtest import metrics
from alliance.detection.backtest.data import (
    BacktestInputError,
    outcome_is_positive,
    table_engine_input,
    table_mapping,
)
from alliance.detection.backtest.features import feature_columns, monthly_snapshots, table_design
from alliance.detection.backtest.model import MODELS, out_of_fold, usable_folds
from alliance.detection.backtest.rulesets import (
    abc_flags,
    first_alerte_dates,
    pronote_like_rules,
    rule_flags,
)
from alliance.detection.engine import EngineInput, RuleSet, evaluate, protected_term

NOTICE_FR = (
    "Le modèle statistique est une aide pour l'équipe, jamais une décision automatique : "
    "il ne désigne personne, il suggère des situations à regarder, et chaque situation est "
    "examinée par des personnes. Il n'est proposé qu'avec ce backtest et son rapport "
    "d'équité."
)
NOTICE_EN = (
    "The statistical model is an aid to the team, never an automatic decision: it names no "
    "one, it suggests situations to look at, and people examine each situation. It is "
    "offered only together with this backtest and its fairness report."
)
INTERNAL_MARKING = "Document interne — ne pas verser au dossier scolaire de l'élève"


@dataclass(frozen=True)
class BacktestOptions:
    capacities: tuple[float, ...] = (0.05, 0.10, 0.20)
    folds: int = 10
    seed: int = 0
    models: tuple[str, ...] = ("logistic", "boosting")
    rules: RuleSet | None = None
    min_group_size: int = 10
    #: The capacity whose cut defines the model's "flag" (and its lead time).
    flag_capacity: float = 0.10
    extra_notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class MethodScores:
    code: str
    name: str
    kind: str
    description: str
    score: NDArray[np.float64]
    flagged: NDArray[np.bool_]
    flag_definition: str
    probability: NDArray[np.float64] | None = None
    lead_days: list[float] | None = None
    ever_flagged_negatives: float | None = None


def _method_report(
    method: MethodScores,
    y: NDArray[np.int64],
    groups: dict[str, list[str]],
    options: BacktestOptions,
) -> dict[str, Any]:
    flag = metrics.confusion(y, method.flagged.astype(float))
    report: dict[str, Any] = {
        "code": method.code,
        "name": method.name,
        "kind": method.kind,
        "description": method.description,
        "auc": metrics.roc_auc(y, method.score),
        "at_capacity": [metrics.at_capacity(y, method.score, c) for c in options.capacities],
        "flag": {
            "definition": method.flag_definition,
            "selected": flag.selected,
            "share_selected": flag.selected / len(y) if len(y) else None,
            "precision": flag.precision,
            "recall": flag.recall,
            "false_positive_rate": flag.false_positive_rate,
            # Flagged read as "predicted positive": comparable with the paper's PCC.
            "accuracy": (
                100 * (2 * flag.true_positives + flag.negatives - flag.selected) / len(y)
                if len(y)
                else None
            ),
        },
        "calibration": {
            "brier": None,
            "reliability": None,
            "rate_by_score": metrics.rate_by_score(y, method.score),
        },
        "accuracy": None,
        "lead_time": None,
        "fairness": {},
    }
    if method.probability is not None:
        report["calibration"]["brier"] = metrics.brier(y, method.probability)
        report["calibration"]["reliability"] = metrics.reliability_table(y, method.probability)
        report["calibration"]["rate_by_score"] = None
        report["accuracy"] = metrics.accuracy(y, method.probability)
    if method.lead_days is not None:
        report["lead_time"] = metrics.lead_time_summary(method.lead_days, int(y.sum()))
        report["lead_time"]["negatives_ever_flagged"] = method.ever_flagged_negatives
    for column, values in groups.items():
        per_capacity = {}
        for capacity in options.capacities:
            selected = metrics.selection_probability(
                method.score, metrics.capacity_size(len(y), capacity)
            )
            per_capacity[f"{capacity:g}"] = metrics.fairness(
                y, selected, values, options.min_group_size
            )
        report["fairness"][column] = {
            "capacity": per_capacity,
            "flag": metrics.fairness(
                y, method.flagged.astype(float), values, options.min_group_size
            ),
        }
    return report


def _aligned(frame: pl.DataFrame, ids: pl.Series, column: str) -> NDArray[Any]:
    aligned = pl.DataFrame([ids.alias("pupil_id")]).join(frame, on="pupil_id", how="left")
    return aligned.get_column(column).to_numpy()


def _rule_methods(
    inputs: EngineInput,
    ids: pl.Series,
    rules: RuleSet,
    as_of: dt.date | None,
) -> tuple[list[MethodScores], dict[str, Any]]:
    methods = []
    results = {}
    for code, name, rule_set, description in (
        (
            "school",
            "Règles de l'établissement",
            rules,
            "The engine with the school's rule set: ranked by its composite score; "
            "flagged when a current alert reaches the alerte level.",
        ),
        (
            "pronote_like",
            "Règles type Pronote",
            pronote_like_rules(),
            "About ten indicators counted per month, two thresholds each (vigilance 1 point, "
            "alerte 2 points); flagged at any alerte. Modelled on the issue's description, "
            "not on Pronote's own configuration.",
        ),
    ):
        result = evaluate(inputs, rule_set, as_of=as_of)
        results[code] = result
        flags = rule_flags(result)
        methods.append(
            MethodScores(
                code=code,
                name=name,
                kind="rules",
                description=description,
                score=np.nan_to_num(_aligned(flags, ids, "score").astype(float)),
                flagged=_aligned(flags, ids, "flagged").astype(bool),
                flag_definition="at least one current alert at the alerte level",
            )
        )
    abc = abc_flags(results["school"])
    methods.append(
        MethodScores(
            code="abc",
            name="Indicateurs ABC",
            kind="rules",
            description="ABC flags: attendance under 90 %, any behaviour incident, a subject "
            "average under 10. Score = number of flags.",
            score=np.nan_to_num(_aligned(abc, ids, "score").astype(float)),
            flagged=_aligned(abc, ids, "flagged").astype(bool),
            flag_definition="at least one of the three flags",
        )
    )
    return methods, results


def informative_columns(x: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Columns with at least two distinct observed values (labels not looked at)."""
    keep = np.zeros(x.shape[1], dtype=bool)
    for index in range(x.shape[1]):
        observed = x[:, index][~np.isnan(x[:, index])]
        keep[index] = observed.size > 0 and observed.min() != observed.max()
    return keep


def _model_method(
    code: str,
    x: NDArray[np.float64],
    y: NDArray[np.int64],
    options: BacktestOptions,
    features: list[str],
) -> tuple[MethodScores, list[Any]] | None:
    folds = usable_folds(y, options.folds)
    if folds < 2:
        return None
    spec = MODELS[code]
    probability, fitted = out_of_fold(spec, x, y, folds=folds, seed=options.seed)
    k = metrics.capacity_size(len(y), options.flag_capacity)
    threshold = float(np.sort(probability)[::-1][k - 1])
    method = MethodScores(
        code=f"model_{code}",
        name=spec.name,
        kind="model",
        description=f"{spec.description} {folds}-fold out-of-fold predictions; "
        f"{len(features)} input columns.",
        score=probability,
        flagged=probability >= threshold,
        flag_definition=f"probability at least {threshold:.3f} (the cut at "
        f"{options.flag_capacity:.0%} of pupils)",
        probability=probability,
    )
    return method, fitted


def _groups(frame: pl.DataFrame, columns: list[str], where: str) -> dict[str, list[str]]:
    found = {}
    for column in columns:
        if column not in frame.columns:
            raise BacktestInputError(f"{where}: --group '{column}': no such column")
        found[column] = frame.get_column(column).cast(pl.String).fill_null("(missing)").to_list()
    return found


def _report(
    *,
    mode: str,
    source: dict[str, Any],
    y: NDArray[np.int64],
    methods: list[MethodScores],
    groups: dict[str, list[str]],
    options: BacktestOptions,
    rules: RuleSet,
    notes: list[str],
) -> dict[str, Any]:
    return {
        "title": "Backtest du repérage",
        "internal_marking": INTERNAL_MARKING,
        "notice": {"fr": NOTICE_FR, "en": NOTICE_EN},
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "mode": mode,
        "input": {
            **source,
            "pupils": len(y),
            "positives": int(y.sum()),
            "prevalence": float(y.mean()) if len(y) else None,
        },
        "capacities": list(options.capacities),
        "flag_capacity": options.flag_capacity,
        "groups": list(groups),
        "rules": rules.to_document(),
        "pronote_like_rules": pronote_like_rules().to_document(),
        "methods": [_method_report(method, y, groups, options) for method in methods],
        "notes": notes + list(options.extra_notes),
    }


# ---------------------------------------------------------------------------- a table


def table_inputs(
    columns: list[str], *, target: str, groups: list[str], exclude: list[str]
) -> tuple[list[str], list[str]]:
    """The columns every method may read, and the protected ones left out of them.

    Everything but the outcome, the groups (fairness only), the excluded columns and any
    column named after a protected characteristic.
    """
    protected = [
        column
        for column in columns
        if column not in (target, *groups, *exclude) and protected_term(column) is not None
    ]
    inputs = [column for column in columns if column not in (target, *groups, *exclude, *protected)]
    return inputs, protected


def backtest_table(
    frame: pl.DataFrame,
    *,
    target: str,
    positive: str,
    groups: list[str] | None = None,
    exclude: list[str] | None = None,
    options: BacktestOptions | None = None,
    source_name: str = "table",
) -> dict[str, Any]:
    """Backtest on a per-pupil table with an outcome column."""
    options = options or BacktestOptions()
    groups = list(groups or [])
    exclude = list(exclude or [])
    if target not in frame.columns:
        raise BacktestInputError(f"{source_name}: --target '{target}': no such column")
    for column in exclude:
        if column not in frame.columns:
            raise BacktestInputError(f"{source_name}: --exclude '{column}': no such column")
    frame = frame.filter(pl.col(target).is_not_null())
    y = outcome_is_positive(frame.get_column(target), positive).cast(pl.Int64).to_numpy()
    if len(np.unique(y)) < 2:
        raise BacktestInputError(
            f"{source_name}: --positive {positive!r}: the outcome needs both positive and negative pupils"
        )
    group_values = _groups(frame, groups, source_name)
    inputs, protected = table_inputs(frame.columns, target=target, groups=groups, exclude=exclude)
    mapping = table_mapping(inputs)
    rules = options.rules or RuleSet.defaults()
    engine_input = table_engine_input(frame, mapping)
    ids = engine_input.pupils.get_column("pupil_id")
    methods, _ = _rule_methods(engine_input, ids, rules, None)

    design, skipped = table_design(frame, inputs)
    x = design.to_numpy().astype(float) if design.width else np.zeros((frame.height, 0))
    x = x[:, informative_columns(x)]
    notes = []
    if x.shape[1]:
        for code in options.models:
            made = _model_method(code, x, y, options, inputs)
            if made is None:
                notes.append(f"model {code}: too few pupils in a class for cross-validation")
                continue
            methods.append(made[0])
    source = {
        "file": source_name,
        "target": target,
        "positive": positive,
        "excluded": exclude,
        "excluded_protected": protected,
        "model_inputs": [column for column in inputs if column not in skipped],
        "skipped_text_columns": skipped,
        "rule_inputs": mapping.describe(),
    }
    if protected:
        notes.append(
            "Protected characteristics found in the table and left out of every input: "
            + ", ".join(protected)
            + " (they may still be given as --group for the fairness report)."
        )
    notes.append(
        "A per-pupil table has no dates: the rule sets read the absence counts as one "
        "school year and each mark column as one period's average; no lead time."
    )
    return _report(
        mode="table",
        source=source,
        y=y,
        methods=methods,
        groups=group_values,
        options=options,
        rules=rules,
        notes=notes,
    )


# ---------------------------------------------------------------------------- events


def default_as_of(inputs: EngineInput) -> dt.date:
    """The end of the month halfway through the events' span."""
    dates: list[dt.date] = []
    for frame, column in (
        (inputs.absences, "start_date"),
        (inputs.lateness, "date"),
        (inputs.sanctions, "date"),
        (inputs.signs, "date"),
        (inputs.marks, "date"),
    ):
        if frame is not None and column in frame.columns and frame.height:
            series = frame.get_column(column).drop_nulls()
            if series.len():
                dates += [series.min(), series.max()]  # type: ignore[list-item]
    if not dates:
        raise BacktestInputError("events: no dated event, give --as-of")
    first, last = min(dates), max(dates)
    middle = first + (last - first) / 2
    following = dt.date(middle.year + (middle.month == 12), middle.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _lead_days(flagged_on: pl.DataFrame, outcomes: pl.DataFrame) -> list[float]:
    """Days from the first flag to the outcome, for positives flagged strictly before it."""
    joined = outcomes.join(flagged_on, on="pupil_id", how="left").filter(
        pl.col("flagged_on").is_not_null() & (pl.col("flagged_on") < pl.col("date"))
    )
    days = (pl.col("date") - pl.col("flagged_on")).dt.total_days().cast(pl.Float64)
    return [float(value) for value in joined.select(days).to_series().to_list()]


def backtest_events(
    inputs: EngineInput,
    outcomes: pl.DataFrame,
    *,
    positive: str,
    target: str = "outcome",
    groups: list[str] | None = None,
    as_of: dt.date | None = None,
    options: BacktestOptions | None = None,
    source_name: str = "events",
) -> dict[str, Any]:
    """Backtest on event frames and dated outcomes.

    The pupils still there at ``as_of`` (no outcome, or an outcome after it) are ranked
    from the events up to ``as_of``; positive = the positive outcome after ``as_of``.
    Lead time: for those positives, how long before the outcome date each method first
    flagged them, replaying the events month by month.
    """
    options = options or BacktestOptions()
    groups = list(groups or [])
    rules = options.rules or RuleSet.defaults()
    as_of = as_of or default_as_of(inputs)
    pupil_dtype = inputs.pupils.schema["pupil_id"]
    try:
        outcomes = outcomes.with_columns(pl.col("pupil_id").cast(pupil_dtype))
    except pl.exceptions.PolarsError as error:
        raise BacktestInputError(
            f"{source_name}: outcomes: pupil_id does not match pupils.csv's ({pupil_dtype})"
        ) from error
    if outcomes.get_column("pupil_id").is_duplicated().any():
        raise BacktestInputError(f"{source_name}: outcomes: each pupil must appear once")
    known = outcomes.join(inputs.pupils.select("pupil_id"), on="pupil_id", how="semi")
    is_positive = outcome_is_positive(known.get_column(target), positive)
    known = known.with_columns(is_positive.alias("_positive"))
    undated = known.filter(pl.col("_positive") & pl.col("date").is_null()).height
    population = known.filter(pl.col("date").is_null() | (pl.col("date") > as_of)).filter(
        ~(pl.col("_positive") & pl.col("date").is_null())
    )
    ended_before = known.height - population.height - undated
    population = population.sort("pupil_id")
    y = population.get_column("_positive").cast(pl.Int64).to_numpy()
    if len(np.unique(y)) < 2:
        raise BacktestInputError(
            f"{source_name}: no positive or no negative outcome after --as-of {as_of}"
        )
    ids = population.get_column("pupil_id")
    group_values = _groups(population, groups, f"{source_name}: outcomes")
    positives = population.filter(pl.col("_positive")).select("pupil_id", "date")
    negatives = population.filter(~pl.col("_positive")).select("pupil_id")

    methods, results = _rule_methods(inputs, ids, rules, as_of)
    full = {
        "school": evaluate(inputs, rules),
        "pronote_like": evaluate(inputs, pronote_like_rules()),
    }
    for method in methods[:2]:
        first = first_alerte_dates(full[method.code])
        method.lead_days = _lead_days(first, positives)
        method.ever_flagged_negatives = _share_flagged(first, negatives)

    snapshots = monthly_snapshots(full["school"])
    abc_first = (
        snapshots.filter(pl.col("abc_score") >= 1)
        .group_by("pupil_id")
        .agg(pl.col("snapshot_date").min().alias("flagged_on"))
        if snapshots.height
        else pl.DataFrame(schema={"pupil_id": pupil_dtype, "flagged_on": pl.Date})
    )
    methods[2].lead_days = _lead_days(abc_first, positives)
    methods[2].ever_flagged_negatives = _share_flagged(abc_first, negatives)

    notes = [
        f"As of {as_of.isoformat()}: {population.height} pupils still there are ranked from "
        f"the events up to that date; {ended_before} whose outcome came earlier, and "
        f"{undated} positive(s) without a date, are left out.",
        "Lead time: each method replays the events month by month; a pupil counts as "
        "flagged on the date of the last event that made the flag (never later than the "
        "month's end), and only flags strictly before the outcome date count.",
    ]
    as_of_snapshots = monthly_snapshots(results["school"])
    model_inputs: list[str] = []
    if as_of_snapshots.height:
        columns = feature_columns(as_of_snapshots)
        at_as_of = (
            as_of_snapshots.sort("month")
            .group_by("pupil_id")
            .agg(pl.all().last())
            .select("pupil_id", *columns)
        )
        x = (
            pl.DataFrame([ids.alias("pupil_id")])
            .join(at_as_of, on="pupil_id", how="left")
            .select(columns)
            .to_numpy()
            .astype(float)
        )
        keep = informative_columns(x)
        columns = [column for column, kept in zip(columns, keep, strict=True) if kept]
        x = x[:, keep]
        model_inputs = columns
        timeline = snapshots.join(population.select("pupil_id"), on="pupil_id", how="semi").select(
            "pupil_id", "snapshot_date", *columns
        )
        position = {pupil: index for index, pupil in enumerate(ids.to_list())}
        for code in options.models:
            made = _model_method(code, x, y, options, columns)
            if made is None:
                notes.append(f"model {code}: too few pupils in a class for cross-validation")
                continue
            method, fitted = made
            threshold = float(
                np.sort(method.score)[::-1][
                    metrics.capacity_size(len(y), options.flag_capacity) - 1
                ]
            )
            flagged_on = _model_first_flags(timeline, columns, fitted, position, threshold)
            method.lead_days = _lead_days(flagged_on, positives)
            method.ever_flagged_negatives = _share_flagged(flagged_on, negatives)
            methods.append(method)
    source = {
        "directory": source_name,
        "target": target,
        "positive": positive,
        "as_of": as_of.isoformat(),
        "model_inputs": model_inputs,
        "dropped_events": results["school"].dropped_events,
    }
    return _report(
        mode="events",
        source=source,
        y=y,
        methods=methods,
        groups=group_values,
        options=options,
        rules=rules,
        notes=notes,
    )


def _share_flagged(flagged_on: pl.DataFrame, negatives: pl.DataFrame) -> float | None:
    if not negatives.height:
        return None
    flagged = negatives.join(flagged_on, on="pupil_id", how="semi").height
    return flagged / negatives.height


def _model_first_flags(
    timeline: pl.DataFrame,
    columns: list[str],
    fitted: list[Any],
    position: dict[Any, int],
    threshold: float,
) -> pl.DataFrame:
    """Score every monthly snapshot of a pupil with the fold model that never saw the pupil."""
    fold_of = np.full(len(position), -1)
    for fold, (_, held_out) in enumerate(fitted):
        fold_of[held_out] = fold
    pupil_positions = np.array([position[p] for p in timeline.get_column("pupil_id").to_list()])
    x = timeline.select(columns).to_numpy().astype(float)
    probability = np.zeros(len(timeline))
    row_fold = fold_of[pupil_positions]
    with threadpool_limits(limits=1):
        for fold, (model, _) in enumerate(fitted):
            rows = row_fold == fold
            if rows.any():
                probability[rows] = model.predict_proba(x[rows])[:, 1]
    return (
        timeline.select("pupil_id", "snapshot_date")
        .with_columns(pl.Series("_p", probability))
        .filter(pl.col("_p") >= threshold)
        .group_by("pupil_id")
        .agg(pl.col("snapshot_date").min().alias("flagged_on"))
    )
