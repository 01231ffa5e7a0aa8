"""Run a what-if: the readiness rules of the build, with some settings changed, on the served
warehouse's own inputs.

There is no second implementation. `build_readiness` (the build's own step) runs with the
changed Framework in a scratch in-memory DuckDB: the served warehouse is ATTACHed READ_ONLY
and sits after the scratch database on the search path, so the models read its input tables
(engineers, levels, engineer_months, evidence, ...) while the framework tables and every table
the rules create land in the scratch database. The served file is never opened for writing.

"Before" is the served readiness rows of the month as the build wrote them (not recomputed);
"after" is the recomputed rows. With no change the two are equal, which the tests check.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.framework import (
    CALIBRATION_GUIDELINES,
    Bar,
    FairnessSettings,
    Framework,
    write_framework,
)
from pipelines.rules.readiness import build_readiness
from pipelines.settings import RULE_SETTINGS
from pipelines.whatif.diff import changes
from pipelines.whatif.nearer import reason_changes
from pipelines.whatif.overrides import apply_overrides, find_settable, parse_value

# The attached served warehouse's catalog name inside the scratch connection.
SERVED = "served"
# The framework file records a name the warehouse does not keep; the loader's own default.
DEFAULT_NAME = "Career framework"


class WhatIfInputError(ValueError):
    """The warehouse cannot answer a what-if (missing, or built without readiness)."""


@dataclass
class WhatIf:
    """A what-if's answer. before/after: the readiness rows of `month` (served, recomputed),
    each with name, team, region, manager_id, manager_name added; changed: diff.changes of the
    two (flags or window move); nearer: nearer.reason_changes (same flags and window, the
    reason or a counter behind it changes); assignments: path -> (old value, new value)."""

    month: date
    framework_before: Framework
    framework_after: Framework
    assignments: dict[str, tuple[float, float]]
    before: pd.DataFrame
    after: pd.DataFrame
    changed: pd.DataFrame
    seconds: float
    warehouse: str = field(default="")
    nearer: pd.DataFrame = field(default_factory=pd.DataFrame)


def framework_of_warehouse(con: duckdb.DuckDBPyConnection) -> Framework:
    """The framework the build used, rebuilt from the warehouse's framework_* tables and its
    builds row: levels, categories, bars in order, expectations, rule settings, calibration
    guidelines, fairness settings, time zone, version and digest. (The framework's name is not
    stored in the warehouse; it reads DEFAULT_NAME.) `con` must resolve those tables by their
    bare names."""
    levels = _column(con, "select level from framework_levels order by rank")
    categories = _column(con, "select category from framework_categories order by rank")
    bars = tuple(
        Bar(level, category, metric, op, float(value), label)
        for level, category, metric, op, value, label in con.execute(
            "select level, category, metric, op, value, label from framework_bars "
            "order by bar_order"
        ).fetchall()
    )
    expectations: dict[str, dict[str, list[str]]] = {}
    # Insertion order is the file's order (write_framework inserts them in it).
    for level, category, label in con.execute(
        "select level, category, label from framework_expectations order by rowid"
    ).fetchall():
        expectations.setdefault(level, {}).setdefault(category, []).append(label)
    stored = dict(con.execute("select name, value from framework_settings").fetchall())
    rules = {
        s.name: type(s.default)(stored[s.name]) if s.name in stored else s.default
        for s in RULE_SETTINGS
    }
    calibration = {n: float(v) for n, v in stored.items() if n in CALIBRATION_GUIDELINES}
    version, digest, timezone = con.execute(
        "select framework_version, framework_digest, timezone from builds "
        "order by built_at desc limit 1"
    ).fetchone()
    return Framework(
        name=DEFAULT_NAME,
        version=version,
        timezone=timezone,
        levels=levels,
        categories=categories,
        bars=bars,
        expectations={
            lvl: {cat: tuple(labels) for cat, labels in cats.items()}
            for lvl, cats in expectations.items()
        },
        rules=rules,
        source="warehouse",
        digest=digest or "",
        calibration=calibration,
        fairness=_fairness(con),
    )


def _column(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[str, ...]:
    return tuple(row[0] for row in con.execute(sql).fetchall())


def _fairness(con: duckdb.DuckDBPyConnection) -> FairnessSettings:
    """The [fairness] settings the build stored (a warehouse built before they existed has
    none, and gets the defaults)."""
    found = con.execute(
        "select count(*) from duckdb_tables() where table_name = 'framework_fairness'"
    ).fetchone()[0]
    if not found:
        return FairnessSettings()
    groupings, size = con.execute(
        "select groupings, min_group_size from framework_fairness"
    ).fetchone()
    return FairnessSettings(tuple(groupings or ()), int(size))


def build_month(con: duckdb.DuckDBPyConnection) -> date:
    """The as-of month of the served build (builds.as_of_month, 'YYYY-MM')."""
    text = con.execute("select as_of_month from builds order by built_at desc limit 1").fetchone()
    if not text or not text[0]:
        raise WhatIfInputError(
            "the warehouse's build judged no month (no tickets or monthly metrics). "
            "Fix: rebuild it with `python -m pipelines build`"
        )
    return datetime.strptime(text[0], "%Y-%m").date()


def open_scratch(warehouse: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the served warehouse attached READ_ONLY behind it on the
    search path: bare table names read the served tables until the scratch database creates
    its own of the same name."""
    path = Path(warehouse)
    if not path.is_file():
        raise WhatIfInputError(
            f"{path}: no warehouse yet. Fix: run `python -m pipelines build` first, or pass "
            "--warehouse with the path of a built warehouse"
        )
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    con.execute(f"attach $path as {SERVED} (read_only)", {"path": str(path)})
    con.execute(f"set search_path = 'memory.main,{SERVED}.main'")
    return con


def run_whatif(
    warehouse: str | Path,
    assignments: Mapping[str, str | float],
    *,
    as_of: date | None = None,
) -> WhatIf:
    """Apply `assignments` (path -> value, see overrides.py) to the framework the build used
    and recompute readiness up to the month (default: the build's as-of month). Raises
    OverrideError for a bad path or value, WhatIfInputError for a warehouse that cannot
    answer. The served warehouse is only ever read."""
    started = time.perf_counter()
    con = open_scratch(warehouse)
    try:
        if not _has_table(con, "readiness"):
            raise WhatIfInputError(
                f"{warehouse}: the warehouse has no readiness table. "
                "Fix: run `python -m pipelines build` first"
            )
        before_fw = framework_of_warehouse(con)
        after_fw = apply_overrides(before_fw, assignments)
        month = as_of.replace(day=1) if as_of else build_month(con)
        moved = {
            path: (
                find_settable(before_fw, path).current,
                parse_value(find_settable(before_fw, path), raw),
            )
            for path, raw in assignments.items()
        }
        before = _people_rows(con, f"{SERVED}.main.readiness", month)
        write_framework(con, after_fw)
        try:
            build_readiness(con, after_fw, month, only_as_of=True)
        except duckdb.Error as exc:
            # The settings passed their checks, so this is the data or the engine: say which
            # run failed, never a traceback.
            raise WhatIfInputError(
                f"{warehouse}: the rules could not run with {dict(assignments)} ({exc}). "
                "Fix: try other values, or rebuild the warehouse if it is from an older Rungs"
            ) from exc
        after = _people_rows(con, "memory.main.readiness", month)
    finally:
        con.close()
    return WhatIf(
        month=month,
        framework_before=before_fw,
        framework_after=after_fw,
        assignments=moved,
        before=before,
        after=after,
        changed=changes(before, after),
        seconds=time.perf_counter() - started,
        warehouse=str(warehouse),
        nearer=reason_changes(before, after),
    )


# Settings at most this many are also run one at a time (each alone is a full rerun).
MOST_RUN_ALONE = 5


def each_alone(
    warehouse: str | Path,
    assignments: Mapping[str, str | float],
    *,
    as_of: date | None = None,
    run: Callable[..., WhatIf] | None = None,
) -> pd.DataFrame:
    """What each setting of a combined what-if does on its own, so a headline never credits
    every change with the total: one row per path, in the order given, with `old`, `new`,
    `moves` (people whose flags or window change with that setting alone) and `nearer`
    (people whose reason changes, flags kept). `run` replaces run_whatif (the page passes its
    cached one); it is called as run(warehouse, {path: value}, as_of=as_of)."""
    run = run or run_whatif
    rows = []
    for path, value in assignments.items():
        alone = run(warehouse, {path: value}, as_of=as_of)
        old, new = alone.assignments[path]
        rows.append(
            {
                "path": path,
                "old": old,
                "new": new,
                "moves": len(alone.changed),
                "nearer": len(alone.nearer),
            }
        )
    return pd.DataFrame(rows, columns=["path", "old", "new", "moves", "nearer"])


def _people_rows(con: duckdb.DuckDBPyConnection, readiness: str, month: date) -> pd.DataFrame:
    """The readiness rows of `month` with who the person is and their manager at the month's
    end (reporting_lines, the same definition the access scope uses)."""
    return con.execute(
        f"""
        select r.*, e.name, e.team, e.region,
            coalesce(rl.manager_id, e.manager_id) as manager_id, m.name as manager_name
        from {readiness} as r
        left join {SERVED}.main.engineers as e using (engineer_id)
        left join {SERVED}.main.reporting_lines as rl
            on rl.engineer_id = r.engineer_id
            and rl.started_on <= last_day($month::date)
            and (rl.ended_on is null or rl.ended_on >= last_day($month::date))
        left join {SERVED}.main.engineers as m
            on m.engineer_id = coalesce(rl.manager_id, e.manager_id)
        where r.month = $month
        order by r.engineer_id
        """,
        {"month": month},
    ).df()


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = $db and table_name = $name",
            {"db": SERVED, "name": name},
        ).fetchone()[0]
    )


__all__ = [
    "MOST_RUN_ALONE",
    "WhatIf",
    "WhatIfInputError",
    "build_month",
    "each_alone",
    "framework_of_warehouse",
    "open_scratch",
    "run_whatif",
]
