"""Turn one raw text table into a validated staging table, quarantining every bad row.

Steps per table: parse each column by its contract kind (a value that does not parse is a
rejected row quoting it) -> validate the typed rows with the table's pandera schema, lazily and
in batches (every failure collected) -> write the rows that passed, keeping `source_line` so any
figure can be traced back to the line of the file it came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandera.polars as pa
import polars as pl
import pyarrow as pa_arrow

from pipelines.framework import Framework
from pipelines.schemas import TableSpec, schema_for
from pipelines.sources import RawTable

# Rows handed to pandera at a time: large enough to amortise its per-call cost, small enough
# to keep memory flat on a 25-million-row export.
BATCH_ROWS = 2_000_000

# How each contract kind is parsed from text, and what a value that fails means.
_PARSE = {
    "date": ("try_cast({v} as date)", "is not a date; write YYYY-MM-DD"),
    "timestamp": ("try_cast({v} as timestamptz)",
                  "is not an ISO-8601 timestamp; write e.g. 2024-03-01T09:30:00Z"),
    "bool": ("try_cast({v} as boolean)", "is not a yes/no value; write true or false"),
    "int": ("try_cast({v} as bigint)", "is not a whole number"),
    "float": ("try_cast({v} as double)", "is not a number"),
    "month": ("try_strptime({v}, '%Y-%m')::date", "is not a month; write YYYY-MM"),
}
_SQL_TYPE = {"date": "date", "timestamp": "timestamptz", "bool": "boolean", "int": "bigint",
             "float": "double", "month": "date"}

REJECTED_ROWS_DDL = """
create table if not exists rejected_rows (
    build_id varchar, table_name varchar, file varchar, line bigint, "column" varchar,
    value varchar, reason varchar
)"""


@dataclass
class LoadResult:
    table: str
    rows_loaded: int
    rows_rejected: int


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _typed_expr(name: str, meta: dict, present: bool) -> tuple[str, str | None]:
    """SQL for the typed value of one contract column, and for 'this row's value failed'."""
    kind = meta["kind"]
    if not present:
        default = meta["default"]
        sql_type = _SQL_TYPE.get(kind, "varchar")
        literal = "null" if default is None else (
            str(default).lower() if isinstance(default, bool | int) else f"'{default}'")
        return f"{literal}::{sql_type}", None
    raw = f"nullif(trim(r.{_quote(name)}), '')"
    if kind in _PARSE:
        typed = _PARSE[kind][0].format(v=raw)
        failed = f"({raw} is not null and {typed} is null)"
        if meta["default"] is not None:
            # An empty cell in a column with a default takes the default, as a missing column does.
            typed = f"coalesce({typed}, {_typed_expr(name, meta, present=False)[0]})"
        return typed, failed
    if kind == "enum":
        default = meta["default"]
        return (f"lower({raw})" if default is None
                else f"coalesce(lower({raw}), '{default}')"), None
    if kind == "level":
        # Case-insensitive, then the framework's own spelling.
        return (f"coalesce((select fl.level from framework_levels fl where lower(fl.level) = "
                f"lower({raw})), {raw})"), None
    if kind == "category":
        return (f"coalesce((select fc.category from framework_categories fc "
                f"where lower(fc.category) = lower({raw})), {raw})"), None
    return raw, None


def load_table(con: duckdb.DuckDBPyConnection, raw: RawTable, spec: TableSpec,
               framework: Framework, build_id: str) -> LoadResult:
    columns = spec.columns()
    present = set(raw.columns)
    exprs, failures = [], []
    for name, meta in columns.items():
        typed, failed = _typed_expr(name, meta, name in present)
        exprs.append(f"{typed} as {_quote(name)}")
        if failed:
            why = f"{name} {_PARSE[meta['kind']][1]}"
            failures.append(f"case when {failed} then struct_pack(col := '{name}', "
                            f"val := r.{_quote(name)}, why := '{why}') end")
    errors = (f"list_filter([{', '.join(failures)}], lambda x: x is not null)"
              if failures else "[]::struct(col varchar, val varchar, why varchar)[]")
    typed_table = f"{spec.name}_typed"
    con.execute(f"create or replace temp table {typed_table} as select r._line, "
                f"{', '.join(exprs)}, {errors} as _errors from {raw.table} r")

    _reject_structural(con, raw, spec, build_id)
    con.execute(
        "insert into rejected_rows select $b, $t, $f, _line, e.col, e.val, e.why "
        f"from (select _line, unnest(_errors) as e from {typed_table} where len(_errors) > 0)",
        {"b": build_id, "t": spec.name, "f": raw.file.name})

    bad_lines = _validate(con, typed_table, spec, framework, raw, build_id)
    con.execute("create or replace temp table _bad_lines as select unnest($l::bigint[]) as line",
                {"l": bad_lines})
    names = ", ".join(_quote(n) for n in columns)
    con.execute(f"create or replace table {spec.name} as select {names}, _line as source_line "
                f"from {typed_table} where len(_errors) = 0 "
                "and _line not in (select line from _bad_lines) order by _line")
    con.execute(f"drop table {typed_table}")
    loaded = con.execute(f"select count(*) from {spec.name}").fetchone()[0]
    return LoadResult(spec.name, loaded, raw.rows_read - loaded)


def _reject_structural(con, raw: RawTable, spec: TableSpec, build_id: str) -> None:
    why = {
        "MISSING COLUMNS": "has fewer fields than the header; check for a missing comma",
        "TOO MANY COLUMNS": "has more fields than the header; quote values that contain commas",
        "INVALID ENCODING": "is not valid UTF-8; re-save the file as 'CSV UTF-8'",
        "UNQUOTED VALUE": "has a stray quote; wrap the value in double quotes",
    }
    # The reader reports a short line once per missing column; one row per line is enough.
    seen: set[int] = set()
    rows = []
    for line, _col, kind, message in raw.structural_rejects:
        if line not in seen:
            seen.add(line)
            rows.append((build_id, spec.name, raw.file.name, line, None, None,
                         f"line {why.get(kind, message.splitlines()[0])}"))
    if rows:
        con.executemany("insert into rejected_rows values (?, ?, ?, ?, ?, ?, ?)", rows)


def _validate(con, typed_table: str, spec: TableSpec, framework: Framework, raw: RawTable,
              build_id: str) -> list[int]:
    """Run the pandera schema over the parsed rows; record failures; return the bad lines."""
    schema = schema_for(spec, framework)
    names = ", ".join(_quote(n) for n in spec.columns())
    reader = con.sql(f"select _line, {names} from {typed_table} where len(_errors) = 0 "
                     "order by _line").to_arrow_reader(BATCH_ROWS)
    found: list[pl.DataFrame] = []
    for batch in reader:
        frame = pl.from_arrow(pa_arrow.Table.from_batches([batch]))
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            found.append(_explain(exc.failure_cases, frame, spec))
    # Written only after the reader is drained: the connection serves one result at a time.
    bad: list[int] = []
    for cases in found:
        rows = cases.select(pl.lit(build_id).alias("build_id"),
                            pl.lit(spec.name).alias("table_name"),
                            pl.lit(raw.file.name).alias("file"),
                            "line", "column", "value", "reason")
        con.register("_cases", rows.to_arrow())
        con.execute("insert into rejected_rows select * from _cases")
        con.unregister("_cases")
        bad.extend(cases["line"].unique().to_list())
    return bad


def _explain(failures: pl.DataFrame, frame: pl.DataFrame, spec: TableSpec) -> pl.DataFrame:
    """pandera's failure cases -> one plain-language reason per failing row and column."""
    failures = failures.filter(pl.col("index").is_not_null())
    lines = frame["_line"]
    out = []
    for row in failures.iter_rows(named=True):
        column = row["column"] if row["column"] in frame.columns else None
        if column is None:
            # Cross-column checks start their sentence with the column to fix.
            first_word = str(row["check"]).split(" ", 1)[0]
            column = first_word if first_word in frame.columns else None
        index = row["index"]
        value = frame[column][index] if column else None
        out.append({
            "line": int(lines[index]),
            "column": column,
            "value": None if value is None else str(value),
            "reason": _reason(row["check"], column, value, spec, frame, index),
        })
    schema = {"line": pl.Int64, "column": pl.Utf8, "value": pl.Utf8, "reason": pl.Utf8}
    return pl.DataFrame(out, schema=schema).unique(maintain_order=True)


def _reason(check: str, column: str | None, value, spec: TableSpec, frame: pl.DataFrame,
            index: int) -> str:
    if check == "not_nullable":
        return f"{column} is empty but required; fill it in"
    if check.startswith("isin"):
        allowed = check[check.index("[") + 1: check.rindex("]")].replace("'", "")
        return f"{column} '{value}' is not allowed; use one of {allowed}"
    if check.startswith("greater_than_or_equal_to"):
        return f"{column} {value} is negative; it must be 0 or more"
    if check.startswith("str_length"):
        return f"{column} is empty; fill it in"
    if check.startswith("str_matches"):
        what = "an email address" if column == "email" else "an http(s) link"
        return f"{column} '{value}' is not {what}; correct it or leave it empty"
    if check in ("field_uniqueness", "multiple_fields_uniqueness"):
        return f"{column or 'row'} '{value}' appears more than once; keep one row per value"
    if check.startswith(("coerce_dtype", "dtype")):
        return f"{column} '{value}' has the wrong type ({check})"
    # Custom checks carry their own sentence, written for the person fixing the file.
    return check
