"""Readiness engine: which level each engineer demonstrates, month by month, and the flags
leadership acts on (promotion-ready, near a window, in-band raise, at risk), each with a reason.

The set-based work lives in two SQL models named after the tables they build
(pipelines/models/category_attainment.sql, pipelines/models/readiness.sql). This module
registers the framework for them, binds every rule setting as a parameter, and adds the reason
sentences (pipelines/readiness_reasons.py). The current level is presumed unless the data shows
otherwise; a higher level must be shown by the data.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from pipelines.framework import METRICS, Framework
from pipelines.readiness_reasons import flag_labels, reason_for
from pipelines.settings import RULE_SETTINGS

MODELS_DIR = Path(__file__).resolve().parent / "models"

# category_attainment.sql reads each metric with a CASE; a metric added to the framework
# without a branch there would silently never be judged.
_METRICS_IN_SQL = {"sla_adherence", "median_open_hours", "volume_ratio"}
if set(METRICS) != _METRICS_IN_SQL:
    raise RuntimeError("pipelines/models/category_attainment.sql must learn the new metric(s) "
                       f"{sorted(set(METRICS) - _METRICS_IN_SQL)}")

READINESS_COLUMNS = (
    "engineer_id", "month", "level", "overall_level", "months_at_level", "months_at_next",
    "promotion_ready", "near_window", "projected_window_month", "in_band_candidate", "at_risk",
    "reason",
    # For inspection and for the dashboard's counters.
    "flags", "next_level", "overall_rank", "eligible_months_at_level", "months_below_level",
    "categories_above", "above_categories", "months_with_categories_above", "last_raise_on",
)


class ReadinessInputError(ValueError):
    """An input table holds something the framework cannot place; the message says the fix."""


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
            candidates.append(con.execute(
                "select (date_trunc('month', timezone($tz, $ts::timestamptz))"
                " - interval 1 month)::date",
                {"tz": timezone, "ts": newest},
            ).fetchone()[0])
    if _table_exists(con, "monthly_metrics"):
        latest = con.execute(
            "select max(date_trunc('month', month))::date from monthly_metrics"
        ).fetchone()[0]
        if latest is not None:
            candidates.append(latest)
    return max(candidates, default=None)


def build_readiness(con: duckdb.DuckDBPyConnection, framework: Framework,
                    as_of: date | None = None) -> date:
    """(Re)create category_attainment and readiness up to the as-of month; return that month.

    `as_of` overrides the month found in the data (any day of it will do)."""
    if as_of is not None:
        month = as_of.replace(day=1)
    else:
        month = determine_as_of(con, framework.timezone)
        if month is None:
            raise ReadinessInputError("no ticket or monthly metric has a date, so there is no "
                                      "month to judge; load tickets.csv or monthly_metrics.csv")
    _check_inputs(con, framework)
    _register_framework(con, framework)
    params = {s.name: framework.rule(s.name) for s in RULE_SETTINGS} | {
        "as_of": month,
        "top_rank": len(framework.levels) - 1,
        "first_level": framework.levels[0],
    }
    sql, bound = _model_sql("category_attainment", params)
    con.execute(f"create or replace table category_attainment as\n{sql}", bound)
    sql, bound = _model_sql("readiness", params)
    base = con.sql(sql, params=bound).pl()
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


def _model_sql(table: str, params: dict) -> tuple[str, dict]:
    """A model's SELECT and the parameters it names (DuckDB rejects unused ones)."""
    sql = (MODELS_DIR / f"{table}.sql").read_text(encoding="utf-8")
    return sql, {name: params[name] for name in re.findall(r"\$([a-z_]+)", sql)}


def _register_framework(con: duckdb.DuckDBPyConnection, framework: Framework) -> None:
    """The framework as small temp tables the models join against."""
    con.execute("create or replace temp table rd_levels (rank integer, level varchar)")
    con.executemany("insert into rd_levels values (?, ?)", list(enumerate(framework.levels)))
    con.execute("create or replace temp table rd_categories (rank integer, category varchar)")
    con.executemany("insert into rd_categories values (?, ?)",
                    list(enumerate(framework.categories)))
    con.execute(
        "create or replace temp table rd_bars (level varchar, level_rank integer,"
        " bar_order integer, category varchar, metric varchar, op varchar, value double,"
        " label varchar)"
    )
    bars = [(b.level, framework.rank(b.level), i, b.category, b.metric, b.op, b.value, b.label)
            for i, b in enumerate(framework.bars)]
    if bars:
        con.executemany("insert into rd_bars values (?, ?, ?, ?, ?, ?, ?, ?)", bars)


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
    return con.execute(
        "select count(*) from duckdb_tables() where table_name = $name", {"name": name}
    ).fetchone()[0] > 0


