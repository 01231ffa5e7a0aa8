"""Which physical line of a CSV file each record starts on, so every rejected row and every
`source_line` points at the line a person sees when they open the file.

DuckDB numbers a file's rows itself (a blank line counts, a value spanning several lines counts
once) and keeps rows in file order. In the common file, one record per line and no blank lines,
the row number is the line number; that is checked by counting line breaks, which the build
does anyway while hashing. Only a file that fails the check is walked record by record.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

from pipelines.errors import FileProblem

CHUNK = 1 << 24
# How much of a line a message quotes: enough to recognise it, never a whole file.
SHOWN_CHARS = 80


def fingerprint(path: Path) -> tuple[str, int]:
    """(sha256, number of line feeds) of the file, in one pass."""
    digest, newlines = hashlib.sha256(), 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            newlines += chunk.count(b"\n")
    return digest.hexdigest(), newlines


def one_record_per_line(newlines: int, records: int) -> bool:
    """True when header plus records account for every line (with or without a final break)."""
    return newlines in (records, records + 1)


def record_starts(path: Path, delimiter: str) -> list[tuple[int, int]]:
    """(DuckDB's row number, physical start line) of every data record, in file order."""
    return [(row, line) for row, line, _record in _records(path, delimiter) if row > 1]


def column_by_line(path: Path, delimiter: str, column: str) -> dict[int, str]:
    """The text of `column` in every data record, by the physical line the record starts on,
    exactly as written (nothing trimmed)."""
    records = _records(path, delimiter)
    _row, _line, names = next(records, (1, 1, []))
    if column not in names:
        return {}
    at = names.index(column)
    return {line: record[at] for _row, line, record in records if len(record) > at}


def _records(path: Path, delimiter: str) -> Iterator[tuple[int, int, list[str]]]:
    """(DuckDB's row number, physical start line, fields) of the header (row 1, line 1) and of
    every data record after it."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        row_number, line_after = 0, 0
        try:
            for record in reader:
                row_number += 1
                if record:  # a blank line is a row number DuckDB skips, not a record
                    yield row_number, line_after + 1, record
                line_after = reader.line_num
        except csv.Error as exc:
            raise FileProblem(
                path,
                f"has a record starting on line {line_after + 1} that cannot be split into "
                f"values ({exc})",
                f"check line {line_after + 1} for a quote that is not closed, or a value longer "
                "than the export should hold",
            ) from exc


def line_at(path: Path, offset: int) -> tuple[int, str]:
    """The physical line (from 1) holding byte `offset` of the file, and that line as a
    message may quote it: cut short and with control characters made visible."""
    number, start = 1, 0
    with path.open("rb") as fh:
        read = 0
        while read < offset and (chunk := fh.read(min(CHUNK, offset - read))):
            breaks = chunk.count(b"\n")
            if breaks:
                number += breaks
                start = read + chunk.rindex(b"\n") + 1
            read += len(chunk)
        fh.seek(start)
        raw = fh.readline(SHOWN_CHARS * 4)
    return number, shown(raw.decode("utf-8", errors="replace").rstrip("\r\n"))


def shown(text: str) -> str:
    """`text` quoted for a message: at most SHOWN_CHARS characters, control and invisible
    characters written as escapes (repr does that), so a message never carries a terminal
    escape sequence or a bell from a file."""
    cut = text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"
    return repr(cut)
