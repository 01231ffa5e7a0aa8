"""The build report as people read it: a table of files, the first rejected rows with their
reasons, the notes and where the warehouse went (text for the terminal, JSON for machines)."""

from __future__ import annotations

import io
import json

from pipelines.load.build import BuildReport


def render_report(report: BuildReport) -> str:
    """The build report as text: what loaded, what was rejected and why, what was ignored."""
    from rich.console import Console
    from rich.table import Table

    console = Console(record=True, width=110, force_terminal=False, file=io.StringIO())
    files = Table(title=f"Build {report.build_id}  ({report.duration_s:.1f} s)")
    for col in ("table", "file", "rows read", "loaded", "rejected"):
        files.add_column(
            col, justify="right" if col.startswith(("rows", "load", "rej")) else "left"
        )
    for f in report.files:
        files.add_row(
            f.table,
            f.file or "(not supplied)",
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
        for col in ("file", "line", "column", "value", "reason"):
            rej.add_column(col, overflow="fold")
        for _table, file, line, column, value, reason in report.rejected_sample:
            rej.add_row(file, str(line), column or "", "" if value is None else str(value), reason)
        console.print(rej)
    for note in report.notes:
        console.print(f"note: {note}")
    if report.as_of_month:
        console.print(f"as-of month: {report.as_of_month}")
    target = report.warehouse or "(check only: nothing written)"
    console.print(f"warehouse: {target}")
    return console.export_text()


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
