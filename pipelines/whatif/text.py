"""A what-if as text for the command line: a table, CSV or JSON.

The table leads with the settings in words (the path after, for whoever types the next --set),
then one sentence, then the people whose flags or window change, then the people who keep
their flags but whose reason changes, then both reasons for each. Every format prints data as
it is, control characters made visible (pipelines.load.terminal), as the flags command does.
"""

from __future__ import annotations

import io
import json
from datetime import date
from typing import TYPE_CHECKING, Literal

import pandas as pd
from rich.table import Table

from pipelines.load.terminal import plain_console, printable
from pipelines.rules.reasons import month_words
from pipelines.spreadsheet import safe_csv
from pipelines.whatif.diff import EXPORT_COLUMNS, FLAGS, _missing, counts, window_text
from pipelines.whatif.nearer import summary
from pipelines.whatif.overrides import setting_name, value_words

if TYPE_CHECKING:
    from pipelines.whatif.run import WhatIf


def assignment_lines(result: WhatIf) -> list[str]:
    """'IC3 Scope: SLA adherence bar: at least 96% -> at least 95%
    (bars.IC3.Scope.sla_adherence)', on one line."""
    fw = result.framework_before
    return [
        f"{setting_name(fw, path)}: {value_words(fw, path, old)} -> "
        f"{value_words(fw, path, new)}  ({path})"
        for path, (old, new) in result.assignments.items()
    ]


def export_frame(result: WhatIf) -> pd.DataFrame:
    """The rows the CSV and JSON carry: the people whose flags or window change (kind
    "flags"), then those whose reason changes with the same flags (kind "reason", with
    `direction`); windows as YYYY-MM."""
    parts = [result.changed, result.nearer] if not result.nearer.empty else [result.changed]
    columns = [*EXPORT_COLUMNS, "direction"]
    out = pd.concat([p.reindex(columns=columns) for p in parts], ignore_index=True)
    out["window_moves_months"] = out["window_moves_months"].astype("Int64")
    for column in ("old_window", "new_window", "old_earliest", "new_earliest"):
        out[column] = out[column].map(lambda d: f"{d:%Y-%m}" if isinstance(d, date) else None)
    out["direction"] = out["direction"].map(lambda d: "" if _missing(d) else d)
    return out


def render(
    result: WhatIf,
    fmt: Literal["table", "csv", "json"] = "table",
    by: str = "level",
    each: pd.DataFrame | None = None,
) -> str:
    """The what-if as text; `each` (run.each_alone) adds what each setting does alone."""
    rows = _printable(export_frame(result))
    if fmt == "csv":
        return safe_csv(rows)
    if fmt == "json":
        records = rows.astype(object).where(rows.notna(), None).to_dict(orient="records")
        fw = result.framework_before
        document = {
            "month": f"{result.month:%Y-%m}",
            "changes": [
                {"path": path, "label": setting_name(fw, path), "old": old, "new": new}
                for path, (old, new) in result.assignments.items()
            ],
            "people": records,
        }
        if each is not None:
            document["each_alone"] = each.to_dict(orient="records")
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "table":
        return _table(result, rows, by, each)
    raise ValueError(f"unknown format {fmt!r}. Fix: use table, csv or json")


def headline(result: WhatIf, moved: int, judged: int) -> str:
    """'1 of the 9 people judged move.' / 'Together, these 2 changes: ...' / "Nobody's flags
    change; what holds 38 people back changes." """
    together = len(result.assignments) > 1
    nearer = summary(result.nearer)
    if moved:
        said = f"{moved} of the {judged} people judged move"
        said += f"; besides, {nearer}" if nearer else ""
    elif nearer:
        said = f"Nobody's flags change; {nearer}"
    else:
        said = f"Nobody moves: the {judged} people judged keep their flags, windows and reasons"
    if together:
        said = f"Together, these {len(result.assignments)} changes: {said[:1].lower()}{said[1:]}"
    return said + "."


def people_labels(frame: pd.DataFrame, everyone: pd.DataFrame | None = None) -> pd.Series:
    """Names, with team and id added to any name two people share: in `everyone` (all judged
    in the month, so a reader never takes one Benjamin Hamilton for another who is not
    listed), else in `frame`."""
    names = (frame if everyone is None else everyone)["name"]
    shared = frame["name"].isin(names[names.duplicated(keep=False)])
    return pd.Series(
        [
            f"{_text(n)} ({_text(t)} · {e})" if dup else _text(n)
            for n, t, e, dup in zip(
                frame["name"], frame["team"], frame["engineer_id"], shared, strict=True
            )
        ],
        index=frame.index,
    )


def _table(result: WhatIf, rows: pd.DataFrame, by: str, each: pd.DataFrame | None) -> str:
    out = io.StringIO()
    console = plain_console(out, width=140)
    lines = assignment_lines(result)
    if len(lines) == 1:
        console.print(f"What-if, {month_words(result.month)}: {lines[0]}")
    else:
        console.print(f"What-if, {month_words(result.month)}:")
        for line in lines or ["no setting changed"]:
            console.print(f"  {line}")
    flagged = rows.loc[rows["kind"] == "flags"]
    console.print(headline(result, len(flagged), len(result.after)))
    if each is not None and len(each):
        console.print(_each_table(result, each))
    if rows.empty:
        return out.getvalue()
    names = people_labels(rows, result.after)
    if not flagged.empty:
        console.print(_people_table("Whose flags change", flagged, names, flags=True))
        console.print(_counts_table(result, by))
    nearer = rows.loc[rows["kind"] == "reason"]
    if not nearer.empty:
        title = f"Nearer or further from a flag ({len(nearer)}): same flags, the reason changes"
        console.print(_people_table(title, nearer, names, flags=False))
    console.print("Reasons, before and after:")
    for index, row in rows.iterrows():
        console.print(f"\n{names[index]} ({_text(row['level'])}, {_text(row['team'])})")
        console.print(f"  {_text(row['change'])}")
        console.print(f"  before: {_text(row['old_reason'])}")
        console.print(f"  after:  {_text(row['new_reason'])}")
    return out.getvalue()


def _people_table(title: str, rows: pd.DataFrame, names: pd.Series, flags: bool) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    columns = ["name", "level", "team", "change"]
    columns += ["flags (old -> new)"] if flags else ["flags"]
    columns += ["window"]
    for column in columns:
        table.add_column(column, overflow="fold")
    for index, row in rows.iterrows():
        old, new = row["old_flags"] or "none", row["new_flags"] or "none"
        table.add_row(
            names[index],
            _text(row["level"]),
            _text(row["team"]),
            _text(row["change"]),
            f"{old} -> {new}" if flags else old,
            window_text(
                row["old_window"],
                row["new_window"],
                row["old_earliest"],
                row["new_earliest"],
                str,
            ).replace("→", "->"),
        )
    return table


def _counts_table(result: WhatIf, by: str) -> Table:
    tally = counts(result.changed, by)
    summary_table = Table(title=f"Moves by {by}")
    summary_table.add_column(by)
    for _, words in FLAGS:
        summary_table.add_column(f"{words} +/-", justify="right")
    summary_table.add_column("window earlier/later", justify="right")
    for row in tally.to_dict(orient="records"):
        summary_table.add_row(
            printable(str(row[by])),
            *(f"+{row[f'{c}_gained']} / -{row[f'{c}_lost']}" for c, _ in FLAGS),
            f"{row['window_earlier']} / {row['window_later']}",
        )
    return summary_table


def _each_table(result: WhatIf, each: pd.DataFrame) -> Table:
    fw = result.framework_before
    table = Table(title="Each change alone", title_justify="left")
    for column, justify in (("setting", "left"), ("change", "left"), ("flags change", "right")):
        table.add_column(column, justify=justify)
    table.add_column("reason changes", justify="right")
    for row in each.to_dict(orient="records"):
        path = row["path"]
        table.add_row(
            setting_name(fw, path),
            f"{value_words(fw, path, row['old'])} -> {value_words(fw, path, row['new'])}",
            str(row["moves"]),
            str(row["nearer"]),
        )
    return table


def _text(value: object) -> str:
    return "" if _missing(value) else str(value)


def _printable(df: pd.DataFrame) -> pd.DataFrame:
    safe = df.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(lambda v: printable(v) if isinstance(v, str) else v)
    return safe
