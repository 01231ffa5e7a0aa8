"""Turn a helpdesk or HR export into contract files, as a mapping file (TOML) describes.

Answers "my data is not in Rungs' format": the mapping names, per contract table, the export
file, which export column feeds each contract column, value maps, timestamp formats, time zone
and null tokens, and for tickets the shape of the export (one row per ticket, a snapshot log with
one row per update, or a process-mining activity log). DuckDB does the work so a
million-row log converts in seconds.

`preview_mapping` shows the first converted rows and every problem without writing anything;
`apply_mapping` refuses to write while any problem remains, so the build never sees a half-
converted export.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.csv as pa_csv

from pipelines.errors import FileProblem, SourceError
from pipelines.importers.contract import (
    FALSE_WORDS,
    TRUE_WORDS,
    Column,
    contract,
    contract_file,
)
from pipelines.importers.mapping_advice import likely_column, looks_null
from pipelines.importers.mapping_config import (
    ACTIVITY_DERIVED,
    BLANKS,
    Mapping,
    Source,
    TableMapping,
    fold,
    load_mapping,
)
from pipelines.importers.mapping_dates import suggest_format
from pipelines.importers.mapping_files import (
    encoding_advice,
    first_non_utf8_line,
    is_utf8,
    not_csv_text,
)
from pipelines.importers.publish import publish
from pipelines.load import lines
from pipelines.tables import TABLES_BY_NAME

ISO_OFFSET = r"(Z|[+-]\d\d:?\d\d)$"
OUTPUT_FORMATS = {"timestamp": "%Y-%m-%dT%H:%M:%SZ", "date": "%Y-%m-%d", "month": "%Y-%m"}
SAMPLES = 5
# Values a value-map problem lists, each with its line to add: enough for one round of edits.
UNMAPPED_SHOWN = 25


@dataclass(frozen=True)
class Problem:
    """One thing that stops the conversion, located for the person who has to fix it."""

    file: str
    message: str
    fix: str
    line: int | None = None
    column: str | None = None
    blocking: bool = True

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f", line {self.line}"
        if self.column:
            where += f", column {self.column!r}"
        return f"{where}: {self.message}. Fix: {self.fix}"


@dataclass
class TableResult:
    table: str
    source_file: Path
    shape: str
    rows_read: int = 0
    rows_written: int = 0
    columns: list[str] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    # Once written: by line of the contract file, the export's line and the row's key, so the
    # build can name the user's export instead (pipelines/load/origins.py).
    line_map: dict[int, tuple[int, str | None]] = field(default_factory=dict)


@dataclass
class MappingReport:
    mapping_path: Path
    tables: dict[str, TableResult] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.blocking for p in self.problems)

    def render(self) -> str:
        lines = [f"Mapping {self.mapping_path}"]
        for result in self.tables.values():
            lines.append(
                f"\n{result.table} <- {result.source_file.name} (shape {result.shape}): "
                f"{result.rows_read} source rows -> {result.rows_written} {result.table} rows"
            )
            if result.preview:
                lines.extend("  " + row for row in _grid(result.columns, result.preview))
        blocking = [p for p in self.problems if p.blocking]
        notes = [p for p in self.problems if not p.blocking]
        if blocking:
            lines.append(f"\n{len(blocking)} problem(s) to fix before this mapping can load:")
            lines.extend(f"  - {p}" for p in blocking)
        if notes:
            lines.append(f"\n{len(notes)} note(s):")
            lines.extend(f"  - {p}" for p in notes)
        if not self.problems:
            lines.append("\nNo problems found.")
        if self.written:
            lines.append("\nWrote " + ", ".join(str(p) for p in self.written))
        return "\n".join(lines)


def _grid(columns: list[str], rows: list[dict], width: int = 22) -> list[str]:
    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return text if len(text) <= width else text[: width - 1] + "…"

    widths = [max(len(c), *(len(cell(r[c])) for r in rows)) for c in columns]
    out = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    out.extend(
        " | ".join(cell(r[c]).ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip()
        for r in rows
    )
    return out


def preview_mapping(mapping_path: Path | str, rows: int = 5) -> MappingReport:
    """First `rows` converted rows of each table and every problem; writes nothing."""
    mapping = load_mapping(mapping_path)
    report = MappingReport(mapping_path=mapping.path)
    with _connection() as con:
        for table in mapping.tables.values():
            job = _TableJob(con, mapping, table, report)
            if job.stage():
                job.preview(rows)
    return report


def apply_mapping(
    mapping_path: Path | str, out_dir: Path | str, progress: bool = False
) -> MappingReport:
    """Write the contract CSVs of every mapped table into `out_dir`, all or nothing.

    Raises SourceError listing every problem when the export does not convert cleanly; in that
    case `out_dir` is left exactly as it was.
    """
    mapping = load_mapping(mapping_path)
    report = MappingReport(mapping_path=mapping.path)
    out_dir = Path(out_dir)
    with _connection() as con:
        jobs = []
        for table in mapping.tables.values():
            _say(progress, f"reading {table.file.name} for {table.table}")
            job = _TableJob(con, mapping, table, report)
            if job.stage():
                jobs.append(job)
        if not report.ok:
            raise SourceError(report.render())
        writers = {}
        for job in jobs:
            _say(progress, f"converting {job.table.table}")
            writers[contract_file(job.table.table)] = job.writer()
        report.written = publish(out_dir, writers)
    _say(progress, f"wrote {len(report.written)} contract file(s) to {out_dir}")
    return report


def _say(progress: bool, message: str) -> None:
    if progress:
        print(f"[mapping] {message}", file=sys.stderr, flush=True)


@contextmanager
def _connection() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    try:
        # Naive timestamps are placed in the mapping's zone explicitly; the session zone must
        # not leak in from the machine running the import.
        con.execute("set TimeZone = 'UTC'")
        yield con
    finally:
        con.close()


def _map_line(value: str, column: Column) -> str:
    """The value-map line to suggest for an export value the map does not cover. A boolean is
    never guessed: what "TRUE" means (made? breached?) is the question the map answers."""
    key = '"' + value.strip().replace('"', '\\"') + '"'
    if column.kind == "bool":
        return f"{key} = true or {key} = false (whichever it means for {column.name})"
    if column.kind == "choice":
        if fold(value) in column.choices:
            return f'{key} = "{fold(value)}"'
        return f"{key} = … (one of {list(column.choices)})"
    return f"{key} = …"


def _key_column(table: str) -> str:
    """The column that names a row to its owner: the table's first id (ticket_id,
    engineer_id...)."""
    return next(f.name for f in TABLES_BY_NAME[table].fields if f.kind == "id")


def _record_lines(
    path: Path, delimiter: str | None, encoding: str, records: int
) -> list[int] | None:
    """The physical start line of each record of a CSV file; None when every record is one
    line (record n on line n + 2) or the file cannot be walked as `records` UTF-8 records."""
    _digest, newlines = lines.fingerprint(path)
    with path.open("rb") as fh:
        fh.seek(max(path.stat().st_size - 1, 0))
        final_break = fh.read(1) == b"\n"
    # Exactly one line per record (header included): one_record_per_line alone would also
    # accept one value spanning two lines in a file without a final line break.
    if newlines == records + 1 - (not final_break):
        return None
    if encoding.replace("-", "").lower() not in ("utf8", "utf8sig"):
        return None
    try:
        starts = [line for _row, line in lines.record_starts(path, delimiter or ",")]
    except (FileProblem, UnicodeDecodeError):
        return None
    return starts if len(starts) == records else None


def _same_problem(new: Problem, old: Problem) -> bool:
    """The same message about the same column and file, whichever mapping line led to it."""
    return (new.file, new.message, new.fix, new.blocking) == (
        old.file,
        old.message,
        old.fix,
        old.blocking,
    )


class _Params:
    """Named query parameters, so generated SQL never carries a value in its text."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def bind(self, value: object, cast: str = "") -> str:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return f"${name}{cast}"


def _folded(e: str, p: _Params) -> str:
    """SQL for mapping_config.fold: the export's value as value-map keys are stored."""
    return f"lower(trim(regexp_replace({e}, {p.bind(BLANKS)}, ' ', 'g')))"


def _q(identifier: str) -> str:
    """A source column name as a SQL identifier (export headers contain spaces and quotes)."""
    return '"' + identifier.replace('"', '""') + '"'


class _TableJob:
    """Everything about converting one export file into one contract table."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        mapping: Mapping,
        table: TableMapping,
        report: MappingReport,
    ):
        self.con = con
        self.mapping = mapping
        self.table = table
        self.report = report
        self.src = f"src_{table.table}"
        self.staged = f"staged_{table.table}"
        self.contract = {c.name: c for c in contract()[table.table]}
        self.result = TableResult(table.table, table.file, table.shape, columns=list(self.contract))
        report.tables[table.table] = self.result
        self.sources: dict[str, Source] = {}
        self.export_lines: list[int] | None = None  # None: record n is on line n + 2

    def _row(self, sql: str) -> tuple:
        # fetchall, not fetchone: DuckDB keeps a half-read result open and refuses the next
        # statement on this connection until it is drained.
        return self.con.execute(sql).fetchall()[0]

    # -- reading and checking -------------------------------------------------------------

    def problem(
        self,
        message: str,
        fix: str,
        line: int | None = None,
        column: str | None = None,
        in_mapping: bool = False,
        blocking: bool = True,
    ) -> None:
        where = self.mapping.path if in_mapping else self.table.shown_file or self.table.file
        if line and not in_mapping:
            line = self._export_line(line)
        problem = Problem(str(where), message, fix, line, column, blocking)
        # Two mapping keys naming the same wrong column (updated_column, and updated_at taken
        # from it) are one thing to fix: report it once.
        if not any(_same_problem(problem, seen) for seen in self.report.problems):
            self.report.problems.append(problem)

    def _export_line(self, row_line: int) -> int:
        """The physical line of the export where record `row_line - 2` (0-based) starts:
        DuckDB counts records, and a value spanning lines (a ticket description) shifts
        every later line."""
        starts = self.export_lines
        index = row_line - 2
        return starts[index] if starts and 0 <= index < len(starts) else row_line

    def stage(self) -> bool:
        """Read the export and convert every column; record problems. False if unusable."""
        if not self._read():
            return False
        if not self._resolve_columns():
            return False
        self._build_staged()
        self._check_values()
        return True

    def _read(self) -> bool:
        t = self.table
        if not t.file.is_file():
            self.problem(
                f"the export file {t.file} does not exist",
                "correct file = ... (paths are relative to the mapping file)",
                line=self.mapping.line_of(t.table, "file"),
                in_mapping=True,
            )
            return False
        unreadable = not_csv_text(t.file, t.encoding)
        if unreadable:
            self.problem(unreadable.what, unreadable.fix)
            return False
        p = _Params()
        options = [
            f"nullstr = {p.bind(list(t.null_tokens), '::varchar[]')}",
            f"encoding = {p.bind(t.encoding)}",
        ]
        if t.delimiter:
            options.append(f"delim = {p.bind(t.delimiter)}")
        try:
            # Everything is read as text: the mapping, not DuckDB's guesses, decides types.
            self.con.execute(
                f"create or replace temp table {self.src} as select * from read_csv("
                f"{p.bind(str(t.file))}, header = true, all_varchar = true, "
                f"{', '.join(options)})",
                p.values,
            )
        except duckdb.Error as exc:
            bad_line = first_non_utf8_line(t.file) if is_utf8(t.encoding) else None
            if bad_line:
                self.problem(
                    "the text on this line is not UTF-8",
                    encoding_advice(self.mapping.path, t.table),
                    line=bad_line,
                )
                return False
            self.problem(
                f"cannot read it as CSV ({str(exc).splitlines()[0]})",
                "export as CSV with a header row; set delimiter/encoding in the "
                "mapping if they are not comma and UTF-8",
            )
            return False
        self.result.rows_read = self._row(f"select count(*) from {self.src}")[0]
        self.export_lines = _record_lines(t.file, t.delimiter, t.encoding, self.result.rows_read)
        if self.result.rows_read == 0:
            self.problem("the export has a header but no rows", "export a file with data", line=2)
            return False
        return True

    def _resolve_columns(self) -> bool:
        t = self.table
        available = [
            r[0]
            for r in self.con.execute(
                "select column_name from (describe select * from query_table($t))", {"t": self.src}
            ).fetchall()
        ]
        sources = dict(t.columns)
        if t.shape == "snapshot_log":
            sources.setdefault("updated_at", Source(columns=(t.updated_column,)))
        derived = set(ACTIVITY_DERIVED) if t.activity else set()
        # A contract column left out of the mapping is taken from an export column of the
        # same name, so a partial mapping of an almost-contract file stays short.
        for name in self.contract:
            if name not in sources and name not in derived and name in available:
                sources[name] = Source(columns=(name,))
        needed = [(f"{t.table}.columns", k, c) for k, s in sources.items() for c in s.columns]
        if t.shape == "snapshot_log":
            # First, so that a wrong updated_column is reported at its own line (the
            # updated_at it feeds repeats the same problem, and problems are reported once).
            needed.insert(0, (t.table, "updated_column", t.updated_column))
        if t.activity:
            a = t.activity
            needed += [
                (f"{t.table}.activity", key, getattr(a, key))
                for key in ("case_column", "activity_column", "resource_column", "timestamp_column")
            ]
        ok = True
        for section, key, column in needed:
            if column in available:
                continue
            ok = False
            close = likely_column(column, available)
            hint = f"did you mean {close!r}? " if close else ""
            self.problem(
                f"column {column!r} is not in {t.file.name}; its columns are {available}",
                f"{hint}write the export's column name exactly as in its header row",
                line=self.mapping.line_of(section, key),
                column=key,
                in_mapping=True,
            )
        for name in self.contract:
            if name not in sources and name not in derived:
                self.problem(
                    f"nothing feeds contract column {name!r}; it is written empty",
                    f"map it in [{t.table}.columns] if the export has it",
                    line=self.mapping.line_of(f"{t.table}.columns"),
                    column=name,
                    in_mapping=True,
                    blocking=False,
                )
        self.sources = sources
        return ok

    def _build_staged(self) -> None:
        """One row per export row: the mapped raw text and the converted value per column."""
        t = self.table
        p = _Params()
        select = ["rowid + 2 as _line"]  # header is line 1
        for name, source in self.sources.items():
            raw = self._first_value(source, p)
            value_map = t.values.get(name)
            mapped = self._value_map(raw, value_map, p)
            if value_map:
                # The export's own text, to report a value the map does not cover.
                select.append(f"{raw} as {_q(name + '__source')}")
                select.append(f"{self._unmapped(raw, value_map, p)} as {_q(name + '__unmapped')}")
            select.append(f"{mapped} as {_q(name + '__raw')}")
            select.append(f"{self._convert(mapped, self.contract[name], p)} as {_q(name)}")
        if t.activity:
            a = t.activity
            ts_column = Column("_ts", "timestamp")
            select += [
                f"{_q(a.case_column)} as _case",
                f"{_q(a.activity_column)} as _activity",
                f"{_q(a.resource_column)} as _resource",
                f"{_q(a.timestamp_column)} as _ts__raw",
                f"{self._convert(_q(a.timestamp_column), ts_column, p)} as _ts",
                # Compared folded, as value maps are: "resolve " in the log is the
                # solved_activities' "Resolve", never a case silently left open.
                f"list_contains({p.bind([fold(s) for s in a.solved_activities], '::varchar[]')}, "
                f"{_folded(_q(a.activity_column), p)}) as _solved",
            ]
        self.con.execute(
            f"create or replace temp table {self.staged} as select {', '.join(select)} "
            f"from {self.src}",
            p.values,
        )

    def _first_value(self, source: Source, p: _Params) -> str:
        """The text a contract column starts from: the first of its source columns that has a
        value (blank cells count as none; null tokens were read as none), else the constant."""
        firsts = [f"(case when trim({_q(c)}) <> '' then {_q(c)} end)" for c in source.columns]
        if source.const is not None:
            firsts.append(p.bind(source.const))
        return firsts[0] if len(firsts) == 1 else f"coalesce({', '.join(firsts)})"

    def _value_map(self, raw: str, value_map: dict[str, str] | None, p: _Params) -> str:
        """The map's value for the export's, compared folded (case and blanks do not count).
        A value the map does not cover becomes null here and is reported by _unmapped: it must
        never pass through, or a map written for "true" would leave "TRUE" as it was."""
        if not value_map:
            return raw
        key = _folded(raw, p)
        whens = " ".join(
            f"when {key} = {p.bind(k)} then {p.bind(v)}" for k, v in value_map.items() if k != "*"
        )
        otherwise = f"when {key} <> '' then {p.bind(value_map['*'])}" if "*" in value_map else ""
        # Mapping a value to "" is how a mapping says "this means empty".
        return f"nullif(case when {raw} is null then null {whens} {otherwise} end, '')"

    def _unmapped(self, raw: str, value_map: dict[str, str], p: _Params) -> str:
        """True on a row whose value the map does not cover (blank and null values are not
        judged here: the contract column's own rules decide whether it may be empty)."""
        if "*" in value_map:
            return "false"
        keys = p.bind(list(value_map), "::varchar[]")
        key = _folded(raw, p)
        return f"coalesce({key} <> '' and not list_contains({keys}, {key}), false)"

    def _convert(self, e: str, column: Column, p: _Params) -> str:
        t = self.table
        if column.kind == "choice":
            return (
                f"(case when list_contains({p.bind(list(column.choices), '::varchar[]')}, "
                f"lower(trim({e}))) then lower(trim({e})) end)"
            )
        if column.kind == "bool":
            return (
                f"(case when lower(trim({e})) in (select unnest("
                f"{p.bind(list(TRUE_WORDS), '::varchar[]')})) then true "
                f"when lower(trim({e})) in (select unnest("
                f"{p.bind(list(FALSE_WORDS), '::varchar[]')})) then false end)"
            )
        if column.kind == "int":
            return f"try_cast(trim({e}) as bigint)"
        if column.kind == "number":
            return f"try_cast(trim({e}) as double)"
        if column.kind == "timestamp":
            return self._timestamp(e, p)
        if column.kind in ("date", "month"):
            formats = list(t.date_formats + t.timestamp_formats)
            parsed = (
                [f"try_strptime(trim({e}), {p.bind(formats, '::varchar[]')})::date"]
                if formats
                else []
            )
            parsed += [
                f"try_cast(trim({e}) as date)",
                f"try_cast(try_cast(trim({e}) as timestamp) as date)",
            ]
            if column.kind == "month":
                parsed.append(f"try_cast(trim({e}) || '-01' as date)")
            return f"coalesce({', '.join(parsed)})"
        return e

    def _timestamp(self, e: str, p: _Params) -> str:
        """As a naive UTC timestamp. Formats with %z carry their own offset; the rest are read
        in the mapping's time zone, as are ISO values without an offset."""
        t = self.table
        tz = p.bind(t.timezone)
        zoned = [f for f in t.timestamp_formats if "%z" in f or "%Z" in f]
        naive = [f for f in t.timestamp_formats if f not in zoned]
        parsed = []
        if zoned:
            parsed.append(f"try_strptime(trim({e}), {p.bind(zoned, '::varchar[]')})")
        if naive:
            parsed.append(
                f"timezone({tz}, try_strptime(trim({e}), {p.bind(naive, '::varchar[]')}))"
            )
        parsed.append(
            f"(case when regexp_matches(trim({e}), {p.bind(ISO_OFFSET)}) "
            f"then try_cast(trim({e}) as timestamptz) "
            f"else timezone({tz}, try_cast(trim({e}) as timestamp)) end)"
        )
        return f"timezone('UTC', coalesce({', '.join(parsed)}))"

    def _check_values(self) -> None:
        """Every value that did not convert, grouped, with counts and where it first occurs.
        Null-looking cells and unreadable timestamps are gathered over every column first, so
        one fix (a null token, a format) is asked for once, naming every column it mends."""
        self._nulls: dict[tuple[str, str], tuple[int, int]] = {}
        self._unread_dates: dict[tuple[str, str], list[tuple[str, int, str, int]]] = {}
        checks = [(name, self.contract[name], src) for name, src in self.sources.items()]
        if self.table.activity:
            checks.append(
                (
                    "_ts",
                    Column("_ts", "timestamp"),
                    Source(columns=(self.table.activity.timestamp_column,)),
                )
            )
        for name, column, source in checks:
            if self.table.values.get(name):
                self._check_mapped(name, column, source)
            if column.kind == "text":
                continue
            bad = self.con.execute(
                f"select {_q(name + '__raw')} as v, count(*), min(_line) from {self.staged} "
                f"where {_q(name + '__raw')} is not null and {_q(name)} is null "
                f"group by v order by count(*) desc, v",
            ).fetchall()
            if bad:
                self._report_bad(name, column, source, bad)
        self._report_nulls()
        self._report_dates()
        if self.table.activity:
            self._check_activity()

    def _report_bad(
        self, name: str, column: Column, source: Source, bad: list[tuple[str, int, int]]
    ) -> None:
        t = self.table
        bad = self._null_looking(source, name, bad)
        if not bad:
            return
        total = sum(n for _, n, _ in bad)
        first_line = min(line for _, _, line in bad)
        listed = ", ".join(f"{v!r} ({n} rows)" for v, n, _ in bad[:SAMPLES])
        more = f" and {len(bad) - SAMPLES} more distinct values" if len(bad) > SAMPLES else ""
        column_label = source.label or name
        in_mapping = not source.columns
        line = self.mapping.line_of(f"{t.table}.columns", name) if in_mapping else first_line
        if column.kind in ("timestamp", "date", "month"):
            samples = [v for v, _, _ in bad[:SAMPLES]]
            fmt, reads = suggest_format(samples)
            setting = "timestamp_formats" if column.kind == "timestamp" else "date_formats"
            # The table's own setting wins over the file-wide one, so it is the line to edit.
            # (line_of answers the section's header when the key is not in it.)
            at = self.mapping.line_of(t.table, setting)
            if at == self.mapping.line_of(t.table):
                at = self.mapping.line_of("", setting)
            in_file = f" in {self.mapping.path}" + (f" (line {at})" if at else "")
            if fmt is None:
                fix = (
                    f"add a strptime format that reads them to {setting}{in_file} "
                    '(e.g. "%d-%m-%Y %H:%M"), or list them in null_tokens'
                )
            else:
                fix = f'add "{fmt}" to {setting}{in_file}'
                if reads < len(samples):
                    fix += f" (it reads {reads} of these {len(samples)}; the rest need another)"
            if in_mapping:
                self.problem(
                    f"{total} value(s) match no date format: {listed}{more}",
                    fix,
                    line=line,
                    column=column_label,
                    in_mapping=True,
                )
                return
            # Reported by _report_dates, once per fix over every column that needs it.
            found = self._unread_dates.setdefault((setting, fix), [])
            if all(label != column_label for label, *_ in found):
                found.append((column_label, total, f"{listed}{more}", first_line))
        elif column.kind in ("choice", "bool"):
            allowed = list(column.choices) if column.kind == "choice" else ["true", "false"]
            section = f"[{t.table}.values.{name}]"
            # No target is guessed: which contract value "Active" means is the person's call.
            self.problem(
                f"{total} value(s) have no mapping for {name}: {listed}{more}; "
                f"{name} takes only {allowed}",
                f"add one line per value to {section} in {self.mapping.path}, each "
                f'mapping to one of {allowed}, e.g. "{bad[0][0]}" = "<one of them>"',
                line=line,
                column=column_label,
                in_mapping=in_mapping,
            )
        else:
            self.problem(
                f"{total} value(s) are not numbers: {listed}{more}",
                f"map them in [{t.table}.values.{name}] or list them in null_tokens",
                line=line,
                column=column_label,
                in_mapping=in_mapping,
            )

    def _report_dates(self) -> None:
        """One problem per suggested fix: three columns in one unknown format need one line
        added to the mapping, said once with every column it mends."""
        for (_setting, fix), found in self._unread_dates.items():
            if len(found) == 1:
                [(label, total, listed, line)] = found
                self.problem(
                    f"{total} value(s) match no date format: {listed}",
                    fix,
                    line=line,
                    column=label,
                )
                continue
            total = sum(n for _, n, _, _ in found)
            each = "; ".join(f"{label!r}: {listed}" for label, _, listed, _ in found)
            self.problem(
                f"{total} value(s) in {len(found)} columns match no date format ({each})",
                f"{fix}; it reads every one of these columns",
                line=min(line for *_, line in found),
            )

    def _null_looking(
        self, source: Source, name: str, bad: list[tuple[str, int, int]]
    ) -> list[tuple[str, int, int]]:
        """Keep the values that are an export's way of writing "nothing" ("?", "N/A") for one
        null_tokens problem over every column (_report_nulls); return the others, which need
        their own advice."""
        label = source.label or name
        for value, rows, line in bad:
            if looks_null(value):
                # A source column feeding two contract columns holds its cells once.
                self._nulls.setdefault((label, value), (rows, line))
        return [b for b in bad if not looks_null(b[0])]

    def _report_nulls(self) -> None:
        if not self._nulls:
            return
        cells = sum(n for n, _ in self._nulls.values())
        columns = list(dict.fromkeys(label for label, _ in self._nulls))
        by_value: dict[str, int] = {}
        for (_, value), (rows, _) in self._nulls.items():
            by_value[value] = by_value.get(value, 0) + rows
        words = sorted({v.strip() for v in by_value})
        # Counts per value only when there are several: one count is said once.
        if len(by_value) == 1:
            listed = repr(next(iter(by_value)))
        else:
            listed = ", ".join(f"{v!r} ({n})" for v, n in by_value.items())
        one_column = columns[0] if len(columns) == 1 else None
        where = "" if one_column else f" in columns {columns}"
        self.problem(
            f"{cells} cell(s){where} look like 'no value': {listed}",
            f"add {', '.join(f'{w!r}' for w in words)} to null_tokens in "
            f"{self.mapping.path} (such values are then read as empty)",
            line=min(line for _, line in self._nulls.values()),
            column=one_column,
        )

    def _check_mapped(self, name: str, column: Column, source: Source) -> None:
        """Every export value the column's value map does not cover, in one problem, so one
        round of edits fixes the map. Spellings that fold alike (" SOLVED ", "Solved") are one
        value and one line to add; the first spelling seen stands for them."""
        p = _Params()
        raw = _q(name + "__source")
        unmapped = self.con.execute(
            f"select arg_min({raw}, _line) as v, count(*), min(_line) from {self.staged} "
            f"where {_q(name + '__unmapped')} group by {_folded(raw, p)} "
            f"order by count(*) desc, min(_line)",
            p.values,
        ).fetchall()
        unmapped = self._null_looking(source, name, unmapped)
        if not unmapped:
            return
        section = f"[{self.table.table}.values.{name}]"
        label = source.label or name
        if len(unmapped) == 1:
            [(value, rows, line)] = unmapped
            self.problem(
                f"{value!r} ({rows} row(s)) is not in {section}, so it has no {name}",
                f"add {_map_line(value, column)} to {section} in {self.mapping.path}",
                line=line,
                column=label,
            )
            return
        shown = unmapped[:UNMAPPED_SHOWN]
        listed = ", ".join(
            f"{v!r} ({n} row(s), first on line {self._export_line(at)})" for v, n, at in shown
        )
        rest = len(unmapped) - len(shown)
        more = f" and {rest} more" if rest else ""
        self.problem(
            f"{len(unmapped)} distinct values are not in {section}, so they have no {name}: "
            f"{listed}{more}",
            f"add to {section} in {self.mapping.path}: "
            + "; ".join(_map_line(v, column) for v, _, _ in shown)
            + (' (or "*" = ... for every value not listed)' if rest else ""),
            line=min(at for _, _, at in unmapped),
            column=label,
        )

    def _check_activity(self) -> None:
        a = self.table.activity
        no_case = self._row(f"select count(*), min(_line) from {self.staged} where _case is null")
        if no_case[0]:
            self.problem(
                f"{no_case[0]} row(s) have no case id and are skipped",
                f"fill {a.case_column!r} or drop those rows",
                line=no_case[1],
                column=a.case_column,
                blocking=False,
            )
        if not self._row(f"select bool_or(_solved) from {self.staged}")[0]:
            seen = [
                r[0]
                for r in self.con.execute(
                    f"select _activity from {self.staged} where _activity is not null "
                    f"group by _activity order by count(*) desc limit 10"
                ).fetchall()
            ]
            self.problem(
                f"no activity is named as in solved_activities, so every case stays "
                f"open; activities seen: {seen}",
                "list the activity names that close a case in solved_activities",
                line=self.mapping.line_of(f"{self.table.table}.activity", "solved_activities"),
                column=a.activity_column,
                in_mapping=True,
                blocking=False,
            )

    # -- shaping the output ---------------------------------------------------------------

    def _shaped_sql(self) -> str:
        """The converted table in the export's shape, one row per contract row, with the
        export line (`_line`) it came from: a snapshot log's kept update, an activity log's
        first line of the case."""
        present = [n for n in self.contract if n in self.sources]
        if self.table.shape == "snapshot_log":
            cols = ", ".join(_q(n) for n in present)
            # The newest update wins; on equal times the later line in the export wins,
            # because exports list a ticket's updates in the order they happened.
            return (
                f"select {cols}, _line from {self.staged} where ticket_id is not null "
                f"qualify row_number() over (partition by ticket_id "
                f"order by updated_at desc nulls last, _line desc) = 1 order by _line"
            )
        if self.table.shape == "activity_log":
            return self._activity_sql(present)
        cols = ", ".join(_q(n) for n in present)
        return f"select {cols}, _line from {self.staged} order by _line"

    def _activity_sql(self, present: list[str]) -> str:
        order = "struct_pack(t := _ts, l := _line)"
        # Case attributes repeated on each row (priority, csat...): the latest non-empty one.
        extra = [
            f"arg_max({_q(n)}, {order}) filter (where {_q(n)} is not null) as {_q(n)}"
            for n in present
        ]
        solved_by = f"arg_max(_resource, {order}) filter (where _solved)"
        latest_by = f"arg_max(_resource, {order})"
        return (
            "select _case as ticket_id, "
            # An unsolved case is still someone's work: its latest resource holds it.
            f"case when bool_or(_solved) then {solved_by} else {latest_by} end as assignee_id, "
            "min(_ts) as created_at, max(_ts) filter (where _solved) as solved_at, "
            "case when bool_or(_solved) then 'solved' else 'open' end as status, "
            "greatest(count(*) filter (where _solved) - 1, 0) as reopens, "
            f"max(_ts) as updated_at, min(_line) as _line{''.join(', ' + x for x in extra)} "
            f"from {self.staged} where _case is not null group by _case order by min(_line)"
        )

    def _output_sql(self) -> str:
        """Contract columns in contract order, as contract-spelled text."""
        derived = self.table.shape == "activity_log"
        select = []
        for name, column in self.contract.items():
            if name not in self.sources and not (derived and name in ACTIVITY_DERIVED):
                select.append(f"null::varchar as {_q(name)}")
            elif column.kind in OUTPUT_FORMATS:
                select.append(
                    f"strftime({_q(name)}, '{OUTPUT_FORMATS[column.kind]}') as {_q(name)}"
                )
            elif column.kind == "bool":
                select.append(
                    f"case when {_q(name)} then 'true' when not {_q(name)} "
                    f"then 'false' end as {_q(name)}"
                )
            else:
                select.append(f"cast({_q(name)} as varchar) as {_q(name)}")
        return f"select {', '.join(select)} from ({self._shaped_sql()})"

    def preview(self, rows: int) -> None:
        self.result.rows_written = self._row(f"select count(*) from ({self._shaped_sql()})")[0]
        cur = self.con.execute(f"{self._output_sql()} limit $n", {"n": rows})
        names = [d[0] for d in cur.description]
        self.result.preview = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def _line_map(self, written: Path) -> dict[int, tuple[int, str | None]]:
        """By line of the written contract file: the export's line and the row's key."""
        key = _key_column(self.table.table)
        key_sql = _q(key) if key in self.sources or self.table.activity else "null"
        rows = self.con.execute(
            f"select _line, cast({key_sql} as varchar) from ({self._shaped_sql()})"
        ).fetchall()
        contract_lines = _record_lines(written, ",", "utf-8", len(rows)) or [
            n + 2 for n in range(len(rows))
        ]
        return {
            at: (self._export_line(line), key_value)
            for at, (line, key_value) in zip(contract_lines, rows, strict=True)
        }

    def writer(self):
        def write(path: Path) -> None:
            table = self.con.sql(self._output_sql()).to_arrow_table()
            self.result.rows_written = table.num_rows
            pa_csv.write_csv(table, path, write_options=pa_csv.WriteOptions(quoting_style="needed"))
            self.result.line_map = self._line_map(path)

        return write
