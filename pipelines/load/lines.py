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
from pathlib import Path

CHUNK = 1 << 24


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
    starts = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        next(reader, None)  # the header is row 1 and line 1
        row_number, line_after = 1, reader.line_num
        for record in reader:
            row_number += 1
            if record:  # a blank line is a row number DuckDB skips, not a record
                starts.append((row_number, line_after + 1))
            line_after = reader.line_num
    return starts
