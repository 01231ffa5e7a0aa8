"""The readiness flags of one month with their reasons, for people who live in a terminal or a
spreadsheet (`python -m pipelines flags`). Reads the warehouse's readiness table only."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Literal

import duckdb
import pandas as pd
from rich.table import Table

from pipelines.access import Scope, load_policy, resolve_scope
from pipelines.errors import FlagsError
from pipelines.load.terminal import plain_console, printable
from pipelines.rules.reasons import FLAG_LABELS, month_words
from pipelines.spreadsheet import safe_csv

COLUMNS = ("engineer", "name", "team", "level", "flags", "reason")
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def flags_frame(
    con: duckdb.DuckDBPyConnection, as_of: str | None = None, as_user: str | None = None
) -> pd.DataFrame:
    """One row per engineer assessed in the month (default: the latest), flagged ones first;
    with `as_user`, only the people that signed-in email may see in that month
    (pipelines.access, the dashboard's own scope).

    The month is kept in `frame.attrs["as_of"]`, the viewer's scope in `frame.attrs["scope"]`."""
    if not con.execute(
        "select count(*) from duckdb_tables() where table_name = 'readiness'"
    ).fetchone()[0]:
        raise FlagsError(
            "the warehouse has no readiness table. Fix: run `python -m pipelines build` first."
        )
    month = (
        _parse_month(as_of)
        if as_of
        else con.execute("select max(month) from readiness").fetchone()[0]
    )
    scope = _scope(con, as_user, month) if as_user else None
    # Flagged rows first, in the order the flags are listed, then by team and name.
    priority = " ".join(f"when {column} then {rank}" for rank, column in enumerate(FLAG_LABELS))
    frame = con.execute(
        f"""
        select r.engineer_id as engineer, e.name, e.team, r.level, r.flags, r.reason
        from readiness as r
        left join engineers as e on e.engineer_id = r.engineer_id
        where r.month = $month
            and ($everyone or list_contains($people::varchar[], r.engineer_id))
        order by case {priority} else {len(FLAG_LABELS)} end, e.team, e.name, r.engineer_id
        """,
        {
            "month": month,
            "everyone": scope is None or scope.everyone,
            "people": sorted(scope.people) if scope else [],
        },
    ).df()
    frame.attrs["as_of"] = month
    frame.attrs["scope"] = scope
    return frame


def _scope(con: duckdb.DuckDBPyConnection, email: str, month: date) -> Scope:
    policy = load_policy()
    scope = resolve_scope(con, policy, email, month=month)
    if scope is None:
        raise FlagsError(
            f"{email} has no access in {policy.source}: they hold no role and are not on the "
            "roster. Fix: give them a role in the access file (RUNGS_ACCESS_FILE)."
        )
    return scope


def render_flags(df: pd.DataFrame, fmt: Literal["table", "csv", "json"]) -> str:
    """The frame as text for a terminal or a file. In every format, names and reasons are
    printed as they are (no Rich markup) with control characters made visible
    (pipelines.load.terminal): a name must not be able to drive the terminal it is shown in."""
    df = _printable_frame(df)
    if fmt == "csv":
        return safe_csv(df)
    if fmt == "json":
        records = df.astype(object).where(df.notna(), None).to_dict(orient="records")
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if fmt == "table":
        return _table(df)
    raise FlagsError(f"unknown format {fmt!r}. Fix: use table, csv or json.")


def _table(df: pd.DataFrame) -> str:
    month = df.attrs.get("as_of")
    when = month_words(month) if isinstance(month, date) else "the as-of month"
    if df.empty:
        return f"No engineers were assessed in {when}.\n"
    table = Table(title=f"Readiness flags, {when}", show_lines=True)
    for column in COLUMNS:
        table.add_column(column, overflow="fold", ratio=4 if column == "reason" else None)
    for row in df.itertuples(index=False):
        table.add_row(*("" if pd.isna(v) else str(v) for v in row))
    out = io.StringIO()
    plain_console(out, width=140).print(table)
    return out.getvalue()


def _printable_frame(df: pd.DataFrame) -> pd.DataFrame:
    safe = df.copy()  # keeps attrs (the month)
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(lambda v: printable(v) if isinstance(v, str) else v)
    return safe


def _parse_month(text: str) -> date:
    match = _MONTH.fullmatch(text.strip())
    if not match or not 1 <= int(match[2]) <= 12:
        raise FlagsError(
            f"--as-of {text!r} is not a month. Fix: write it as YYYY-MM, e.g. 2026-10."
        )
    return date(int(match[1]), int(match[2]), 1)
