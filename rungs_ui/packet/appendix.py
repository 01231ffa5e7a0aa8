"""The appendix a case packet or a pre-read carries when asked for: a policy what-if and the
fairness lens (issue 15), as JSON-able text for the templates (appendix.typ).

- What-if: the build's readiness rules rerun with some settings changed
  (pipelines.whatif.run_whatif, on a scratch database; the served warehouse is only read). A
  case packet shows this person's flags, window and reason before and after; a pre-read shows
  the people at its level who move and counts of the moves by team.
- Fairness lens: evidence documentation skew by manager first (the thing to look at before
  calibration), then each group's rates with intervals and sample sizes by team, manager and
  the warehouse's other groupings, over the 12 months up to the packet's month. Groups under
  the minimum size are withheld by pipelines.fairness and never reach the page.

Both show the whole org's figures, so only the roles that see and calibrate the org (admin,
leadership) may have them: `AppendixRefused` otherwise. In an anonymised pre-read people and
managers are shown as the pre-read shows them (`Identity`): letters, or "a manager".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from pipelines.access.scope import CALIBRATING_ROLES
from pipelines.fairness import (
    MEASURES,
    documentation_skew,
    fairness_groupings,
    fairness_min_group_size,
    fairness_table,
    grouping_label,
)
from pipelines.fairness.lens import NO_MANAGER, ORG_LABEL
from pipelines.fairness.period import months_before
from pipelines.fairness.words import drop_sample
from pipelines.whatif import FLAGS, counts, run_whatif
from pipelines.whatif.diff import window_text
from pipelines.whatif.nearer import summary
from pipelines.whatif.overrides import parse_assignments, setting_name, value_words
from rungs_ui import formats, queries
from rungs_ui.identity import Identity
from rungs_ui.warehouse import Warehouse, reading

# The fairness lens looks back a year from the packet's month, as the Fairness page does.
FAIRNESS_MONTHS = 12
# Groupings always printed first, in this order; the warehouse's others follow.
FIRST_GROUPINGS = ("team", "manager")
# The measures split over two tables so each fits across a portrait page.
FLAG_KEYS = tuple(column for column, _ in FLAGS)


class AppendixRefused(PermissionError):
    """The viewer's role may not see the what-if or the fairness lens."""


@dataclass(frozen=True)
class Appendix:
    """What to append: `whatif` the --whatif-set assignments (path -> value as typed), and
    whether to add the fairness lens. Empty: no appendix, the packet as before."""

    whatif: Mapping[str, str | float] = field(default_factory=dict)
    fairness: bool = False

    def __bool__(self) -> bool:
        return bool(self.whatif) or self.fairness

    def describe(self) -> str:
        """What the appendix holds, for the audit log: 'what-if rules.x=9, fairness'."""
        parts = []
        if self.whatif:
            parts.append("what-if " + " ".join(f"{p}={v}" for p, v in self.whatif.items()))
        if self.fairness:
            parts.append("fairness")
        return ", ".join(parts)


def packet_appendix(whatif_set: Sequence[str], fairness: bool) -> Appendix:
    """The appendix the command line asks for: `whatif_set` as `whatif --set` takes them
    (PATH=VALUE; an OverrideError names a malformed one)."""
    return Appendix(whatif=parse_assignments(whatif_set), fairness=fairness)


def check_allowed(wh: Warehouse, appendix: Appendix | None) -> None:
    """Raise AppendixRefused when an appendix is asked for by a role that may not see it."""
    if not appendix:
        return
    scope = queries.scope_of(wh)
    if scope.role not in CALIBRATING_ROLES:
        raise AppendixRefused(
            f"{scope.viewer} ({scope.role}) may not have the what-if or fairness appendix: it "
            "shows the whole org and is for admins and leadership only. Fix: leave out "
            "--whatif-set and --appendix, or ask an admin or leadership to make the packet."
        )


def engineer_appendix(
    wh: Warehouse, appendix: Appendix, person: pd.Series, month: date, who: Identity
) -> dict[str, Any]:
    """The appendix of one engineer's case packet (`person`: their roster row)."""
    check_allowed(wh, appendix)
    out: dict[str, Any] = {"whatif": None, "fairness": None}
    if appendix.whatif:
        out["whatif"] = _whatif_for_person(wh, appendix.whatif, person, month, who)
    if appendix.fairness:
        out["fairness"] = _fairness(wh, month, who, person)
    return out


def level_appendix(
    wh: Warehouse, appendix: Appendix, level: str, month: date, who: Identity
) -> dict[str, Any]:
    """The appendix of the pre-read of `level`."""
    check_allowed(wh, appendix)
    out: dict[str, Any] = {"whatif": None, "fairness": None}
    if appendix.whatif:
        out["whatif"] = _whatif_for_level(wh, appendix.whatif, level, month, who)
    if appendix.fairness:
        out["fairness"] = _fairness(wh, month, who, None)
    return out


# --- what-if -------------------------------------------------------------------------------


def _run(wh: Warehouse, assignments: Mapping[str, str | float], month: date):
    """The what-if and the settings it changed, as printed (share bars as percentages)."""
    result = run_whatif(wh.path, dict(assignments), as_of=month)
    changes = []
    fw = result.framework_before
    for path, (old, new) in result.assignments.items():
        changes.append(
            {
                "label": setting_name(fw, path),
                "path": path,
                "old": value_words(fw, path, old),
                "new": value_words(fw, path, new),
            }
        )
    return result, changes


def _overall(result, moved: int, judged: int, nearer: pd.DataFrame, where: str) -> str:
    """'3 of the 40 people judged at IC3 in 2026-10 move with this change; besides, what holds
    5 people back changes.' Several settings read "Together, these 2 changes: ..."."""
    said = f"{moved} of the {judged} people judged{where} move"
    if len(result.assignments) > 1:
        said = f"Together, these {len(result.assignments)} changes: {said}"
    else:
        said += " with this change"
    besides = summary(nearer)
    return said + (f"; besides, {besides}." if besides else ".")


def _window_pair(row: pd.Series) -> str:
    return (
        window_text(
            row["old_window"],
            row["new_window"],
            row["old_earliest"],
            row["new_earliest"],
            formats.month,
        )
        or "—"  # no window either side: a dash, as a blank cell elsewhere in the packet
    )


def _window(value: object) -> str:
    return "none" if formats.missing(value) else formats.month(value)


def _text(value: object) -> str:
    return "—" if formats.missing(value) else str(value)


def _true(value: object) -> bool:
    return not formats.missing(value) and bool(value)


def _whatif_for_person(
    wh: Warehouse,
    assignments: Mapping[str, str | float],
    person: pd.Series,
    month: date,
    who: Identity,
) -> dict[str, Any]:
    result, changes = _run(wh, assignments, month)
    engineer_id = person["engineer_id"]
    # The packet's own person, named as its first page names them.
    name = _text(person["name"])
    scope = queries.scope_of(wh)
    in_view = result.changed.loc[result.changed["engineer_id"].map(scope.allows)]
    nearer = result.nearer.loc[result.nearer["engineer_id"].map(scope.allows)]
    judged = int(result.after["engineer_id"].map(scope.allows).sum())
    mine = result.changed.loc[result.changed["engineer_id"] == engineer_id]
    if mine.empty:  # flags kept, but the reason may change
        mine = result.nearer.loc[result.nearer["engineer_id"] == engineer_id]
    document: dict[str, Any] = {
        "month": formats.month(result.month),
        "changes": changes,
        "overall": _overall(result, len(in_view), judged, nearer, f" in {formats.month(month)}"),
        "moves": not mine.empty,
        "sentence": "",
        "sides": [],
    }
    if mine.empty:
        document["sentence"] = f"This change does not move {name}."
        return document
    row = mine.iloc[0]
    document["sentence"] = f"{name}: {row['change']}."
    document["sides"] = [
        {
            "side": side,
            "flags": row[f"{key}_flags"] or "none",
            "window": _window(row[f"{key}_window"])
            if formats.missing(row[f"{key}_earliest"])
            else f"{formats.month(row[f'{key}_earliest'])} at the earliest",
            "reason": str(who.scrub(row[f"{key}_reason"])),
        }
        for side, key in (("Now", "old"), ("With the change", "new"))
    ]
    return document


def _whatif_for_level(
    wh: Warehouse,
    assignments: Mapping[str, str | float],
    level: str,
    month: date,
    who: Identity,
) -> dict[str, Any]:
    result, changes = _run(wh, assignments, month)
    scope = queries.scope_of(wh)
    judged = result.after.loc[
        (result.after["level"] == level) & result.after["engineer_id"].map(scope.allows)
    ]

    def at_level(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[(frame["level"] == level) & frame["engineer_id"].map(scope.allows)]

    moved, nearer = at_level(result.changed), at_level(result.nearer)

    def people_of(frame: pd.DataFrame) -> list[dict[str, str]]:
        return [
            {
                "person": who.person(row["engineer_id"], row["name"]),
                "team": _text(row["team"]),
                "change": row["change"],
                "flags": f"{row['old_flags'] or 'none'} → {row['new_flags'] or 'none'}",
                "window": _window_pair(row),
                "old_reason": str(who.scrub(row["old_reason"])),
                "new_reason": str(who.scrub(row["new_reason"])),
            }
            for _, row in frame.iterrows()
        ]

    people = people_of(moved)
    tally = counts(moved, "team") if not moved.empty else pd.DataFrame()
    return {
        "month": formats.month(result.month),
        "changes": changes,
        "overall": _overall(
            result, len(moved), len(judged), nearer, f" at {level} in {formats.month(month)}"
        ),
        "people": people,
        "nearer": people_of(nearer),
        "flag_words": [words for _, words in FLAGS],
        "counts": [
            {
                "team": _text(row["team"]),
                "flags": [
                    f"+{row[f'{column}_gained']} / −{row[f'{column}_lost']}" for column, _ in FLAGS
                ],
                "window": f"{row['window_earlier']} / {row['window_later']}",
            }
            for _, row in tally.iterrows()
        ],
    }


# --- fairness lens --------------------------------------------------------------------------


def _fairness(
    wh: Warehouse, month: date, who: Identity, person: pd.Series | None
) -> dict[str, Any]:
    scope = queries.scope_of(wh)
    people = None if scope.everyone else scope.people
    start = months_before(month, FAIRNESS_MONTHS - 1)
    with reading(wh) as con:
        minimum = fairness_min_group_size(con, scope.min_aggregate_people)
        skew = documentation_skew(con, start, month, minimum, people)
        available = fairness_groupings(con)
        groupings = [g for g in FIRST_GROUPINGS if g in available]
        groupings += [g for g in available if g not in groupings]
        tables = [fairness_table(con, g, start, month, minimum, people) for g in groupings]
    period = f"{formats.month(start)} – {formats.month(month)}"
    return {
        "period": period,
        "minimum": str(minimum),
        "skew": _skew(skew, who),
        "own_manager": _own_manager(skew, person, who, period) if person is not None else "",
        "tables": [_table(t, who) for t in tables],
        "flag_measures": [m.label for m in MEASURES if m.key in FLAG_KEYS],
        "other_measures": [m.label for m in MEASURES if m.key not in FLAG_KEYS],
    }


def _manager_label(who: Identity, manager_id: object, name: object) -> str:
    """A manager as the packet shows them; in an anonymised pre-read never by name."""
    shown = who.manager(None if formats.missing(manager_id) else str(manager_id), name)
    if who.anonymised and shown == name:
        return "a manager"
    return str(shown)


def _skew(skew: pd.DataFrame, who: Identity) -> dict[str, Any]:
    org_rate = float(skew["org_rate"].iloc[0]) if not skew.empty else math.nan
    return {
        "org_rate": "—" if math.isnan(org_rate) else f"{org_rate:.2f}",
        "rows": [
            {
                "manager": _manager_label(who, row["manager_id"], row["manager_name"]),
                "reports": str(int(row["reports"])),
                "report_months": str(int(row["report_months"])),
                "items": str(int(row["items"])),
                "rate": f"{row['rate']:.2f}",
                "interval": f"{row['low']:.2f}–{row['high']:.2f}",
                "words": drop_sample(row["words"]),
            }
            for _, row in skew.iterrows()
        ],
    }


def _own_manager(skew: pd.DataFrame, person: pd.Series, who: Identity, period: str) -> str:
    """One plain sentence on the person's manager's documentation rate against the org's,
    when that manager is shown in the skew table (enough reports); otherwise nothing."""
    manager_id = person.get("manager_id")
    row = (
        skew.loc[skew["manager_id"] == manager_id] if not formats.missing(manager_id) else skew[:0]
    )
    if row.empty:
        return ""
    r = row.iloc[0]
    name = _text(person["name"])
    manager = _manager_label(who, r["manager_id"], r["manager_name"])
    return (
        f"{name}'s manager, {manager}: {r['rate']:.2f} examples of work recorded per "
        f"person-month over {period} (95% interval {r['low']:.2f}–{r['high']:.2f}), against "
        f"{r['org_rate']:.2f} for the org: {drop_sample(r['words'])} "
        f"({int(r['reports'])} reports in the period)."
    )


def _table(result, who: Identity) -> dict[str, Any]:
    groups = [_group_row(row, result.grouping, who) for _, row in result.rows.iterrows()]
    if result.org:
        groups.append(_group_row(pd.Series(result.org), result.grouping, who, org=True))
    return {
        "grouping": grouping_label(result.grouping),
        "note": result.note,
        "withheld": str(result.suppressed),
        "rows": groups,
    }


def _group_row(row: pd.Series, grouping: str, who: Identity, org: bool = False) -> dict[str, Any]:
    if org:
        label = ORG_LABEL
    elif grouping == "manager":
        manager_id = row["group_id"] or None
        label = NO_MANAGER if manager_id is None else _manager_label(who, manager_id, row["group"])
    else:
        label = str(row["group"])
    cells = {
        m.key: {
            "figure": _measure_figure(
                m.kind, row[f"{m.key}_rate"], row[f"{m.key}_low"], row[f"{m.key}_high"]
            ),
            # A share's n is the People column beside it: said once, not in every cell.
            "words": "" if org else _unbroken(_words(m.kind, row[f"{m.key}_words"])),
            "n": _unbroken(_sample(m.kind, int(row[f"{m.key}_n"]))),
        }
        for m in MEASURES
    }
    return {
        "group": label,
        "people": str(int(row["people"])),
        "org": org,
        "flags": [cells[m.key] for m in MEASURES if m.key in FLAG_KEYS],
        "others": [cells[m.key] for m in MEASURES if m.key not in FLAG_KEYS],
    }


def _words(kind: str, words: object) -> str:
    return drop_sample(words) if kind == "share" else str(words)


# What n counts, by kind of measure (as pipelines.fairness.words says it).
_UNITS = {"share": ("", ""), "per_person_month": (" person-month", " person-months")}


def _sample(kind: str, n: int) -> str:
    one, many = _UNITS.get(kind, (" promotion", " promotions"))
    return f"n = {n}{one if n == 1 else many}"


def _unbroken(words: str) -> str:
    """'n = 12 person-months' kept on one line: a cell must not end with a lone number."""
    return words.replace("n = ", "n\u00a0=\u00a0").replace("person-month", "person\u2011month")


def _measure_figure(kind: str, rate: float, low: float, high: float) -> str:
    """'23% (15–34%)', '0.44 (0.36–0.52)', '14 (11–18)'; a dash when there is no figure."""
    if _nan(rate):
        return "—"
    if kind == "share":
        return f"{rate:.0%}" if _nan(low) else f"{rate:.0%} ({low:.0%}–{high:.0%})"
    digits = 2 if kind == "per_person_month" else 0
    figure = f"{rate:.{digits}f}"
    return figure if _nan(low) else f"{figure} ({low:.{digits}f}–{high:.{digits}f})"


def _nan(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
