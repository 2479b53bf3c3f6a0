"""Backtests of the detection: the school's rules, a Pronote-like rule set, the ABC flags
and a calibrated statistical model, compared on the same pupils with the same metrics.

See ``docs/detection/backtest.md``. Pure library (Polars, scikit-learn): the management
command ``backtest`` is a thin front to ``backtest_table`` and ``backtest_events``.
"""

from alliance.detection.backtest.data import BacktestInputError
from alliance.detection.backtest.report import render_html, write_report
from alliance.detection.backtest.run import (
    BacktestOptions,
    backtest_events,
    backtest_table,
)

__all__ = [
    "BacktestInputError",
    "BacktestOptions",
    "backtest_events",
    "backtest_table",
    "render_html",
    "write_report",
]
