"""Who a what-if moves: the people whose flags or window differ between the served readiness
rows and the recomputed ones, counts of the moves by level or team, and the text the CLI
prints (table, CSV or JSON).

The window of a person is the month their promotion case is due: the as-of month itself for
someone already promotion-ready (the readiness table leaves projected_window_month empty for
them: the window is now), projected_window_month for someone near a window, none otherwise.
So "becomes promotion-ready" from "near a window, due in 3 months" also reads "window 3 months
earlier"; a person with no window on one side has no window move (<NA>).

The window column and the reason must agree. A person who shows the next level but is further
from promotion-ready than near_window_months has no projected window, yet their reason says
"promotion-ready in 4 months at the earliest". So beside each window there is an *earliest*
month (old_earliest / new_earliest): the month plus months_to_ready, given only when there is no
window on that side, the person has a next level, shows it (months_at_next >= 1) and is not
ready. Window moves (window_moves_months) still count real windows only; the text shows the
earliest month marked "earliest" (window_text), so "—" never sits beside "in 4 months".

changes() lists the people whose flags or window change (kind "flags"). The people whose flags
and window stay but whose reason or a counter behind it changes are in nearer.py (kind
"reason"), shown after them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd

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
    "kind",
    "old_earliest",
    "new_earliest",
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
    "old_earliest",
    "new_earliest",
    "kind",
    "old_reason",
    "new_reason",
)
# The readiness columns the diff reads from each side.
READ_COLUMNS = (
    *PERSON_COLUMNS,
    "month",
    "reason",
    "projected_window_month",
    *(column for column, _ in FLAGS),
    "next_level",
    "months_at_next",
    "months_to_ready",
)


def changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """One row per person whose flags or window differ (columns CHANGE_COLUMNS), ordered by
    level, team and name.

    old_flags/new_flags, became/stopped: FLAGS words joined by ", " ("" for none);
    old_window/new_window: first days of months (or None); window_moves_months: months from
    the old to the new window (+ later, - earlier; <NA> when either side has none);
    change: one plain sentence, e.g. "Becomes promotion-ready; window 3 months earlier";
    kind: "flags"; old_earliest/new_earliest: the earliest promotion-ready month where there
    is no window (see the module's docstring)."""
    rows = [_change_row(r) for r in merged_sides(before, after)]
    return ordered(rows)


def ordered(rows: list[dict | None], extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """The change rows as a frame of CHANGE_COLUMNS and `extra`, ordered by level, team and
    name."""
    kept = [r for r in rows if r is not None]
    out = pd.DataFrame(kept, columns=[*CHANGE_COLUMNS, *extra])
    out["window_moves_months"] = out["window_moves_months"].astype("Int64")
    return out.sort_values(["level", "team", "name", "engineer_id"], ignore_index=True)


def merged_sides(before: pd.DataFrame, after: pd.DataFrame, extra: tuple[str, ...] = ()) -> list:
    """One dict per person judged on either side, each column suffixed _old / _new."""
    keep = [c for c in dict.fromkeys([*READ_COLUMNS, *extra]) if c in before and c in after]
    merged = pd.merge(
        before[keep], after[keep], on="engineer_id", how="outer", suffixes=("_old", "_new")
    )
    return merged.to_dict(orient="records")


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
        months_between(old_window, new_window)
        if old_window is not None and new_window is not None
        else None
    )
    parts = [_GAINED[c] for c in became] + [_LOST[c] for c in stopped]
    if moves:
        size = f"{abs(moves)} month{'s' if abs(moves) != 1 else ''}"
        parts.append(f"window {size} {'later' if moves > 0 else 'earlier'}")
    sentence = "; ".join(parts)
    return {
        **person(r),
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
        "kind": "flags",
        "old_earliest": earliest(r, "old"),
        "new_earliest": earliest(r, "new"),
    }


def short_change(row: Mapping) -> str:
    """The change in a few words for a narrow table column (the full sentence is `change`):
    the first flag gained or lost ("Becomes promotion-ready", "+1 more" when there are more;
    leaving "near a window" on becoming promotion-ready, and the reverse, go without saying),
    the window move
    when no flag moves, and for a reason change the words after "Same flags; "."""
    if row.get("kind") == "reason":
        text = str(row["change"]).removeprefix("Same flags; ")
        return text[:1].upper() + text[1:]
    became = [c for c, words in FLAGS if words in str(row["became"] or "").split(", ")]
    stopped = [c for c, words in FLAGS if words in str(row["stopped"] or "").split(", ")]
    # Becoming promotion-ready ends being near a window, and the reverse: the window column
    # shows the rest.
    if "promotion_ready" in became and "near_window" in stopped:
        stopped.remove("near_window")
    if "promotion_ready" in stopped and "near_window" in became:
        became.remove("near_window")
    parts = [_GAINED[c] for c in became] + [_LOST[c] for c in stopped]
    if not parts:
        return str(row["change"])
    more = f" (+{len(parts) - 1} more)" if len(parts) > 1 else ""
    return parts[0][:1].upper() + parts[0][1:] + more


def person(r: dict) -> dict:
    """Who a merged row is: the recomputed side's values, the served side's when missing."""

    def side(column: str) -> object:
        value = r[f"{column}_new"]
        return r[f"{column}_old"] if _missing(value) else value

    return {
        "engineer_id": r["engineer_id"],
        **{c: side(c) for c in PERSON_COLUMNS if c != "engineer_id"},
    }


def earliest(r: dict, side: str) -> date | None:
    """The earliest month a person showing the next level could be promotion-ready, when they
    have no window on that side (the reason's "promotion-ready in N months at the earliest")."""
    if _window(r, side) is not None or _missing(r.get(f"next_level_{side}")):
        return None
    at_next, to_ready = r.get(f"months_at_next_{side}"), r.get(f"months_to_ready_{side}")
    if _missing(at_next) or _missing(to_ready) or at_next < 1 or to_ready < 1:
        return None
    start = _as_date(r[f"month_{side}"])
    return (pd.Timestamp(start) + pd.DateOffset(months=int(to_ready))).date()


def window_text(
    old: object, new: object, old_earliest: object, new_earliest: object, month_text
) -> str:
    """The window column: "Oct 2026 → Jan 2027", "— → Feb 2027 (earliest)", or "" when neither
    side has a window nor an earliest month. `month_text` formats a month."""

    def one(window: object, first: object) -> str:
        if not _missing(window):
            return month_text(window)
        if not _missing(first):
            return f"{month_text(first)} (earliest)"
        return "—"

    if all(_missing(v) for v in (old, new, old_earliest, new_earliest)):
        return ""
    return f"{one(old, old_earliest)} → {one(new, new_earliest)}"


def _window(r: dict, side: str) -> date | None:
    if _truthy(r[f"promotion_ready_{side}"]):
        return _as_date(r[f"month_{side}"])
    projected = r[f"projected_window_month_{side}"]
    return None if _missing(projected) else _as_date(projected)


def _as_date(value: object) -> date:
    return pd.Timestamp(value).date().replace(day=1)


def months_between(start: date, end: date) -> int:
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
