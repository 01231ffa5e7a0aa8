"""The fairness table and the documentation skew as text: a terminal table, CSV or JSON
(`python -m pipelines fairness`). Values are printed as they are, with control characters made
visible, as the flags command does: a name must not drive the terminal it is shown in."""

from __future__ import annotations

import io
import json
import math

import pandas as pd
from rich.table import Table

from pipelines.fairness.groupings import grouping_label
from pipelines.fairness.lens import ORG_LABEL, FairnessTable
from pipelines.fairness.measures import MEASURES, Measure
from pipelines.load.terminal import plain_console, printable
from pipelines.spreadsheet import safe_csv

FORMATS = ("table", "csv", "json")


def table_frame(result: FairnessTable) -> pd.DataFrame:
    """The groups shown, then the whole org's row (when it may be shown), one frame."""
    frame = result.rows.copy()
    if result.org:
        org = {c: result.org.get(c) for c in frame.columns} | {"group": ORG_LABEL, "group_id": ""}
        frame = pd.concat([frame, pd.DataFrame([org])], ignore_index=True)
    return frame.drop(columns=["group_id"]).rename(columns={"group": result.grouping})


def render_table(result: FairnessTable, fmt: str) -> str:
    frame = _printable(table_frame(result))
    if fmt == "csv":
        return safe_csv(frame)
    if fmt == "json":
        return _json(
            {
                "grouping": result.grouping,
                "from": f"{result.start:%Y-%m}",
                "to": f"{result.end:%Y-%m}",
                "min_group_size": result.min_group_size,
                "groups_withheld": result.suppressed,
                "note": result.note,
                "groups": _records(frame[frame[result.grouping] != ORG_LABEL]),
                "org": _records(frame[frame[result.grouping] == ORG_LABEL])[0]
                if result.org
                else None,
            }
        )
    out = io.StringIO()
    console = plain_console(out, width=140)
    title = f"{grouping_label(result.grouping)}, {result.start:%Y-%m} to {result.end:%Y-%m}"
    console.print(title)
    console.print(printable(result.note))
    if frame.empty:
        return out.getvalue()
    for measure in MEASURES:
        console.print(_measure_table(frame, result.grouping, measure))
    return out.getvalue()


def render_skew(skew: pd.DataFrame, fmt: str, start, end) -> str:
    frame = _printable(skew)
    if fmt == "csv":
        return safe_csv(frame)
    if fmt == "json":
        return _json({"from": f"{start:%Y-%m}", "to": f"{end:%Y-%m}", "managers": _records(frame)})
    out = io.StringIO()
    table = Table(
        title=f"Examples of work recorded per report per month, {start:%Y-%m} to {end:%Y-%m}"
    )
    for column in ("manager", "reports", "report-months", "items", "rate (95% interval)", ""):
        table.add_column(column)
    for row in frame.itertuples(index=False):
        table.add_row(
            row.manager_name,
            str(row.reports),
            str(row.report_months),
            str(row.items),
            f"{row.rate:.2f} ({row.low:.2f}–{row.high:.2f})",
            row.words,
        )
    plain_console(out, width=140).print(table)
    if frame.empty:
        out.write("No manager has enough reports in view to be shown.\n")
    return out.getvalue()


def _measure_table(frame: pd.DataFrame, grouping: str, measure: Measure) -> Table:
    table = Table(title=measure.label, title_justify="left")
    for column in (grouping_label(grouping), "n", _figure_header(measure), "compared with the org"):
        table.add_column(column)
    for _, row in frame.iterrows():
        table.add_row(
            str(row[grouping]),
            str(row[f"{measure.key}_n"]),
            _figure(measure, row),
            "" if row[grouping] == ORG_LABEL else str(row[f"{measure.key}_words"]),
        )
    return table


def _figure_header(measure: Measure) -> str:
    return {
        "share": "share (95% interval)",
        "per_person_month": "per person-month (95% interval)",
        "months": "median months (95% interval)",
    }[measure.kind]


def _figure(measure: Measure, row) -> str:
    rate, low, high = (row[f"{measure.key}_{p}"] for p in ("rate", "low", "high"))
    if _nan(rate):
        return "–"
    if measure.kind == "share":
        text = f"{rate:.0%}"
        return text if _nan(low) else f"{text} ({low:.0%}–{high:.0%})"
    digits = 2 if measure.kind == "per_person_month" else 0
    text = f"{rate:.{digits}f}"
    return text if _nan(low) else f"{text} ({low:.{digits}f}–{high:.{digits}f})"


def _nan(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def _json(payload: dict) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, default=_plain) + "\n"


def _plain(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _printable(frame: pd.DataFrame) -> pd.DataFrame:
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object:
            safe[column] = safe[column].map(lambda v: printable(v) if isinstance(v, str) else v)
    return safe
