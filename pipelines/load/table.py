"""Load one input file into a validated staging table, quarantining every bad row.

Steps per table: DuckDB's CSV reader parses each column by its contract type in one parallel
pass, setting aside any line it cannot split or convert (with the line number and the value);
a quote that never closes stops the file instead, because every record after it is in doubt
-> each kept row gets its `source_line` -> the table's pandera schema validates the typed rows,
lazily and in batches so every failure is collected -> failing rows move to `rejected_rows`.
The staging table is written once and only trimmed, because at 25 million tickets every extra
copy costs more than all the checks together.

Timestamps are the one kind read as text and converted in the same pass (`_instant`): a local
time that a clock change skips or repeats has to be read by one rule, and only the text says
whether it carried an offset.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandera.polars as pa
import polars as pl
import pyarrow as pa_arrow

from pipelines.framework import Framework
from pipelines.load import lines
from pipelines.load.sources import (
    FileProblem,
    check_bytes,
    header,
    parquet_as_csv,
    require_columns,
)
from pipelines.schemas import ID_CHECK, schema_for
from pipelines.tables import TableSpec, id_fault

# Rows handed to pandera at a time: large enough to amortise its per-call cost, small enough
# to keep memory flat on a 25-million-row export.
BATCH_ROWS = 2_000_000

# Contract kind -> the type DuckDB's reader parses it as, and what a value that fails means.
_READ_AS = {
    "date": ("date", "is not a date; write YYYY-MM-DD"),
    "month": ("date", "is not a month; write YYYY-MM"),
    "timestamp": ("timestamptz", "is not an ISO-8601 timestamp; write e.g. 2024-03-01T09:30:00Z"),
    "bool": ("boolean", "is not a yes/no value; write true or false"),
    "int": ("bigint", "is not a whole number"),
    "float": ("double", "is not a number"),
}
SQL_TYPES = {kind: sql for kind, (sql, _why) in _READ_AS.items()}
# What the reader parses each kind as: timestamps as text, for `_instant`.
_READER_TYPES = SQL_TYPES | {"timestamp": "varchar"}

_STRUCTURAL = {
    "MISSING COLUMNS": "line has fewer fields than the header; check for a missing comma",
    "TOO MANY COLUMNS": "line has more fields than the header; quote values that contain commas",
}
_CAST_VALUE = re.compile(r'Could not convert string "(.*)" to')
# The hidden column that keeps the text of a timestamp that could not be read, until the row
# moves to rejected_rows.
_UNREADABLE = "__unreadable_"
# Hidden columns holding extra columns the build was asked to keep (see load_table's `keep`).
KEPT_PREFIX = "__kept_"

REJECTED_ROWS_DDL = """
create table if not exists rejected_rows (
    build_id varchar, table_name varchar, file varchar, line bigint, "column" varchar,
    value varchar, reason varchar, caused_by varchar, "key" varchar
)"""
# Every insert names its columns: caused_by is filled only by the cross-table checks, "key"
# (the row's ticket or incident number in the user's export) only for a mapped export.
REJECTED_COLUMNS = 'build_id, table_name, file, line, "column", value, reason'

# Local times without an offset are read on the framework zone's wall clock, where a clock
# change skips an hour (spring) or repeats one (autumn). DuckDB reads a skipped time with the
# offset before the change, which puts 02:30 after 03:10; the rule here keeps the wall clock's
# order: a skipped time is the moment the clocks jumped, a repeated one its first occurrence.
# Changes are listed from 1970 to next year (later timestamps are rejected as future).
_CLOCK_FIRST_YEAR = 1970
_NAIVE_TIMESTAMP = r"^\s*\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*$"


@dataclass
class LoadResult:
    table: str
    file: Path
    rows_read: int
    rows_loaded: int
    extra_columns: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return self.rows_read - self.rows_loaded


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _default(meta: dict) -> str:
    sql_type = SQL_TYPES.get(meta["kind"], "varchar")
    value = meta["default"]
    if value is None:
        return f"null::{sql_type}"
    text = str(value).lower() if isinstance(value, bool | int) else _literal(str(value))
    return f"{text}::{sql_type}"


@dataclass(frozen=True)
class _ClockChanges:
    """A zone's clock changes as the reading of local times needs them: per year from
    _CLOCK_FIRST_YEAR, the wall-clock spans a change skips or repeats, and the UTC hours and
    months where DuckDB's own reading puts times of those spans (a cheap test that lets
    every other row skip the rule)."""

    spans_by_year: list[list[dict]]
    utc_hours: tuple[int, ...]
    months: tuple[int, ...]


@functools.cache
def _clock_changes(timezone: str) -> _ClockChanges | None:
    """None for a zone whose clock never changes (UTC, most of Asia)."""
    by_year: dict[int, list[dict]] = {}
    hours, months = set(), set()
    for moment, before, after in _offset_changes(timezone, datetime.now(UTC).year + 1):
        skipped = after > before
        # Wall times [start, end) are skipped (spring) or happen twice (autumn).
        start, end = (
            (moment + before, moment + after) if skipped else (moment + after, moment + before)
        )
        by_year.setdefault(start.year, []).append(
            {"start": start, "end": end, "offset_before": before, "skipped": skipped}
        )
        # DuckDB reads every such time into [moment, moment + |change|) UTC.
        at = moment
        while at < moment + abs(after - before):
            hours.add(at.hour)
            months.add(at.month)
            at += timedelta(minutes=15)
    if not by_year:
        return None
    years = range(_CLOCK_FIRST_YEAR, max(by_year) + 1)
    return _ClockChanges(
        [by_year.get(y, []) for y in years], tuple(sorted(hours)), tuple(sorted(months))
    )


def _offset_changes(timezone: str, last_year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """(UTC moment, offset before, offset after) of each change of the zone's UTC offset,
    found day by day and then to the second."""
    zone = ZoneInfo(timezone)

    def offset(second: int) -> timedelta:
        return datetime.fromtimestamp(second, UTC).astimezone(zone).utcoffset()

    day = 86_400
    first = int(datetime(_CLOCK_FIRST_YEAR, 1, 1, tzinfo=UTC).timestamp())
    last = int(datetime(last_year + 1, 1, 1, tzinfo=UTC).timestamp())
    changes, before = [], offset(first)
    for start in range(first, last, day):
        after = offset(start + day)
        if after == before:
            continue
        low, high = start, start + day
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if offset(middle) == before else (low, middle)
        changes.append((datetime.fromtimestamp(high, UTC).replace(tzinfo=None), before, after))
        before = after
    return changes


def _instant(text: str, clock: _ClockChanges | None) -> str:
    """SQL reading the timestamp text `text` as an instant: with its offset when it has one,
    else on the framework zone's wall clock (the session time zone during the read), with a
    time that a clock change skips or repeats read by the rule above."""
    plain = f"try_cast({text} as timestamptz)"
    if clock is None:
        return plain
    wall = f"try_cast({text} as timestamp)"
    span = (
        f"list_filter($clock[year({wall}) - {_CLOCK_FIRST_YEAR - 1}], "
        f"lambda s: {wall} >= s.start and {wall} < s.end)[1]"
    )
    ruled = (
        f"timezone('UTC', (case when ({span}).skipped then ({span}).start else {wall} end) "
        f"- ({span}).offset_before)"
    )
    near_a_change = (
        f"(epoch_us({plain}) // 3600000000) % 24 in ({', '.join(map(str, clock.utc_hours))}) "
        f"and month(make_timestamp(epoch_us({plain}))) in ({', '.join(map(str, clock.months))}) "
        f"and regexp_matches({text}, '{_NAIVE_TIMESTAMP}')"
    )
    return f"(case when {near_a_change} then coalesce({ruled}, {plain}) else {plain} end)"


def _projection(name: str, meta: dict, present: bool, clock: _ClockChanges | None) -> str:
    """SQL turning the reader's column into the contract column."""
    if not present:
        return _default(meta)
    col, kind = _quote(name), meta["kind"]
    if kind == "timestamp":
        value = _instant(f"src.{col}", clock)
    elif kind == "enum":
        value = f"nullif(lower(trim({col})), '')"
    elif kind in ("level", "category"):
        # Case-insensitive, stored in the framework's own spelling.
        table = {"level": "framework_levels", "category": "framework_categories"}[kind]
        value = (
            f"coalesce((select f.{kind} from {table} f where lower(f.{kind}) = "
            f"lower(trim(src.{col}))), nullif(trim(src.{col}), ''))"
        )
    else:
        value = f"src.{col}" if kind in _READ_AS else f"nullif(src.{col}, '')"
    if meta["default"] is not None:
        # An empty cell in a column with a default takes it, as a missing column does.
        value = f"coalesce({value}, {_default(meta)})"
    return value


def load_table(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: TableSpec,
    framework: Framework,
    build_id: str,
    scratch: Path,
    newlines: Callable[[], int] | None = None,
    keep: tuple[str, ...] = (),
) -> LoadResult:
    """`newlines` gives the file's count of line feeds (the build counts them while hashing);
    without it the file is counted here. `keep`: extra columns (not in the contract) kept as
    text in hidden columns named KEPT_PREFIX + name, for the build to move elsewhere."""
    check_bytes(path)
    is_parquet = path.suffix == ".parquet"
    text = parquet_as_csv(con, path, scratch) if is_parquet else path
    found, delimiter = header(text, path)
    require_columns(path, spec, found)
    contract = spec.columns()

    # Every column of the file, in file order, typed as the contract says (extras as text).
    reader_types = ", ".join(
        f"{_literal(c)}: {_literal(_READER_TYPES.get(contract[c]['kind'], 'varchar') if c in contract else 'varchar')}"  # noqa: E501
        for c in found
    )
    dateformat = (
        ", dateformat = '%Y-%m'" if any(m["kind"] == "month" for m in contract.values()) else ""
    )
    rejects = f"{spec.name}_rejects"
    clock = _clock_changes(framework.timezone)
    times = [n for n, m in contract.items() if m["kind"] == "timestamp" and n in found]
    kept_extras = [c for c in keep if c in found and c not in contract]
    select = ", ".join(
        [f"{_projection(n, m, n in found, clock)} as {_quote(n)}" for n, m in contract.items()]
        + [_unreadable_time(n) for n in times]
        + [f"nullif(trim(src.{_quote(c)}), '') as {_quote(KEPT_PREFIX + c)}" for c in kept_extras]
    )
    params = {"p": str(text), "d": delimiter}
    if clock and times:
        params["clock"] = clock.spans_by_year
    # Timestamps without an offset are read in the framework's zone; everything after works
    # in UTC, which is also what the stored values and their exports are in.
    con.execute(f"set TimeZone = '{framework.timezone}'")  # checked against IANA on load
    _read_typed(
        con,
        f"create or replace table {spec.name} as select {select} from read_csv($p, "
        f"header = true, auto_detect = false, delim = $d, quote = '\"', escape = '\"', "
        f"columns = {{{reader_types}}}{dateformat}, store_rejects = true, "
        f"rejects_table = '{rejects}', rejects_scan = '{rejects}_scan') src",
        params,
        path,
    )
    con.execute("set TimeZone = 'UTC'")

    reader_rejects = _reader_rejects(con, path, text, rejects)
    set_aside = sorted({line for line, *_ in reader_rejects})
    kept = con.execute(f"select count(*) from {spec.name}").fetchall()[0][0]
    if is_parquet:
        # Parquet has rows, not lines: row r of the file is DuckDB's row r + 1.
        to_line, kept_lines = (lambda row: row - 1), None
    else:
        count = newlines() if newlines else lines.fingerprint(path)[1]
        to_line, kept_lines = _physical_lines(text, delimiter, kept, set_aside, count)
    _insert_reader_rejects(con, spec, path, build_id, reader_rejects, contract, to_line)
    _number_lines(con, spec.name, set_aside, is_parquet, kept_lines)
    _reject_unreadable_times(con, spec, path, build_id, times)
    _validate(con, spec, framework, path, build_id)
    loaded = con.execute(f"select count(*) from {spec.name}").fetchall()[0][0]
    return LoadResult(
        spec.name,
        path,
        kept + len(set_aside),
        loaded,
        [c for c in found if c not in contract and c not in kept_extras],
    )


def _read_typed(con, sql: str, params: dict, path: Path) -> None:
    """Run the reader; a file it cannot parse at all becomes a FileProblem naming it."""
    try:
        con.execute(sql, params)
    except duckdb.InvalidInputException as exc:
        detail = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), "")
        raise FileProblem(
            path,
            f"could not be read as CSV ({detail[:200]})",
            "re-save it as 'CSV UTF-8' with one kind of line ending and a "
            "quote around any value that contains a comma or a line break",
        ) from exc


def _unreadable_time(name: str) -> str:
    """The hidden column holding a timestamp's text when it is not a timestamp at all (the
    reader reads timestamps as text, so it cannot set such rows aside itself)."""
    col = f"src.{_quote(name)}"
    return (
        f"case when trim({col}) <> '' and try_cast({col} as timestamptz) is null "
        f"then {col} end as {_quote(_UNREADABLE + name)}"
    )


def _reject_unreadable_times(
    con, spec: TableSpec, path: Path, build_id: str, times: list[str]
) -> None:
    """Move rows with a timestamp that could not be read to rejected_rows, as the reader does
    with any other value it cannot convert, then drop the hidden columns."""
    for name in times:
        hidden = _quote(_UNREADABLE + name)
        con.execute(
            f"insert into rejected_rows ({REJECTED_COLUMNS}) select $b, $t, $f, source_line, "
            f"$c, {hidden}, $why from {spec.name} where {hidden} is not null",
            {
                "b": build_id,
                "t": spec.name,
                "f": path.name,
                "c": name,
                "why": f"{name} {_READ_AS['timestamp'][1]}",
            },
        )
    if times:
        unreadable = " or ".join(f"{_quote(_UNREADABLE + n)} is not null" for n in times)
        con.execute(f"delete from {spec.name} where {unreadable}")
    for name in times:
        con.execute(f"alter table {spec.name} drop column {_quote(_UNREADABLE + name)}")


def _reader_rejects(con, path: Path, text: Path, rejects: str) -> list[tuple]:
    """Rows the reader set aside, as (DuckDB row number, column, error type, message); a quote
    that does not close, or text that is not UTF-8, stops the file instead (FileProblem).
    `text` is the file the reader read: `path` itself, or the CSV made from a Parquet file."""
    rows = con.execute(
        f"select line, column_name, error_type, error_message from {rejects} "
        "order by line, column_name"
    ).fetchall()
    unclosed = con.execute(
        f"select byte_position from {rejects} where error_type = 'UNQUOTED VALUE' "
        "order by byte_position"
    ).fetchall()
    con.execute(f"drop table {rejects}")
    con.execute(f"drop table {rejects}_scan")
    if unclosed:
        _refuse_unclosed_quotes(path, text, [offset for (offset,) in unclosed])
    undecodable = sorted({line for line, _c, kind, _m in rows if kind == "INVALID ENCODING"})
    if undecodable:
        # Text in another encoding garbles names rather than breaking rows, and dropping the
        # lines would silently drop people: the whole file has to be re-saved.
        shown = ", ".join(str(n) for n in undecodable[:5]) + (" …" if len(undecodable) > 5 else "")
        raise FileProblem(
            path,
            f"is not UTF-8 text (row {shown}: bytes that are not UTF-8, "
            "typically an accented letter saved as Latin-1/Windows-1252)",
            "re-save the file as 'CSV UTF-8' and build again",
        )
    return rows


def _refuse_unclosed_quotes(path: Path, text: Path, offsets: list[int]) -> None:
    """A quote that does not close where its value ends makes the reader take everything up to
    the next quote, often the rest of the file, as one value: the records after it cannot be
    told apart, so the file stops here rather than losing them one by one or silently.

    DuckDB gives the byte just after the opening quote; the physical line is counted from it
    (its own line numbers skip blank lines and count a multi-line value once)."""
    line, shown = lines.line_at(text, offsets[0])
    others = sorted({lines.line_at(text, offset)[0] for offset in offsets[1:5]} - {line})
    also = f" (and on line {', '.join(map(str, others))})" if others else ""
    raise FileProblem(
        path,
        f"has a quote on line {line} that does not close where its value ends{also}: "
        f"{shown}; the reader would take the lines after it as part of one value",
        f"close the quote on line {line} or remove it (a value that holds a comma, a quote or "
        'a line break goes in double quotes, with each quote inside it doubled: "")',
    )


def _physical_lines(
    text: Path, delimiter: str, kept: int, set_aside: list[int], newlines: int
) -> tuple[Callable[[int], int], list[int] | None]:
    """How DuckDB's row numbers become physical lines: the identity for one record per line;
    otherwise a walk of the file, which also gives each kept row its line in order."""
    if lines.one_record_per_line(newlines, kept + len(set_aside) + 1):
        return (lambda row: row), None
    starts = lines.record_starts(text, delimiter)
    line_of = dict(starts)
    aside = set(set_aside)
    kept_lines = [line for row, line in starts if row not in aside]
    if len(kept_lines) != kept:  # the two parsers disagree: fall back to row numbers
        return (lambda row: row), None
    return (lambda row: line_of.get(row, row)), kept_lines


def _insert_reader_rejects(
    con,
    spec: TableSpec,
    path: Path,
    build_id: str,
    rows: list[tuple],
    contract: dict,
    to_line: Callable[[int], int],
) -> None:
    out, seen = [], set()
    for row_number, column, kind, message in rows:
        line = to_line(row_number)
        if kind == "CAST" and column in contract:
            match = _CAST_VALUE.search(message)
            why = _READ_AS[contract[column]["kind"]][1]
            out.append(
                (
                    build_id,
                    spec.name,
                    path.name,
                    line,
                    column,
                    match.group(1) if match else None,
                    f"{column} {why}",
                )
            )
        elif row_number not in seen:
            first = message.splitlines()[0] if message else kind
            out.append(
                (build_id, spec.name, path.name, line, None, None, _STRUCTURAL.get(kind, first))
            )
        seen.add(row_number)
    if out:
        con.executemany(
            f"insert into rejected_rows ({REJECTED_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?)", out
        )


def _number_lines(
    con, table: str, set_aside: list[int], is_parquet: bool, kept_lines: list[int] | None
) -> None:
    """source_line of each kept row. With one record per line the header is line 1, so kept
    row r sits on line r + 2, shifted past every row set aside before it (Parquet: the row
    number, from 1); otherwise `kept_lines` lists them in order."""
    con.execute(f"alter table {table} add column source_line bigint")
    if kept_lines is not None:
        con.register("_lines", pa_arrow.table({"r": range(len(kept_lines)), "line": kept_lines}))
        con.execute(
            f"update {table} set source_line = m.line from _lines m where {table}.rowid = m.r"
        )
        con.unregister("_lines")
        return
    base = "rowid + 1" if is_parquet else "rowid + 2"
    if not set_aside:
        con.execute(f"update {table} set source_line = {base}")
        return
    # Set-aside row l_i (sorted, i from 0) has l_i - 2 - i kept rows before it.
    con.execute(
        f"update {table} set source_line = {base} + "
        "len(list_filter($before::bigint[], lambda n: n <= rowid))",
        {"before": [line - 2 - i for i, line in enumerate(set_aside)]},
    )


def _validate(con, spec: TableSpec, framework: Framework, path: Path, build_id: str) -> None:
    """Run the pandera schema over the typed rows; move failing rows to rejected_rows."""
    schema = _after_typed_read(schema_for(spec, framework))
    names = ", ".join(_quote(n) for n in spec.columns())
    reader = con.sql(f"select source_line, {names} from {spec.name}").to_arrow_reader(BATCH_ROWS)
    found: list[pl.DataFrame] = []
    for batches in _gathered(reader, BATCH_ROWS):
        frame = pl.from_arrow(pa_arrow.Table.from_batches(batches))
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            found.append(explain_failures(exc.failure_cases, frame))
    # Written only after the reader is drained: a connection serves one result at a time.
    for cases in found:
        rows = cases.select(
            pl.lit(build_id).alias("build_id"),
            pl.lit(spec.name).alias("table_name"),
            pl.lit(path.name).alias("file"),
            "line",
            "column",
            "value",
            "reason",
        )
        con.register("_cases", rows.to_arrow())
        con.execute(f"insert into rejected_rows ({REJECTED_COLUMNS}) select * from _cases")
        con.execute(f"delete from {spec.name} where source_line in (select line from _cases)")
        con.unregister("_cases")


def _gathered(reader, rows: int):
    """Arrow batches grouped to about `rows` rows each. DuckDB hands them out per row group
    (~120k rows), and pandera's fixed cost per call would otherwise be paid 200 times for
    25 million tickets."""
    group, size = [], 0
    for batch in reader:
        group.append(batch)
        size += batch.num_rows
        if size >= rows:
            yield group
            group, size = [], 0
    if group:
        yield group


def _after_typed_read(schema: pa.DataFrameSchema) -> pa.DataFrameSchema:
    """The schema minus what DuckDB's typed reader has already made true.

    The reader parsed every column into exactly its contract type, so coercing again changes
    nothing, and a nullable column without checks has nothing left that can fail. Skipping
    both takes about 40% off validating 25 million tickets; every value check still runs, and
    the frame keeps all columns for the cross-column checks."""
    schema = copy.deepcopy(schema)  # the model's own schema must stay as declared
    schema = schema.remove_columns(
        [
            name
            for name, col in schema.columns.items()
            if col.nullable and not col.checks and not col.unique
        ]
    )
    schema.coerce = False
    for column in schema.columns.values():
        column.coerce = False
    return schema


def explain_failures(failures: pl.DataFrame, frame: pl.DataFrame) -> pl.DataFrame:
    """pandera's failure cases -> one plain-language reason per failing row and column."""
    out = []
    for row in failures.filter(pl.col("index").is_not_null()).iter_rows(named=True):
        column = row["column"] if row["column"] in frame.columns else None
        if column is None:
            # Cross-column checks start their sentence with the column to fix.
            first_word = str(row["check"]).split(" ", 1)[0]
            column = first_word if first_word in frame.columns else None
        value = frame[column][row["index"]] if column else None
        out.append(
            {
                "line": int(frame["source_line"][row["index"]]),
                "column": column,
                "value": None if value is None else str(value),
                "reason": _reason(str(row["check"]), column, value),
            }
        )
    schema = {"line": pl.Int64, "column": pl.Utf8, "value": pl.Utf8, "reason": pl.Utf8}
    return pl.DataFrame(out, schema=schema).unique(maintain_order=True)


def _reason(check: str, column: str | None, value) -> str:
    if check == ID_CHECK:
        fault = id_fault(str(value)) or "has a character that does not belong in an id"
        return f"{column} {value!r} {fault}; remove it so the id matches the other files"
    if check == "not_nullable":
        return f"{column} is empty but required; fill it in"
    if check.startswith("isin"):
        allowed = check[check.index("[") + 1 : check.rindex("]")].replace("'", "")
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
