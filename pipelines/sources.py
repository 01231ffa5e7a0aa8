"""Find each input file in a source folder and read it, as text, into a DuckDB table.

Everything is read as VARCHAR first so that a bad value becomes a rejected row that quotes what
the file said, instead of a failed build. File-level problems (missing, empty, not a CSV, a
required column absent) raise FileProblem, which names the file and says how to fix it.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.schemas import TableSpec


class FileProblem(Exception):
    """A whole file cannot be used. The build stops and the previous warehouse stays."""

    def __init__(self, file: Path | str, what: str, fix: str):
        self.file, self.what, self.fix = str(file), what, fix
        super().__init__(f"{file}: {what}. Fix: {fix}")


@dataclass
class RawTable:
    """A file read into `table` (all VARCHAR) with a `_line` column of physical line numbers."""

    file: Path
    table: str
    columns: list[str]
    extra_columns: list[str]
    rows_read: int
    # Lines the CSV reader itself could not split into the expected columns, or decode.
    structural_rejects: list[tuple[int, str | None, str, str]] = field(default_factory=list)


# Signatures of files people export by mistake, with what to do instead.
_MAGIC = (
    (b"PK\x03\x04", "is a zip archive or an Excel workbook, not a CSV",
     "open it and save or export the sheet as 'CSV UTF-8'"),
    (b"\xd0\xcf\x11\xe0", "is an old Excel (.xls) workbook, not a CSV",
     "open it and save the sheet as 'CSV UTF-8'"),
    (b"%PDF", "is a PDF, not a CSV", "export the report from the helpdesk as CSV"),
    (b"\xff\xfe", "is UTF-16 encoded", "re-save it as 'CSV UTF-8'"),
    (b"\xfe\xff", "is UTF-16 encoded", "re-save it as 'CSV UTF-8'"),
)


def find_file(source: Path, spec: TableSpec) -> Path | None:
    present = [source / n for n in spec.file_names if (source / n).is_file()]
    if len(present) > 1:
        raise FileProblem(source, f"has both {' and '.join(p.name for p in present)}",
                          "keep only one of them")
    if present:
        return present[0]
    if spec.required:
        raise FileProblem(source / spec.file_names[0], "is missing and is required",
                          f"add {spec.file_names[0]} (see the data dictionary in the README)")
    return None


def _check_bytes(path: Path) -> None:
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise FileProblem(path, f"cannot be opened ({exc.strerror})",
                          "check the file exists and is readable") from exc
    if not head.strip():
        raise FileProblem(path, "is empty", "export it again with a header row and data rows")
    if path.suffix == ".parquet":
        if not head.startswith(b"PAR1"):
            raise FileProblem(path, "is not a Parquet file", "export as Parquet or as CSV")
        return
    for magic, what, fix in _MAGIC:
        if head.startswith(magic):
            raise FileProblem(path, what, fix)
    if b"\x00" in head:
        raise FileProblem(path, "contains binary data, not text", "export it as 'CSV UTF-8'")


def read_raw(con: duckdb.DuckDBPyConnection, path: Path, spec: TableSpec,
             table: str) -> RawTable:
    """Read `path` into temp table `table`, all columns VARCHAR plus `_line`."""
    _check_bytes(path)
    rejects: list[tuple[int, str | None, str, str]] = []
    try:
        if path.suffix == ".parquet":
            con.execute(f"create or replace temp table {table}_in as "
                        "select columns(*)::varchar from read_parquet($p)", {"p": str(path)})
        else:
            # store_rejects keeps going past a malformed line and tells us which line it was.
            con.execute(f"create or replace temp table {table}_in as select * from read_csv("
                        "$p, all_varchar = true, header = true, store_rejects = true, "
                        f"rejects_table = '{table}_rej', rejects_scan = '{table}_scan')",
                        {"p": str(path)})
            rejects = con.execute(
                f"select line, column_name, error_type, error_message from {table}_rej "
                "order by line").fetchall()
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FileProblem(path, f"could not be read as CSV ({first})",
                          "export it as a comma-separated file with one header row, "
                          "encoded as UTF-8") from exc

    columns = [r[0] for r in con.execute(f"describe {table}_in").fetchall()]
    _require_columns(path, spec, columns)
    wanted = spec.columns()
    extra = [c for c in columns if c not in wanted]
    _add_line_numbers(con, table, path.suffix == ".parquet", sorted({r[0] for r in rejects}))
    rows = con.execute(f"select count(*) from {table}").fetchone()[0]
    rejected_lines = {r[0] for r in rejects}
    return RawTable(path, table, columns, extra, rows + len(rejected_lines), rejects)


def _require_columns(path: Path, spec: TableSpec, found: list[str]) -> None:
    missing = [name for name, meta in spec.columns().items()
               if name not in found and not meta["optional_column"]]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, found, n=1, cutoff=0.6)
        hints.append(f"'{name}'" + (f" (is '{close[0]}' meant?)" if close else ""))
    raise FileProblem(path, f"is missing required column(s) {', '.join(hints)}; "
                            f"found {', '.join(repr(c) for c in found) or 'no columns'}",
                      "rename the column header(s) to the exact names in the data dictionary")


def _add_line_numbers(con: duckdb.DuckDBPyConnection, table: str, parquet: bool,
                      rejected_lines: list[int]) -> None:
    """Map each kept row to its physical line: header is line 1, so row r sits on line r + 2,
    shifted past every line the reader rejected before it. Parquet has rows, not lines: row 1
    is the first."""
    # A view, not a copy: the raw table can be millions of rows.
    if parquet:
        line = "rowid + 1"
    elif not rejected_lines:
        line = "rowid + 2"
    else:
        # Rejected line l_i (sorted, i from 0) has l_i - 2 - i kept rows before it.
        before = ", ".join(str(int(line) - 2 - i) for i, line in enumerate(rejected_lines))
        line = f"rowid + 2 + len(list_filter([{before}], lambda n: n <= rowid))"
    con.execute(f"create or replace temp view {table} as "
                f"select *, {line} as _line from {table}_in")
