"""Find each input file in a source folder and check it is a usable CSV (or Parquet) file.

File-level problems (missing, empty, not a CSV, a required column absent, not a regular file in
the folder) raise FileProblem, which names the file and says how to fix it. Row-level problems
are the loader's business. A message quotes a file's contents only where the line at fault is
the point (the header of a file the user gave); a file that is not theirs is never read.
"""

from __future__ import annotations

import csv
import difflib
from pathlib import Path

import duckdb

from pipelines.errors import FileProblem
from pipelines.tables import TableSpec

# Byte order marks of UTF-16 text: a mistake unless the file is declared UTF-16.
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Signatures of files people export by mistake, with what to do instead.
_MAGIC = (
    (
        b"PK\x03\x04",
        "is a zip archive or an Excel workbook, not a CSV",
        "open it and save or export the sheet as 'CSV UTF-8'",
    ),
    (
        b"\xd0\xcf\x11\xe0",
        "is an old Excel (.xls) workbook, not a CSV",
        "open it and save the sheet as 'CSV UTF-8'",
    ),
    (b"%PDF", "is a PDF, not a CSV", "export the report from the helpdesk as CSV"),
    *((bom, "is UTF-16 encoded", "re-save it as 'CSV UTF-8'") for bom in _UTF16_BOMS),
)


def find_file(source: Path, spec: TableSpec) -> Path | None:
    """The table's file in `source`, checked to be a regular file inside the folder; None for
    an optional file that is absent."""
    present = [source / n for n in spec.file_names if _exists(source / n)]
    for path in present:
        require_regular_file(source, path)
    if len(present) > 1:
        raise FileProblem(
            source, f"has both {' and '.join(p.name for p in present)}", "keep only one of them"
        )
    if present:
        return present[0]
    wanted = {n.casefold() for n in spec.file_names}
    near = sorted(
        p.name
        for p in source.iterdir()
        if p.name.casefold() in wanted and p.name not in spec.file_names
    )
    if near:
        raise FileProblem(
            source / near[0],
            "is not named exactly as the contract says",
            f"rename it to {spec.file_names[0]} (names are lower case)",
        )
    if spec.required:
        raise FileProblem(
            source / spec.file_names[0],
            "is missing and is required",
            f"add {spec.file_names[0]} (see the data dictionary in the README)",
        )
    return None


def _exists(path: Path) -> bool:
    """A link counts even when it points nowhere, so that it gets its own message."""
    return path.is_symlink() or path.exists()


def require_regular_file(source: Path, path: Path) -> None:
    """Refuse an input that is a folder, a device or pipe, or a link leading out of the source
    folder: reading it would hang, fail obscurely or read a file the user never gave. Nothing
    of it is read here."""
    target = path.resolve()
    if not target.is_relative_to(source.resolve()):
        raise FileProblem(
            path,
            "is a link to a file outside the source folder, so it was not read",
            f"copy the export itself into the source folder as {path.name}",
        )
    if target.is_dir():
        raise FileProblem(
            path,
            "is a folder, not a file",
            f"put the CSV export there instead: a file named {path.name}, not a folder",
        )
    if not target.is_file():
        raise FileProblem(
            path,
            "is not a regular file (a broken link, a pipe or a device)",
            f"put the exported file itself in the source folder as {path.name}",
        )


def check_bytes(path: Path, encoding: str = "utf-8") -> None:
    """Refuse files that are plainly not CSV text before DuckDB guesses at them. `encoding` is
    the one the file is declared to be in (a mapping may say UTF-16, whose bytes look binary)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise FileProblem(
            path, f"cannot be opened ({exc.strerror})", "check the file exists and is readable"
        ) from exc
    if not head.strip():
        what = "is empty (0 bytes)" if not head else "is empty (only blank lines)"
        raise FileProblem(path, what, "export it again with a header row and data rows")
    if path.suffix == ".parquet":
        if not head.startswith(b"PAR1"):
            raise FileProblem(path, "is not a Parquet file", "export as Parquet or as CSV")
        return
    utf16 = encoding.replace("-", "").replace("_", "").lower().startswith("utf16")
    for magic, what, fix in _MAGIC:
        if head.startswith(magic) and not (utf16 and magic in _UTF16_BOMS):
            raise FileProblem(path, what, fix)
    if not utf16 and _looks_binary(head):
        raise FileProblem(path, "contains binary data, not text", "export it as 'CSV UTF-8'")


def _looks_binary(head: bytes) -> bool:
    """Many NUL bytes: a binary file, or UTF-16 without its byte order mark (every other byte
    of Latin text). A stray NUL or two inside a value is a row problem the loader reports."""
    nuls = head.count(b"\x00")
    return nuls > 2 and nuls * 100 > len(head)


def parquet_as_csv(con: duckdb.DuckDBPyConnection, path: Path, scratch: Path) -> Path:
    """Parquet goes through the same text path as CSV, so both get the same checks and
    messages; the loader reports Parquet rows by row number."""
    out = scratch / f"{path.stem}.from-parquet.csv"
    try:
        con.execute(
            "copy (select columns(*)::varchar from read_parquet($p)) to $o (header true)",
            {"p": str(path), "o": str(out)},
        )
    except duckdb.Error as exc:
        raise FileProblem(
            path, f"could not be read as Parquet ({_first_line(exc)})", "export it again, or as CSV"
        ) from exc
    return out


def header(path: Path, shown_as: Path) -> tuple[list[str], str]:
    """Column names in file order and the delimiter, read from the first line.

    Read here rather than by DuckDB's sniffer, so that a broken line further down (which the
    loader reports by number) cannot make the whole file look like something else."""
    with path.open("rb") as fh:
        first = fh.readline(1 << 20)
    try:
        line = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise FileProblem(
            shown_as, "has a header line that is not UTF-8 text", "re-save the file as 'CSV UTF-8'"
        ) from exc
    # The delimiter is whichever common one splits the header most; Excel in many locales
    # writes semicolons.
    if "\r" in line:
        raise FileProblem(
            shown_as,
            "ends its lines with a lone carriage return (old Mac "
            "style), so it reads as one long line",
            "re-save it as 'CSV UTF-8' with Windows or Unix line endings",
        )
    delimiter = max((",", ";", "\t", "|"), key=line.count)
    try:
        columns = next(csv.reader([line], delimiter=delimiter)) if line else []
    except csv.Error as exc:
        raise FileProblem(
            shown_as,
            f"has a header line that is not valid CSV ({exc})",
            "put plain column names, separated by commas, on the first line",
        ) from exc
    if not [c for c in columns if c.strip()]:
        raise FileProblem(shown_as, "has no header row", "put the column names on the first line")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise FileProblem(
            shown_as,
            f"names column(s) {', '.join(map(repr, repeated))} twice",
            "keep one column of each name",
        )
    return columns, delimiter


def require_columns(path: Path, spec: TableSpec, found: list[str]) -> None:
    missing = [
        name
        for name, meta in spec.columns().items()
        if name not in found and not meta["optional_column"]
    ]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, found, n=1, cutoff=0.6)
        hints.append(f"'{name}'" + (f" (is '{close[0]}' meant?)" if close else ""))
    raise FileProblem(
        path,
        f"is missing required column(s) {', '.join(hints)}; "
        f"found {', '.join(repr(c) for c in found) or 'no columns'}",
        "rename the column header(s) to the exact names in the data dictionary",
    )


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
