"""The build report as people read it: a table of files, the first rejected rows with their
reasons, the notes and where the warehouse went (text for the terminal, JSON for machines)."""

from __future__ import annotations

import io
import json

from pipelines.load.build import BuildReport
from pipelines.load.terminal import plain_console, printable


def render_report(report: BuildReport) -> str:
    """The build report as text: what loaded, what was rejected and why, what was ignored.

    Names, ids and cells from the data are printed as they are (no Rich markup) with control
    characters made visible; see pipelines.load.terminal."""
    from rich.table import Table

    out = io.StringIO()
    console = plain_console(out, width=110)
    files = Table(title=f"Build {report.build_id}  ({report.duration_s:.1f} s)")
    for col in ("table", "file", "rows read", "loaded", "rejected"):
        files.add_column(
            col, justify="right" if col.startswith(("rows", "load", "rej")) else "left"
        )
    for f in report.files:
        files.add_row(
            f.table,
            printable(f.file or "(not supplied)"),
            f"{f.rows_read:,}",
            f"{f.rows_loaded:,}",
            f"{f.rows_rejected:,}",
        )
    console.print(files)
    if report.rejected_sample:
        rej = Table(
            title=f"Why rows were rejected (first {len(report.rejected_sample)} "
            "reasons; all are in the rejected_rows table)"
        )
        headers, rows = _rejected_cells(report)
        for col in headers:
            rej.add_column(col, overflow="fold")
        for cells in rows:
            rej.add_row(*cells)
        console.print(rej)
    for line in _closing_lines(report):
        console.print(line)
    return out.getvalue()


def plain_report(report: BuildReport) -> str:
    """The same facts without Rich, line by line: what the CLI prints if render_report fails,
    so a build that already swapped its warehouse in still ends with its report and exit 0."""
    lines = [f"Build {report.build_id}  ({report.duration_s:.1f} s)"]
    lines += [
        f"{f.table}: {printable(f.file or '(not supplied)')}: read {f.rows_read:,}, "
        f"loaded {f.rows_loaded:,}, rejected {f.rows_rejected:,}"
        for f in report.files
    ]
    lines += ["rejected: " + ", ".join(cells) for cells in _rejected_cells(report)[1]]
    return "\n".join([*lines, *_closing_lines(report)]) + "\n"


def _closing_lines(report: BuildReport) -> list[str]:
    lines = [f"note: {printable(note)}" for note in report.notes]
    if report.as_of_month:
        lines.append(f"as-of month: {report.as_of_month}")
    lines.append(f"warehouse: {printable(report.warehouse or '(check only: nothing written)')}")
    return lines


def _rejected_cells(report: BuildReport) -> tuple[list[str], list[list[str]]]:
    """The sample of rejected rows as cells; the key column (the ticket or incident number in
    a mapped export) only when some row has one."""
    with_key = any(len(row) > 6 and row[6] is not None for row in report.rejected_sample)
    headers = ["file", "line", *(["key"] if with_key else []), "column", "value", "reason"]
    rows = [
        [_cell(c) for c in (file, line, *([key] if with_key else []), column, value, reason)]
        for _table, file, line, column, value, reason, *rest in report.rejected_sample
        for key in [rest[0] if rest else None]
    ]
    return headers, rows


def _cell(value: object) -> str:
    return "" if value is None else printable(str(value))


def report_json(report: BuildReport) -> str:
    return json.dumps(
        {
            "build_id": report.build_id,
            "rows_loaded": report.rows_loaded,
            "rows_rejected": report.rows_rejected,
            "as_of_month": report.as_of_month,
            "files": [f.__dict__ | {"sha256": f.sha256} for f in report.files],
            "notes": report.notes,
        },
        default=str,
        indent=2,
    )
