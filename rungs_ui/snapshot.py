"""What the room saw for one person, frozen when a decision is saved, and what changed since.

`take_snapshot` reads the same query functions the Engineer page reads (readiness, the level per
category and month, each metric against its bars, the evidence) and keeps them as plain JSON
values, so a later rebuild, a corrected file or a framework change never alters what a decision
stood on. `changes` compares two such payloads in sentences, for "as decided" against "today".
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pipelines.journal.entries import Snapshot
from rungs_ui import formats, journal_view, queries
from rungs_ui.queries import Filters
from rungs_ui.warehouse import Warehouse

# Days and months as payloads store them (ISO text), put in words in the change sentences.
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MONTH = re.compile(r"\d{4}-\d{2}")

# The months of attainment and metric checks a snapshot keeps, up to the month looked at.
MONTHS_KEPT = 12
FLAG_COLUMNS = ("promotion_ready", "near_window", "in_band_candidate", "at_risk")
FLAG_WORDS = {
    "promotion_ready": "promotion-ready",
    "near_window": "near a promotion window",
    "in_band_candidate": "in-band raise candidate",
    "at_risk": "at risk",
}
COUNTERS = (
    "months_at_level",
    "months_at_next",
    "months_to_ready",
    "months_below_level",
    "judged_months_at_level",
    "whole_months_at_level",
    "categories_above",
    "projected_window_month",
    "next_level",
    "overall_level",
    "last_raise",
    "last_raise_on",
)
# Counters that are months (as "YYYY-MM") or days (as "YYYY-MM-DD") rather than counts.
_MONTH_COUNTERS = ("projected_window_month",)
_DAY_COUNTERS = ("last_raise_on",)
METRICS = ("sla_adherence", "median_open_hours", "volume_ratio")
ATTAINMENT_KEYS = ("demonstrated_level", "status", "judged")


def take_snapshot(wh: Warehouse, engineer_id: str, month: date) -> Snapshot:
    """Everything the Engineer page shows about `engineer_id` as of `month`, as JSON values."""
    build = queries.latest_build(wh)
    payload = {
        "as_of_month": _month(month),
        "person": _person(wh, engineer_id, month),
        "readiness": _readiness(wh, engineer_id, month),
        "attainment": _attainment(wh, engineer_id, month),
        "metrics": _metrics(wh, engineer_id, month),
        "evidence": _evidence(wh, engineer_id, month),
    }
    return Snapshot(
        engineer_id=engineer_id,
        build_id=_plain(build.get("build_id")),
        framework_version=_plain(build.get("framework_version")),
        payload=payload,
    )


def _person(wh: Warehouse, engineer_id: str, month: date) -> dict[str, Any]:
    people = queries.roster(wh, Filters(month=month))
    row = people.loc[people["engineer_id"] == engineer_id]
    if row.empty:
        # Not on the roster that month (left, or no level held): the id alone says who.
        return {"engineer_id": engineer_id, "name": None, "team": None, "manager_id": None,
                "level": None, "level_since": None}  # fmt: skip
    person = row.iloc[0]
    return {
        "engineer_id": engineer_id,
        "name": _plain(person["name"]),
        "team": _plain(person["team"]),
        "manager_id": _plain(person["manager_id"]),
        "level": _plain(person["level"]),
        "level_since": _day(person["level_since"]),
    }


def _readiness(wh: Warehouse, engineer_id: str, month: date) -> dict[str, Any]:
    rows = queries.engineer_readiness(wh, engineer_id, month)
    now = rows.loc[pd.to_datetime(rows["month"]) == pd.Timestamp(month)]
    if now.empty:
        # The month was not judged (onboarding, no data, a level change): no flag, no reason.
        return {"flags": [], "reason": None, "counters": dict.fromkeys(COUNTERS)}
    row = now.iloc[0]
    counters = {}
    for name in COUNTERS:
        value = row.get(name)
        if name in _MONTH_COUNTERS:
            counters[name] = _month(value)
        elif name in _DAY_COUNTERS:
            counters[name] = _day(value)
        else:
            counters[name] = _plain(value)
    return {
        "flags": [flag for flag in FLAG_COLUMNS if bool(row.get(flag))],
        "reason": _plain(row.get("reason")),
        "counters": counters,
    }


def _attainment(wh: Warehouse, engineer_id: str, month: date) -> list[dict[str, Any]]:
    rows = queries.engineer_attainment(wh, engineer_id, month, MONTHS_KEPT)
    return [
        {
            "month": _month(r["month"]),
            "category": _plain(r["category"]),
            "demonstrated_level": _plain(r["demonstrated_level"]),
            "status": _plain(r["status"]),
            "judged": _plain(r["judged"]),
        }
        for r in rows.to_dict("records")
    ]


def _metrics(wh: Warehouse, engineer_id: str, month: date) -> list[dict[str, Any]]:
    bars = queries.framework(wh).bars
    labels = {(b["level"], b["category"], b["metric"]): b["label"] for b in bars.to_dict("records")}
    out = []
    for metric in METRICS:
        checks = queries.engineer_bar_checks(wh, engineer_id, metric, month, MONTHS_KEPT)
        out += [
            {
                "month": _month(c["month"]),
                "category": _plain(c["category"]),
                "metric": metric,
                "label": labels.get((c["bar_level"], c["category"], metric)),
                "observed": _plain(c["observed"]),
                "bar_value": _plain(c["bar_value"]),
                "op": _plain(c["op"]),
                "sample": _plain(c["sample"]),
                "meets": _plain(c["meets"]),
                "judged": _plain(c["judged"]),
            }
            for c in checks.to_dict("records")
        ]
    return out


def _evidence(wh: Warehouse, engineer_id: str, month: date) -> list[dict[str, Any]]:
    """The evidence the Engineer page lists: the build's, with what was recorded in the app
    since laid over it (an item the room saw as "not yet in a build" is part of what it saw)."""
    recorded = journal_view.about(
        wh, journal_view.app_evidence(), pd.DataFrame({"engineer_id": [engineer_id]})
    )
    items = journal_view.merge(
        queries.engineer_evidence(wh, engineer_id, month),
        journal_view.up_to(recorded, month, queries.build_as_of(wh)),
    )
    return [
        {
            "evidence_id": _plain(e["evidence_id"]),
            "observed_on": _day(e["observed_on"]),
            "category": _plain(e["category"]),
            "level": _plain(e["level"]),
            "kind": _plain(e["kind"]),
            "summary": _plain(e["summary"]),
            "origin": _origin(e),
            # "" once in a build; else how it stood then (new since the build, or corrected)
            "pending": _plain(e.get("pending")) or "",
        }
        for e in items.to_dict("records")
    ]


def _origin(item: dict) -> str:
    """Where an item came from: the query's own word when it gives one, else told by the id
    (the journal's items begin with 'app-')."""
    given = _plain(item.get("origin"))
    if given:
        return str(given)
    return "app" if str(item["evidence_id"]).startswith("app-") else "evidence.csv"


# --- JSON values ------------------------------------------------------------------------------


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or array is not missing
        return False


def _plain(value: object) -> Any:
    """A cell as JSON takes it: numpy scalars as Python, missing as None, whole floats kept."""
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp | date | np.datetime64):
        return _day(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _month(value: object) -> str | None:
    return None if _missing(value) else pd.Timestamp(value).strftime("%Y-%m")


def _day(value: object) -> str | None:
    return None if _missing(value) else pd.Timestamp(value).date().isoformat()


# --- what changed -----------------------------------------------------------------------------


# How engineer_readiness.sql words a reason for a viewer who does not see the whole team (the
# team's median is an aggregate over others). A snapshot saved by someone who saw it whole is
# shown to such a viewer the same way; tests/test_snapshot.py keeps the two in step.
TEAM_MEDIAN_HIDDEN = (
    (r"team median [0-9]+ tickets", "team median not shown"),
    (r"the team's median of [0-9]+", "the team's median"),
)


def without_team_median(payload: dict) -> dict:
    """`payload` with the team's median taken out of its reason sentence."""
    readiness = payload.get("readiness") or {}
    reason = readiness.get("reason")
    if not reason:
        return payload
    for pattern, words in TEAM_MEDIAN_HIDDEN:
        reason = re.sub(pattern, words, reason)
    return {**payload, "readiness": {**readiness, "reason": reason}}


def changes(then: dict, now: dict) -> list[str]:
    """What differs between two payloads, in sentences: flags raised or cleared, the reason,
    counters that moved, attainment cells of the same month and category, evidence added or
    removed. Empty when nothing did."""
    said: list[str] = []
    before, after = then.get("readiness") or {}, now.get("readiness") or {}
    old_flags, new_flags = set(before.get("flags") or []), set(after.get("flags") or [])
    for flag in FLAG_COLUMNS:
        if flag in new_flags and flag not in old_flags:
            said.append(f"Now {FLAG_WORDS[flag]} (was not).")
        elif flag in old_flags and flag not in new_flags:
            said.append(f"No longer {FLAG_WORDS[flag]}.")
    if before.get("reason") != after.get("reason"):
        said.append(f"The reason now reads: “{after.get('reason') or 'none (month not judged)'}”")
    old_counts, new_counts = before.get("counters") or {}, after.get("counters") or {}
    for name in COUNTERS:
        old, new = old_counts.get(name), new_counts.get(name)
        if old != new:
            said.append(f"{name.replace('_', ' ').capitalize()} {_shown(old)} → {_shown(new)}.")
    said += _attainment_changes(then.get("attainment") or [], now.get("attainment") or [])
    said += _evidence_changes(then.get("evidence") or [], now.get("evidence") or [])
    return said


def _attainment_changes(then: list[dict], now: list[dict]) -> list[str]:
    old = {(c["month"], c["category"]): c for c in then}
    said = []
    for cell in now:
        was = old.get((cell["month"], cell["category"]))
        if was is None:
            continue
        moved = [k for k in ATTAINMENT_KEYS if was.get(k) != cell.get(k)]
        if moved:
            what = "; ".join(
                f"{k.replace('_', ' ')} {_shown(was.get(k))} → {_shown(cell.get(k))}" for k in moved
            )
            said.append(f"{cell['category']} in {_shown(cell['month'])}: {what}.")
    return said


def _evidence_changes(then: list[dict], now: list[dict]) -> list[str]:
    old = {e["evidence_id"]: e for e in then}
    new = {e["evidence_id"]: e for e in now}
    said = [
        f"Evidence added: {e['evidence_id']} ({e.get('category')}, {e.get('level')}, "
        f"{_shown(e.get('observed_on'))}): {e.get('summary')}"
        for i, e in new.items()
        if i not in old
    ]
    said += [
        f"Evidence no longer counted: {e['evidence_id']} ({e.get('category')}, "
        f"{e.get('level')}): {e.get('summary')}"
        for i, e in old.items()
        if i not in new
    ]
    return said


def _shown(value: object) -> str:
    """A value as the sentences say it; a day or a month (payloads keep ISO text) as the pages
    write one, "1 Jun 2026" or "Jun 2026" (Anonymise cuts a written day to its month)."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return formats.day(value)
    if isinstance(value, str) and _ISO_MONTH.fullmatch(value):
        return formats.month(f"{value}-01")
    return str(value)
