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
from pipelines.fairness.lens import ORG_LABEL, FairnessTable, sql
from pipelines.fairness.measures import MEASURES, Measure
from pipelines.fairness.words import drop_sample
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


def manager_labels(con) -> dict[str, str]:
    """Each manager id of the warehouse -> how the text output names them: the name, or
    "Name (Team · M001)" when two managers share it (sql/manager_labels.sql)."""
    return dict(con.execute(sql("manager_labels")).fetchall())


# What the skew's columns hold, named the same in the page and the packet appendix.
SKEW_TITLE = "Evidence per person-month, by manager"
SKEW_HEADERS = (
    "manager",
    "reports in the period",
    "person-months",
    "examples",
    "rate (95% interval)",
    "against the org",
)


def render_skew(
    skew: pd.DataFrame, fmt: str, start, end, labels: dict[str, str] | None = None
) -> str:
    """The skew as text; `labels` (manager_labels) tells namesakes apart in the table."""
    frame = _printable(skew)
    if fmt == "csv":
        return safe_csv(frame)
    if fmt == "json":
        return _json({"from": f"{start:%Y-%m}", "to": f"{end:%Y-%m}", "managers": _records(frame)})
    out = io.StringIO()
    console = plain_console(out, width=140)
    console.print(f"{SKEW_TITLE}, {start:%Y-%m} to {end:%Y-%m}")
    if frame.empty:
        console.print("No manager has enough reports in view to be shown.")
        return out.getvalue()
    console.print(
        f"The org's rate: {frame['org_rate'].iloc[0]:.2f} examples of work recorded per "
        "person-month (concerns not counted), everyone in view. Reports in the period: anyone "
        "who reported to the manager in at least one month of it."
    )
    labels = labels or {}
    table = Table()
    for column in SKEW_HEADERS:
        table.add_column(column)
    for row in frame.itertuples(index=False):
        table.add_row(
            printable(labels.get(row.manager_id, row.manager_name)),
            str(row.reports),
            str(row.report_months),
            str(row.items),
            f"{row.rate:.2f} ({row.low:.2f}–{row.high:.2f})",
            drop_sample(row.words),
        )
    console.print(table)
    return out.getvalue()


def _measure_table(frame: pd.DataFrame, grouping: str, measure: Measure) -> Table:
    table = Table(title=measure.label, title_justify="left")
    for column in (
        grouping_label(grouping),
        SAMPLE_HEADERS[measure.kind],
        _figure_header(measure),
        "compared with the org",
    ):
        table.add_column(column)
    for _, row in frame.iterrows():
        table.add_row(
            str(row[grouping]),
            str(row[f"{measure.key}_n"]),
            _figure(measure, row),
            "" if row[grouping] == ORG_LABEL else drop_sample(row[f"{measure.key}_words"]),
        )
    return table


# What each measure's n counts. People are placed once, in their group at their last judged
# month of the period: a manager's "people" here can be fewer than the "reports in the period"
# of the skew, which counts anyone who reported to them in any month of it.
SAMPLE_HEADERS = {
    "share": "people (at their last month)",
    "per_person_month": "person-months",
    "months": "promotions",
}


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
