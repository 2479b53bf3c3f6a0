"""The sentence that explains an alert, built from its structured columns.

The engine's ``alerts`` (and each ranking row's ``reasons``) say everything an explanation
needs as columns: ``indicator``, ``granularity``, ``period`` and ``period_start``,
``value``, ``threshold``, ``level``, ``since`` and ``since_start``, ``legal``. The sentence
is written only for the alerts someone reads (the watchlist's page, a referral, a report):
writing it for the millions of alerts of an académie cost more than finding them.

``explain(alerts, language)`` returns the frame with an ``explanation`` column, in the same
row order; it is pure (no state, no clock) and gives the same sentence for the same row.
"""

from __future__ import annotations

import polars as pl

from alliance.detection.engine.catalogue import INDICATORS, LEGAL_REFERENCE, IndicatorSpec

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
#: The columns ``explain`` reads.
EXPLAINED_COLUMNS = (
    "indicator",
    "granularity",
    "period",
    "period_start",
    "value",
    "threshold",
    "level",
    "since",
    "since_start",
    "legal",
)


def format_value(expr: pl.Expr, spec: IndicatorSpec, language: str) -> pl.Expr:
    """A value as the sentence writes it: a rate in whole percent, a count as a whole
    number, anything else to one decimal (a decimal comma in French), with its unit."""
    if spec.unit in ("rate", "share"):
        return (expr * 100).round(0).cast(pl.Int64).cast(pl.String) + pl.lit(" %")
    text = (
        pl.when(expr == expr.round(0))
        .then(expr.round(0).cast(pl.Int64).cast(pl.String))
        .otherwise(expr.round(1).cast(pl.String))
    )
    if language == "fr":
        text = text.str.replace(".", ",", literal=True)
    if spec.unit == "half-days":
        text = text + pl.lit(" half-days" if language == "en" else " demi-journées")
    elif spec.unit == "points":
        text = text + pl.lit(" points")
    return text


def month_text(expr: pl.Expr, language: str) -> pl.Expr:
    """A month as the sentence writes it: "novembre 2024", "November 2024"."""
    names = MONTHS_EN if language == "en" else MONTHS_FR
    return pl.concat_str(
        expr.dt.month().replace_strict(
            {index + 1: name for index, name in enumerate(names)}, return_dtype=pl.String
        ),
        expr.dt.year().cast(pl.String),
        separator=" ",
    )


def _sentence(spec: IndicatorSpec, granularity: str, language: str) -> pl.Expr:
    value_text = format_value(pl.col("value"), spec, language)
    threshold_text = format_value(pl.col("threshold"), spec, language)
    if granularity == "month":
        period_text = month_text(pl.col("period_start"), language)
        since_text = month_text(pl.col("since_start"), language)
    else:
        word = "period" if language == "en" else "période"
        period_text = pl.lit(f"{word} ") + pl.col("period")
        since_text = pl.lit(f"{word} ") + pl.col("since")
    if language == "en":
        sentence = pl.concat_str(
            pl.lit(spec.label_en + ": "),
            value_text,
            pl.lit(" in "),
            period_text,
            pl.lit(" ("),
            pl.col("level"),
            pl.lit(" threshold: "),
            threshold_text,
            pl.lit("), since "),
            since_text,
        )
        legal_text = f" — legal threshold reached (Code de l'éducation, {LEGAL_REFERENCE})"
    else:
        sentence = pl.concat_str(
            pl.lit(spec.label_fr + " : "),
            value_text,
            pl.lit(" en "),
            period_text,
            pl.when(pl.col("level") == "alerte")
            .then(pl.lit(" (seuil d'alerte : "))
            .otherwise(pl.lit(" (seuil de vigilance : ")),
            threshold_text,
            pl.lit("), depuis "),
            since_text,
        )
        legal_text = f" — seuil légal atteint (Code de l'éducation, art. {LEGAL_REFERENCE})"
    return pl.concat_str(
        sentence, pl.when(pl.col("legal")).then(pl.lit(legal_text)).otherwise(pl.lit(""))
    )


def explain(alerts: pl.DataFrame, language: str = "fr") -> pl.DataFrame:
    """``alerts`` with an ``explanation`` column: the indicator, its value, the threshold
    reached and its level, the period, since when, and the legal threshold when reached.

    Any frame with the alert columns (``EXPLAINED_COLUMNS``) will do: the engine's
    ``alerts``, a filtered part of them, or a ranking's ``reasons`` exploded and unnested.
    """
    missing = [column for column in EXPLAINED_COLUMNS if column not in alerts.columns]
    if missing:
        raise ValueError(f"explain: the alerts lack the column(s) {', '.join(missing)}")
    language = "en" if language == "en" else "fr"
    if not alerts.height:
        return alerts.with_columns(pl.lit(None, dtype=pl.String).alias("explanation"))
    numbered = alerts.with_row_index("_explain_row")
    parts = []
    for (code, granularity), part in numbered.partition_by(
        "indicator", "granularity", as_dict=True, maintain_order=True
    ).items():
        spec = INDICATORS[str(code)]
        parts.append(
            part.select(
                "_explain_row",
                _sentence(spec, str(granularity), language).alias("explanation"),
            )
        )
    texts = pl.concat(parts, how="vertical").sort("_explain_row").get_column("explanation")
    return alerts.with_columns(texts.alias("explanation"))


def explain_reasons(ranking: pl.DataFrame, language: str = "fr") -> pl.DataFrame:
    """The reasons of the ranking's rows, one row each, explained: ``pupil_id``, the
    alert's columns and ``explanation``, in the ranking's order then each pupil's order
    (worst first). Pass only the rows that are shown."""
    reasons = (
        ranking.select("pupil_id", "reasons")
        .explode("reasons")
        .filter(pl.col("reasons").is_not_null())
        .unnest("reasons")
    )
    return explain(reasons, language)
