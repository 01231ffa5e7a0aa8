"""Who a what-if moves: the people whose flags or window differ between the served readiness
rows and the recomputed ones, counts of the moves by level or team, and the text the CLI
prints (table, CSV or JSON).

The window of a person is the month their promotion case is due: the as-of month itself for
someone already promotion-ready (the readiness table leaves projected_window_month empty for
them: the window is now), projected_window_month for someone near a window, none otherwise.
So "becomes promotion-ready" from "near a window, due in 3 months" also reads "window 3 months
earlier"; a person with no window on one side has no window move (<NA>).
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

if TYPE_CHECKING:
    from pipelines.whatif.run import WhatIf

# Readiness flag columns, with the words the what-if shows for them.
FLAGS = (
    ("promotion_ready", "Promotion-ready"),
    ("near_window", "Near a window"),
    ("in_band_candidate", "In-band candidate"),
    ("at_risk", "At risk"),
)
# How the change sentence says a flag was gained / lost.
_GAINED = {
    "promotion_ready": "becomes promotion-ready",
    "near_window": "comes near a window",
    "in_band_candidate": "becomes an in-band candidate",
    "at_risk": "is now at risk",
}
_LOST = {
    "promotion_ready": "is no longer promotion-ready",
    "near_window": "is no longer near a window",
    "in_band_candidate": "is no longer an in-band candidate",
    "at_risk": "is no longer at risk",
}
# Said when a person is judged on one side only (a changed onboarding setting moves the first
# judged month).
NOT_JUDGED = "Not judged in this month."

PERSON_COLUMNS = ("engineer_id", "name", "team", "region", "manager_id", "manager_name", "level")
CHANGE_COLUMNS = (
    *PERSON_COLUMNS,
    "old_flags",
    "new_flags",
    "became",
    "stopped",
    "old_reason",
    "new_reason",
    "old_window",
    "new_window",
    "window_moves_months",
    "change",
)
# The order the CSV and JSON rows carry their columns in.
EXPORT_COLUMNS = (
    *PERSON_COLUMNS,
    "change",
    "old_flags",
    "new_flags",
    "became",
    "stopped",
    "old_window",
    "new_window",
    "window_moves_months",
    "old_reason",
    "new_reason",
)


def changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One row per person whose flags or window differ (columns CHANGE_COLUMNS), ordered by
    level, team and name.

    old_flags/new_flags, became/stopped: FLAGS words joined by ", " ("" for none);
    old_window/new_window: first days of months (or None); window_moves_months: months from
    the old to the new window (+ later, - earlier; <NA> when either side has none);
    change: one plain sentence, e.g. "Becomes promotion-ready; window 3 months earlier"."""
    keep = [*PERSON_COLUMNS, "month", "reason", "projected_window_month"]
    keep += [column for column, _ in FLAGS]
    merged = pd.merge(
        before[keep], after[keep], on="engineer_id", how="outer", suffixes=("_old", "_new")
    )
    rows = [_change_row(r) for r in merged.to_dict(orient="records")]
    out = pd.DataFrame([r for r in rows if r is not None], columns=list(CHANGE_COLUMNS))
    out["window_moves_months"] = out["window_moves_months"].astype("Int64")
    return out.sort_values(["level", "team", "name", "engineer_id"], ignore_index=True)


def _change_row(r: dict) -> dict | None:
    old = {c for c, _ in FLAGS if _truthy(r[f"{c}_old"])}
    new = {c for c, _ in FLAGS if _truthy(r[f"{c}_new"])}
    old_window = _window(r, "old")
    new_window = _window(r, "new")
    if old == new and old_window == new_window:
        return None
    became = [c for c, _ in FLAGS if c in new - old]
    stopped = [c for c, _ in FLAGS if c in old - new]
    moves = (
        _months_between(old_window, new_window)
        if old_window is not None and new_window is not None
        else None
    )
    parts = [_GAINED[c] for c in became] + [_LOST[c] for c in stopped]
    if moves:
        size = f"{abs(moves)} month{'s' if abs(moves) != 1 else ''}"
        parts.append(f"window {size} {'later' if moves > 0 else 'earlier'}")
    sentence = "; ".join(parts)

    def side(column: str) -> object:
        value = r[f"{column}_new"]
        return r[f"{column}_old"] if _missing(value) else value

    return {
        "engineer_id": r["engineer_id"],
        **{c: side(c) for c in PERSON_COLUMNS if c != "engineer_id"},
        "old_flags": _words(old),
        "new_flags": _words(new),
        "became": _words(set(became)),
        "stopped": _words(set(stopped)),
        "old_reason": NOT_JUDGED if _missing(r["month_old"]) else r["reason_old"],
        "new_reason": NOT_JUDGED if _missing(r["month_new"]) else r["reason_new"],
        "old_window": old_window,
        "new_window": new_window,
        "window_moves_months": moves,
        "change": sentence[:1].upper() + sentence[1:],
    }


def _window(r: dict, side: str) -> date | None:
    if _truthy(r[f"promotion_ready_{side}"]):
        return _as_date(r[f"month_{side}"])
    projected = r[f"projected_window_month_{side}"]
    return None if _missing(projected) else _as_date(projected)


def _as_date(value: object) -> date:
    return pd.Timestamp(value).date().replace(day=1)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _words(flags: set[str]) -> str:
    return ", ".join(words for column, words in FLAGS if column in flags)


def _truthy(value: object) -> bool:
    return not _missing(value) and bool(value)


def _missing(value: object) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value))


def counts(changed: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per value of `by` ("level" or "team") among the people who moved: `<flag>_gained` and
    `<flag>_lost` (people) for each flag column of FLAGS, then `window_earlier` and
    `window_later`; one row per value, sorted by it."""
    if by not in ("level", "team"):
        raise ValueError(f"counts by {by!r}: use 'level' or 'team'")
    columns = [f"{c}_{edge}" for c, _ in FLAGS for edge in ("gained", "lost")]
    columns += ["window_earlier", "window_later"]
    frame = pd.DataFrame({by: changed[by]})
    for column, words in FLAGS:
        frame[f"{column}_gained"] = changed["became"].map(lambda s, w=words: w in _split(s))
        frame[f"{column}_lost"] = changed["stopped"].map(lambda s, w=words: w in _split(s))
    moves = changed["window_moves_months"]
    frame["window_earlier"] = (moves < 0).fillna(False).astype(bool)
    frame["window_later"] = (moves > 0).fillna(False).astype(bool)
    out = frame.groupby(by, sort=True)[columns].sum().astype(int).reset_index()
    return out[[by, *columns]]


def _split(text: str) -> list[str]:
    return [part for part in text.split(", ") if part] if isinstance(text, str) else []


def assignment_words(result: WhatIf) -> list[str]:
    """'rules.promotion_months_at_level 12 -> 9', 'bars.IC3.Scope.sla_adherence 96% -> 95%'."""
    from pipelines.whatif.overrides import find_settable

    out = []
    for path, (old, new) in result.assignments.items():
        share = find_settable(result.framework_before, path).share
        out.append(f"{path} {_figure(old, share)} -> {_figure(new, share)}")
    return out


def _figure(value: float, share: bool) -> str:
    return f"{value * 100:g}%" if share else f"{value:g}"


def export_frame(changed: pd.DataFrame) -> pd.DataFrame:
    """The rows the CSV and JSON carry: the people who moved, windows as YYYY-MM."""
    out = changed[list(EXPORT_COLUMNS)].copy()
    for column in ("old_window", "new_window"):
        out[column] = out[column].map(lambda d: f"{d:%Y-%m}" if isinstance(d, date) else None)
    return out


def render(
    result: WhatIf, fmt: Literal["table", "csv", "json"] = "table", by: str = "level"
) -> str:
    """The what-if as text. Every format prints data as it is, control characters made
    visible (pipelines.load.terminal), as the flags command does."""
    rows = _printable(export_frame(result.changed))
    if fmt == "csv":
        return safe_csv(rows)
    if fmt == "json":
        records = rows.astype(object).where(rows.notna(), None).to_dict(orient="records")
        document = {
            "month": f"{result.month:%Y-%m}",
            "changes": [
                {"path": path, "old": old, "new": new}
                for path, (old, new) in result.assignments.items()
            ],
            "people": records,
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "table":
        return _table(result, rows, by)
    raise ValueError(f"unknown format {fmt!r}. Fix: use table, csv or json")


def _table(result: WhatIf, rows: pd.DataFrame, by: str) -> str:
    out = io.StringIO()
    console = plain_console(out, width=140)
    settings = "; ".join(assignment_words(result)) or "no setting changed"
    console.print(f"What-if, {month_words(result.month)}: {settings}")
    judged = len(result.after)
    if rows.empty:
        console.print(f"Nobody moves: the {judged} people judged keep their flags and windows.")
        return out.getvalue()
    console.print(f"{len(rows)} of the {judged} people judged move.")
    people = Table(show_lines=False)
    for column in ("name", "level", "team", "change", "flags (old -> new)", "window"):
        people.add_column(column, overflow="fold")
    for row in rows.itertuples(index=False):
        people.add_row(
            _text(row.name),
            _text(row.level),
            _text(row.team),
            _text(row.change),
            f"{row.old_flags or 'none'} -> {row.new_flags or 'none'}",
            f"{_text(row.old_window) or '-'} -> {_text(row.new_window) or '-'}",
        )
    console.print(people)
    tally = counts(result.changed, by)
    summary = Table(title=f"Moves by {by}")
    summary.add_column(by)
    for _, words in FLAGS:
        summary.add_column(f"{words} +/-", justify="right")
    summary.add_column("window earlier/later", justify="right")
    for row in tally.to_dict(orient="records"):
        summary.add_row(
            printable(str(row[by])),
            *(f"+{row[f'{c}_gained']} / -{row[f'{c}_lost']}" for c, _ in FLAGS),
            f"{row['window_earlier']} / {row['window_later']}",
        )
    console.print(summary)
    console.print("Reasons, before and after:")
    for row in rows.itertuples(index=False):
        console.print(f"\n{_text(row.name)} ({_text(row.level)}, {_text(row.team)})")
        console.print(f"  before: {_text(row.old_reason)}")
        console.print(f"  after:  {_text(row.new_reason)}")
    return out.getvalue()


def _text(value: object) -> str:
    return "" if _missing(value) else str(value)


def _printable(df: pd.DataFrame) -> pd.DataFrame:
    safe = df.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(lambda v: printable(v) if isinstance(v, str) else v)
    return safe
