"""Why a mapped export cannot be read as CSV text, said in the user's terms.

DuckDB reads a workbook or an empty file as "a header but no rows" and a latin-1 file as "CSV
Error on Line: 2"; these checks run first (or after DuckDB fails) so the message says what the
file is and what to change. The signatures and their wording are the build's own
(pipelines/load/sources.py), so a file gets the same advice however it reaches Rungs.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.errors import FileProblem
from pipelines.load.sources import check_bytes

# What Excel and most Windows tools write when they do not write UTF-8.
LIKELY_ENCODING = "latin-1"


def not_csv_text(path: Path, encoding: str) -> FileProblem | None:
    """The file-level problem (empty, a workbook, a PDF, UTF-16...) or None for text."""
    try:
        check_bytes(path, encoding)
    except FileProblem as problem:
        return problem
    return None


def is_utf8(encoding: str) -> bool:
    return encoding.replace("-", "").replace("_", "").lower() in ("utf8", "utf8sig")


def first_non_utf8_line(path: Path) -> int | None:
    """1-based physical line of the first bytes that are not UTF-8, or None if all are."""
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def encoding_advice(mapping_path: Path, table: str) -> str:
    """The line to add to the user's own mapping file."""
    return (
        f'add the line encoding = "{LIKELY_ENCODING}" under [{table}] in {mapping_path} '
        "(or re-save the export as 'CSV UTF-8')"
    )
