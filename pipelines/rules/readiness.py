"""Readiness engine: which level each engineer demonstrates, month by month, and the flags
leadership acts on (promotion-ready, near a window, in-band raise, at risk), each with a reason.

The set-based work lives in SQL models named after the tables they build, run in this order:
level_stints (the level history, repeats folded), assessed_months (which months are judged,
tenure counters, metric figures), bar_checks (each bar as it applies to the person, and its
verdict), category_attainment (the level shown per category) and readiness (the flags). This
module binds every rule setting as a parameter and adds the reason sentences
(pipelines/rules/reasons.py). The current level is presumed unless the data shows otherwise; a
higher level must be shown by the data. The framework tables and engineer_dates must already
be in the database (the build writes them first).
"""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl

from pipelines.errors import ReadinessInputError
from pipelines.framework import METRICS, Framework, framework_params
from pipelines.models import model_sql, run_model
from pipelines.rules.reasons import flag_labels, reason_for

# bar_checks.sql reads each metric with a CASE; a metric added to the framework without a
# branch there would silently never be judged.
_METRICS_IN_SQL = {"sla_adherence", "median_open_hours", "volume_ratio"}
if set(METRICS) != _METRICS_IN_SQL:
    raise RuntimeError(
        "pipelines/models/bar_checks.sql must learn the new metric(s) "
        f"{sorted(set(METRICS) - _METRICS_IN_SQL)}"
    )

# The tables the rules build, in the order they depend on each other (readiness last).
RULE_MODELS = ("level_stints", "assessed_months", "bar_checks", "category_attainment")

READINESS_COLUMNS = (
    "engineer_id",
    "month",
    "level",
    "overall_level",
    "months_at_level",
    "months_at_next",
    "promotion_ready",
    "near_window",
    "projected_window_month",
    "in_band_candidate",
    "at_risk",
    "reason",
    # The counters behind the reason, for the pages, the flags command and inspection.
    "flags",
    "next_level",
    "overall_rank",
    "level_since",
    "whole_months_at_level",
    "judged_months_at_level",
    "months_to_ready",
    "months_below_level",
    "categories_above",
    "above_categories",
    "months_with_categories_above",
    "last_raise_on",
    "last_raise",
)


def determine_as_of(con: duckdb.DuckDBPyConnection, timezone: str = "UTC") -> date | None:
    """The latest calendar month (in `timezone`) that ended on or before the newest ticket
    creation or solve, or the latest month of monthly_metrics if later; None when neither has
    data. (updated_at is left out: a helpdesk touches old tickets for many reasons.)"""
    candidates: list[date] = []
    if _table_exists(con, "tickets"):
        newest = con.execute(
            "select greatest(max(created_at), max(solved_at)) from tickets"
        ).fetchone()[0]
        if newest is not None:
            # The month in progress at that instant has not ended, so it is the one before.
            candidates.append(
                con.execute(
                    "select (date_trunc('month', timezone($tz, $ts::timestamptz))"
                    " - interval 1 month)::date",
                    {"tz": timezone, "ts": newest},
                ).fetchone()[0]
            )
    if _table_exists(con, "monthly_metrics"):
        latest = con.execute(
            "select max(date_trunc('month', month))::date from monthly_metrics"
        ).fetchone()[0]
        if latest is not None:
            candidates.append(latest)
    return max(candidates, default=None)


def build_readiness(
    con: duckdb.DuckDBPyConnection,
    framework: Framework,
    as_of: date | None = None,
    *,
    only_as_of: bool = False,
) -> date:
    """(Re)create category_attainment and readiness up to the as-of month; return that month.

    `as_of` overrides the month found in the data (any day of it will do). `only_as_of` keeps
    only the as-of month's readiness rows (the rules still run over every month before it):
    a what-if compares that month alone, and the reason sentences of the earlier months are
    most of the step's Python time."""
    if as_of is not None:
        month = as_of.replace(day=1)
    else:
        month = determine_as_of(con, framework.timezone)
        if month is None:
            raise ReadinessInputError(
                "no ticket or monthly metric has a date, so there is no "
                "month to judge; load tickets.csv or monthly_metrics.csv"
            )
    _check_inputs(con, framework)
    params = framework_params(framework) | {"as_of": month}
    for table in RULE_MODELS:
        run_model(con, table, params)
    sql, bound = model_sql("readiness", params)
    base = con.sql(sql, params=bound).pl()
    if only_as_of:
        base = base.filter(pl.col("month") == month)
    rows = list(base.iter_rows(named=True))
    with_reasons = base.with_columns(
        pl.Series("reason", [reason_for(r, framework) for r in rows], dtype=pl.String),
        pl.Series("flags", [flag_labels(r) for r in rows], dtype=pl.String),
    )
    con.register("rd_readiness_frame", with_reasons.select(READINESS_COLUMNS))
    try:
        con.execute("create or replace table readiness as select * from rd_readiness_frame")
    finally:
        con.unregister("rd_readiness_frame")
    return month


def _check_inputs(con: duckdb.DuckDBPyConnection, framework: Framework) -> None:
    """Levels and evidence must use the framework's names, or rows would silently drop out."""
    levels = list(framework.levels)
    bad = con.execute(
        "select engineer_id, level, effective_on from levels"
        " where not list_contains($levels, level) limit 1",
        {"levels": levels},
    ).fetchone()
    if bad:
        raise ReadinessInputError(
            f"levels: engineer {bad[0]} has level {bad[1]!r} on {bad[2]}, which "
            f"{framework.source or 'the framework'} does not list. Fix: use one of {levels} "
            "or add the level to [framework].levels."
        )
    bad = con.execute(
        "select evidence_id, engineer_id, level, category from evidence"
        " where not list_contains($levels, level) or not list_contains($categories, category)"
        " limit 1",
        {"levels": levels, "categories": list(framework.categories)},
    ).fetchone()
    if bad:
        raise ReadinessInputError(
            f"evidence: item {bad[0]} of engineer {bad[1]} has level {bad[2]!r} and category "
            f"{bad[3]!r}. Fix: use a level from {levels} and a category from "
            f"{list(framework.categories)}."
        )


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return (
        con.execute(
            "select count(*) from duckdb_tables() where table_name = $name", {"name": name}
        ).fetchone()[0]
        > 0
    )
